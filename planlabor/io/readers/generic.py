"""Any table: CSV, TSV, XLSX, XLS, ODS — plain or with a publisher's layout.

A plain table (one header row at the top, no periods in the header) is read by
DuckDB in one pass, however large.  Everything else — title blocks, header
blocks over several rows, years or dates as column headers, keys and names in
one cell, footnotes — is recognised on the grid of cells
(:mod:`planlabor.io.layout`) and turned into long rows.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path

from planlabor.errors import InputError
from planlabor.io.cells import SHEET_SUFFIXES, CellGrid, read_csv_cells, read_sheet_cells
from planlabor.io.csv_ import sniff_csv
from planlabor.io.gridlong import LongRows, choose_key, to_long
from planlabor.io.headers import slug
from planlabor.io.layout import Layout, recognise
from planlabor.io.readers.base import ReadContext
from planlabor.io.readers.plain import plain_source, sheet_as_raw
from planlabor.io.source import Source, VariableInfo, empty_rows, stage_rows
from planlabor.io.table import _read_csv
from planlabor.io.transpose import areas_across, transposed

PROBE_ROWS = 80


@dataclass
class GridHints:
    """What a publisher reader knows beyond the generic recognition."""

    reader: str = "tabelle"
    title: str = "Tabelle"
    markers: dict[str, str] = field(default_factory=dict)
    sheet_prefix: bool = True  # several data sheets: the sheet name starts the variable names
    force_grid: bool = False
    variable_info: dict[str, VariableInfo] = field(default_factory=dict)  # extra metadata by variable


def read_generic(ctx: ReadContext, hints: GridHints | None = None) -> Source:
    hints = hints or GridHints()
    if ctx.path.suffix.lower() in SHEET_SUFFIXES:
        return _read_sheets(ctx, hints)
    r = ctx.options.read
    dialect = sniff_csv(ctx.path, r.encoding, r.delimiter, r.decimal, r.thousands)
    probe = _skip(read_csv_cells(ctx.path, dialect, max_rows=PROBE_ROWS + r.skip_rows), r.skip_rows)
    markers = set(ctx.markers) | set(hints.markers)
    layout = recognise(probe, markers, dialect.decimal, dialect.thousands)
    if areas_across(probe, layout, ctx.matcher):
        grid = transposed(_skip(read_csv_cells(ctx.path, dialect), r.skip_rows))
        turned = dialect.describe() + ", gedreht (Gebiete als Spalten)"
        return grid_source(ctx, [grid], dialect.decimal, dialect.thousands, turned, hints)
    if not hints.force_grid and _is_plain(layout, probe, ctx):
        known = replace(
            r,
            encoding=dialect.encoding,
            delimiter=dialect.delimiter,
            decimal=dialect.decimal,
            thousands=dialect.thousands or "",
        )
        raw = _read_csv(ctx.path, known, ctx.con)
        return plain_source(ctx, raw)
    grid = _skip(read_csv_cells(ctx.path, dialect), r.skip_rows)
    return grid_source(ctx, [grid], dialect.decimal, dialect.thousands, dialect.describe(), hints)


def _skip(grid: CellGrid, n: int) -> CellGrid:
    if not n:
        return grid
    return replace(
        grid,
        rows=grid.rows[n:],
        lines=grid.lines[n:],
        native_numbers=grid.native_numbers[n:] if grid.native_numbers else None,
    )


def _is_plain(layout: Layout | None, grid: CellGrid, ctx: ReadContext) -> bool:
    """One header row on top, no periods in it, nothing in one cell that needs splitting."""
    o = ctx.options
    if o.variable_column or o.value_column:
        return True
    if layout is None:
        return True
    return (
        not layout.title_rows
        and layout.header_rows == [0]
        and not any(v.period for v in layout.headers.values)
        and layout.key_in_name is None
    )


def _read_sheets(ctx: ReadContext, hints: GridHints) -> Source:
    r = ctx.options.read
    markers = set(ctx.markers) | set(hints.markers)
    grids = [_skip(g, r.skip_rows) for g in read_sheet_cells(ctx.path, r.sheet)]
    layouts = [recognise(g, markers, ".", None) for g in grids]
    for i, (g, lay) in enumerate(zip(grids, layouts, strict=True)):
        if areas_across(g, lay, ctx.matcher):  # areas as column headers: read the sheet turned
            grids[i] = transposed(g)
            layouts[i] = recognise(grids[i], markers, ".", None)
    if len(grids) == 1 and not hints.force_grid:
        layout = layouts[0]
        if layout is not None and _is_plain_sheet(layout, ctx):
            raw = sheet_as_raw(ctx, grids[0], layout.header_rows[0] if layout.header_rows else 0)
            return plain_source(ctx, raw)
    return grid_source(ctx, grids, ".", None, "Tabellenkalkulation", hints)


def _is_plain_sheet(layout: Layout, ctx: ReadContext) -> bool:
    o = ctx.options
    if o.variable_column or o.value_column or o.id_column:
        return True
    return (
        len(layout.header_rows) == 1
        and not any(v.period for v in layout.headers.values)
        and layout.key_in_name is None
    )


def grid_source(
    ctx: ReadContext,
    grids: list[CellGrid],
    decimal: str,
    thousands: str | None,
    dialect: str,
    hints: GridHints,
) -> Source:
    """Long rows from every grid (sheet) with a data block whose keys match the layer."""
    markers = set(ctx.markers) | set(hints.markers)
    parts: list[tuple[CellGrid, Layout, LongRows]] = []
    notes: list[str] = []
    layouts = [(g, recognise(g, markers, decimal, thousands)) for g in grids]
    data_grids = [(g, lay) for g, lay in layouts if lay is not None]
    for g, lay in data_grids:
        _apply_column_options(lay, ctx)
        key = _key_choice(ctx, lay)
        if key is None or key.rate < 0.3:
            if g.sheet is not None and len(data_grids) > 1:
                notes.append(f"{g.source}: keine Schlüssel der Raumebene erkannt, nicht gelesen")
                continue
            _refuse_keys(ctx, g, lay)
        assert key is not None
        prefix = ctx.options.variable_prefix or ""
        if hints.sheet_prefix and g.sheet is not None and sum(1 for _ in data_grids) > 1:
            prefix = prefix + slug(g.sheet) + "_"
        parts.append((g, lay, to_long(lay, key, decimal, thousands, prefix)))
    if not parts:
        raise InputError(
            "In der Datei ist keine Tabelle mit Werten je Gebiet erkennbar.",
            file=ctx.path,
            expected="Zeilen mit einem Gebietsschlüssel oder -namen und Zahlen daneben",
            hint="Prüfen Sie die Datei in Excel/LibreOffice; wählen Sie ein Blatt mit --sheet.",
        )
    if len(parts) > 1:
        data_sheets = [g.sheet for g, _, _ in parts]
        notes.append(f"{len(parts)} Tabellenblätter gelesen: " + ", ".join(repr(s) for s in data_sheets))
    return _source(ctx, parts, dialect, hints, notes, decimal, thousands)


def _key_choice(ctx: ReadContext, lay: Layout):  # type: ignore[no-untyped-def]
    wanted = ctx.options.id_column
    if wanted:
        for c in lay.id_columns + lay.attribute_columns:
            if lay.column_title(c).lower() == wanted.lower():
                lay.id_columns = [c]
                break
        else:
            raise InputError(
                f"Die Schlüsselspalte {wanted!r} gibt es in der Datei nicht.",
                file=ctx.path,
                column=wanted,
                expected="eine dieser Spalten: " + ", ".join(lay.column_title(c) for c in lay.id_columns),
                hint="Prüfen Sie die Schreibweise bei --id-column.",
            )
    return choose_key(lay, ctx.matcher)


def _apply_column_options(lay: Layout, ctx: ReadContext) -> None:
    o = ctx.options
    specs = lay.headers.values
    if o.columns:
        specs = [
            v
            for v in specs
            if any(
                fnmatch.fnmatchcase(v.variable, p) or fnmatch.fnmatchcase(lay.column_title(v.column), p)
                for p in o.columns
            )
        ]
    if o.exclude_columns:
        specs = [
            v
            for v in specs
            if not any(
                fnmatch.fnmatchcase(v.variable, p) or fnmatch.fnmatchcase(lay.column_title(v.column), p)
                for p in o.exclude_columns
            )
        ]
    lay.headers.values = specs


def _refuse_keys(ctx: ReadContext, g: CellGrid, lay: Layout) -> None:
    lk = ctx.matcher.layers[ctx.matcher.target]
    seen = []
    for c in lay.id_columns[:3]:
        cells = [g.cell(r, c) for r in lay.data_rows[:4]]
        seen.append(f"{lay.column_title(c)}: " + ", ".join(repr(v) for v in cells if v))
    raise InputError(
        f"Keine Spalte der Datei enthält Schlüssel oder Namen der Raumebene {ctx.matcher.target!r}.",
        file=ctx.path,
        row=g.lines[lay.data_rows[0]] if lay.data_rows else None,
        expected="Schlüssel wie " + ", ".join(lk.keys[:3]) + "; gesehen: " + "; ".join(seen),
        hint="Prüfen Sie --layer (passt die Raumebene zur Datei?) oder geben Sie die Schlüsselspalte "
        "mit --id-column an; Schlüssel anderer Form setzen Sie mit --map-key ALT=NEU um.",
    )


def _source(
    ctx: ReadContext,
    parts: list[tuple[CellGrid, Layout, LongRows]],
    dialect: str,
    hints: GridHints,
    notes: list[str],
    decimal: str,
    thousands: str | None,
) -> Source:
    rows = empty_rows()
    variables: dict[str, VariableInfo] = {}
    layout_lines: list[str] = []
    skipped_rows: list[tuple[int, str]] = []
    skipped_cols: dict[str, str] = {}
    for g, lay, long in parts:
        for k in rows:
            rows[k].extend(long.rows[k])
        for var, info in long.variables.items():
            extra = hints.variable_info.get(var)
            variables.setdefault(var, _merge(info, extra))
        prefix = f"{g.source}: " if len(parts) > 1 else ""
        layout_lines.extend(prefix + line for line in lay.describe())
        layout_lines.extend(prefix + n for n in long.notes)
        skipped_rows.extend(lay.skipped)
        skipped_cols.update(long.skipped_columns)
    first = parts[0][2]
    name = stage_rows(ctx.con, rows)
    return Source(
        path=ctx.path,
        reader=hints.reader,
        reader_title=hints.title,
        con=ctx.con,
        name=name,
        n_rows=sum(len(lay.data_rows) for _, lay, _ in parts),
        dialect=dialect if parts[0][0].sheet is None else parts[0][0].source,
        key_column=first.key.description,
        period_source=first.period_source,
        has_periods=all(p[2].has_periods for p in parts),
        decimal=decimal,
        thousands=thousands,
        layout=layout_lines + notes,
        variables=variables,
        skipped_rows=skipped_rows,
        skipped_columns=skipped_cols,
        temp_tables=[name],
        period_column=(
            parts[0][1].column_title(parts[0][1].period_column)
            if parts[0][1].period_column is not None
            else None
        ),
        variable_order=list(variables),
    )


def _merge(info: VariableInfo, extra: VariableInfo | None) -> VariableInfo:
    if extra is None:
        return info
    return VariableInfo(
        label=extra.label or info.label,
        unit=extra.unit or info.unit,
        kind=extra.kind or info.kind,
        definition=extra.definition or info.definition,
        source=extra.source or info.source,
    )


def default_path(path: Path) -> Path:
    return path
