"""What a reader of a publisher format is: a sniff that says how sure it is, and a read."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import duckdb

from planlabor.areas.keys import KeyMatcher
from planlabor.io.cells import SHEET_SUFFIXES, sheet_names, zipped_table
from planlabor.io.options import ImportOptions
from planlabor.io.source import Source

HEAD_BYTES = 1 << 16


@dataclass
class Probe:
    """The beginning of a file, decoded once for all sniffs."""

    path: Path

    @cached_property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    @cached_property
    def is_sheet(self) -> bool:
        return self.suffix in SHEET_SUFFIXES

    @cached_property
    def head(self) -> bytes:
        try:
            if zipfile.is_zipfile(self.path) and not self.is_sheet:
                with zipfile.ZipFile(self.path) as zf, zf.open(zipped_table(self.path)) as fh:
                    return fh.read(HEAD_BYTES)
            with self.path.open("rb") as fh:
                return fh.read(HEAD_BYTES)
        except Exception:
            return b""

    @cached_property
    def text(self) -> str:
        """The head as text (UTF-8 if possible, else cp1252); empty for spreadsheets."""
        if self.is_sheet:
            return ""
        data = self.head
        for enc in ("utf-8-sig", "cp1252", "latin-1"):
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                continue
        return ""

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()[:200]

    @cached_property
    def sheets(self) -> list[str]:
        if not self.is_sheet:
            return []
        try:
            return sheet_names(self.path)
        except Exception:
            return []

    @cached_property
    def first_sheet_rows(self) -> list[list[str | None]]:
        """The first 40 rows of every sheet, concatenated (for sniffs of spreadsheets)."""
        from planlabor.io.cells import read_sheet_cells

        rows: list[list[str | None]] = []
        try:
            for grid in read_sheet_cells(self.path):
                rows.extend(grid.rows[:40])
                rows.extend(grid.rows[-20:])
        except Exception:
            return []
        return rows


@dataclass
class ReadContext:
    """Everything a reader may use."""

    path: Path
    options: ImportOptions
    matcher: KeyMatcher
    con: duckdb.DuckDBPyConnection
    markers: dict[str, str]


@dataclass(frozen=True)
class Reader:
    """One format in the registry."""

    name: str
    title: str  # e.g. "GENESIS-Online / Regionalstatistik, Tabelle als CSV"
    publisher: str
    example: str  # a real example file name
    sniff: Callable[[Probe], float]
    read: Callable[[ReadContext], Source]
    notes: list[str] = field(default_factory=list)
