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

import contextlib
import os
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from planlabor.atlas.data import AtlasSource, source_of
from planlabor.cache import SharedCache, folder_for, version_of
from planlabor.store import Store

REQUEST_WAIT = 5.0  # seconds a request waits for a busy store before answering 503
REFRESH_WAIT = 3600.0  # seconds the background rebuild waits for a writer to finish
POOL_SIZE = int(os.environ.get("PLANLABOR_POOL_SIZE", "4") or 4)  # PostgreSQL connections per process


@dataclass
class LiveWorkspace:
    """A workspace folder the server reads on demand."""

    root: Path
    _watch: Any = field(default=None, repr=False)  # PostgreSQL: one connection reading the counter
    _pool: Any = field(default=None, repr=False)  # PostgreSQL: the read connections (psycopg_pool)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

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
        return self._pooled(cfg, wait)

    def _pooled(self, cfg: Any, wait: float) -> Store:
        """A read-only PostgreSQL store on a connection of this server process's pool (a new
        connection per request costs a log-in and PostGIS set-up; the pool keeps
        :data:`POOL_SIZE` open).  The connection goes back to the pool when the store closes."""
        from planlabor.store.postgres import PostgresStore, connection_pool

        url = cfg.postgres_url()
        with self._pool_lock:  # request threads and the background rebuild: one pool, not two
            if self._pool is None:
                self._pool = connection_pool(url, POOL_SIZE)
            pool = self._pool
        try:
            con = pool.getconn(timeout=max(wait, 0.1))
        except Exception as exc:  # PoolTimeout: the server unreachable or every connection busy
            from planlabor.errors import StoreError

            raise StoreError(
                f"Die Datenbank {url.display()} antwortet nicht.",
                column="store.url",
                hint="Versuchen Sie es gleich erneut; bleibt es so: läuft der Datenbankserver?",
                detail=str(exc),
            ) from exc
        return PostgresStore(url, read_only=True, con=con, release=pool.putconn)  # back to its own pool

    def close(self) -> None:
        """Close the connections kept (pool and watcher)."""
        with self._pool_lock:
            held_now = (self._pool, self._watch)
            self._pool = self._watch = None
        for held in held_now:
            if held is not None:
                with contextlib.suppress(Exception):
                    held.close()

    def signature(self) -> tuple[Any, ...]:
        """What changes when a command changes the workspace (a few ``stat`` calls)."""
        from planlabor.config import CONFIG_NAME, load_config

        files = [self.root / CONFIG_NAME]
        try:
            cfg = load_config(self.root / CONFIG_NAME)
            store = Path(cfg.store.path) if Path(cfg.store.path).is_absolute() else self.root / cfg.store.path
            files += [store, Path(str(store) + ".wal"), *(self.root / c for c in cfg.catalog)]
            if cfg.store.backend == "postgres":
                out_gen = self._generation(cfg)
                files = files[:1] + [self.root / c for c in cfg.catalog]
                return (("generation", out_gen), *self._stats(files))
        except Exception:  # a config being rewritten: compare what is there
            pass
        return self._stats(files)

    def shared_cache(self, signature: tuple[Any, ...]) -> SharedCache | None:
        """The atlas's shared cache folder for the workspace as ``signature`` describes it
        (None: the workspace's configuration cannot be read)."""
        from planlabor.config import CONFIG_NAME, load_config

        try:
            cfg = load_config(self.root / CONFIG_NAME).store
        except Exception:
            return None
        if cfg.backend == "postgres" and signature and signature[0] == ("generation", None):
            return None  # the changes counter unreadable: no version, nothing shared
        return SharedCache(folder_for(self.root, cfg.path, cfg.backend), "atlas", version_of(signature))

    def _generation(self, cfg: Any) -> str | None:
        """The PostgreSQL store's changes counter (every committed write adds one): what a file's
        time is for DuckDB.  Read on a connection kept for it (reopened after an error)."""
        from planlabor.store.postgres import PostgresStore

        for _ in range(2):
            try:
                if self._watch is None:
                    self._watch = PostgresStore(cfg.store.postgres_url(), read_only=True)
                return self._watch.generation()
            except Exception:
                with contextlib.suppress(Exception):
                    self._watch.close()
                self._watch = None
        return None

    @staticmethod
    def _stats(files: list[Path]) -> tuple[Any, ...]:
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
