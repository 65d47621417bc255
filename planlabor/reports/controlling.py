"""Controlling report (Soll/Ist): the Kennzahlen of every product against the targets of the
contracts, with traffic light (colour and word, so it reads in black and white) and trend."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planlabor.io.export import format_number_de
from planlabor.io.periods import format_period_de

AMPEL = {
    "gruen": ("#2e7d32", "im Soll"),
    "gelb": ("#b26a00", "in der Toleranz"),
    "rot": ("#c62828", "verfehlt"),
    "offen": ("#8a96a3", "kein Ist"),
}


def _f(v: float, decimals: int) -> str:
    return (
        "–" if v is None or (isinstance(v, float) and np.isnan(v)) else format_number_de(float(v), decimals)
    )


def controlling_html(table: pd.DataFrame, kennzahlen: pd.DataFrame, layout: Any, note: str = "") -> str:
    from planlabor.reports.render import render_page

    rows = []
    for r in table.to_dict("records"):
        dec = 0 if r["kennzahl"] in ("kosten", "kosten_je_fall", "faelle") else 1
        colour, word = AMPEL[r["ampel"]]
        rows.append(
            {
                **r,
                "period_de": format_period_de(r["zeitraum"]),
                "soll_de": _f(r["soll"], dec),
                "ist_de": _f(r["ist"], dec),
                "abw_de": _f(r["abweichung_prozent"], 1),
                "prev_de": _f(r["vorjahr"], dec),
                "colour": colour,
                "word": word,
                "trend_word": {True: "besser", False: "schlechter", None: ""}[r["trend_besser"]],
            }
        )
    series = []
    for prod, grp in kennzahlen.groupby("product"):
        series.append(
            {
                "product": prod,
                "rows": [
                    {
                        "period": format_period_de(p),
                        "kosten": _f(k, 0),
                        "faelle": _f(f, 0),
                        "kjf": _f(q, 0),
                    }
                    for p, k, f, q in zip(
                        grp["period"], grp["kosten"], grp["faelle"], grp["kosten_je_fall"], strict=True
                    )
                ],
            }
        )
    return render_page(
        "controlling.html.j2",
        layout,
        "Controlling: Soll-Ist-Vergleich",
        rows=rows,
        series=series,
        note=note,
        ampel=AMPEL,
    )
