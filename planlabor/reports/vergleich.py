"""Comparison report (Regionenvergleich): a region against its most similar peers, across
borders when the layer spans several countries (D-A-CH on NUTS 3).

The peers come from :func:`planlabor.indices.peers.find_peers` on the published values (the
same values the table prints), one figure per indicator shows where the region stands among
its peers, and each indicator's harmonisation note says how the countries' definitions were
made comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from planlabor.areas.hierarchy import ancestor_table
from planlabor.atlas.data import AtlasSource, values_frame
from planlabor.errors import NotFoundError
from planlabor.indices.peers import Peers, find_peers
from planlabor.io.export import format_number_de
from planlabor.io.periods import format_period_de
from planlabor.reports.charts import esc


@dataclass
class Comparison:
    layer: str
    layer_name: str
    target: str
    names: dict[str, str]
    groups: dict[str, str]
    peers: Peers
    rows: list[dict[str, Any]]  # one per indicator: name, unit, period, values {area: v}, note


def top_groups(src: AtlasSource, layer: str) -> pd.Series:
    """Area → the area of the top layer above it (its country for NUTS 3)."""
    anc = ancestor_table(src.store, layer)
    if anc.empty or set(anc["anc_layer"]) == {layer}:
        return pd.Series(dtype=object)
    depth = anc[anc["anc_layer"] != layer].groupby("anc_layer").size()
    top = depth.index[0] if len(depth) == 1 else anc[anc["anc_layer"] != layer]["anc_layer"].iloc[-1]
    rows = anc[anc["anc_layer"] == top]
    names = src.store.areas(top).set_index("area_id")["name"]
    return rows.set_index("area_id")["anc_id"].map(lambda a: names.get(a) or a)


def compare_region(
    src: AtlasSource,
    layer: str,
    area: str,
    indicators: list[str] | None = None,
    period: str | None = None,
    k: int = 5,
    per_group: int | None = None,
    public: bool = True,
) -> Comparison:
    """Find the peers of ``area`` on ``indicators`` (default: all of the catalog's theme
    ``D-A-CH-Vergleich`` on this layer, else all) and collect the comparison table."""
    df = values_frame(src, layer, public)
    if indicators:
        unknown = [i for i in indicators if i not in set(df["indicator_id"])]
        if unknown:
            raise NotFoundError(
                f"Den Indikator {unknown[0]!r} gibt es auf {layer!r} nicht.",
                column="--indicator",
                expected="ein Indikator mit Werten auf dieser Ebene",
            )
        chosen = list(indicators)
    else:
        have = set(df["indicator_id"])
        dach = [i.id for i in src.catalog.all_indicators() if i.theme == "D-A-CH-Vergleich" and i.id in have]
        chosen = dach or sorted(have)
        # counts are no basis for similarity: they measure size, not structure
        chosen = [i for i in chosen if (d := src.catalog.get(i)) is not None and d.kind != "anzahl"]
    groups = top_groups(src, layer)
    rows, columns = [], {}
    for ind in chosen:
        sub = df[(df["indicator_id"] == ind) & df["value"].notna()]
        periods = sorted(sub.loc[sub["area_id"] == area, "period"])
        if period:
            periods = [p for p in periods if p <= period] or periods
        if not periods:
            continue
        # the latest period in which every country (top area) has values, else the latest
        if len(groups):
            wanted = set(groups)
            full = [q for q in periods if set(sub.loc[sub["period"] == q, "area_id"].map(groups)) >= wanted]
            periods = full or periods
        p = periods[-1]
        vals = sub[sub["period"] == p].set_index("area_id")["value"]
        columns[ind] = vals
        d = src.catalog.get(ind)
        rows.append(
            {
                "id": ind,
                "name": d.short_name or d.name if d else ind,
                "unit": d.unit if d else "",
                "decimals": d.decimals if d else 1,
                "period": p,
                "values": vals,
                "note": d.harmonisation if d else "",
                "source": d.source if d else "",
            }
        )
    if not rows:
        raise NotFoundError(
            f"Für {area!r} auf {layer!r} gibt es keine vergleichbaren Werte.", column="--area"
        )
    wide = pd.DataFrame(columns)
    peers = find_peers(wide, area, k=k, groups=groups if len(groups) else None, per_group=per_group)
    names = src.store.areas(layer).set_index("area_id")["name"].to_dict()
    layer_info = src.store.layer(layer)
    return Comparison(
        layer=layer,
        layer_name=layer_info.name if layer_info else layer,
        target=area,
        names={a: names.get(a) or a for a in peers.table["area_id"]},
        groups={a: str(groups.get(a, "")) for a in peers.table["area_id"]},
        peers=peers,
        rows=[r for r in rows if r["id"] in peers.indicators],
    )


def _dots_svg(row: dict[str, Any], ids: list[str], target: str, accent: str = "#004f9f") -> str:
    """Strip chart: the peers as grey dots, the region as a coloured dot, on the indicator's range."""
    vals = [float(row["values"][a]) for a in ids if a in row["values"].index]
    lo, hi = min(vals), max(vals)
    w, h = 220, 18

    def x(v: float) -> float:
        return 6 + (0.5 if hi == lo else (v - lo) / (hi - lo)) * (w - 12)

    parts = [f'<line x1="6" x2="{w - 6}" y1="9" y2="9" stroke="#bbb"/>']
    for a in ids:
        if a in row["values"].index and a != target:
            parts.append(
                f'<circle cx="{x(float(row["values"][a])):.1f}" cy="9" r="4" fill="#888" opacity=".7"/>'
            )
    if target in row["values"].index:
        parts.append(f'<circle cx="{x(float(row["values"][target])):.1f}" cy="9" r="5.5" fill="{accent}"/>')
    label = f"{row['name']}: Lage des Gebiets unter den Vergleichsgebieten"
    return f'<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{esc(label)}">{"".join(parts)}</svg>'


def vergleich_html(c: Comparison, layout: Any) -> str:
    from planlabor.reports.render import render_page

    ids = c.peers.table["area_id"].tolist()
    table = [
        {**r, "dots": _dots_svg(r, ids, c.target, layout.accent), "period_de": format_period_de(r["period"])}
        for r in c.rows
    ]
    values = [
        {
            "name": c.names[a],
            "group": c.groups.get(a, ""),
            "cells": [
                format_number_de(float(r["values"][a]), r["decimals"]) if a in r["values"].index else "–"
                for r in c.rows
            ],
        }
        for a in ids
    ]
    peers = [
        {
            "id": a,
            "name": c.names[a],
            "group": c.groups.get(a, ""),
            "distance": format_number_de(float(d), 2),
        }
        for a, d in zip(c.peers.table["area_id"], c.peers.table["distance"], strict=True)
    ]
    countries = sorted({p["group"] for p in peers if p["group"]})
    return render_page(
        "vergleich.html.j2",
        layout,
        f"Regionenvergleich: {c.names[c.target]}",
        layer=c.layer_name,
        target=c.names[c.target],
        peers=peers,
        rows=table,
        values=values,
        countries=countries,
        excluded=len(c.peers.excluded),
    )
