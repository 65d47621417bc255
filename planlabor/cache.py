"""The workspace's shared cache folder ``.planlabor-cache/``: built once, read by every process.

``planlabor serve --workers N`` runs N processes; each used to build the atlas payloads from the
store itself (16–18 s per process on the Berlin demo on PostgreSQL).  Now what one process built
is written here, tagged with the workspace's version (:func:`version_of`: the PostgreSQL store's
changes counter, or size and time of the DuckDB file and its WAL, plus ``planlabor.toml`` and the
catalog files); the others read it.  The first builder holds a file lock, so a payload is built
once however many processes ask for it at the same time.  A change of the workspace gives a new
version, hence a new folder; older folders are removed (:meth:`SharedCache.prune`).

The folder is owner-only (0700), like the store: it holds the internal view's payloads too.
Lies beside the DuckDB file, or in the workspace folder for a PostgreSQL store.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from planlabor.errors import StoreError

FOLDER = ".planlabor-cache"
# bytes of optional entries (answers and downloads per parameters: as many as there are distinct
# requests) one process writes into one version's folder; beyond it they stay in memory only
OPTIONAL_BUDGET = 128 * 1024 * 1024


def folder_for(root: Path, store_path: str | None, backend: str) -> Path:
    """The cache folder of a workspace: beside the DuckDB file, else in the workspace folder."""
    if backend == "duckdb" and store_path and store_path != ":memory:":
        path = Path(store_path) if Path(store_path).is_absolute() else Path(root) / store_path
        return path.parent / FOLDER
    return Path(root) / FOLDER


def version_of(signature: Any) -> str:
    """A short text naming one state of the workspace (from
    :meth:`planlabor.atlas.access.LiveWorkspace.signature`)."""
    return hashlib.sha256(repr(signature).encode("utf-8")).hexdigest()[:20]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", lambda m: f"~{ord(m.group()):02x}", name)


class SharedCache:
    """Files of one kind (e.g. ``atlas``) for one version of the workspace."""

    def __init__(self, folder: Path, kind: str, version: str) -> None:
        self.folder = Path(folder)
        self.kind = kind
        self.version = version
        self.dir = self.folder / f"{kind}-{version}"
        self.optional_bytes: int | None = None  # counted on the first optional put

    def get(self, name: str) -> bytes | None:
        """The bytes stored under ``name`` for this version (None: not built yet)."""
        try:
            return (self.dir / _safe(name)).read_bytes()
        except OSError:
            return None

    def put(self, name: str, data: bytes, optional: bool = False) -> None:
        """Store ``data`` atomically (a folder that cannot be written leaves the cache out).

        ``optional`` entries (answers per request parameters) are bounded: once the version's
        folder holds :data:`OPTIONAL_BUDGET` bytes of them, further ones are not written, so a
        client asking for ever new parameter combinations cannot fill the disk."""
        if optional and not self._room_for(len(data)):
            return
        try:
            self.folder.mkdir(mode=0o700, exist_ok=True)
            self.dir.mkdir(mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.dir / _safe(name))
        except OSError:
            return

    def _room_for(self, n: int) -> bool:
        if self.optional_bytes is None:
            self.optional_bytes = 0
            with contextlib.suppress(OSError):
                for f in self.dir.glob("*"):
                    if f.name.startswith(("answer", "download")):
                        self.optional_bytes += f.stat().st_size
        if self.optional_bytes + n > OPTIONAL_BUDGET:
            return False
        self.optional_bytes += n
        return True

    @contextlib.contextmanager
    def building(self, wait: float | None = None) -> Iterator[None]:
        """Held while one process builds: the others wait, then read what it wrote.  With ``wait``
        (seconds) a waiter gives up with :class:`StoreError` instead of waiting for a builder that
        itself waits for a store a writing job holds (a page must answer within its wait)."""
        try:
            self.folder.mkdir(mode=0o700, exist_ok=True)
            fh = open(self.folder / f"{self.kind}.lock", "a+b")  # noqa: SIM115 - held for the block
        except OSError:
            yield
            return
        _lock(fh, wait)  # closes fh when it gives up
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

    def prune(self) -> int:
        """Remove the folders of other versions of this kind; returns how many."""
        gone = 0
        with contextlib.suppress(OSError):
            for d in self.folder.glob(f"{self.kind}-*"):
                if d.is_dir() and d != self.dir:
                    shutil.rmtree(d, ignore_errors=True)
                    gone += 1
        return gone


def _lock(fh: Any, wait: float | None) -> None:
    """The exclusive lock on ``fh``; within ``wait`` seconds or :class:`StoreError`."""
    if wait is None:
        fcntl.flock(fh, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                fh.close()
                raise StoreError(
                    "Der Atlas wird gerade von einem anderen Prozess neu aufgebaut, der auf den "
                    "Arbeitsbereich wartet (ein Auftrag schreibt).",
                    hint="Laden Sie die Seite neu, sobald der Auftrag fertig ist.",
                ) from None
            time.sleep(0.05)
