"""The one shape every reader hands to the import: a long table of text cells.

Whatever the file looked like — one header row or five, years as columns or
as rows, keys and names in one cell, a publisher's long format — a reader
turns it into rows of ``(_line, _col, key, name, period, variable, value,
num)`` in a DuckDB relation of the staging connection, plus what it
recognised (:class:`Source`).  ``_line`` and ``_col`` say where each value
came from, for error messages; ``num`` holds the number where the reader
already parsed it (spreadsheet cells), else the import parses ``value``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from planlabor.io.table import unique_name

LONG_COLUMNS = ("_line", "_col", "key", "name", "period", "variable", "value", "num")


@dataclass
class VariableInfo:
    """What the file says about a variable: its label, unit and kind (count, share, mean)."""

    label: str = ""
    unit: str | None = None
    kind: str | None = None  # "anzahl", "anteil", "mittel" or None (unknown)
    definition: str | None = None
    source: str | None = None


@dataclass
class Source:
    """A recognised file, staged as a long relation ``name`` in ``con``."""

    path: Path
    reader: str  # registry name of the reader, e.g. "genesis"
    reader_title: str
    con: duckdb.DuckDBPyConnection
    name: str  # table or view with LONG_COLUMNS
    n_rows: int  # records (data rows) read
    dialect: str  # "Kodierung …" or "Tabellenblatt 'X'"
    key_column: str  # as a person reads it ("Kennziffer", "Spalte A (Schlüssel und Name)")
    period_source: str  # "Spaltenköpfe", "Spalte 'Jahr'", "Titel", "Option --period"
    has_periods: bool  # the file states the periods itself
    decimal: str = ","
    thousands: str | None = "."
    layout: list[str] = field(default_factory=list)  # recognised layout, German lines
    variables: dict[str, VariableInfo] = field(default_factory=dict)
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)
    skipped_columns: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    temp_tables: list[str] = field(default_factory=list)
    temp_views: list[str] = field(default_factory=list)
    owns_connection: bool = False
    cleanup: list[Any] = field(default_factory=list)  # objects with close() (a RawTable)
    period_column: str | None = None  # the column holding periods, for messages
    variable_order: list[str] = field(default_factory=list)  # as the file has them
    rows: str | None = None  # one record per file row (_line, key, name, period) for wide plain tables
    wide_columns: list[str] = field(default_factory=list)  # value columns of ``rows``, unpivoted late
    stats: Any = None  # counts per state, layer, variable, period and flag (pandas), set by the import
    # a wide table's parsed values: (view with every column, table of the cells, table of the rows)
    parsed_parts: tuple[str, str, str] | None = None

    def close(self) -> None:
        for obj in self.cleanup:
            obj.close()
        if self.owns_connection:
            self.con.close()
            return
        for v in self.temp_views:
            self.con.execute(f"DROP VIEW IF EXISTS {v}")
        for t in self.temp_tables:
            self.con.execute(f"DROP TABLE IF EXISTS {t}")


def stage_rows(con: duckdb.DuckDBPyConnection, rows: dict[str, list[Any]]) -> str:
    """Write long rows (a dict of LONG_COLUMNS lists) into a new temporary table; its name."""
    name = unique_name("long")
    n = len(rows["value"])
    table = pa.table(
        {
            "_line": pa.array(rows["_line"], pa.int64()),
            "_col": pa.array(rows["_col"], pa.string()),
            "key": pa.array(rows["key"], pa.string()),
            "name": pa.array(rows.get("name") or [None] * n, pa.string()),
            "period": pa.array(rows["period"], pa.string()),
            "variable": pa.array(rows["variable"], pa.string()),
            "value": pa.array(rows["value"], pa.string()),
            "num": pa.array(rows.get("num") or [None] * n, pa.float64()),
        }
    )
    reg = f"_pl_in_{name}"
    con.register(reg, table)
    try:
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {reg}")
    finally:
        con.unregister(reg)
    return name


def empty_rows() -> dict[str, list[Any]]:
    return {c: [] for c in LONG_COLUMNS}
