"""Published files checked against the suppression pattern: no suppressed cell carries a value.

The LP audit (:mod:`.audit`) covers everything the public-value function lets out.  This
module reads files that were actually published – the static atlas (``data/values_*.js``),
API answers saved as JSON, exports as machine CSV (wide or long), German CSV/XLSX for people,
GeoJSON and GeoPackage – and reports every cell that shows a number although the pattern
suppresses it (e.g. a file written by an older version, by hand, or past the public path).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planlabor.catalog import Catalog

SUFFIXES = {".js", ".json", ".csv", ".xlsx", ".geojson", ".gpkg"}


@dataclass(frozen=True)
class OutputCell:
    source: str
    layer_id: str | None
    area_id: str
    indicator_id: str
    period: str | None
    has_value: bool


def output_files(paths: list[Path]) -> list[Path]:
    """The files to check: the given ones, and in folders every file of a known kind."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES and f.is_file()))
        elif p.exists():
            out.append(p)
    return out


def read_cells(path: Path, catalog: Catalog) -> Iterator[OutputCell]:
    """The indicator cells a published file shows (``has_value``: a number, not a sign)."""
    suffix = path.suffix.lower()
    if suffix in (".js", ".json"):
        yield from _payload_cells(path)
    elif suffix == ".csv":
        yield from _table_cells(path, _read_csv(path), catalog)
    elif suffix == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="calamine")
        yield from _table_cells(path, sheets.get("Daten", next(iter(sheets.values()))), catalog)
    elif suffix in (".geojson", ".gpkg"):
        import pyogrio

        yield from _table_cells(
            path, pd.DataFrame(pyogrio.read_dataframe(path, read_geometry=False)), catalog
        )


def _script_body(text: str) -> tuple[str, str]:
    """``(name, JSON text)`` of a static atlas data script: ``planlaborData("name",{…});`` or,
    for the pieces of a large layer, ``planlaborData("name",JSON.parse("…"));``; else the text."""
    m = re.match(r'\s*planlaborData\(("[^"]*"),(.*)\);\s*$', text, flags=re.S)
    if not m:
        return "", text
    name, body = json.loads(m.group(1)), m.group(2)
    parsed = body.startswith('JSON.parse("') and body.endswith('")')
    return name, json.loads(body[len("JSON.parse(") : -1]) if parsed else body


def _payload_cells(path: Path) -> Iterator[OutputCell]:
    text = path.read_text(encoding="utf-8")
    name, body = _script_body(text)
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return
    if isinstance(data, dict) and {"indicator", "period", "v"} <= data.keys():  # a part of a large layer
        yield from _part_cells(path, data)
        return
    if not isinstance(data, dict) or "indicators" not in data or "areas" not in data:
        return
    layer = data.get("layer") or (name.split("/", 1)[1] if "/" in name else None)
    areas = data["areas"]
    for iid, per in data["indicators"].items():
        for period, cell in per.items():
            for area, v in zip(areas, cell.get("v", []), strict=False):
                yield OutputCell(str(path), layer, str(area), str(iid), str(period), v is not None)


def _part_cells(path: Path, data: dict[str, Any]) -> Iterator[OutputCell]:
    """One indicator × period of a large layer (``data/values_<layer>/<indicator>/<period>.js``);
    the area keys are in the layer's index ``data/values_<layer>.js`` beside the folder."""
    layer = str(data.get("layer") or "")
    areas = next(
        (_index_areas(d / f"values_{layer}{ext}") for d in path.parents[:4] for ext in (".js", ".json")
         if (d / f"values_{layer}{ext}").is_file()),
        None,
    )  # fmt: skip
    if areas is None:  # no index: the cells still count, by position
        areas = [f"#{i}" for i in range(len(data["v"]))]
    ind, period = str(data["indicator"]), str(data["period"])
    for area, v in zip(areas, data["v"], strict=False):
        yield OutputCell(str(path), layer, str(area), ind, period, v is not None)


@functools.lru_cache(maxsize=8)
def _index_areas(path: Path) -> list[str] | None:
    try:
        data = json.loads(_script_body(path.read_text(encoding="utf-8"))[1])
    except json.JSONDecodeError:
        return None
    from planlabor.atlas.large import index_areas  # keys plain or front-coded

    return index_areas(data) if isinstance(data, dict) and ({"areas", "ak"} & data.keys()) else None


def _read_csv(path: Path) -> pd.DataFrame:
    head = path.read_text(encoding="utf-8-sig", errors="replace").split("\n", 1)[0]
    sep = ";" if head.count(";") > head.count(",") else ","
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _names(catalog: Catalog) -> dict[str, str]:
    out = {}
    for i in catalog.all_indicators():
        out[i.id] = i.id
        out[i.name] = i.id
        if i.unit:
            out[f"{i.name} ({i.unit})"] = i.id
    return out


def _number(text: object) -> bool:
    if text is None or (isinstance(text, float) and text != text):
        return False
    s = str(text).strip()
    return bool(re.fullmatch(r"[-+]?[\d.,\u2009 ]*\d[\d.,eE+\-]*", s))


def _table_cells(path: Path, df: pd.DataFrame, catalog: Catalog) -> Iterator[OutputCell]:
    cols = {str(c): c for c in df.columns}
    area_col = next((cols[c] for c in ("area_id", "Gebiet") if c in cols), None)
    if area_col is None:
        return
    period_col = next((cols[c] for c in ("period", "Zeitraum") if c in cols), None)
    names = _names(catalog)
    ind_col = next((cols[c] for c in ("indicator_id", "Indikator") if c in cols), None)
    val_col = next((cols[c] for c in ("value", "Wert") if c in cols), None)
    if ind_col is not None and val_col is not None:  # long format
        for a, i, p, v in zip(df[area_col], df[ind_col], _periods(df, period_col), df[val_col], strict=True):
            iid = names.get(str(i))
            if iid:
                yield OutputCell(str(path), None, str(a), iid, p, _number(v))
        return
    periods = _periods(df, period_col)
    for c in df.columns:
        head = str(c)
        iid = names.get(head)
        period = None
        if iid is None and "_" in head:  # GeoJSON of several periods: ID_YYYY-MM-DD
            base, _, per = head.rpartition("_")
            iid, period = names.get(base), per
        if iid is None or head.endswith("__status"):
            continue
        for a, p, v in zip(df[area_col], periods, df[c], strict=True):
            yield OutputCell(str(path), None, str(a), iid, period or p, _number(v))


def _periods(df: pd.DataFrame, col: object) -> list[str | None]:
    if col is None:
        return [None] * len(df)
    from planlabor.io.periods import parse_period

    out: list[str | None] = []
    for v in df[col]:
        try:
            out.append(parse_period(str(v)))
        except ValueError:
            out.append(str(v))
    return out


def leaks(status: pd.DataFrame, cells: list[OutputCell]) -> list[str]:
    """Messages for cells that show a number although suppressed (on a layer with that area)."""
    cols = (status[c].tolist() for c in ("area_id", "indicator_id", "period", "layer_id"))
    by_key: dict[tuple[str, str, str], set[str]] = {}
    for a, i, p, lay in zip(*cols, strict=True):
        by_key.setdefault((str(a), str(i), str(p)), set()).add(str(lay))
    any_period: dict[tuple[str, str], set[str]] = {}
    for (a, i, _p), lays in by_key.items():
        any_period.setdefault((a, i), set()).update(lays)
    out = []
    for c in cells:
        if not c.has_value:
            continue
        lays = by_key.get((c.area_id, c.indicator_id, c.period or ""), set())
        if c.period is None:
            lays = any_period.get((c.area_id, c.indicator_id), set())
        if lays and (c.layer_id is None or c.layer_id in lays):
            out.append(
                f"{c.source}: Gebiet {c.area_id}, {c.indicator_id}, {c.period or 'ohne Zeitraum'} "
                "zeigt einen Wert, der gesperrt ist"
            )
    return out
