"""The integrated Sozialbericht: chapters by Fachthema with maps, tables and generated findings.

For every theme the report shows the rates and indices of the chosen layer at the chosen date:
a map (quantile classes), the city value, the areas with the highest and lowest values, and the
change against an earlier date.  The findings are sentences built from exactly these numbers
(:class:`Finding` keeps the numbers it states, so tests can check each sentence against the
store).  Counts (persons, places) are listed, not mapped: a map of counts mostly shows area size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planlabor.io.export import format_number_de
from planlabor.io.periods import format_period_de, period_end
from planlabor.reports.charts import Chart
from planlabor.reports.data import ReportData

RATE_UNITS = ("%", "je 100", "je 100 EW", "je 1.000", "Prozentpunkte", "Index")


@dataclass
class Finding:
    text: str
    numbers: dict[str, Any] = field(default_factory=dict)


@dataclass
class Section:
    indicator: str
    name: str
    unit: str
    decimals: int
    period: str
    city: float | None
    top: list[tuple[str, str, float]]
    bottom: list[tuple[str, str, float]]
    findings: list[Finding]
    map: Chart | None = None
    description: str = ""
    source: str = ""


@dataclass
class Chapter:
    theme: str
    sections: list[Section]


def _change_period(periods: list[str], period: str, years: int = 3) -> str | None:
    """The latest period at least ``years`` years before ``period`` on the same day of year."""
    end = period_end(period)
    earlier = [p for p in periods if period_end(p) <= end.replace(year=end.year - years)]
    same_day = [p for p in earlier if period_end(p).strftime("%m-%d") == end.strftime("%m-%d")]
    pick = same_day or earlier
    return pick[-1] if pick else None


def build_chapters(
    data: ReportData,
    layer: str,
    period: str | None = None,
    maps: Any = None,
    top_n: int = 5,
    max_per_theme: int = 8,
    min_residents: int = 300,
) -> tuple[str, list[Chapter]]:
    """Chapters of the report (themes in catalog order); ``maps`` renders choropleths if given.

    Areas with fewer than ``min_residents`` (indicator ``einwohner``; the MSS rule) are left out
    of the rankings and changes, where rates of a few people swing widely; the maps show them.
    """
    period = period or data.latest_period(layer)
    idx = data.index(layer)
    small: set[str] = set()
    ew_periods = [p for p in data._periods[layer].get("einwohner", []) if p <= period]
    if ew_periods and min_residents > 0:
        ew = idx[("einwohner", ew_periods[-1])][0]
        small = {str(a) for a, x in ew.items() if not np.isnan(x) and x < min_residents}
    names = data.areas(layer).set_index("area_id")["name"]
    chain = data.chain(layer)
    city_layer = chain[-1] if chain else None
    city_areas = data.areas(city_layer) if city_layer else None
    city_id = str(city_areas["area_id"].iloc[0]) if city_areas is not None and len(city_areas) == 1 else None
    city_name = str(city_areas["name"].iloc[0]) if city_id and city_areas is not None else "dem Gesamtgebiet"
    chapters: dict[str, list[Section]] = {}
    for ind in data.indicators():
        if ind.unit not in RATE_UNITS:
            continue
        periods = [p for p in data._periods[layer].get(ind.id, []) if p <= period]
        if not periods:
            continue
        p = periods[-1]
        v = idx[(ind.id, p)][0].dropna()
        v = v[~v.index.isin(small)]
        if len(v) < 3:
            continue
        if len(chapters.get(ind.theme, [])) >= max_per_theme:
            continue
        order = v.sort_values(ascending=False)
        top = [(str(a), str(names.get(a, a)), float(x)) for a, x in order.head(top_n).items()]
        bottom = [(str(a), str(names.get(a, a)), float(x)) for a, x in order.tail(top_n)[::-1].items()]
        city = data._value(city_layer, ind.id, p, city_id) if city_layer else None
        fmt = lambda x, d=ind.decimals: format_number_de(x, d)  # noqa: E731
        unit = f" {ind.unit}" if ind.unit in ("%",) else (f" ({ind.unit})" if ind.unit else "")
        findings = []
        lead = f"Am {format_period_de(p)} lag „{ind.name}“"
        if city is not None:
            lead += f" in {city_name} bei {fmt(city)}{unit}"
        lead += (
            f". Die höchsten Werte hatten {top[0][1]} ({fmt(top[0][2])}), {top[1][1]} ({fmt(top[1][2])}) und "
            f"{top[2][1]} ({fmt(top[2][2])}), die niedrigsten {bottom[0][1]} ({fmt(bottom[0][2])})"
            f" und {bottom[1][1]} ({fmt(bottom[1][2])})."
        )
        findings.append(Finding(lead, {"period": p, "city": city, "top": top[:3], "bottom": bottom[:2]}))
        before = _change_period(periods, p)
        if before and (ind.id, before) in idx:
            old = idx[(ind.id, before)][0]
            old = old[~old.index.isin(small)]
            both = pd.concat([v.rename("neu"), old.rename("alt")], axis=1).dropna()
            if len(both) >= 3:
                diff = (both["neu"] - both["alt"]).sort_values()
                city_old = data._value(city_layer, ind.id, before, city_id) if city_layer else None
                pp = " Prozentpunkte" if ind.unit == "%" else ""
                text = f"Gegenüber dem {format_period_de(before)}"
                if city is not None and city_old is not None:
                    d = city - city_old
                    verb = "stieg" if d > 0 else "sank" if d < 0 else "blieb"
                    text += f" {verb} der Wert in {city_name}" + (
                        f" um {fmt(abs(d))}{pp}" if d != 0 else " gleich"
                    )
                    text += ";"
                up, down = diff.index[-1], diff.index[0]
                rise, fall = fmt(float(diff.iloc[-1])), fmt(float(diff.iloc[0]))
                text += (
                    f" am stärksten stieg er in {names.get(up, up)} (+{rise}), am stärksten sank er in "
                    f"{names.get(down, down)} ({fall})."
                    if diff.iloc[-1] > 0 and diff.iloc[0] < 0
                    else " die Veränderungen in den Gebieten reichen von "
                    f"{fmt(float(diff.iloc[0]))} bis {fmt(float(diff.iloc[-1]))}."
                )
                findings.append(
                    Finding(
                        text.replace(";.", "."),
                        {
                            "before": before,
                            "city_old": city_old,
                            "up": (str(up), float(diff.iloc[-1])),
                            "down": (str(down), float(diff.iloc[0])),
                        },
                    )
                )
        chart = None
        if maps is not None:
            aligned = [
                None if (x := idx[(ind.id, p)][0].get(a)) is None or np.isnan(x) else float(x)
                for a in maps.ids
            ]
            chart = maps.choropleth(aligned, ind.polarity, ind.name, ind.unit, ind.decimals)
        chapters.setdefault(ind.theme, []).append(
            Section(
                ind.id,
                ind.name,
                ind.unit,
                ind.decimals,
                p,
                city,
                top,
                bottom,
                findings,
                chart,
                ind.description,
                ind.source,
            )
        )
    themes = list(data.src.catalog.themes)
    themes += sorted(set(chapters) - set(themes))
    return period, [Chapter(t, chapters[t]) for t in themes if t in chapters]


def data_stand(chapters: list[Chapter]) -> str:
    """The date of the report's data as the chapters show it: the most frequent date of the
    sections, with the other dates named (the cover must not promise a newer date).

    >>> sec = lambda p: Section("i", "I", "%", 1, p, None, [], [], [])
    >>> data_stand([Chapter("T", [sec("2024-12-31"), sec("2024-12-31"), sec("2020-12-31")])])
    'Datenstand 31.12.2024 (einzelne Indikatoren: 31.12.2020)'
    """
    from collections import Counter

    counts = Counter(s.period for ch in chapters for s in ch.sections)
    if not counts:
        return "Datenstand –"
    main = max(counts, key=lambda p: (counts[p], p))
    others = sorted(set(counts) - {main}, reverse=True)
    text = f"Datenstand {format_period_de(main)}"
    if others:
        text += " (einzelne Indikatoren: " + ", ".join(format_period_de(p) for p in others) + ")"
    return text


def summary(chapters: list[Chapter], per_theme: int = 2) -> list[tuple[str, list[str]]]:
    """The main findings across themes: per theme the sections whose city value changed most
    (relative to its size), each in one sentence with the city value, the change and the areas
    at both ends."""
    out = []
    for ch in chapters:

        def weight(s: Section) -> float:
            ch_ = next((f.numbers for f in s.findings if "city_old" in f.numbers), None)
            if not ch_ or s.city is None or ch_["city_old"] in (None, 0):
                return 0.0
            return abs(s.city - ch_["city_old"]) / abs(ch_["city_old"])

        picked = sorted(ch.sections, key=weight, reverse=True)[:per_theme]
        sentences = []
        for s in picked:
            de = lambda x, d=s.decimals: format_number_de(x, d)  # noqa: E731
            unit = f" {s.unit}" if s.unit == "%" else (f" ({s.unit})" if s.unit else "")
            text = f"{s.name}: "
            text += f"{de(s.city)}{unit} am {format_period_de(s.period)}" if s.city is not None else ""
            change = next((f.numbers for f in s.findings if "city_old" in f.numbers), None)
            if change and s.city is not None and change["city_old"] is not None:
                d = s.city - change["city_old"]
                pp = " Prozentpunkte" if s.unit == "%" else ""
                word = "mehr" if d > 0 else "weniger"
                text += (
                    f", {de(abs(d))}{pp} {word} als am {format_period_de(change['before'])}"
                    if round(d, s.decimals) != 0
                    else f", so viel wie am {format_period_de(change['before'])}"
                )
            if s.top and s.bottom:
                hi, lo = s.top[0], s.bottom[0]
                text += f"; am höchsten in {hi[1]} ({de(hi[2])}), am niedrigsten in {lo[1]} ({de(lo[2])})"
            sentences.append(text.replace(": ;", ":").rstrip() + ".")
        if sentences:
            out.append((ch.theme, sentences))
    return out
