"""Embedded DuckDB store (the default backend)."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from planlabor.errors import StoreError
from planlabor.store.base import Store
from planlabor.store.guard import finite_params, finite_table
from planlabor.store.migrations import ensure_schema

_tmp_counter = itertools.count()
_log = logging.getLogger("planlabor.sql")
_SLOW = float(os.environ.get("PLANLABOR_SQL_SLOW", "0") or 0)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None) -> duckdb.DuckDBPyConnection:
    """Execute; with PLANLABOR_SQL_SLOW=seconds, statements slower than that are logged."""
    params = finite_params(params)  # the store's door: NaN/inf never get in (see store/guard.py)
    if not _SLOW:
        return con.execute(sql, params)
    start = time.perf_counter()
    result = con.execute(sql, params)
    elapsed = time.perf_counter() - start
    if elapsed >= _SLOW:
        _log.warning("%.2f s: %s", elapsed, " ".join(sql.split())[:160])
    return result


LOCK_WAIT = float(os.environ.get("PLANLABOR_LOCK_WAIT", "30") or 0)  # seconds to wait for a busy store
_PID = re.compile(r"\(PID (\d+)\)")


def _holder(message: str) -> str:
    """Which program holds the store, in words (from DuckDB's lock message; dative)."""
    m = _PID.search(message)
    if not m:
        return "einem anderen Programm"
    pid = m.group(1)
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode("utf-8", "replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return f"einem anderen Programm (Prozess {pid})"
    for i, arg in enumerate(argv):
        if Path(arg).name == "planlabor" or (arg == "planlabor" and i and argv[i - 1] == "-m"):
            rest, skip = [], False
            for word in argv[i + 1 :]:
                if skip or word.startswith("-"):
                    skip = word in ("-C", "--dir")
                    continue
                rest.append(word)
            return f"'planlabor {' '.join(rest[:2])}'".replace(" '", "'") + f" (Prozess {pid})"
    name = Path(argv[0]).name if argv else "?"
    return f"einem anderen Programm ({name}, Prozess {pid})"


def memory_connection() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB for staging and conversions.  Without a progress bar: DuckDB
    prints one to stdout for every statement over 2 s (under load: an import's CSV read), into
    the command's output and into JSON a caller parses."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def _connect(path: str, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Open the file; while another process holds its lock, wait up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    pause = 0.02
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise StoreError(
                    f"Der Speicher {path} kann nicht geöffnet werden.",
                    file=path,
                    hint="Prüfen Sie, ob die Datei vorhanden und lesbar ist.",
                    detail=text,
                ) from exc
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"Der Arbeitsbereich wird gerade von {_holder(text)} benutzt"
                    + (
                        " und kann nicht gelesen werden."
                        if read_only
                        else "; Änderungen sind erst danach möglich."
                    ),
                    file=path,
                    hint="Warten Sie, bis der andere Befehl fertig ist, und versuchen Sie es dann erneut "
                    "(oder länger warten lassen: PLANLABOR_LOCK_WAIT=Sekunden). Ein laufendes "
                    "'planlabor serve' hält den Arbeitsbereich nicht fest.",
                    detail=text,
                ) from exc
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


def _owner_only(path: str) -> None:
    """The store file (and its WAL) readable by its owner only: it holds unsuppressed values."""
    for p in (path, path + ".wal"):
        with contextlib.suppress(OSError):
            if os.stat(p).st_mode & 0o077:
                os.chmod(p, 0o600)


class DuckDBStore(Store):
    """Store in one DuckDB file (or in memory with ``path=":memory:"``)."""

    def __init__(
        self,
        path: str | Path,
        read_only: bool = False,
        memory_limit: str | None = None,
        wait: float | None = None,
    ) -> None:
        self.path = str(path)
        self.con = _connect(self.path, read_only, LOCK_WAIT if wait is None else wait)
        self.read_only = read_only
        if not read_only and self.path != ":memory:":
            _owner_only(self.path)
        self._depth = 0
        self.con.execute("SET enable_progress_bar = false")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        # results are ordered explicitly where order matters; lets DuckDB write in parallel
        self.con.execute("SET preserve_insertion_order = false")
        # a division by zero inside the store gives NULL, never inf (see store/guard.py)
        self.con.execute("SET ieee_floating_point_ops = false")
        if not read_only:
            self._ensure_schema()

    def _ensure_schema(self) -> None:
        with self.transaction():
            ensure_schema(self)

    def script(self, sql: str) -> None:
        _run(self.con, sql, None)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        _run(self.con, sql, params)

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return _run(self.con, sql, params).df()

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return _run(self.con, sql, params).to_arrow_table()

    def insert_arrow(self, table_name: str, table: pa.Table) -> None:
        name = f"_pl_in_{next(_tmp_counter)}"
        self.con.register(name, finite_table(table))
        try:
            _run(self.con, f"INSERT INTO {table_name} SELECT * FROM {name}", None)
        finally:
            self.con.unregister(name)

    @contextmanager
    def _registered(self, tables: dict[str, pa.Table]) -> Iterator[None]:
        for name, table in tables.items():
            self.con.register(name, finite_table(table))
        try:
            yield
        finally:
            for name in tables:
                self.con.unregister(name)

    def execute_with(
        self, sql: str, tables: dict[str, pa.Table], params: Sequence[Any] | None = None
    ) -> None:
        with self._registered(tables):
            _run(self.con, sql, params)

    def query_with(
        self, sql: str, tables: dict[str, pa.Table], params: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        with self._registered(tables):
            return _run(self.con, sql, params).df()

    def query_bulk_arrow(
        self, sql: str, tables: dict[str, pa.Table] | None = None, params: Sequence[Any] | None = None
    ) -> pa.Table:
        with self._registered(tables or {}):
            return _run(self.con, sql, params).to_arrow_table()

    def staging_connection(self) -> duckdb.DuckDBPyConnection:
        # stage imports in this connection's temporary tables: no copy between engines
        return self.con

    def add_observations_from(self, con: Any, select_sql: str, import_id: int, slices: pa.Table) -> None:
        if con is not self.con:
            super().add_observations_from(con, select_sql, import_id, slices)
            return
        # DuckDB tries FSST on every text column of every row group it writes; on ids, variables,
        # periods and flags the dictionary always wins (same file size), and the trial cost about
        # a sixth of this write (issue #22): skipped here, for the observations only
        self.con.execute("SET disabled_compression_methods = 'fsst'")
        try:
            _run(
                self.con,
                f"INSERT INTO observations SELECT *, CAST({int(import_id)} AS INTEGER), "
                f"CAST(NULL AS INTEGER) FROM ({select_sql})",
                None,
            )
        finally:
            # in a transaction the failed insert aborted, RESET fails until the rollback (which
            # resets it, see transaction()); the insert's own error is the one to report
            with contextlib.suppress(duckdb.Error):
                self.con.execute("RESET disabled_compression_methods")
        self._supersede(import_id, slices)

    def add_quarantine_from(self, con: Any, select_sql: str) -> None:
        if con is not self.con:
            super().add_quarantine_from(con, select_sql)
            return
        _run(self.con, f"INSERT INTO quarantine {select_sql}", None)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.con.execute("ROLLBACK")
            self.con.execute("RESET disabled_compression_methods")  # see add_observations_from
            raise
        self._depth = 0
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()
