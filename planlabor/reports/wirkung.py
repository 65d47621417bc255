"""Report of an effect estimate (Wirkungsanalyse): the statement in plain German, the event-study
chart, the means of both groups over time, the effect per measure area and the limits.

Only aggregate results are printed (estimates, group means over at least two areas, effects per
area as differences); the values of single areas do not appear, so the report may be published.
"""

from __future__ import annotations

from typing import Any

from planlabor.io.export import format_number_de
from planlabor.io.periods import format_period_de
from planlabor.reports.charts import esc


def _short(period: str) -> str:
    """Compact axis label: ``2019-12-31`` → ``12/19``, ``2021-H1`` → ``H1/21``, ``2020`` stays."""
    if len(period) == 10 and period[4] == "-":
        return f"{period[5:7]}/{period[2:4]}"
    if len(period) == 7 and period[4:6] == "-H":
        return f"H{period[6]}/{period[2:4]}"
    return period


def event_svg(
    event: list[dict[str, Any]], unit: str, decimals: int, title: str, accent: str = "#004f9f"
) -> str:
    """Event-study chart: coefficient and interval per period relative to the start (the colour is
    given as a value: the PDF engine does not resolve CSS variables inside SVG)."""
    w, h, left, right, top, bottom = 520.0, 220.0, 52.0, 10.0, 10.0, 42.0
    lows = [float(e["low"]) for e in event] + [0.0]
    highs = [float(e["high"]) for e in event] + [0.0]
    lo, hi = min(lows), max(highs)
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad
    n = len(event)

    def x(i: int) -> float:
        return left + (i + 0.5) * (w - left - right) / n

    def y(v: float) -> float:
        return top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom)

    parts = [
        f'<line x1="{left}" x2="{w - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#555" stroke-width="0.8"/>'
    ]
    for v in (lo + pad, (lo + hi) / 2, hi - pad):
        parts.append(
            f'<text x="{left - 4}" y="{y(v) + 3:.1f}" font-size="9" text-anchor="end">{format_number_de(v, decimals)}</text>'
        )
    start = next((i for i, e in enumerate(event) if int(e["rel"]) == 0), None)
    if start is not None:
        xs = (x(start) + x(start - 1)) / 2 if start > 0 else x(0)
        parts.append(
            f'<line x1="{xs:.1f}" x2="{xs:.1f}" y1="{top}" y2="{h - bottom}" stroke="{accent}" stroke-dasharray="4 3"/>'
            f'<text x="{xs + 3:.1f}" y="{top + 9}" font-size="9" fill="{accent}">Beginn</text>'
        )
    for i, e in enumerate(event):
        cx = x(i)
        colour = accent if int(e["rel"]) >= 0 else "#666"
        parts.append(
            f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(float(e["high"])):.1f}" y2="{y(float(e["low"])):.1f}" '
            f'stroke="{colour}" stroke-width="1.4"/>'
            f'<circle cx="{cx:.1f}" cy="{y(float(e["coef"])):.1f}" r="3.5" fill="{colour}"/>'
            f'<text x="{cx:.1f}" y="{h - bottom + 13}" font-size="8.5" text-anchor="middle">'
            f"{_short(str(e['period']))}</text>"
            f'<text x="{cx:.1f}" y="{h - bottom + 25}" font-size="8.5" text-anchor="middle" fill="#555">'
            f"{int(e['rel']):+d}</text>"
        )
    desc = "; ".join(
        f"{format_period_de(str(e['period']))}: {format_number_de(float(e['coef']), decimals)}" for e in event
    )
    return (
        f'<svg viewBox="0 0 {w:.0f} {h:.0f}" width="100%" role="img" aria-label="{esc(title)}. '
        f'Abweichung der Maßnahmengebiete je Zeitraum ({esc(unit)}): {esc(desc)}">{"".join(parts)}</svg>'
    )


def wirkung_html(
    measure: Any, result: dict[str, Any], reading: dict[str, Any], definition: Any, layout: Any
) -> str:
    from planlabor.reports.render import render_page

    dec = definition.decimals
    means = [
        {
            "period": format_period_de(str(m["period"])),
            "treated": format_number_de(float(m["treated"]), dec),
            "control": format_number_de(float(m["control"]), dec),
        }
        for m in result["means"]
    ]
    by_area = [
        {"area": a["area_id"], "estimate": format_number_de(float(a["estimate"]), dec)}
        for a in result["by_area"]
    ]
    title = f"Wirkungsanalyse: {measure.name}"
    return render_page(
        "wirkung.html.j2",
        layout,
        title,
        m=measure,
        indicator=definition,
        r=result,
        reading=reading,
        chart=event_svg(
            result["event"], definition.unit, dec, f"Ereignisstudie {definition.name}", layout.accent
        ),
        means=means,
        by_area=by_area,
        estimate=format_number_de(float(result["estimate"]), dec),
        ci=[format_number_de(float(v), dec) for v in result["ci"]],
        start=measure.start_date.strftime("%d.%m.%Y") if measure.start_date else "",
        budget=format_number_de(measure.budget, 0) + " €" if measure.budget else "–",
    )
