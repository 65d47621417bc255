"""Segregation of a population group across the areas of a layer, with PySAL ``segregation``.

Measures (Duncan & Duncan 1955; Bell 1954; Theil 1972; Massey & Denton 1988, as implemented by
PySAL ``segregation``): dissimilarity D (the Segregationsindex of a group against the rest),
isolation xPx, interaction xPy, entropy H, the Gini coefficient and, with geometries, the spatial
dissimilarity (queen contiguity).  Inference by random relabelling (``SingleValueTest``), the
change between two periods by random labelling (both tests as PySAL's ``SingleValueTest`` and
``TwoValueTest``, drawn here from a generator seeded by ``seed`` alone); local location quotients
per area.

Caveats shown with every result: D depends on the group's share and on the size of the areas
(modifiable areal unit problem) and is blind to the spatial pattern (see the spatial variant
and the hot-spot analysis).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.store import Store

CAVEATS = (
    "Der Dissimilaritätsindex hängt vom Anteil der Gruppe und von der Größe der Gebiete ab "
    "(Problem der veränderbaren Gebietseinheit) und misst keine räumliche Anordnung: benachbarte "
    "Gebiete mit hohem Anteil zählen wie verstreute. Vergleiche nur bei gleicher Gebietsgliederung."
)

MEASURES = ("dissimilarity", "isolation", "interaction", "entropy", "gini")


@dataclass
class SegregationResult:
    period: str
    group: str
    total: str
    n_areas: int
    group_share: float
    values: dict[str, float]
    p_values: dict[str, float] = field(default_factory=dict)
    caveats: str = CAVEATS


def _quiet() -> Any:
    import os

    os.environ.setdefault("TQDM_DISABLE", "1")  # PySAL's permutation loops draw progress bars
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")
    return ctx


def measures(
    df: pd.DataFrame,
    group: str,
    total: str,
    geometry: Any = None,
    permutations: int = 0,
    seed: int = 0,
    crs: str | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Global measures of ``df`` (one row per area) and permutation p-values (if asked)."""
    from segregation import singlegroup as sg

    data = df[[group, total]].astype(float)
    data = data[(data[total] > 0) & data[group].notna()]
    if len(data) < 2:
        raise InputError("Für Segregationsmaße braucht es mindestens zwei Gebiete mit Einwohner:innen.")
    if (data[group] > data[total]).any():
        raise InputError(
            f"{group} ist in mindestens einem Gebiet größer als {total}.",
            column=group,
            expected="die Gruppe ist Teil der Gesamtbevölkerung",
        )
    classes = {
        "dissimilarity": sg.Dissim,
        "isolation": sg.Isolation,
        "interaction": sg.Interaction,
        "entropy": sg.Entropy,
        "gini": sg.Gini,
    }
    out: dict[str, float] = {}
    pvals: dict[str, float] = {}
    ctx = _quiet()
    try:
        for name, cls in classes.items():
            idx = cls(data, group_pop_var=group, total_pop_var=total)
            out[name] = float(idx.statistic)
        if geometry is not None:
            import geopandas as gpd

            gdf = gpd.GeoDataFrame(df[[group, total]].astype(float), geometry=geometry, crs=crs)
            gdf = gdf[(gdf[total] > 0)]
            out["spatial_dissimilarity"] = float(
                sg.SpatialDissim(gdf, group_pop_var=group, total_pop_var=total).statistic
            )
        if permutations:
            x = data[group].to_numpy(dtype=float)
            t = data[total].to_numpy(dtype=float)
            pvals["dissimilarity"] = dissimilarity_test(x, t, permutations, seed)
    finally:
        ctx.__exit__(None, None, None)
    return out, pvals


def _dissim(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """D along the last axis: ½ Σ |xᵢ/X − (tᵢ − xᵢ)/(T − X)| (Duncan & Duncan 1955)."""
    other = t - x
    return 0.5 * np.abs(x / x.sum(axis=-1, keepdims=True) - other / other.sum(axis=-1, keepdims=True)).sum(
        axis=-1
    )


def dissimilarity_test(x: np.ndarray, t: np.ndarray, permutations: int, seed: int = 0) -> float:
    """Two-tailed pseudo p-value of D against systematic randomisation (Allen et al. 2015): both
    groups are spread over the areas by multinomial draws with each area's share of the total
    population as probability; ``2 · min(#sim > D, #sim < D) / permutations``, as PySAL
    ``segregation.inference.SingleValueTest(null_approach="systematic")`` computes it, but drawn
    from a generator seeded with ``seed`` only (PySAL uses NumPy's global random state)."""
    rng = np.random.default_rng(seed)
    d = float(_dissim(x, t))
    p = t / t.sum()
    xs = rng.multinomial(round(float(x.sum())), p, size=permutations).astype(float)
    os_ = rng.multinomial(round(float((t - x).sum())), p, size=permutations).astype(float)
    sims = _dissim(xs, xs + os_)
    sims = sims[np.isfinite(sims)]
    return float(2 * min((d < sims).sum(), (d > sims).sum()) / len(sims))


def compare(
    df_a: pd.DataFrame, df_b: pd.DataFrame, group: str, total: str, permutations: int = 99, seed: int = 0
) -> dict[str, float]:
    """Test of the change of D between two periods by random labelling (Rey & Sastré-Gutiérrez
    2010, PySAL ``TwoValueTest(null_approach="random_label")``): the areas of both periods are
    pooled and randomly assigned to the two periods; two-tailed p-value of the observed
    difference.  Draws come from a generator seeded with ``seed`` only."""
    a = df_a[[group, total]].astype(float)
    b = df_b[[group, total]].astype(float)
    a, b = a[a[total] > 0].round(0), b[b[total] > 0].round(0)
    xa, ta = a[group].to_numpy(), a[total].to_numpy()
    xb, tb = b[group].to_numpy(), b[total].to_numpy()
    observed = float(_dissim(xa, ta) - _dissim(xb, tb))
    rng = np.random.default_rng(seed)
    x, t = np.concatenate([xa, xb]), np.concatenate([ta, tb])
    n_a = len(xa)
    diffs = np.empty(permutations)
    for i in range(permutations):
        order = rng.permutation(len(x))
        first, second = order[:n_a], order[n_a:]
        diffs[i] = _dissim(x[first], t[first]) - _dissim(x[second], t[second])
    diffs = diffs[np.isfinite(diffs)]
    p = 2 * min((observed < diffs).sum(), (observed > diffs).sum()) / len(diffs)
    # a planner reads the change from the first to the second period
    return {"difference": -observed, "p_value": float(p)}


def location_quotients(df: pd.DataFrame, group: str, total: str) -> np.ndarray:
    """Local measure per area: the group's share in the area relative to its share overall."""
    x = df[group].to_numpy(dtype=float)
    t = df[total].to_numpy(dtype=float)
    share = x.sum() / t.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t > 0, (x / t) / share, np.nan)


def analyse(
    store: Store,
    layer: str,
    group: str,
    total: str,
    periods: list[str] | None = None,
    permutations: int = 0,
    spatial: bool = False,
    save: bool = True,
    seed: int = 0,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[SegregationResult]:
    """Segregation of ``group`` on ``layer`` for every period that has both variables;
    ``progress(step, total, label)`` hears of each period done."""
    obs = store.observations(layer, [group, total], periods)
    if obs.empty:
        raise InputError(
            f"Auf {layer!r} gibt es keine Werte für {group!r} und {total!r}.",
            hint="Prüfen Sie die Variablennamen mit 'planlabor status'.",
        )
    wide = obs.pivot_table(index=["period", "area_id"], columns="variable", values="value").reset_index()
    missing = [v for v in (group, total) if v not in wide.columns]
    if missing:
        raise InputError(f"Die Variable(n) {', '.join(missing)} fehlen auf {layer!r}.", column=missing[0])
    geoms = None
    layer_info = store.layer(layer)
    crs = layer_info.crs if layer_info else None
    if spatial:
        import shapely

        areas = store.areas(layer, geometry=True).set_index("area_id")
        geoms = areas["geom"]
    results: list[SegregationResult] = []
    local_rows: list[pd.DataFrame] = []
    n_periods = int(wide["period"].nunique())
    for period, df in wide.groupby("period", sort=True):
        if progress is not None:  # the step before, so the bar is full only when all are done
            progress(len(results), n_periods + 1, f"Stand {period} ({len(results) + 1} von {n_periods})")
        df = df.dropna(subset=[group, total]).reset_index(drop=True)
        geometry = None
        if geoms is not None:
            geometry = shapely.from_wkb(geoms.reindex(df["area_id"]).tolist())
        vals, pvals = measures(df, group, total, geometry, permutations, seed, crs=crs)
        share = float(df[group].sum() / df[total].sum())
        used = int((df[total] > 0).sum())
        results.append(
            SegregationResult(
                period=str(period),
                group=group,
                total=total,
                n_areas=used,
                group_share=share,
                values=vals,
                p_values=pvals,
            )
        )
        lq = location_quotients(df, group, total)
        local_rows.append(pd.DataFrame({"area_id": df["area_id"], "period": period, "value": lq}))
    if progress is not None:
        progress(n_periods, n_periods + 1, f"{n_periods} Stand/Stände berechnet")
    if save:
        _save(store, layer, group, results, pd.concat(local_rows, ignore_index=True))
    if progress is not None:
        progress(n_periods + 1, n_periods + 1, "Gespeichert")
    return results


def _save(
    store: Store, layer: str, group: str, results: list[SegregationResult], local: pd.DataFrame
) -> None:
    """Local quotients on the layer, global measures on the top of its hierarchy, as observations."""
    from planlabor.areas.hierarchy import layer_chain

    top = layer_chain(store, layer)[-1]
    top_areas = store.areas(top)["area_id"].tolist()
    lq = local["value"].to_numpy(dtype=float)
    rows: list[dict[str, Any]] = [
        {
            "layer_id": layer,
            "area_id": str(a),
            "variable": f"lq_{group}",
            "period": str(p),
            "value": None if np.isnan(v) else float(v),
        }
        for a, p, v in zip(local["area_id"], local["period"], lq, strict=True)
    ]
    if top != layer and len(top_areas) == 1:
        for res in results:
            for name, v in res.values.items():
                rows.append(
                    {
                        "layer_id": top,
                        "area_id": top_areas[0],
                        "variable": f"seg_{name}_{group}",
                        "period": res.period,
                        "value": v,
                    }
                )
    store.record_observations(
        "segregation",
        layer,
        pd.DataFrame(rows),
        {"layer": layer, "group": group, "periods": [r.period for r in results]},
        message=CAVEATS,
    )
