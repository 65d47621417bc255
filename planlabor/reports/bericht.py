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


@dataclass
class _Context:
    """What every section of one report shares: the data, the layer's index and names, the
    city (the top of the layer chain) and the small areas left out of rankings."""

    data: ReportData
    layer: str
    period: str
    idx: Any
    names: pd.Series
    small: set[str]
    city_layer: str | None
    city_id: str | None
    city_name: str

    def city(self, indicator: str, period: str) -> float | None:
        if not self.city_layer:
            return None
        return self.data._value(self.city_layer, indicator, period, self.city_id)

    def name(self, area: Any) -> str:
        return str(self.names.get(area, area))


def _small_areas(data: ReportData, layer: str, period: str, idx: Any, min_residents: int) -> set[str]:
    """Areas with fewer than ``min_residents`` residents at the latest date up to ``period``."""
    ew_periods = [p for p in data._periods[layer].get("einwohner", []) if p <= period]
    if not ew_periods or min_residents <= 0:
        return set()
    ew = idx[("einwohner", ew_periods[-1])][0]
    return {str(a) for a, x in ew.items() if not np.isnan(x) and x < min_residents}


def _context(data: ReportData, layer: str, period: str | None, min_residents: int) -> _Context:
    period = period or data.latest_period(layer)
    idx = data.index(layer)
    chain = data.chain(layer)
    city_layer = chain[-1] if chain else None
    city_areas = data.areas(city_layer) if city_layer else None
    one = city_areas is not None and len(city_areas) == 1
    city_id = str(city_areas["area_id"].iloc[0]) if one and city_areas is not None else None
    city_name = str(city_areas["name"].iloc[0]) if one and city_areas is not None else "dem Gesamtgebiet"
    names = data.areas(layer).set_index("area_id")["name"]
    small = _small_areas(data, layer, period, idx, min_residents)
    return _Context(data, layer, period, idx, names, small, city_layer, city_id, city_name)


def _unit_suffix(unit: str) -> str:
    return f" {unit}" if unit in ("%",) else (f" ({unit})" if unit else "")


def _lead(ctx: _Context, ind: Any, p: str, city: float | None, top: list[Any], bottom: list[Any]) -> Finding:
    """The sentence on the city value and the areas at both ends."""
    fmt = lambda x, d=ind.decimals: format_number_de(x, d)  # noqa: E731
    lead = f"Am {format_period_de(p)} lag „{ind.name}“"
    if city is not None:
        lead += f" in {ctx.city_name} bei {fmt(city)}{_unit_suffix(ind.unit)}"
    lead += (
        f". Die höchsten Werte hatten {top[0][1]} ({fmt(top[0][2])}), {top[1][1]} ({fmt(top[1][2])}) und "
        f"{top[2][1]} ({fmt(top[2][2])}), die niedrigsten {bottom[0][1]} ({fmt(bottom[0][2])})"
        f" und {bottom[1][1]} ({fmt(bottom[1][2])})."
    )
    return Finding(lead, {"period": p, "city": city, "top": top[:3], "bottom": bottom[:2]})


def _change(ctx: _Context, ind: Any, periods: list[str], v: pd.Series, city: float | None) -> Finding | None:
    """The sentence on the change against a date about three years earlier (None without one)."""
    p = periods[-1]
    before = _change_period(periods, p)
    if not before or (ind.id, before) not in ctx.idx:
        return None
    old = ctx.idx[(ind.id, before)][0]
    old = old[~old.index.isin(ctx.small)]
    both = pd.concat([v.rename("neu"), old.rename("alt")], axis=1).dropna()
    if len(both) < 3:
        return None
    fmt = lambda x, d=ind.decimals: format_number_de(x, d)  # noqa: E731
    diff = (both["neu"] - both["alt"]).sort_values()
    city_old = ctx.city(ind.id, before)
    pp = " Prozentpunkte" if ind.unit == "%" else ""
    text = f"Gegenüber dem {format_period_de(before)}"
    if city is not None and city_old is not None:
        d = city - city_old
        verb = "stieg" if d > 0 else "sank" if d < 0 else "blieb"
        text += f" {verb} der Wert in {ctx.city_name}" + (f" um {fmt(abs(d))}{pp}" if d != 0 else " gleich")
        text += ";"
    up, down = diff.index[-1], diff.index[0]
    rise, fall = fmt(float(diff.iloc[-1])), fmt(float(diff.iloc[0]))
    text += (
        f" am stärksten stieg er in {ctx.name(up)} (+{rise}), am stärksten sank er in "
        f"{ctx.name(down)} ({fall})."
        if diff.iloc[-1] > 0 and diff.iloc[0] < 0
        else f" die Veränderungen in den Gebieten reichen von {fall} bis {rise}."
    )
    numbers = {
        "before": before,
        "city_old": city_old,
        "up": (str(up), float(diff.iloc[-1])),
        "down": (str(down), float(diff.iloc[0])),
    }
    return Finding(text.replace(";.", "."), numbers)


def _map(ctx: _Context, ind: Any, p: str, maps: Any) -> Chart | None:
    if maps is None:
        return None
    values = ctx.idx[(ind.id, p)][0]
    aligned = values[~values.index.duplicated()].reindex(maps.ids).to_numpy(dtype=float)  # NaN: no value
    return maps.choropleth(list(aligned), ind.polarity, ind.name, ind.unit, ind.decimals)


def _section(ctx: _Context, ind: Any, maps: Any, top_n: int) -> Section | None:
    """One indicator's section (None when it has no date up to the report's or < 3 areas)."""
    periods = [p for p in ctx.data._periods[ctx.layer].get(ind.id, []) if p <= ctx.period]
    if ind.unit not in RATE_UNITS or not periods:
        return None
    p = periods[-1]
    v = ctx.idx[(ind.id, p)][0].dropna()
    v = v[~v.index.isin(ctx.small)]
    if len(v) < 3:
        return None
    order = v.sort_values(ascending=False)
    top = [(str(a), ctx.name(a), float(x)) for a, x in order.head(top_n).items()]
    bottom = [(str(a), ctx.name(a), float(x)) for a, x in order.tail(top_n)[::-1].items()]
    city = ctx.city(ind.id, p)
    findings = [_lead(ctx, ind, p, city, top, bottom)]
    change = _change(ctx, ind, periods, v, city)
    if change is not None:
        findings.append(change)
    return Section(
        ind.id, ind.name, ind.unit, ind.decimals, p, city, top, bottom, findings,
        _map(ctx, ind, p, maps), ind.description, ind.source,
    )  # fmt: skip


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
    ctx = _context(data, layer, period, min_residents)
    chapters: dict[str, list[Section]] = {}
    for ind in data.indicators():
        if len(chapters.get(ind.theme, [])) >= max_per_theme:
            continue
        section = _section(ctx, ind, maps, top_n)
        if section is not None:
            chapters.setdefault(ind.theme, []).append(section)
    themes = list(data.src.catalog.themes)
    themes += sorted(set(chapters) - set(themes))
    return ctx.period, [Chapter(t, chapters[t]) for t in themes if t in chapters]


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


@dataclass
class GroupRow:
    indicator: str
    name: str
    unit: str
    decimals: int
    period: str
    group_mean: float
    group_n: int
    city_mean: float
    city_n: int
    city: float | None  # the value of the city itself (top layer), when there is one
    city_sd: float = 0.0  # standard deviation over all areas (the distance in findings)


@dataclass
class GroupChapter:
    """An area group (issue 19) against the city: per rate indicator the mean of the group's areas
    beside the mean of all areas and the city's value, and the group's areas with their values.
    Only published cells count: suppressed ones are left out of the means and shown as •."""

    name: str
    layer: str
    layer_name: str
    areas: list[tuple[str, str]]
    rows: list[GroupRow]
    columns: list[str]
    cells: list[list[str]]
    findings: list[str]

    def typst(self, k: int) -> dict[str, Any]:
        """The chapter as ``sozialbericht.typ`` shows it (number ``k``), all text formatted."""
        head = ["Indikator", "Stand", "Gruppe (Mittel)", "Gebiete mit Wert", "alle Gebiete (Mittel)", "Stadt"]
        rows = [
            [
                r.name + (f" ({r.unit})" if r.unit else ""),
                format_period_de(r.period),
                format_number_de(r.group_mean, r.decimals),
                f"{r.group_n} von {len(self.areas)}",
                format_number_de(r.city_mean, r.decimals),
                "–" if r.city is None else format_number_de(r.city, r.decimals),
            ]
            for r in self.rows
        ]
        areas = [[f"{n} ({a})", *cells] for (a, n), cells in zip(self.areas, self.cells, strict=True)]
        return {
            "title": f"{k}. Gebietsgruppe „{self.name}“",
            "findings": self.findings,
            "head": head,
            "rows": rows,
            "area_head": [self.layer_name, *self.columns],
            "areas": areas,
        }


def _group_row(ctx: _Context, ind: Any, keys: list[str]) -> GroupRow | None:
    periods = [p for p in ctx.data._periods[ctx.layer].get(ind.id, []) if p <= ctx.period]
    if ind.unit not in RATE_UNITS or not periods:
        return None
    p = periods[-1]
    v = ctx.idx[(ind.id, p)][0].dropna()
    mine = v[v.index.isin(keys)]
    if mine.empty:
        return None
    return GroupRow(
        ind.id, ind.name, ind.unit, ind.decimals, p, float(mine.mean()), int(mine.size), float(v.mean()),
        int(v.size), ctx.city(ind.id, p), float(v.std()) if v.size > 1 else 0.0,
    )  # fmt: skip


def _cell(ctx: _Context, r: GroupRow, area: str) -> str:
    from planlabor.io.export import FLAG_SIGNS

    values, flags = ctx.idx[(r.indicator, r.period)][:2]
    x = values.get(area)
    if x is not None and not np.isnan(x):
        return format_number_de(float(x), r.decimals)
    return FLAG_SIGNS.get(str(flags.get(area) or ""), "") or "–"


def _group_findings(name: str, n: int, layer_name: str, rows: list[GroupRow]) -> list[str]:
    out = [
        f"Die Gebietsgruppe „{name}“ umfasst {n} Gebiete der Ebene {layer_name}. Verglichen werden die "
        "Mittelwerte der Gebiete (nicht der Personen) mit dem Mittel aller Gebiete; gesperrte Werte "
        "zählen nicht mit."
    ]
    # distance in standard deviations of all areas: comparable across units, also for indices
    rel = [(r, (r.group_mean - r.city_mean) / r.city_sd) for r in rows if r.city_sd > 0]
    if len(rel) >= 2:
        hi, lo = max(rel, key=lambda t: t[1]), min(rel, key=lambda t: t[1])
        de = lambda r, x: format_number_de(x, r.decimals)  # noqa: E731
        out.append(
            "Gemessen an der Streuung der Gebiete liegt die Gruppe am weitesten über dem Mittel aller "
            f"Gebiete bei „{hi[0].name}“ "
            f"({de(hi[0], hi[0].group_mean)} gegenüber {de(hi[0], hi[0].city_mean)}), am weitesten darunter "
            f"bei „{lo[0].name}“ ({de(lo[0], lo[0].group_mean)} gegenüber {de(lo[0], lo[0].city_mean)})."
        )
    return out


def group_chapter(
    data: ReportData, group: dict[str, Any], period: str | None = None, per_area: int = 6
) -> GroupChapter:
    """The chapter of the stored area ``group`` (``app.groups.stored_group``) at ``period``: rates
    of the group's layer, the first ``per_area`` of them also per area of the group."""
    ctx = _context(data, group["layer"], period, 0)
    keys = [str(k) for k in group["keys"]]
    rows = [r for ind in data.indicators() if (r := _group_row(ctx, ind, keys)) is not None]
    shown = rows[:per_area]
    lay = data.src.store.layer(group["layer"])
    layer_name = (lay.name if lay else group["layer"]) or group["layer"]
    return GroupChapter(
        group["name"], group["layer"], layer_name, [(k, ctx.name(k)) for k in keys], rows,
        [r.name + (f" ({r.unit})" if r.unit else "") for r in shown],
        [[_cell(ctx, r, k) for r in shown] for k in keys],
        _group_findings(group["name"], len(keys), layer_name, rows),
    )  # fmt: skip
