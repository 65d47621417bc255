"""Embedded DuckDB store (the default backend)."""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from planlabor.errors import StoreError
from planlabor.store.base import SCHEMA_VERSION, Store

_tmp_counter = itertools.count()
_log = logging.getLogger("planlabor.sql")
_SLOW = float(os.environ.get("PLANLABOR_SQL_SLOW", "0") or 0)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None) -> duckdb.DuckDBPyConnection:
    """Execute; with PLANLABOR_SQL_SLOW=seconds, statements slower than that are logged."""
    if not _SLOW:
        return con.execute(sql, list(params) if params is not None else None)
    start = time.perf_counter()
    result = con.execute(sql, list(params) if params is not None else None)
    elapsed = time.perf_counter() - start
    if elapsed >= _SLOW:
        _log.warning("%.2f s: %s", elapsed, " ".join(sql.split())[:160])
    return result


class DuckDBStore(Store):
    """Store in one DuckDB file (or in memory with ``path=":memory:"``)."""

    def __init__(self, path: str | Path, read_only: bool = False, memory_limit: str | None = None) -> None:
        self.path = str(path)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
            self.read_only = read_only
        except duckdb.IOException as exc:
            raise StoreError(
                f"Der Speicher {self.path} kann nicht geöffnet werden: {exc}",
                file=self.path,
                hint="Ist der Arbeitsbereich in einem anderen Programm geöffnet "
                "(z. B. 'planlabor serve')? Beenden Sie es und versuchen Sie es erneut.",
            ) from exc
        self._depth = 0
        self.con.execute("SET enable_progress_bar = false")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        # results are ordered explicitly where order matters; lets DuckDB write in parallel
        self.con.execute("SET preserve_insertion_order = false")
        if not read_only:
            self._ensure_schema()

    def _ensure_schema(self) -> None:
        sql = resources.files("planlabor.store").joinpath("schema.sql").read_text(encoding="utf-8")
        self.con.execute(sql)
        self.con.execute(
            "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING", [SCHEMA_VERSION]
        )

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        _run(self.con, sql, params)

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return _run(self.con, sql, params).df()

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return _run(self.con, sql, params).to_arrow_table()

    def insert_arrow(self, table_name: str, table: pa.Table) -> None:
        name = f"_pl_in_{next(_tmp_counter)}"
        self.con.register(name, table)
        try:
            _run(self.con, f"INSERT INTO {table_name} SELECT * FROM {name}", None)
        finally:
            self.con.unregister(name)

    @contextmanager
    def _registered(self, tables: dict[str, pa.Table]) -> Iterator[None]:
        for name, table in tables.items():
            self.con.register(name, table)
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

    def staging_connection(self) -> duckdb.DuckDBPyConnection:
        # stage imports in this connection's temporary tables: no copy between engines
        return self.con

    def add_observations_from(self, con: Any, select_sql: str, import_id: int, slices: pa.Table) -> None:
        if con is not self.con:
            super().add_observations_from(con, select_sql, import_id, slices)
            return
        _run(
            self.con,
            f"INSERT INTO observations SELECT *, CAST({int(import_id)} AS INTEGER), "
            f"CAST(NULL AS INTEGER) FROM ({select_sql})",
            None,
        )
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
            raise
        self._depth = 0
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()
