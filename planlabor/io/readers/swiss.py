"""Bundesamt für Statistik (BFS): PC-Axis, STAT-TAB exports and the Statistischer Atlas.

* PC-Axis (``.px``, read with the maintained ``pyaxis`` package): ``CHARSET="ANSI"``
  means cp1252; the dimensions of STUB and HEADING become key, period and variable: the
  dimension whose ``CODES`` match the layer is the area, one whose values are years the
  period, the others name the variable.  ``"..."``, ``"."`` and the declared ``DATASYMBOL``s
  are markers.
* STAT-TAB (PxWeb) CSV and XLSX exports: area cells like ``......0001 Aeugst am Albis``
  (Gemeinde), ``>> Bezirk Affoltern``, ``- Zürich`` (Kanton) — key and name in one cell.
* Statistischer Atlas XLSX (``27600_131.xlsx``): a title with the year, ``Regions-ID`` (the
  BFS Gemeindenummer as text), ``Schweiz`` without a key, ``–`` for no value, the
  Gemeindestand in the footer.
"""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

from planlabor.errors import InputError
from planlabor.io.headers import slug
from planlabor.io.readers.base import Probe, ReadContext, Reader
from planlabor.io.readers.generic import GridHints, read_generic
from planlabor.io.source import Source, VariableInfo, empty_rows, stage_rows

SWISS_MARKERS = {
    "...": "faellt_spaeter_an",
    "–": "nichts_vorhanden",
    "X": "nicht_sinnvoll",
    "( )": "nicht_sicher_genug",
}
_STATTAB = re.compile(r"\.{6}\d{4}\s")
_AREA_DIM = re.compile(r"(?i)(kanton|gemeinde|bezirk|region|kreis|land|gebiet|canton|commune|district)")


def sniff_px(p: Probe) -> float:
    if p.suffix == ".px":
        return 1.0
    return 0.9 if p.lines and p.lines[0].startswith(("CHARSET=", "AXIS-VERSION=")) else 0.0


def sniff_stattab(p: Probe) -> float:
    if p.is_sheet:
        text = " ".join(str(c) for row in p.first_sheet_rows for c in row if c)
        return 0.9 if _STATTAB.search(text) else 0.0
    return 0.9 if _STATTAB.search(p.text) else 0.0


def sniff_atlas(p: Probe) -> float:
    if not p.is_sheet:
        return 0.0
    text = " ".join(str(c) for row in p.first_sheet_rows for c in row if c)
    return 0.9 if "Regions-ID" in text and "Bundesamt für Statistik" in text else 0.0


def read_stattab(ctx: ReadContext) -> Source:
    return read_generic(
        ctx,
        GridHints(
            reader="bfs_stattab", title="BFS STAT-TAB (PxWeb-Export)", markers=SWISS_MARKERS, force_grid=True
        ),
    )


def read_atlas(ctx: ReadContext) -> Source:
    return read_generic(
        ctx,
        GridHints(
            reader="bfs_atlas", title="BFS Statistischer Atlas (XLSX)", markers=SWISS_MARKERS, force_grid=True
        ),
    )


def _parse_px(ctx: ReadContext) -> tuple[Any, dict[str, Any]]:
    try:
        from pyaxis import pyaxis
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InputError("Das Paket pyaxis fehlt.", hint="pip install pyaxis") from exc
    head = ctx.path.read_bytes()[:200].decode("ascii", "replace")
    encoding = "cp1252" if 'CHARSET="ANSI"' in head else (ctx.options.read.encoding or "utf-8")
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # pyaxis prints notes on multilingual files
            px = pyaxis.parse(uri=str(ctx.path), encoding=encoding)
    except Exception as exc:
        raise InputError(
            f"Die PC-Axis-Datei ist nicht lesbar: {exc}",
            file=ctx.path,
            expected="eine PC-Axis-Datei (.px) mit STUB, HEADING, VALUES und DATA",
            hint="Laden Sie die Tabelle erneut im Format PC-Axis herunter.",
        ) from exc
    return px["DATA"], px["METADATA"]


def _meta_list(meta: dict[str, Any], key: str) -> list[str]:
    value = meta.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        out.extend(x.strip().strip('"') for x in str(item).split('","'))
    return out


def read_px(ctx: ReadContext) -> Source:
    data, meta = _parse_px(ctx)
    dims = [c for c in data.columns if c != "DATA"]
    codes = {
        d: dict(zip(_meta_list(meta, f"VALUES({d})"), _meta_list(meta, f"CODES({d})"), strict=False))
        for d in dims
    }
    time_dim = next(
        (d for d in dims if all(re.fullmatch(r"(19|20)\d\d", str(v)) for v in data[d].unique())), None
    )

    def area_rate(d: str) -> float:
        values = [codes[d].get(v, v) for v in data[d].unique()]
        return max(ctx.matcher.match_rate(values), ctx.matcher.match_rate([], list(data[d].unique())))

    named = [d for d in dims if d != time_dim and _AREA_DIM.search(d)]
    area_dim = named[0] if named else max((d for d in dims if d != time_dim), key=area_rate, default=None)
    if area_dim is None or area_rate(area_dim) < 0.3:
        raise InputError(
            f"Die Gebiete der PC-Axis-Tabelle ({area_dim or 'keine Gebietsdimension'}) passen nicht zur "
            f"Raumebene {ctx.matcher.target!r}.",
            file=ctx.path,
            expected="Codes oder Namen der Gebiete dieser Raumebene; Dimensionen: " + ", ".join(dims),
            hint="Wählen Sie mit --layer die passende Raumebene (z. B. kanton).",
        )
    other = [d for d in dims if d not in (time_dim, area_dim)]
    rows = empty_rows()
    variables: dict[str, VariableInfo] = {}
    for i, rec in enumerate(data.itertuples(index=False)):
        r = dict(zip(data.columns, rec, strict=True))
        parts = [c if not c.isdigit() else str(r[d]) for d in other for c in [str(codes[d].get(r[d], r[d]))]]
        labels = [str(r[d]) for d in other]
        var = "_".join(slug(p) for p in parts) or "wert"
        variables.setdefault(var, VariableInfo(label=" – ".join(labels)))
        value = str(r["DATA"]).strip().strip('"')
        rows["_line"].append(i + 1)
        rows["_col"].append("DATA")
        rows["key"].append(codes[area_dim].get(r[area_dim], r[area_dim]) if area_dim else None)
        rows["name"].append(str(r[area_dim]) if area_dim else None)
        rows["period"].append(str(r[time_dim]) if time_dim else None)
        rows["variable"].append(var)
        rows["value"].append(value if value else ".")  # pyaxis turns the marker "." into ""
        rows["num"].append(None)
    name = stage_rows(ctx.con, rows)
    return Source(
        path=ctx.path,
        reader="pcaxis",
        reader_title="PC-Axis (BFS, Statistik Austria, Länder)",
        con=ctx.con,
        name=name,
        n_rows=len(data),
        dialect="PC-Axis",
        key_column=f"Dimension {area_dim!r}" if area_dim else "(keine)",
        period_source=f"Dimension {time_dim!r}" if time_dim else "Option --period",
        has_periods=time_dim is not None,
        decimal=".",
        thousands=None,
        layout=[
            f"PC-Axis: {_meta_list(meta, 'TITLE')[0] if _meta_list(meta, 'TITLE') else ''}",
            "Dimensionen: " + ", ".join(dims),
        ],
        variables=variables,
        temp_tables=[name],
    )


READERS = [
    Reader(
        "pcaxis",
        "PC-Axis (.px)",
        "Bundesamt für Statistik u. a.",
        "bfs_elections_results.px",
        sniff_px,
        read_px,
    ),
    Reader(
        "bfs_stattab",
        "BFS STAT-TAB: Export als CSV oder XLSX",
        "Bundesamt für Statistik",
        "px-x-0102010000_101.csv",
        sniff_stattab,
        read_stattab,
    ),
    Reader(
        "bfs_atlas",
        "BFS Statistischer Atlas: Export als XLSX",
        "Bundesamt für Statistik",
        "27600_131.xlsx",
        sniff_atlas,
        read_atlas,
    ),
]
