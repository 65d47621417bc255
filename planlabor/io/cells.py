"""A file as a grid of text cells, with the line or row number of every record.

Publishers' tables are not one header row plus data: they carry title blocks,
header blocks over several rows (merged cells), units and footnotes.  Their
layout is recognised on this grid (:mod:`planlabor.io.layout`) before anything
becomes a value.  CSV files are read with Python's ``csv`` module so that
ragged rows and multi-line footnote fields are kept; spreadsheets through
calamine.  Cells are text (``None`` for empty); numbers that a spreadsheet
stores as numbers are marked so that keys stored as text can be told apart.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from planlabor.errors import InputError
from planlabor.io.csv_ import CsvDialect
from planlabor.io.limits import check_input

SHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
MAX_GRID_CELLS = 20_000_000


@dataclass
class CellGrid:
    """Rows of text cells read from one CSV file or one sheet."""

    path: Path
    rows: list[list[str | None]]
    lines: list[int]  # file line (CSV) or sheet row (1-based) of each row
    source: str  # "Tabellenblatt 'X'" or the CSV dialect, for reports
    dialect: CsvDialect | None = None
    sheet: str | None = None
    native_numbers: list[set[int]] | None = None  # per row: columns stored as numbers (sheets)
    width: int = field(init=False)

    def __post_init__(self) -> None:
        self.width = max((len(r) for r in self.rows), default=0)

    def cell(self, r: int, c: int) -> str | None:
        row = self.rows[r]
        return row[c] if c < len(row) else None

    def is_native_number(self, r: int, c: int) -> bool:
        return self.native_numbers is not None and c in self.native_numbers[r]

    def is_blank(self, r: int) -> bool:
        return all(v is None for v in self.rows[r])

    def filled(self, r: int) -> list[int]:
        return [c for c, v in enumerate(self.rows[r]) if v is not None]

    def column_letter(self, c: int) -> str:
        """The column as a spreadsheet user names it (A, B, …, AA) or its number in a CSV."""
        if self.sheet is None:
            return str(c + 1)
        name = ""
        n = c + 1
        while n:
            n, rem = divmod(n - 1, 26)
            name = chr(65 + rem) + name
        return name


def cell_text(value: Any) -> str | None:
    """A spreadsheet cell as text: integers without ``.0``, dates as ISO dates."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).replace("\r\n", "\n").strip()
    return text or None


def _strip(text: str) -> str | None:
    """Trim a CSV field but keep leading indentation, which shows hierarchy in names."""
    t = text.rstrip().replace("\ufeff", "")
    if t.strip() == "":
        return None
    return t


def read_csv_cells(path: Path, dialect: CsvDialect, max_rows: int | None = None) -> CellGrid:
    """All records of a CSV file (ragged rows allowed), or the first ``max_rows``."""
    check_input(path)  # size, first line, zipped bombs (planlabor/io/limits.py)
    rows: list[list[str | None]] = []
    lines: list[int] = []
    with _open_text(path, dialect.encoding) as fh:
        reader = csv.reader(fh, delimiter=dialect.delimiter, quotechar='"')
        prev = 0
        try:
            for record in reader:
                start = prev + 1
                prev = reader.line_num
                rows.append([_strip(v) for v in record])
                lines.append(start)
                if max_rows is not None and len(rows) >= max_rows:
                    break
        except csv.Error as exc:
            raise InputError(
                f"Die Datei ist als CSV nicht lesbar: {exc}",
                file=path,
                row=prev + 1,
                expected="Felder getrennt durch " + repr(dialect.delimiter) + ", Text in Anführungszeichen",
                hint="Prüfen Sie Anführungszeichen in dieser Zeile oder geben Sie --delimiter an.",
            ) from exc
    _trim_right(rows)
    return CellGrid(path, rows, lines, dialect.describe(), dialect=dialect)


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    enc = "utf-8-sig" if encoding in ("utf-8", "utf-8-sig") else encoding
    if zipfile.is_zipfile(path):
        inner = zipped_table(path)
        zf = zipfile.ZipFile(path)
        return io.TextIOWrapper(zf.open(inner), encoding=enc, errors="strict", newline="")
    return path.open("r", encoding=enc, newline="")


def zipped_table(path: Path) -> str:
    """The one CSV inside a ZIP archive (GENESIS delivers flat files zipped)."""
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.lower().endswith((".csv", ".txt", ".tsv"))]
    if len(names) != 1:
        raise InputError(
            f"Das ZIP-Archiv enthält {len(names)} Tabellen statt einer.",
            file=path,
            expected="genau eine CSV-Datei im Archiv",
            hint="Entpacken Sie das Archiv und importieren Sie die Tabelle direkt.",
        )
    return names[0]


def _trim_right(rows: list[list[str | None]]) -> None:
    for row in rows:
        while row and row[-1] is None:
            row.pop()


def sheet_names(path: Path) -> list[str]:
    return list(_workbook(path).sheet_names)


def _workbook(path: Path) -> Any:
    from python_calamine import CalamineWorkbook

    check_input(path)  # zip bombs and sheet dimensions before calamine loads anything
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise InputError(
            f"Die Tabellenkalkulationsdatei ist nicht lesbar: {exc}",
            file=path,
            expected="eine unbeschädigte XLSX-, XLS- oder ODS-Datei",
            hint="Öffnen Sie die Datei in Excel/LibreOffice und speichern Sie sie neu.",
        ) from exc


def read_sheet_cells(path: Path, sheet: str | None = None) -> Iterator[CellGrid]:
    """One grid per sheet (only ``sheet`` if given)."""
    wb = _workbook(path)
    names = list(wb.sheet_names)
    if sheet is not None and sheet not in names:
        raise InputError(
            f"Das Tabellenblatt {sheet!r} gibt es nicht.",
            file=path,
            expected="eines von: " + ", ".join(names),
            hint="Wählen Sie das Blatt mit --sheet NAME.",
        )
    for name in [sheet] if sheet else names:
        raw = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if sum(len(r) for r in raw) > MAX_GRID_CELLS:
            raise InputError(
                f"Das Tabellenblatt {name!r} ist zu groß ({sum(len(r) for r in raw):,} Zellen).",
                file=path,
                expected=f"höchstens {MAX_GRID_CELLS:,} Zellen je Blatt",
                hint="Speichern Sie die Tabelle als CSV.",
            )
        rows: list[list[str | None]] = []
        native: list[set[int]] = []
        for r in raw:
            rows.append([cell_text(v) for v in r])
            native.append(
                {c for c, v in enumerate(r) if isinstance(v, int | float) and not isinstance(v, bool)}
            )
        _trim_right(rows)
        yield CellGrid(
            path,
            rows,
            list(range(1, len(rows) + 1)),
            f"Tabellenblatt {name!r}",
            sheet=name,
            native_numbers=native,
        )
