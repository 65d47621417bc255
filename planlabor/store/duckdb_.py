"""Embedded DuckDB store (the default backend)."""

from __future__ import annotations

import itertools
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


class DuckDBStore(Store):
    """Store in one DuckDB file (or in memory with ``path=":memory:"``)."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = str(path)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(
                f"Der Speicher {self.path} kann nicht geöffnet werden: {exc}",
                file=self.path,
                hint="Ist der Arbeitsbereich in einem anderen Programm geöffnet "
                "(z. B. 'planlabor serve')? Beenden Sie es und versuchen Sie es erneut.",
            ) from exc
        self._depth = 0
        if not read_only:
            self._ensure_schema()

    def _ensure_schema(self) -> None:
        sql = resources.files("planlabor.store").joinpath("schema.sql").read_text(encoding="utf-8")
        self.con.execute(sql)
        self.con.execute(
            "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING", [SCHEMA_VERSION]
        )

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(sql, list(params) if params is not None else None)

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, list(params) if params is not None else None).df()

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        result = self.con.execute(sql, list(params) if params is not None else None)
        return result.to_arrow_table()

    def insert_arrow(self, table_name: str, table: pa.Table) -> None:
        name = f"_pl_in_{next(_tmp_counter)}"
        self.con.register(name, table)
        try:
            self.con.execute(f"INSERT INTO {table_name} SELECT * FROM {name}")
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
            self.con.execute(sql, list(params) if params is not None else None)

    def query_with(
        self, sql: str, tables: dict[str, pa.Table], params: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        with self._registered(tables):
            return self.con.execute(sql, list(params) if params is not None else None).df()

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
