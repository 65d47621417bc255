"""Destatis GENESIS-Online and Regionalstatistik: tables as CSV and XLSX, and flat files.

* Tabelle als CSV (``12411-0015.csv``): cp1252, title lines (``GENESIS-Tabelle: 12411-0015``
  or, newer, ``Tabelle: 22541-01-01-4``), header rows with the dates as column headers or a
  first column of dates, key and (indented) name, ``-``/``.``/``x``/``/``/``...`` as markers,
  a footer after ``__________``.  Rows of Deutschland (``DG``), Länder and
  Regierungsbezirke in a Kreis table go to those layers or are reported.
* Regionalstatistik XLSX (``31211-01-01-4.xlsx``): the same in a sheet, merged header cells.
* Flat file (``*_flat.csv``, also zipped): one value per row — the older form with
  ``Zeit``, ``1_Merkmal_Code``, ``1_Auspraegung_Code`` … and value columns
  ``CODE__Label__Einheit``, the newer with ``time``, ``1_variable_attribute_code`` …,
  ``value``, ``value_unit``, ``value_variable_code``.
"""

from __future__ import annotations

import re
from typing import Any

from planlabor.errors import InputError
from planlabor.io.cells import read_csv_cells
from planlabor.io.csv_ import sniff_csv
from planlabor.io.headers import slug
from planlabor.io.readers.base import Probe, ReadContext, Reader
from planlabor.io.readers.generic import GridHints, read_generic
from planlabor.io.source import Source, VariableInfo, empty_rows, stage_rows

GENESIS_MARKERS = {
    "-": "nichts_vorhanden",
    ".": "unbekannt_oder_geheim",
    "x": "nicht_sinnvoll",
    "/": "nicht_sicher_genug",
    "...": "faellt_spaeter_an",
    "()": "nicht_sicher_genug",
}
_TABLE_LINE = re.compile(r"^\s*(GENESIS-)?Tabelle:\s*\d{5}", re.I)
_REGIONAL_AREAS = {"KREISE", "DLAND", "GEMEIN", "REGBEZ", "DINSG", "GEMVB", "KRESIT", "STAAT"}


def sniff_genesis_csv(p: Probe) -> float:
    if p.is_sheet or not p.lines:
        return 0.0
    return 0.95 if _TABLE_LINE.match(p.lines[0].strip('"')) else 0.0


def sniff_regional_xlsx(p: Probe) -> float:
    if not p.is_sheet:
        return 0.0
    text = " ".join(str(c) for row in p.first_sheet_rows[:60] for c in row if c)
    if "Statistische Ämter des Bundes und der Länder" in text or "regionale Tiefe" in text:
        return 0.9
    return 0.0


def read_genesis(ctx: ReadContext) -> Source:
    hints = GridHints(
        reader="genesis", title="GENESIS-Online / Regionalstatistik", markers=GENESIS_MARKERS, force_grid=True
    )
    return read_generic(ctx, hints)


def sniff_flat(p: Probe) -> float:
    if p.is_sheet or not p.lines:
        return 0.0
    head = p.lines[0].lstrip("\ufeff").lower()
    if "statistics_code" in head and "value_variable_code" in head:
        return 0.98
    if "statistik_code" in head and "_merkmal_code" in head:
        return 0.98
    return 0.0


def read_flat(ctx: ReadContext) -> Source:
    """A GENESIS flat file: one value per row, dimensions as code columns."""
    dialect = sniff_csv(ctx.path, ctx.options.read.encoding, ";", None, None)
    grid = read_csv_cells(ctx.path, dialect)
    header = [(v or "").strip() for v in grid.rows[0]]
    new = "value_variable_code" in header
    dims = _flat_dimensions(header, new)
    first = grid.rows[1] if len(grid.rows) > 1 else []
    area_dim = next(
        (d for d in dims if (first[d[0]] if d[0] < len(first) else "") in _REGIONAL_AREAS),
        max(
            dims,
            key=lambda d: ctx.matcher.match_rate([r[d[1]] or "" for r in grid.rows[1:200] if d[1] < len(r)]),
            default=None,
        ),
    )
    rows = empty_rows()
    variables: dict[str, VariableInfo] = {}
    idx = {h: i for i, h in enumerate(header)}
    time_col = idx.get("time" if new else "Zeit")
    for r in range(1, len(grid.rows)):
        row = grid.rows[r]
        area = _area_of(row, idx, area_dim)
        for var, label, unit, value in _flat_values(row, header, idx, new, dims, area_dim):
            variables.setdefault(var, VariableInfo(label=label, unit=unit))
            rows["_line"].append(grid.lines[r])
            rows["_col"].append("value" if new else var)
            rows["key"].append(area[0])
            rows["name"].append(area[1])
            rows["period"].append(row[time_col] if time_col is not None and time_col < len(row) else None)
            rows["variable"].append(var)
            rows["value"].append(value)
            rows["num"].append(None)
    if area_dim is None:
        raise InputError(
            "Die Flatfile-Tabelle hat kein regionales Merkmal (z. B. KREISE, GEMEIN, DLAND).",
            file=ctx.path,
            row=1,
            expected="eine Tabelle mit regionaler Gliederung",
            hint="Laden Sie die Tabelle mit regionaler Tiefe herunter (Regionalstatistik).",
        )
    name = stage_rows(ctx.con, rows)
    return Source(
        path=ctx.path,
        reader="genesis_flat",
        reader_title="GENESIS Flatfile (ffcsv)",
        con=ctx.con,
        name=name,
        n_rows=len(grid.rows) - 1,
        dialect=dialect.describe(),
        key_column=f"Merkmal {first[area_dim[0]]}",
        period_source="Spalte " + ("'time'" if new else "'Zeit'"),
        has_periods=time_col is not None,
        decimal=dialect.decimal,
        thousands=dialect.thousands,
        layout=[
            f"Flatfile ({'neu' if new else 'bisher'}), Merkmale: "
            + ", ".join(first[d[0]] or "" for d in dims)
        ],
        variables=variables,
        temp_tables=[name],
    )


def _flat_dimensions(header: list[str], new: bool) -> list[tuple[int, int, int]]:
    """(column of the dimension's code, column of the item code, column of the item label) per dimension."""
    out: list[tuple[int, int, int]] = []
    n = 1
    while True:
        code_col = f"{n}_variable_attribute_code" if new else f"{n}_Auspraegung_Code"
        label_col = f"{n}_variable_attribute_label" if new else f"{n}_Auspraegung_Label"
        dim_col = f"{n}_variable_code" if new else f"{n}_Merkmal_Code"
        if code_col not in header:
            return out
        out.append((header.index(dim_col), header.index(code_col), header.index(label_col)))
        n += 1


def _area_of(row: list[str | None], idx: dict[str, int], area_dim: Any) -> tuple[str | None, str | None]:
    if area_dim is None:
        return None, None
    _, code_col, label_col = area_dim
    get = lambda c: row[c] if c < len(row) else None  # noqa: E731
    return get(code_col), (get(label_col) or "").strip() or None


def _flat_values(
    row: list[str | None], header: list[str], idx: dict[str, int], new: bool, dims: Any, area_dim: Any
) -> list[tuple[str, str, str | None, str | None]]:
    def get(c: int) -> str | None:
        return row[c] if c < len(row) else None

    parts = [(get(code) or "") for dim, code, _ in dims if (dim, code, _) != area_dim]
    labels = [(get(lab) or "").strip() for dim, _, lab in dims if (dim, _, lab) != area_dim]
    suffix = "_".join(slug(p) for p in parts if p)
    if new:
        code = get(idx["value_variable_code"]) or "wert"
        label = (get(idx.get("value_variable_label", -1)) or code).strip()
        unit = get(idx["value_unit"]) if "value_unit" in idx else None
        var = slug(code) + (f"_{suffix}" if suffix else "")
        full = label + (f" ({', '.join(x for x in labels if x)})" if any(labels) else "")
        return [(var, full, unit, get(idx["value"]))]
    out = []
    for i, h in enumerate(header):
        if "__" not in h or h.endswith("__q"):
            continue
        code, label, *rest = h.split("__")
        var = slug(code) + (f"_{suffix}" if suffix else "")
        full = label.replace("_", " ") + (f" ({', '.join(x for x in labels if x)})" if any(labels) else "")
        out.append((var, full, rest[0] if rest else None, get(i)))
    return out


READERS = [
    Reader(
        "genesis_flat",
        "GENESIS Flatfile (ffcsv, bisher und neu; auch als ZIP)",
        "Statistisches Bundesamt / Statistische Ämter der Länder",
        "12411-0015_de_flat.csv",
        sniff_flat,
        read_flat,
    ),
    Reader(
        "genesis",
        "GENESIS-Online / Regionalstatistik: Tabelle als CSV",
        "Statistisches Bundesamt / Statistische Ämter der Länder",
        "12411-0015.csv, 22541-01-01-4.csv",
        sniff_genesis_csv,
        read_genesis,
    ),
    Reader(
        "regionalstatistik_xlsx",
        "Regionalstatistik: Tabelle als XLSX",
        "Statistische Ämter des Bundes und der Länder",
        "31211-01-01-4.xlsx",
        sniff_regional_xlsx,
        read_genesis,
    ),
]
