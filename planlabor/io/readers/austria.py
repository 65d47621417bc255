"""Statistik Austria OGD tables and Stadt Wien OGD.

* Statistik Austria OGD (``OGD_gest_kalwo_GEST_KALWOCHE_100.csv``): long, codes only —
  classification columns ``C-<CODE>-0`` with values ``<CODE>-<item>`` and value columns
  ``F-<CODE>-<n>``.  The code lists are separate portal files
  (``<stem>_C-<CODE>-0.csv`` with ``code;name``; ``<stem>_HEADER.csv`` for the column
  names) and are used when they lie beside the table.  Time dimensions are recognised by
  their items (``KALW-200001`` → calendar week 2000-W01, ``A10-2020`` → 2020,
  ``MONAT-202001``); the area dimension is the one whose items match the layer
  (``B00-9`` → Bundesland 9, Gemeindekennziffern); the others become part of the variable.
* Stadt Wien OGD (``vie-bez-biz-pop-den-2002f.csv``): a bilingual title line, then
  ``NUTS;DISTRICT_CODE;SUB_DISTRICT_CODE;REF_YEAR;REF_DATE;…``; district keys ``90100`` …
  ``92300`` (matched to every form of Vienna's district codes), ``REF_DATE`` as the date.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from planlabor.io.cells import read_csv_cells
from planlabor.io.csv_ import sniff_csv
from planlabor.io.headers import slug
from planlabor.io.readers.base import Probe, ReadContext, Reader
from planlabor.io.readers.generic import GridHints, read_generic
from planlabor.io.source import Source, VariableInfo, empty_rows, stage_rows

_OGD_COLUMN = re.compile(r"^[CF]-[A-Z0-9]+-\d+$")
_WEEK = re.compile(r"^KALW-(\d{4})(\d{2})$")
_MONTH = re.compile(r"^MONAT-(\d{4})(\d{2})$")
_YEAR = re.compile(r"^[A-Z0-9]+-((?:19|20)\d\d)$")


def sniff_statat(p: Probe) -> float:
    if p.is_sheet or not p.lines:
        return 0.0
    cells = [c.strip('"') for c in p.lines[0].lstrip("\ufeff").split(";")]
    return (
        0.97
        if cells and all(_OGD_COLUMN.match(c) for c in cells) and any(c.startswith("F-") for c in cells)
        else 0.0
    )


def sniff_wien(p: Probe) -> float:
    if p.is_sheet:
        return 0.0
    head = "\n".join(p.lines[:3]).upper()
    return 0.95 if "DISTRICT_CODE" in head and ("REF_DATE" in head or "REF_YEAR" in head) else 0.0


def read_wien(ctx: ReadContext) -> Source:
    return read_generic(
        ctx, GridHints(reader="wien_ogd", title="Stadt Wien – Open Government Data", force_grid=True)
    )


def _code_list(path: Path, column: str) -> dict[str, str]:
    """Code → name from ``<stem>_<column>.csv`` beside the table (Statistik Austria's code lists)."""
    f = path.with_name(f"{path.stem}_{column}.csv")
    if not f.exists():
        return {}
    out: dict[str, str] = {}
    with f.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        for row in csv.reader(fh, delimiter=";"):
            if len(row) >= 2 and row[0] and not row[0].lower().startswith("code"):
                out[row[0].strip()] = row[1].strip()
    return out


def _period(item: str) -> str | None:
    if m := _WEEK.match(item):
        return f"{m.group(1)}-W{m.group(2)}"
    if m := _MONTH.match(item):
        return f"{m.group(1)}-{m.group(2)}"
    if m := _YEAR.match(item):
        return m.group(1)
    return None


def read_statat(ctx: ReadContext) -> Source:
    dialect = sniff_csv(ctx.path, ctx.options.read.encoding, ";", ".", None)
    grid = read_csv_cells(ctx.path, dialect)
    header = [(c or "").strip() for c in grid.rows[0]]
    classes = [i for i, h in enumerate(header) if h.startswith("C-")]
    facts = [i for i, h in enumerate(header) if h.startswith("F-")]
    sample = [[c or "" for c in row] for row in grid.rows[1 : min(len(grid.rows), 400)]]
    time_col = next((i for i in classes if all(_period(r[i] or "") for r in sample if i < len(r))), None)
    area_col = max(
        (i for i in classes if i != time_col),
        key=lambda i: ctx.matcher.match_rate([r[i] for r in sample if i < len(r) and r[i]]),
        default=None,
    )
    dims = [i for i in classes if i not in (time_col, area_col)]
    names = {h: _code_list(ctx.path, h) for h in header}
    col_names = _code_list(ctx.path, "HEADER")
    rows = empty_rows()
    variables: dict[str, VariableInfo] = {}
    for r in range(1, len(grid.rows)):
        row = grid.rows[r]
        items = [row[i] if i < len(row) else "" for i in dims]
        suffix = "_".join(slug(i or "") for i in items)
        labels = [names[header[i]].get(v or "", v or "") for i, v in zip(dims, items, strict=True)]
        for f in facts:
            code = header[f].split("-")[1]
            var = slug(code) + (f"_{suffix}" if suffix else "")
            label = col_names.get(header[f], code) + (f" ({', '.join(labels)})" if labels else "")
            variables.setdefault(var, VariableInfo(label=label))
            area = row[area_col] if area_col is not None and area_col < len(row) else None
            rows["_line"].append(grid.lines[r])
            rows["_col"].append(header[f])
            rows["key"].append(area)
            rows["name"].append(names[header[area_col]].get(area or "") if area_col is not None else None)
            rows["period"].append(_period(row[time_col] or "") if time_col is not None else None)
            rows["variable"].append(var)
            rows["value"].append(row[f] if f < len(row) else None)
            rows["num"].append(None)
    name = stage_rows(ctx.con, rows)
    layout = [
        "Lange Tabelle mit Codes: "
        + (f"Zeit {header[time_col]}, " if time_col is not None else "")
        + (f"Gebiet {header[area_col]}, " if area_col is not None else "")
        + ("Merkmale " + ", ".join(header[i] for i in dims) if dims else "keine weiteren Merkmale"),
    ]
    if not any(names.values()):
        layout.append(
            "Codelisten nicht gefunden (Dateien <Tabelle>_C-…-0.csv): Variablen heißen nach den Codes"
        )
    return Source(
        path=ctx.path,
        reader="statistik_austria",
        reader_title="Statistik Austria – Open Government Data",
        con=ctx.con,
        name=name,
        n_rows=len(grid.rows) - 1,
        dialect=dialect.describe(),
        key_column=header[area_col] if area_col is not None else "(keine)",
        period_source=f"Spalte {header[time_col]!r}" if time_col is not None else "Option --period",
        has_periods=time_col is not None,
        decimal=".",
        thousands=None,
        layout=layout,
        variables=variables,
        temp_tables=[name],
    )


READERS = [
    Reader(
        "statistik_austria",
        "Statistik Austria: OGD-Tabelle (Codes, lange Form)",
        "Statistik Austria",
        "OGD_gest_kalwo_GEST_KALWOCHE_100.csv",
        sniff_statat,
        read_statat,
    ),
    Reader(
        "wien_ogd",
        "Stadt Wien: Open Government Data (CSV)",
        "Stadt Wien",
        "vie-bez-biz-pop-den-2002f.csv",
        sniff_wien,
        read_wien,
    ),
]
