"""Progress report of an action plan (Fortschrittsbericht UN-BRK): status per field of action,
overdue items, every item with responsible unit and deadline, and the linked indicators for the
whole city (first and latest published value)."""

from __future__ import annotations

from datetime import date
from typing import Any

from planlabor.atlas.data import AtlasSource, values_frame
from planlabor.io.export import format_number_de
from planlabor.io.periods import format_period_de
from planlabor.planning.actionplan import Progress
from planlabor.planning.measures import STATUS
from planlabor.reports.charts import esc

STATUS_COLOURS = {
    "geplant": "#8a96a3",
    "begonnen": "#2f6db5",
    "umgesetzt": "#2e7d32",
    "verzögert": "#b26a00",
    "verschoben": "#b26a00",
    "aufgegeben": "#6d4c41",
}


def city_series(src: AtlasSource, indicator: str, public: bool = True) -> dict[str, Any] | None:
    """First and latest value of ``indicator`` on the top layer holding it (the city)."""
    layers = [lay for lay in src.store.layers() if len(src.store.areas(lay.layer_id)) == 1]
    d = src.catalog.get(indicator)
    if d is None:
        return None
    for lay in layers:
        df = values_frame(src, lay.layer_id, public)
        sub = df[(df["indicator_id"] == indicator) & df["value"].notna()].sort_values("period")
        if len(sub):
            first, last = sub.iloc[0], sub.iloc[-1]
            return {
                "id": indicator,
                "name": d.name,
                "unit": d.unit,
                "first": format_number_de(float(first["value"]), d.decimals),
                "first_period": format_period_de(str(first["period"])),
                "last": format_number_de(float(last["value"]), d.decimals),
                "last_period": format_period_de(str(last["period"])),
                "area": last["area_name"],
            }
    return {
        "id": indicator,
        "name": d.name,
        "unit": d.unit,
        "first": "–",
        "last": "–",
        "first_period": "",
        "last_period": "",
        "area": "",
    }


def aktionsplan_html(
    p: Progress, src: AtlasSource, layout: Any, title: str = "Aktionsplan UN-BRK", public: bool = True
) -> str:
    from planlabor.reports.render import render_page

    linked = sorted({i for m in p.items for i in m.indicators})
    indicators = [x for x in (city_series(src, i, public) for i in linked) if x]
    fields = p.by_field.to_dict("records")
    bars = []
    for f in fields:
        parts, x = [], 0.0
        for s in STATUS:
            n = f[s]
            if not n:
                continue
            w = n / f["gesamt"] * 300
            parts.append(
                f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="14" fill="{STATUS_COLOURS[s]}"><title>{esc(s)}: {n}</title></rect>'
            )
            x += w
        label = ", ".join(f"{s} {f[s]}" for s in STATUS if f[s])
        bars.append(
            f'<svg viewBox="0 0 300 14" width="100%" height="14" role="img" aria-label="{esc(f["handlungsfeld"])}: {esc(label)}">{"".join(parts)}</svg>'
        )
    items = sorted(p.items, key=lambda m: (m.field_of_action, m.measure_id))
    names = {i: (d.short_name or d.name) for i in linked if (d := src.catalog.get(i)) is not None}
    return render_page(
        "aktionsplan.html.j2",
        layout,
        f"Fortschrittsbericht {title}",
        today=p.on.strftime("%d.%m.%Y"),
        p=p,
        share=format_number_de(p.share_done * 100, 0),
        fields=list(zip(fields, bars, strict=True)),
        statuses=STATUS,
        colours=STATUS_COLOURS,
        overdue=p.overdue,
        items=items,
        indicators=indicators,
        names=names,
        fmt_date=lambda d: d.strftime("%d.%m.%Y") if isinstance(d, date) else "–",
    )
