"""A small SQLite file beside the workspace (users and sessions, participation answers).

Readable by its owner only – the file and its WAL/SHM companions – and safe to share between the
threads of one server: every statement runs under one lock, writes in ``BEGIN IMMEDIATE``
transactions so that several server processes wait for each other instead of failing.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path


def private(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only (if it does not exist)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class PrivateSqlite:
    """An owner-only SQLite file in WAL mode with ``schema`` applied."""

    def __init__(self, path: str | Path, schema: str) -> None:
        self.path = Path(path)
        private(self.path)
        self._lock = threading.Lock()
        self.con = sqlite3.connect(self.path, timeout=15, check_same_thread=False, isolation_level=None)
        self.con.execute("PRAGMA busy_timeout = 15000")
        self.con.execute("PRAGMA journal_mode = WAL")
        self.con.executescript(schema)
        for side in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.chmod(str(self.path) + side, 0o600)

    def close(self) -> None:
        with self._lock:
            self.con.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.con.execute("BEGIN IMMEDIATE")
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")
