"""Resource limits of every import: checked before a file is loaded, with a clear message.

A spreadsheet is a zip archive of XML.  A small file can unpack to gigabytes (a "zip bomb"; a
420 KB workbook whose shared strings unpacked to 3.8 GB took 162 s before being refused), so
the archive's directory and the first bytes of each sheet are read *before* the workbook is
opened: uncompressed sizes, compression ratios, the shared-strings count and the sheet's declared
dimension.  Text files are read by DuckDB as a stream (constant memory); here their size and the
length of their first line are bounded, and :data:`MAX_LINE` bounds every later line.

The limits are generous for official statistics (a national table of 11,000 municipalities ×
200 columns is far below them) and can be raised with environment variables
(``PLANLABOR_MAX_FILE_MB``, ``PLANLABOR_MAX_CELLS``) for a deliberate large import.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

from planlabor.errors import InputError, examples


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


MAX_FILE = int(_env("PLANLABOR_MAX_FILE_MB", 2048) * 1024 * 1024)  # bytes of any input file
MAX_CELLS = int(_env("PLANLABOR_MAX_CELLS", 50_000_000))  # rows × columns of one sheet
MAX_COLUMNS = 5_000  # columns of a table
MAX_NAME = 500  # characters of one column name
MAX_LINE = 1024 * 1024  # bytes of one line of a text file
MAX_UNPACKED = 2 * 1024 * 1024 * 1024  # bytes of all XML in a spreadsheet, unpacked
MAX_RATIO = 150  # unpacked / packed size of one archive member (office files: about 5–20)
MAX_SHARED = 5_000_000  # distinct texts in a workbook (shared strings)
MAX_MEMBERS = 10_000  # files in the archive

_DIM = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_SST = re.compile(rb'<(?:\w+:)?sst\b[^>]*?uniqueCount="(\d+)"')
_SST_COUNT = re.compile(rb'<(?:\w+:)?sst\b[^>]*?\bcount="(\d+)"')


def _too_big(path: Path, what: str, limit: str, hint: str | None = None) -> InputError:
    return InputError(
        f"Die Datei ist zu groß für einen Import: {what}.",
        file=path,
        expected=limit,
        hint=hint or "Teilen Sie die Datei auf oder speichern Sie nur das benötigte Blatt als CSV.",
    )


def check_input(path: Path) -> None:
    """Refuse a file that would need unbounded memory or time to read (before reading it)."""
    size = path.stat().st_size
    if size > MAX_FILE:
        raise _too_big(
            path,
            f"{size / 2**20:,.0f} MB".replace(",", "."),
            f"höchstens {MAX_FILE // 2**20} MB",
            "Teilen Sie die Datei auf (oder erlauben Sie mehr mit PLANLABOR_MAX_FILE_MB).",
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".ods") or zipfile.is_zipfile(path):
        check_archive(path)  # also a CSV delivered zipped (GENESIS)
    elif suffix in (".csv", ".tsv", ".txt", ".tab", ""):
        _check_first_line(path)


def _check_first_line(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(MAX_LINE + 1)
    if len(head) > MAX_LINE and b"\n" not in head and b"\r" not in head:
        raise InputError(
            f"Die erste Zeile ist länger als {MAX_LINE // 1024} KB: das ist keine Tabelle.",
            file=path,
            row=1,
            expected="eine Kopfzeile mit Spaltennamen, dann eine Zeile je Datensatz",
        )


def check_columns(names: list[str], path: Path) -> None:
    """Refuse tables with absurdly many columns or overlong column names."""
    if len(names) > MAX_COLUMNS:
        raise InputError(
            f"Die Tabelle hat {len(names)} Spalten.",
            file=path,
            row=1,
            expected=f"höchstens {MAX_COLUMNS} Spalten",
            hint="Prüfen Sie das Trennzeichen (--delimiter) oder teilen Sie die Tabelle auf.",
        )
    long = [n for n in names if len(n) > MAX_NAME]
    if long:
        raise InputError(
            f"{len(long)} Spaltenname(n) sind länger als {MAX_NAME} Zeichen: {examples(long, 3, 40)}.",
            file=path,
            row=1,
            expected=f"Spaltennamen bis {MAX_NAME} Zeichen",
            hint="Prüfen Sie, ob die erste Zeile wirklich die Kopfzeile ist (--skip-rows).",
        )


def check_archive(path: Path) -> None:
    """XLSX/ODS: sizes, ratios, shared strings and sheet dimensions from the zip directory."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"Die Tabellenkalkulationsdatei ist beschädigt (kein gültiges ZIP-Archiv: {exc}).",
            file=path,
            expected="eine unbeschädigte XLSX- oder ODS-Datei",
            hint="Öffnen Sie die Datei in Excel/LibreOffice und speichern Sie sie neu.",
        ) from exc
    with zf:
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            raise _too_big(path, f"{len(members)} Teile im Archiv", f"höchstens {MAX_MEMBERS}")
        total = sum(m.file_size for m in members)
        if total > MAX_UNPACKED:
            raise _too_big(
                path,
                f"entpackt {total / 2**30:,.1f} GB".replace(".", ","),
                f"höchstens {MAX_UNPACKED >> 30} GB",
            )
        for m in members:
            if m.file_size > 16 * 2**20 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                raise _too_big(
                    path,
                    f"der Teil '{examples([m.filename], 1)}' entpackt sich auf das "
                    f"{m.file_size // max(m.compress_size, 1)}-Fache (über {m.file_size >> 20} MB)",
                    f"höchstens das {MAX_RATIO}-Fache",
                    "Die Datei ist vermutlich manipuliert (ZIP-Bombe). Speichern Sie die Tabelle neu.",
                )
        names = {m.filename for m in members}
        for name in names:
            if name.endswith("sharedStrings.xml"):
                _check_shared(zf, name, path)
            elif re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
                _check_dimension(zf, name, path)


def _head(zf: zipfile.ZipFile, name: str, n: int = 4096) -> bytes:
    with zf.open(name) as fh:
        return fh.read(n)


def _check_shared(zf: zipfile.ZipFile, name: str, path: Path) -> None:
    head = _head(zf, name)
    m = _SST.search(head) or _SST_COUNT.search(head)
    if m and int(m.group(1)) > MAX_SHARED:
        raise _too_big(
            path,
            f"{int(m.group(1)):,} verschiedene Texte".replace(",", "."),
            f"höchstens {MAX_SHARED:,}".replace(",", "."),
        )


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _check_dimension(zf: zipfile.ZipFile, name: str, path: Path) -> None:
    m = _DIM.search(_head(zf, name))
    if not m:
        return
    c0, r0, c1, r1 = m.groups()
    cols = _column(c1 or c0) - _column(c0) + 1
    rows = int(r1 or r0) - int(r0) + 1
    if cols > MAX_COLUMNS or rows * cols > MAX_CELLS:
        raise _too_big(
            path,
            f"das Blatt {name.rsplit('/', 1)[-1]} reicht über {rows:,} Zeilen × {cols:,} Spalten".replace(
                ",", "."
            ),
            f"höchstens {MAX_COLUMNS} Spalten und {MAX_CELLS:,} Zellen".replace(",", "."),
            "Löschen Sie leere Zeilen/Spalten am Ende des Blatts oder speichern Sie es als CSV "
            "(oder erlauben Sie mehr mit PLANLABOR_MAX_CELLS).",
        )
