"""Plain tables in DuckDB: one header row; wide (a column per variable) or long."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from planlabor.errors import InputError
from planlabor.io.cells import CellGrid
from planlabor.io.readers.base import ReadContext
from planlabor.io.source import Source
from planlabor.io.table import RawTable, _clean_header, _staging, unique_name
from planlabor.io.wide import (
    LONG_VALUE_NAMES,
    LONG_VARIABLE_NAMES,
    classify_columns,
    find_column,
    guess_column,
    key_column,
    long_view,
    period_column,
    rows_view,
    select_columns,
    year_columns,
)


def plain_source(
    ctx: ReadContext, raw: RawTable, reader: str = "tabelle", title: str = "Tabelle (eine Kopfzeile)"
) -> Source:
    """A long view over a plain table staged by DuckDB."""
    o = ctx.options
    cols = raw.columns
    if raw.n_rows == 0:
        raise InputError(
            "Die Datei enthält keine Datenzeilen.",
            file=raw.path,
            row=2,
            expected="mindestens eine Zeile unter der Kopfzeile",
        )
    hinted = raw.hints
    var_col = o.variable_column or hinted.get("variable_column")
    val_col = o.value_column or hinted.get("value_column")
    if var_col is None and val_col is None:
        gv, gw = guess_column(cols, LONG_VARIABLE_NAMES), guess_column(cols, LONG_VALUE_NAMES)
        if gv and gw:
            var_col, val_col = gv, gw
    if (var_col is None) != (val_col is None):
        raise InputError(
            "Für lange Tabellen sind --variable-column und --value-column beide nötig.",
            file=raw.path,
            column=var_col or val_col,
            hint="Geben Sie beide Optionen an (oder keine für eine breite Tabelle).",
        )
    fixed = o.period
    if fixed and not o.period_column:
        _refuse_period_twice(raw, o.exclude_columns)
    pcol = period_column(raw, o.period_column or hinted.get("period_column"), fixed)
    exclude = {c for c in (pcol, var_col, val_col) if c}
    key, by_name = key_column(raw, o.id_column or hinted.get("id_column"), ctx.matcher, exclude)
    skipped: dict[str, str] = {}
    variables: list[str] | None = None
    if var_col and val_col:
        var_col = find_column(cols, var_col, "Variablenspalte", raw, "--variable-column")
        val_col = find_column(cols, val_col, "Wertspalte", raw, "--value-column")
        for c in cols:
            if c not in (key, pcol, var_col, val_col):
                skipped[c] = "nicht verwendet (lange Tabelle)"
    else:
        variables, skipped = _wide_variables(ctx, raw, key, pcol)
    view = long_view(raw, key, pcol, variables, var_col, val_col, o.id_width, by_name)
    rows = rows_view(raw, key, pcol, o.id_width, by_name, variables) if variables is not None else None
    return Source(
        path=raw.path,
        reader=reader,
        reader_title=title,
        con=raw.con,
        name=view,
        n_rows=raw.n_rows,
        dialect=raw.dialect.describe() if raw.dialect else f"Tabellenblatt {raw.sheet!r}",
        key_column=f"{key} (Namen)" if by_name else key,
        period_source=f"Spalte {pcol!r}" if pcol else "Option --period",
        has_periods=pcol is not None,
        decimal=raw.decimal,
        thousands=raw.thousands,
        layout=[f"Kopfzeile: Zeile {raw.first_line - 1}" if raw.first_line > 2 else "Kopfzeile: Zeile 1"],
        skipped_columns=skipped,
        warnings=list(raw.warnings),
        temp_views=[view] + ([rows] if rows else []),
        rows=rows,
        wide_columns=variables or [],
        cleanup=[raw],
        period_column=pcol,
        variable_order=variables or [],
    )


def _refuse_period_twice(raw: RawTable, exclude: list[str]) -> None:
    """--period given although the file has a period column: never import that column as a variable."""
    from planlabor.io.wide import PERIOD_COLUMN_NAMES

    col = guess_column([c for c in raw.columns if c not in exclude], PERIOD_COLUMN_NAMES)
    if col is None:
        return
    values = sorted({str(r[col]) for r in raw.sample(50) if r[col] is not None})[:3]
    raise InputError(
        f"Die Datei nennt den Zeitraum selbst (Spalte {col!r}: {', '.join(values)}); "
        "--period würde ihn überschreiben.",
        file=raw.path,
        row=raw.first_line - 1,
        column=col,
        expected="entweder den Zeitraum aus der Datei oder --period, nicht beides",
        hint=f"Lassen Sie --period weg; soll die Spalte nicht gelten, schließen Sie sie mit "
        f"--exclude-column {col} aus.",
    )


def _wide_variables(
    ctx: ReadContext, raw: RawTable, key: str, pcol: str | None
) -> tuple[list[str], dict[str, str]]:
    o = ctx.options
    reserved = {key} | ({pcol} if pcol else set())
    candidates = select_columns(
        [c for c in raw.columns if c not in reserved], o.columns, o.exclude_columns, raw
    )
    skipped = {c: "ausgeschlossen" for c in raw.columns if c not in reserved and c not in candidates}
    years = year_columns(candidates)
    if years:  # never a year as a variable name (the grid path reads such tables)
        raise InputError(
            f"Spaltenköpfe wie {years[0]!r} sind Zeiträume, keine Variablen.",
            file=raw.path,
            row=raw.first_line - 1,
            column=years[0],
            expected="Variablen als Spalten und den Zeitraum in einer Spalte oder in --period",
            hint="Lassen Sie --columns/--skip-rows weg: planlabor liest Jahre als Spaltenköpfe selbst.",
        )
    if o.columns:
        return candidates, skipped
    variables, auto, first_bad = classify_columns(raw, candidates, set(ctx.markers))
    skipped.update(auto)
    if not variables:
        example = next(iter(first_bad.items()), None)
        raise InputError(
            "Die Datei enthält keine Zahlenspalten, die importiert werden könnten"
            + (f"; z. B. ist {example[1][1]!r} keine Zahl." if example else "."),
            file=raw.path,
            row=example[1][0] if example else 1,
            column=example[0] if example else None,
            expected="mindestens eine Spalte mit Zahlen",
            hint="Wählen Sie Spalten mit --columns, prüfen Sie --decimal oder geben Sie "
            "Fehlwert-Zeichen mit --missing an.",
        )
    return variables, skipped


def sheet_as_raw(ctx: ReadContext, grid: CellGrid, header_row: int) -> RawTable:
    """A sheet whose layout is plain, staged like a read CSV (header row given)."""
    warnings: list[str] = []
    header = [v or "" for v in grid.rows[header_row]] if grid.rows else []
    columns = _clean_header(header, grid.path, warnings)
    width = len(columns)
    data: dict[str, list[Any]] = {c: [] for c in columns}
    lines: list[int] = []
    for r in range(header_row + 1, len(grid.rows)):
        cells = grid.rows[r]
        if all(c is None for c in cells):
            continue
        if len(cells) > width and any(c is not None for c in cells[width:]):
            raise InputError(
                "Die Zeile hat mehr Werte als die Kopfzeile Spalten.",
                file=grid.path,
                row=grid.lines[r],
                expected=f"{width} Spalten",
            )
        cells = (list(cells) + [None] * width)[:width]
        for c, v in zip(columns, cells, strict=True):
            data[c].append(v)
        lines.append(grid.lines[r])
    table = pa.table(
        {"_line": pa.array(lines, pa.int64()), **{c: pa.array(v, pa.string()) for c, v in data.items()}}
    )
    con, owns = _staging(ctx.con)
    name = unique_name("raw")
    con.register(name + "_src", table)
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_src")
    con.unregister(name + "_src")
    if len(header) and grid.sheet is not None:
        warnings.extend([])
    return RawTable(
        owns_connection=owns,
        path=grid.path,
        con=con,
        name=name,
        columns=columns,
        n_rows=len(lines),
        dialect=None,
        sheet=grid.sheet,
        warnings=warnings,
        first_line=grid.lines[header_row] + 1 if grid.rows else 2,
    )
