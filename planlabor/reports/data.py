"""The numbers of a report, all from the store through the published-values path.

Every figure a report prints comes from :func:`planlabor.atlas.data.values_frame` (which is
:func:`planlabor.io.export.collect_values` plus suppression): public reports carry only public
indicators, suppressed cells arrive without a number and print as the sign of official
statistics (•).  Nothing is computed twice: ranks and comparisons work on the same values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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
        self._index: dict[str, _LazyIndex] = {}
        self._periods: dict[str, dict[str, list[str]]] = {}
        self._areas: dict[str, pd.DataFrame] = {}
        self._layers = {lay.layer_id: lay for lay in src.store.layers()}
        self._only: list[str] | None = None  # periods loaded (focus on a few profiles); None: all
        self._series: dict[tuple[str, str], _LazyIndex] = {}
        self._by_id: dict[str, pd.DataFrame] = {}
        self._names: dict[str, str] | None = None

    def frame(self, layer: str) -> pd.DataFrame:
        if layer not in self._frames:
            if layer not in self._layers:
                raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht.", column="--layer")
            if self._only is None:
                df = values_frame(self.src, layer, self.public)
            else:
                df = self._load(layer, None, self._only)
            df = df[df["indicator_id"].isin({i.id for i in self.indicators()})]
            self._frames[layer] = df
        return self._frames[layer]

    def _load(self, layer: str, indicators: list[str] | None, periods: list[str] | None) -> pd.DataFrame:
        """Values of ``layer`` as :func:`values_frame` gives them (suppressed when public), for
        some indicators and periods only."""
        ids = indicators or [i.id for i in self.indicators()]
        if not self.public:
            return self.src.store.indicator_values(layer, ids, periods)
        from planlabor.confidentiality.pattern import public_values

        df = public_values(self.src.store, self.src.catalog, self.src.rules, layer, ids, periods)
        sup = df["suppressed"].notna()
        df.loc[sup, "value"] = np.nan
        df.loc[sup, "flag"] = "gesperrt"
        return df

    def focus(self, layer: str, period: str | None) -> None:
        """Load only what profiles of ``layer`` at ``period`` show: each indicator's latest
        period up to it, on every layer; time series load their indicator when asked for.

        For one or a few profiles (a CLI call): a fraction of the rows of all periods. Without
        effect once values are loaded. The numbers are the same as without focus."""
        if self._frames or layer not in self._layers:
            return
        store = self.src.store
        if period is None:
            today = pd.Timestamp.now().strftime("%Y-%m-%d")
            got = store.query_df(
                "SELECT max(period) AS p FROM indicator_values "
                "WHERE layer_id = ? AND value IS NOT NULL AND period <= ?",
                [layer, today],
            )["p"]
            if got.isna().all():
                return
            period = str(got.iloc[0])
        ps = store.query_df(
            "SELECT DISTINCT max(period) AS p FROM indicator_values WHERE layer_id = ? AND period <= ? "
            "GROUP BY indicator_id",
            [layer, period],
        )["p"]
        self._only = sorted({str(p) for p in ps} | {period})
        df = self.frame(layer)
        if not (df["value"].notna() & (df["period"] == period)).any():  # all of it suppressed
            self._frames.clear()  # the full load decides as without focus
            self._only = None

    def index(self, layer: str) -> _LazyIndex:
        """(indicator, period) → values by area, flags by area, sorted valid values (for ranks).

        One grouping of the layer's frame; the series of a key are built when first asked for (a
        profile needs a few dozen of the thousands of keys)."""
        if layer not in self._index:
            out = _LazyIndex(self.frame(layer))
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

    def areas_by_id(self, layer: str) -> pd.DataFrame:
        """The areas of ``layer`` indexed by their key (built once: a profile asks per area)."""
        if layer not in self._by_id:
            self._by_id[layer] = self.areas(layer).set_index("area_id")
        return self._by_id[layer]

    def _layer_name(self, layer: str) -> str:
        if self._names is None:
            self._names = {k: v[0] for k, v in layer_names(self.src.store).items()}
        return self._names[layer]

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
        areas = self.areas_by_id(layer)
        if area_id not in areas.index:
            raise NotFoundError(f"Das Gebiet {area_id!r} gibt es auf {layer!r} nicht.", column="--area")
        period = period or self.latest_period(layer)
        chain = self.chain(layer)
        parent_layer = chain[0] if chain else None
        city_layer = chain[-1] if chain else None
        parent_id = areas.loc[area_id, "parent_id"]
        parent_name = None
        if parent_layer and isinstance(parent_id, str):
            pa = self.areas_by_id(parent_layer)
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
            hit = idx.cell((ind.id, p), area_id)
            if hit is None:
                continue
            value, flag = hit
            ordered = idx.ordered((ind.id, p))
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
            self._layer_name(layer),
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
        chain = self.chain(layer)
        today = pd.Timestamp.now().strftime("%Y-%m-%d")
        if self._only is None:
            idx = self.index(layer)
            periods = self._periods[layer].get(indicator, [])
        else:  # focused: this indicator's periods are loaded now
            idx = self._series_index(layer, indicator)
            periods = sorted({p for i, p in idx if i == indicator})
        out = []
        for p in periods:
            if p > today:
                continue
            hit = idx.cell((indicator, p), area_id)
            par = self._value(chain[0], indicator, p, parent_id, True) if chain and parent_id else None
            cit = self._value(chain[-1], indicator, p, city_id, True) if chain and city_id else None
            out.append((str(p), hit[0] if hit else None, par, cit))
        return out

    def prefetch_series(self, layer: str, indicators: list[str]) -> None:
        """Load the time series of ``indicators`` for ``layer``, its parent layer and the city in
        one query per layer (focused data only: else they are loaded already). Without this,
        :meth:`series` loads one indicator and layer at a time."""
        want = [i for i in indicators if (layer, i) not in self._series]
        if self._only is None or not want:
            return
        chain = self.chain(layer)
        for lay in dict.fromkeys([layer, *chain[:1], *chain[-1:]]):
            idx = _LazyIndex(self._load(lay, want, None))
            for i in want:
                self._series[(lay, i)] = idx

    def _series_index(self, layer: str, indicator: str) -> _LazyIndex:
        if (layer, indicator) not in self._series:
            self._series[(layer, indicator)] = _LazyIndex(self._load(layer, [indicator], None))
        return self._series[(layer, indicator)]

    def _value(
        self, layer: str | None, indicator: str, period: str, area_id: str | None, series: bool = False
    ) -> float | None:
        if not layer or area_id is None:
            return None
        idx = self._series_index(layer, indicator) if series and self._only is not None else self.index(layer)
        hit = idx.cell((indicator, period), area_id)
        return None if hit is None else hit[0]


class _LazyIndex(Mapping[tuple[str, str], tuple[pd.Series, pd.Series, np.ndarray]]):
    """The groups (indicator, period) of a values frame; each group's series built on first use.

    A profile asks a few dozen single cells (:meth:`cell`) and the sorted values of a group
    (:meth:`ordered`): both come from plain arrays and a dict per group, without building pandas
    Series (which cost more than the whole lookup); the Sozialbericht takes the Series."""

    def __init__(self, df: pd.DataFrame) -> None:
        self._area = df["area_id"].to_numpy(dtype=object)
        self._value = df["value"].to_numpy(dtype=float)
        self._flag = df["flag"].to_numpy(dtype=object)
        groups: dict[Any, Any] = df.groupby(["indicator_id", "period"], sort=False).indices
        self._rows = {(str(k[0]), str(k[1])): rows for k, rows in groups.items()}
        self._built: dict[tuple[str, str], tuple[pd.Series, pd.Series, np.ndarray]] = {}
        self._pos: dict[tuple[str, str], dict[Any, int]] = {}
        self._sorted: dict[tuple[str, str], np.ndarray] = {}

    def __getitem__(self, key: tuple[str, str]) -> tuple[pd.Series, pd.Series, np.ndarray]:
        hit = self._built.get(key)
        if hit is None:
            rows = self._rows[key]
            v = pd.Series(self._value[rows], index=self._area[rows])
            f = pd.Series(self._flag[rows], index=self._area[rows])
            hit = self._built[key] = (v, f, self.ordered(key))
        return hit

    def cell(self, key: tuple[str, str], area_id: Any) -> tuple[float | None, str | None] | None:
        """Value and flag of one area in group ``key`` (None: no row for the area or the key)."""
        pos = self._pos.get(key)
        if pos is None:
            rows = self._rows.get(key)
            if rows is None:
                return None
            pos = self._pos[key] = dict(zip(self._area[rows].tolist(), rows.tolist(), strict=True))
        row = pos.get(area_id)
        if row is None:
            return None
        flag = self._flag[row]
        return _num(self._value[row]), flag if isinstance(flag, str) else None

    def ordered(self, key: tuple[str, str]) -> np.ndarray:
        """The group's valid values, sorted (for ranks and quintiles)."""
        hit = self._sorted.get(key)
        if hit is None:
            v = self._value[self._rows[key]]
            hit = self._sorted[key] = np.sort(v[~np.isnan(v)])
        return hit

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if np.isnan(f) else f
