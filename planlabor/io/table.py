"""Read a table file (CSV, TSV, XLSX, XLS, ODS) into a staging table of strings.

Everything is read as text so that keys keep their leading zeros and missing
markers (``.``, ``-``, ``x``) survive until they are turned into status flags.
The staging table lives in an in-memory DuckDB engine; a column ``_line``
holds the line (CSV) or row (spreadsheet) number of each record for error
messages.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from planlabor.errors import InputError
from planlabor.io.csv_ import CsvDialect, sniff_csv
from planlabor.io.limits import MAX_LINE, check_columns, check_input

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
SHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}


@dataclass
class ReadOptions:
    """How to read a table; ``None`` means detect."""

    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    sheet: str | None = None
    skip_rows: int = 0
    select: dict[str, list[str]] = field(default_factory=dict)  # Eurostat: codes per dimension
    variable_prefix: str | None = None  # Eurostat: start of the variable names


_counter = itertools.count()


def unique_name(prefix: str) -> str:
    """A table name no other staging step in this process uses."""
    return f"_pl_{prefix}_{os.getpid()}_{next(_counter)}"


@dataclass
class RawTable:
    """A file read as strings into a staging connection (temporary tables)."""

    path: Path
    con: duckdb.DuckDBPyConnection
    name: str
    columns: list[str]
    n_rows: int
    dialect: CsvDialect | None = None
    sheet: str | None = None
    warnings: list[str] = field(default_factory=list)
    owns_connection: bool = True
    temp_tables: list[str] = field(default_factory=list)
    hints: dict[str, str] = field(default_factory=dict)  # import options a publisher format implies
    first_line: int = 2  # file line of the first record (the header is the line before)
    view: bool = False  # ``name`` is a view over the first of ``temp_tables``

    def close(self) -> None:
        """Drop the staging tables (or the whole private connection)."""
        if self.owns_connection:
            self.con.close()
            return
        if self.view:
            self.con.execute(f"DROP VIEW IF EXISTS {self.name}")
        for t in self.temp_tables if self.view else [self.name, *self.temp_tables]:
            self.con.execute(f"DROP TABLE IF EXISTS {t}")

    @property
    def decimal(self) -> str:
        return self.dialect.decimal if self.dialect else "."

    @property
    def thousands(self) -> str | None:
        return self.dialect.thousands if self.dialect else None

    def sample(self, n: int = 1000) -> list[dict[str, Any]]:
        """The first ``n`` records as dicts (with their line number under ``_line``)."""
        cols = ", ".join(_q(c) for c in ["_line", *self.columns])
        names = ["_line", *self.columns]
        rows = self.con.execute(f"SELECT {cols} FROM {self.name} ORDER BY _line LIMIT {int(n)}").fetchall()
        return [dict(zip(names, row, strict=True)) for row in rows]


def long_staging(
    path: Path,
    key: str,
    columns: dict[str, list[Any]],
    warnings: list[str],
    con: duckdb.DuckDBPyConnection | None,
) -> RawTable:
    """A long table of strings (``key``, ``period``, ``variable``, ``value``) built by a reader
    of a publisher format, staged like a read file; one record number per value."""
    con, owns = _staging(con)
    name = unique_name("long")
    n = len(columns["value"])
    table = pa.table(
        {"_line": pa.array(range(1, n + 1), pa.int64())}
        | {
            c: pa.array([None if v is None else str(v) for v in columns[c]], pa.string())
            for c in (key, "period", "variable", "value")
        }
    )
    reg = f"_pl_in_{name}"
    con.register(reg, table)
    try:
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {reg}")
    finally:
        con.unregister(reg)
    return RawTable(
        path=path,
        con=con,
        name=name,
        columns=[key, "period", "variable", "value"],
        n_rows=n,
        warnings=warnings,
        owns_connection=owns,
        hints={
            "id_column": key,
            "period_column": "period",
            "variable_column": "variable",
            "value_column": "value",
        },
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _clean_header(names: list[str], path: Path, warnings: list[str]) -> list[str]:
    check_columns(names, path)
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(names):
        name = raw.replace("\ufeff", "").strip().strip('"').strip()
        if not name:
            name = f"Spalte_{i + 1}"
            warnings.append(f"Spalte {i + 1} hat keinen Namen; sie heißt jetzt {name!r}.")
        if name.startswith("_"):
            name = "x" + name
        if name in seen:
            seen[name] += 1
            new = f"{name}_{seen[name]}"
            warnings.append(
                f"Der Spaltenname {name!r} kommt mehrfach vor; Spalte {i + 1} heißt jetzt {new!r}."
            )
            name = new
        else:
            seen[name] = 1
        out.append(name)
    if not out:
        raise InputError(
            "Die Datei hat keine Kopfzeile.", file=path, row=1, expected="eine Kopfzeile mit Spaltennamen"
        )
    return out


def _staging(con: duckdb.DuckDBPyConnection | None) -> tuple[duckdb.DuckDBPyConnection, bool]:
    if con is not None:
        return con, False
    from planlabor.store.duckdb_ import memory_connection

    return memory_connection(), True


def read_table(
    path: str | Path, options: ReadOptions | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> RawTable:
    """Read ``path`` into a staging table of strings.

    Raises :class:`~planlabor.errors.InputError` naming the line of the first
    malformed record (wrong number of fields, broken quotes).
    """
    path = Path(path)
    options = options or ReadOptions()
    if not path.exists():
        raise InputError(
            f"Die Datei {path} gibt es nicht.", file=path, hint="Prüfen Sie den Pfad und die Schreibweise."
        )
    check_input(path)  # size, zip bombs, sheet dimensions: before anything is loaded
    suffix = path.suffix.lower()
    if suffix in SHEET_SUFFIXES:
        return _read_sheet(path, options, con)
    if suffix in TEXT_SUFFIXES or suffix == "":
        from planlabor.io.eurostat import is_eurostat_tsv, read_eurostat
        from planlabor.io.statabs import is_statabs_tsv, read_statabs

        if is_eurostat_tsv(path):
            return read_eurostat(path, options.select, options.variable_prefix, con)
        if is_statabs_tsv(path) and not options.select:
            raw = read_statabs(path, con)
            if raw is not None:
                return raw
        if options.select:
            raise InputError(
                "--select gilt nur für Eurostat-Tabellen (Kopfzeile wie 'unit,geo\\TIME_PERIOD').",
                file=path,
                row=1,
                hint="Lassen Sie --select weg oder wählen Sie Spalten mit --columns.",
            )
        return _read_csv(path, options, con)
    raise InputError(
        f"Das Dateiformat {suffix!r} wird nicht unterstützt.",
        file=path,
        expected="CSV, TSV, TXT, XLSX, XLS oder ODS",
        hint="Speichern Sie die Tabelle als CSV oder XLSX.",
    )


def _read_csv(path: Path, options: ReadOptions, con_in: duckdb.DuckDBPyConnection | None) -> RawTable:
    """Read a CSV file as text into a temporary DuckDB table (after the sniffed or given dialect;
    files not in UTF-8 through a UTF-8 copy); a malformed file is refused naming its lines."""
    delimiter = options.delimiter
    if delimiter in ("\\t", "tab", "TAB"):
        delimiter = "\t"
    if delimiter is None and path.suffix.lower() in (".tsv", ".tab"):
        delimiter = "\t"
    dialect = sniff_csv(path, options.encoding, delimiter, options.decimal, options.thousands)
    warnings: list[str] = []
    tmp = _utf8_copy(path, dialect.encoding)
    source = Path(tmp) if tmp else path
    try:
        columns = _clean_header(_csv_header(source, path, options, dialect), path, warnings)
        con, owns = _staging(con_in)
        name, n, stage = _stage_csv(con, owns, source, path, options, dialect, columns)
    except duckdb.Error as exc:
        raise InputError(
            f"Die Datei ist nicht als CSV lesbar: {str(exc).splitlines()[0]}",
            file=path,
            expected=dialect.describe(),
            hint="Geben Sie Kodierung und Trennzeichen mit --encoding und --delimiter an.",
        ) from exc
    finally:
        if tmp:
            os.unlink(tmp)
    return RawTable(
        owns_connection=owns,
        path=path,
        con=con,
        name=name,
        columns=columns,
        n_rows=n,
        dialect=dialect,
        warnings=warnings,
        first_line=options.skip_rows + 2,
        temp_tables=[stage],
        view=True,
    )


def _utf8_copy(path: Path, encoding: str) -> str | None:
    """A temporary UTF-8 copy of a file in another encoding (None for UTF-8 files; the caller
    removes the copy); a file not readable in ``encoding`` is refused."""
    if encoding in ("utf-8", "utf-8-sig"):
        return None
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="planlabor-")
    try:
        with (
            os.fdopen(fd, "w", encoding="utf-8", newline="") as out,
            path.open("r", encoding=encoding, newline="") as src,
        ):
            while chunk := src.read(1 << 20):
                out.write(chunk)
    except UnicodeError as exc:
        os.unlink(tmp)
        raise InputError(
            f"Die Datei ist nicht in der Kodierung {encoding} lesbar: {exc}",
            file=path,
            expected="eine Textdatei in UTF-8, cp1252 oder Latin-1",
            hint="Geben Sie die Kodierung mit --encoding an.",
        ) from exc
    return tmp


def _csv_header(source: Path, path: Path, options: ReadOptions, dialect: CsvDialect) -> list[str]:
    """The fields of the header line (after ``skip_rows`` lines) of the UTF-8 file ``source``."""
    with source.open("r", encoding="utf-8-sig", newline="") as fh:
        for _ in range(options.skip_rows):
            fh.readline()
        header_line = fh.readline()
    try:
        return next(csv.reader(io.StringIO(header_line), delimiter=dialect.delimiter), [])
    except csv.Error as exc:
        raise InputError(
            f"Die Kopfzeile ist nicht lesbar: {exc}",
            file=path,
            row=options.skip_rows + 1,
            expected=f"Spaltennamen, getrennt durch {dialect.delimiter!r}",
        ) from exc


def _stage_csv(
    con: duckdb.DuckDBPyConnection,
    owns: bool,
    source: Path,
    path: Path,
    options: ReadOptions,
    dialect: CsvDialect,
    columns: list[str],
) -> tuple[str, int, str]:
    """Read the rows of ``source`` as text into a new temporary table, seen through a view with the
    file line of each row in ``_line``; return the view's name, the row count and the table.  A
    line not of the header's form is refused (naming the first five)."""
    name, stage, rej_t, rej_s = (unique_name(p) for p in ("raw", "stage", "rej", "rejscan"))
    kept = False
    # line numbers come from the insertion order: keep it while reading
    order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    try:
        con.execute("SET preserve_insertion_order = true")
        spec = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(columns))) + "}"
        src_sql = str(source).replace("'", "''")
        con.execute(
            f"""CREATE TEMP TABLE {stage} AS SELECT * FROM read_csv('{src_sql}',
                delim = ?, quote = '"', escape = '"', header = false, skip = ?,
                auto_detect = false, columns = {spec}, store_rejects = true, ignore_errors = true,
                rejects_table = '{rej_t}', rejects_scan = '{rej_s}', max_line_size = {MAX_LINE})""",
            [dialect.delimiter, options.skip_rows + 1],
        )
        rej = con.execute(
            f"SELECT line, error_type, error_message FROM {rej_t} ORDER BY line LIMIT 5"
        ).fetchall()
        if rej:
            line, _etype, msg = rej[0]
            more = con.execute(f"SELECT count(*) FROM {rej_t}").fetchone()
            n_bad = int(more[0]) if more else len(rej)
            raise InputError(
                f"Die Zeile hat nicht die Form der Kopfzeile ({msg}); "
                f"{n_bad} fehlerhafte Zeile(n) insgesamt, erste in den Zeilen "
                + ", ".join(str(r[0]) for r in rej)
                + ".",
                file=path,
                row=int(line),
                expected=f"{len(columns)} Felder je Zeile, getrennt durch {dialect.delimiter!r}, "
                "Text mit Trennzeichen in Anführungszeichen",
                hint="Korrigieren Sie die Zeile oder geben Sie das richtige Trennzeichen mit --delimiter an.",
            )
        # a view with the file line from the row number, not a second copy of the file (issue #22)
        select = ", ".join(f"c{i} AS {_q(c)}" for i, c in enumerate(columns))
        con.execute(
            f"CREATE TEMP VIEW {name} AS SELECT CAST(rowid + {options.skip_rows + 2} AS BIGINT) AS _line, "
            f"{select} FROM {stage}"
        )
        n = con.execute(f"SELECT count(*) FROM {stage}").fetchone()
        kept = True
        return name, int(n[0]) if n else 0, stage
    finally:
        for t in (rej_t, rej_s) if kept else (stage, rej_t, rej_s):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        if order and not owns:
            con.execute(f"SET preserve_insertion_order = {bool(order[0])}")


def _cell_to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if text != "" else None


def _header_row(rows: list[list[Any]]) -> int:
    """Index of the header row: the first row filled like the table below it.

    Official spreadsheets often carry a title and blank rows above the table.
    """
    counts = [sum(_cell_to_text(v) is not None for v in r) for r in rows[:30]]
    if not counts:
        return 0
    widest = max(counts)
    for i, n in enumerate(counts):
        if n >= max(2, 0.6 * widest):
            return i
    return 0


def _read_sheet(path: Path, options: ReadOptions, con_in: duckdb.DuckDBPyConnection | None) -> RawTable:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError as exc:  # pragma: no cover - core dependency
        raise InputError("python-calamine fehlt.", hint="pip install python-calamine") from exc
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise InputError(
            f"Die Tabellenkalkulationsdatei ist nicht lesbar: {exc}",
            file=path,
            expected="eine unbeschädigte XLSX-, XLS- oder ODS-Datei",
            hint="Öffnen Sie die Datei in Excel/LibreOffice und speichern Sie sie neu.",
        ) from exc
    names = wb.sheet_names
    sheet = options.sheet or names[0]
    if sheet not in names:
        raise InputError(
            f"Das Tabellenblatt {sheet!r} gibt es nicht.",
            file=path,
            expected="eines von: " + ", ".join(names),
            hint="Wählen Sie das Blatt mit --sheet NAME.",
        )
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    skip = options.skip_rows
    if not skip:
        skip = _header_row(rows)
    rows = rows[skip:]
    options = ReadOptions(**{**options.__dict__, "skip_rows": skip})
    if not rows:
        raise InputError("Das Tabellenblatt ist leer.", file=path, expected="eine Kopfzeile")
    warnings: list[str] = []
    if len(names) > 1 and options.sheet is None:
        warnings.append(f"Die Datei hat {len(names)} Blätter; gelesen wurde {sheet!r} (anderes mit --sheet).")
    header = [_cell_to_text(v) or "" for v in rows[0]]
    columns = _clean_header(header, path, warnings)
    width = len(columns)
    data: dict[str, list[Any]] = {c: [] for c in columns}
    lines: list[int] = []
    first_line = options.skip_rows + 2
    for i, row in enumerate(rows[1:]):
        cells = [_cell_to_text(v) for v in row]
        if all(c is None for c in cells):
            continue
        if len(cells) > width and any(c is not None for c in cells[width:]):
            raise InputError(
                "Die Zeile hat mehr Werte als die Kopfzeile Spalten.",
                file=path,
                row=first_line + i,
                expected=f"{width} Spalten",
            )
        cells = (cells + [None] * width)[:width]
        for c, v in zip(columns, cells, strict=True):
            data[c].append(v)
        lines.append(first_line + i)
    table = pa.table(
        {"_line": pa.array(lines, pa.int64()), **{c: pa.array(v, pa.string()) for c, v in data.items()}}
    )
    con, owns = _staging(con_in)
    name = unique_name("raw")
    con.register(name + "_src", table)
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_src")
    con.unregister(name + "_src")
    return RawTable(
        owns_connection=owns,
        path=path,
        con=con,
        name=name,
        columns=columns,
        n_rows=len(lines),
        dialect=None,
        sheet=sheet,
        warnings=warnings,
    )
