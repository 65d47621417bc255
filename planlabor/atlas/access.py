"""How ``planlabor serve`` reads the workspace without holding it.

DuckDB lets one process write a file, and no other process open it meanwhile.  A server that kept
the store open for its lifetime blocked every writing command (``import``, ``compute``,
``user remove`` …) until it stopped.  So the server opens the store read-only only while it builds
an answer it has not cached yet (about 25 ms per opening on the Berlin demo store, measured in
``bench/bench_security.py``), and closes it again.

:class:`LiveWorkspace` also notices when a command changed the workspace (store file, its WAL,
``planlabor.toml`` or a catalog file): the server then builds fresh caches in the background —
waiting for the writer to finish — and keeps answering from the old ones until the new are ready.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from planlabor.atlas.data import AtlasSource, source_of
from planlabor.store import Store, open_store

REQUEST_WAIT = 5.0  # seconds a request waits for a busy store before answering 503
REFRESH_WAIT = 3600.0  # seconds the background rebuild waits for a writer to finish


@dataclass
class LiveWorkspace:
    """A workspace folder the server reads on demand."""

    root: Path

    def source(self) -> AtlasSource:
        """Catalog, rules and titles as they are now; the store is opened per build."""
        from planlabor.workspace import Workspace

        ws = Workspace.open(self.root, read_only=True)
        ws._store = _Unopened()  # type: ignore[assignment]  # source_of must not open the store here
        try:
            return replace(source_of(ws), store=None)
        finally:
            ws._store = None

    def open(self, wait: float) -> Store:
        from planlabor.workspace import Workspace

        ws = Workspace.open(self.root, read_only=True)
        cfg = ws.config.store
        if cfg.backend == "duckdb":
            from planlabor.store.duckdb_ import DuckDBStore

            path = Path(cfg.path) if Path(cfg.path).is_absolute() else self.root / cfg.path
            return DuckDBStore(path, read_only=True, memory_limit=cfg.memory_limit, wait=wait)
        return open_store(cfg, self.root, read_only=True)

    def signature(self) -> tuple[Any, ...]:
        """What changes when a command changes the workspace (a few ``stat`` calls)."""
        from planlabor.config import CONFIG_NAME, load_config

        files = [self.root / CONFIG_NAME]
        try:
            cfg = load_config(self.root / CONFIG_NAME)
            store = Path(cfg.store.path) if Path(cfg.store.path).is_absolute() else self.root / cfg.store.path
            files += [store, Path(str(store) + ".wal"), *(self.root / c for c in cfg.catalog)]
        except Exception:  # a config being rewritten: compare what is there
            pass
        out: list[tuple[str, int | None, int | None]] = []
        for f in files:
            try:
                st = os.stat(f)
                out.append((str(f), st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((str(f), None, None))
        return tuple(out)


class _Unopened:
    """Stands in for the store while only the catalog and the rules are read."""

    read_only = True

    def close(self) -> None:
        return None
