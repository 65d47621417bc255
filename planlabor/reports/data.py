"""The numbers of a report, all from the store through the published-values path.

Every figure a report prints comes from :func:`planlabor.atlas.data.values_frame` (which is
:func:`planlabor.io.export.collect_values` plus suppression): public reports carry only public
indicators, suppressed cells arrive without a number and print as the sign of official
statistics (•).  Nothing is computed twice: ranks and comparisons work on the same values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planlabor.areas.names import layer_names
from planlabor.atlas.data import AtlasSource, values_frame
from planlabor.errors import NotFoundError
from planlabor.io.export import FLAG_SIGNS, format_number_de
from planlabor.io.periods import format_period_de


@dataclass
class Figure:
    indicator: str
    name: str
    unit: str
    decimals: int
    period: str
    value: float | None
    flag: str | None
    parent: float | None
    city: float | None
    rank: int | None
    of: int
    polarity: str
    klasse: int | None = None  # quintile among the areas of the layer (1 = lowest fifth, 5 = highest)

    def fmt(self, v: float | None) -> str:
        return "–" if v is None else format_number_de(v, self.decimals)

    @property
    def shown(self) -> str:
        if self.value is None:
            return FLAG_SIGNS.get(self.flag or "", "") or "–"
        return self.fmt(self.value)

    @property
    def period_de(self) -> str:
        return format_period_de(self.period)


@dataclass
class ProfileData:
    layer: str
    layer_name: str
    area_id: str
    name: str
    parent_layer: str | None
    parent_name: str | None
    city_name: str | None
    period: str
    themes: list[tuple[str, list[Figure]]]
    series: dict[str, list[tuple[str, float | None, float | None, float | None]]] = field(
        default_factory=dict
    )

    @property
    def stand(self) -> str:
        """The dates of the values shown: one date, or the span when rows differ (never a single
        date over older values).

        >>> ProfileData("l", "Gebiet", "1", "A", None, None, None, "2024-12-31", []).stand
        'Stand 31.12.2024'
        """
        shown = sorted({f.period for _, figs in self.themes for f in figs}) or [self.period]
        if len(shown) == 1:
            return f"Stand {format_period_de(shown[0])}"
        return (
            f"Werte vom {format_period_de(shown[0])} bis {format_period_de(shown[-1])} "
            "(Stand je Zeile in der Tabelle)"
        )


class ReportData:
    """Values of all layers of a workspace for reports, loaded once per layer."""

    def __init__(self, src: AtlasSource, public: bool = True) -> None:
        self.src = src
        self.public = public
        self._frames: dict[str, pd.DataFrame] = {}
        self._index: dict[str, dict[tuple[str, str], tuple[pd.Series, pd.Series, np.ndarray]]] = {}
        self._periods: dict[str, dict[str, list[str]]] = {}
        self._areas: dict[str, pd.DataFrame] = {}
        self._layers = {lay.layer_id: lay for lay in src.store.layers()}

    def frame(self, layer: str) -> pd.DataFrame:
        if layer not in self._frames:
            if layer not in self._layers:
                raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht.", column="--layer")
            df = values_frame(self.src, layer, self.public)
            df = df[df["indicator_id"].isin({i.id for i in self.indicators()})]
            self._frames[layer] = df
        return self._frames[layer]

    def index(self, layer: str) -> dict[tuple[str, str], tuple[pd.Series, pd.Series, np.ndarray]]:
        """(indicator, period) → values by area, flags by area, sorted valid values (for ranks)."""
        if layer not in self._index:
            out = {}
            for (iid, p), g in self.frame(layer).groupby(["indicator_id", "period"], sort=False):
                v = pd.Series(g["value"].to_numpy(dtype=float), index=g["area_id"].to_numpy())
                f = pd.Series(g["flag"].to_numpy(dtype=object), index=g["area_id"].to_numpy())
                out[(str(iid), str(p))] = (v, f, np.sort(v.dropna().to_numpy()))
            self._index[layer] = out
            periods: dict[str, list[str]] = {}
            for iid, p in out:
                periods.setdefault(iid, []).append(p)
            self._periods[layer] = {k: sorted(v) for k, v in periods.items()}
        return self._index[layer]

    def indicators(self) -> list[Any]:
        return [i for i in self.src.catalog.all_indicators() if i.public or not self.public]

    def chain(self, layer: str) -> list[str]:
        out, cur = [], self._layers[layer].parent_layer
        while cur and cur in self._layers and cur not in out:
            out.append(cur)
            cur = self._layers[cur].parent_layer
        return out

    def areas(self, layer: str) -> pd.DataFrame:
        if layer not in self._areas:
            self._areas[layer] = self.src.store.areas(layer)
        return self._areas[layer]

    def latest_period(self, layer: str) -> str:
        df = self.frame(layer)
        today = pd.Timestamp.now().strftime("%Y-%m-%d")
        observed = sorted(p for p in df.loc[df["value"].notna(), "period"].unique() if p <= today)
        if not observed:
            raise NotFoundError(
                f"Auf {layer!r} gibt es keine Werte.", hint="Rechnen Sie 'planlabor compute'."
            )
        return str(observed[-1])

    def profile(self, layer: str, area_id: str, period: str | None = None) -> ProfileData:
        """Key figures of one area against its parent area and the city, with ranks."""
        self.frame(layer)
        areas = self.areas(layer).set_index("area_id")
        if area_id not in areas.index:
            raise NotFoundError(f"Das Gebiet {area_id!r} gibt es auf {layer!r} nicht.", column="--area")
        period = period or self.latest_period(layer)
        chain = self.chain(layer)
        parent_layer = chain[0] if chain else None
        city_layer = chain[-1] if chain else None
        parent_id = areas.loc[area_id, "parent_id"]
        parent_name = None
        if parent_layer and isinstance(parent_id, str):
            pa = self.areas(parent_layer).set_index("area_id")
            parent_name = str(pa.loc[parent_id, "name"]) if parent_id in pa.index else None
        city_areas = self.areas(city_layer) if city_layer else None
        city_id = (
            str(city_areas["area_id"].iloc[0]) if city_areas is not None and len(city_areas) == 1 else None
        )
        themes: dict[str, list[Figure]] = {}
        idx = self.index(layer)
        for ind in self.indicators():
            periods = [p for p in self._periods[layer].get(ind.id, []) if p <= period]
            if not periods:
                continue
            p = periods[-1]
            v, f, ordered = idx[(ind.id, p)]
            if area_id not in v.index:
                continue
            value = _num(v[area_id])
            flag = f[area_id] if isinstance(f[area_id], str) else None
            rank = (
                int(ordered.size - np.searchsorted(ordered, value, side="right") + 1)
                if value is not None
                else None
            )
            klasse = None
            if value is not None and ordered.size >= 5:
                klasse = int(
                    np.searchsorted(np.quantile(ordered, [0.2, 0.4, 0.6, 0.8]), value, side="left") + 1
                )
            themes.setdefault(ind.theme, []).append(
                Figure(
                    ind.id,
                    ind.name,
                    ind.unit,
                    ind.decimals,
                    p,
                    value,
                    flag,
                    self._value(parent_layer, ind.id, p, parent_id) if isinstance(parent_id, str) else None,
                    self._value(city_layer, ind.id, p, city_id) if city_id else None,
                    rank,
                    int(ordered.size),
                    ind.polarity,
                    klasse,
                )
            )
        order = list(self.src.catalog.themes) + sorted(set(themes) - set(self.src.catalog.themes))
        data = ProfileData(
            layer,
            layer_names(self.src.store)[layer][0],
            area_id,
            str(areas.loc[area_id, "name"]),
            parent_layer,
            parent_name,
            str(city_areas["name"].iloc[0]) if city_id and city_areas is not None else None,
            period,
            [(t, themes[t]) for t in order if t in themes],
        )
        return data

    def series(
        self, layer: str, area_id: str, indicator: str, parent_id: str | None, city_id: str | None
    ) -> list[tuple[str, float | None, float | None, float | None]]:
        """Time series of one indicator: (period, area, parent, city), observed periods only."""
        idx = self.index(layer)
        chain = self.chain(layer)
        today = pd.Timestamp.now().strftime("%Y-%m-%d")
        out = []
        for p in self._periods[layer].get(indicator, []):
            if p > today:
                continue
            vals = idx[(indicator, p)][0]
            v = vals.get(area_id)
            par = self._value(chain[0], indicator, p, parent_id) if chain and parent_id else None
            cit = self._value(chain[-1], indicator, p, city_id) if chain and city_id else None
            out.append((str(p), _num(v), par, cit))
        return out

    def _value(self, layer: str | None, indicator: str, period: str, area_id: str | None) -> float | None:
        if not layer or area_id is None:
            return None
        hit = self.index(layer).get((indicator, period))
        if hit is None:
            return None
        return _num(hit[0].get(area_id))


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if np.isnan(f) else f
