"""Re-basing (Umschlüsselung) of observations from one area system to another.

A crosswalk is built once from the geometries (the overlay of both layers) and reused:

* ``area``: a source area's count is split in proportion to the area of its pieces;
* ``population`` (dasymetric): in proportion to the residents estimated in each piece from a
  population variable of the target layer (residents spread evenly within a target area).

Counts (extensive) are summed with the extensive weights (totals are kept); rates and shares
(intensive) are averaged with the intensive weights (each target area's value is the weighted
mean of the source areas overlapping it).  Re-based values are stored as observations of the
target layer flagged ``geschaetzt`` and never overwrite values the target already has, so a time
series on one territorial status (einheitlicher Gebietsstand) joins re-based and real values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from planlabor.errors import InputError, NotFoundError
from planlabor.store import Store

Method = Literal["area", "population"]
SLIVER = 1.0  # m²: pieces smaller than this are digitising noise


@dataclass
class CrosswalkReport:
    source: str
    target: str
    method: str
    pieces: int
    sources_without_target: list[str]
    uncovered_share: float  # share of the source area outside every target area
    fallback_to_area: list[str] = field(default_factory=list)


@dataclass
class RebaseReport:
    source: str
    target: str
    method: str
    variables: list[str]
    periods: list[str]
    values: int
    skipped_existing: list[str]
    import_id: int | None = None
    error: pd.DataFrame | None = None


def _geoms(store: Store, layer: str) -> tuple[list[str], Any]:
    import shapely

    if store.layer(layer) is None:
        raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht.", column="--from/--to")
    areas = store.areas(layer, geometry=True)
    if areas["geom"].isna().any():
        raise InputError(
            f"Die Raumebene {layer!r} hat Gebiete ohne Geometrie.",
            hint="Die Umschlüsselung braucht die Grenzen beider Gebietssysteme.",
        )
    return areas["area_id"].astype(str).tolist(), shapely.from_wkb(areas["geom"].tolist())


def overlay_pieces(s_geo: Any, t_geo: Any) -> pd.DataFrame:
    """Pieces of the overlay: source index ``s``, target index ``t``, shared area ``a`` (no slivers)."""
    import shapely

    tree = shapely.STRtree(t_geo)
    si, ti = tree.query(s_geo, predicate="intersects")
    inter = shapely.area(shapely.intersection(s_geo[si], t_geo[ti]))
    keep = inter > SLIVER
    return pd.DataFrame({"s": si[keep], "t": ti[keep], "a": inter[keep]})


def build_crosswalk(
    store: Store,
    source: str,
    target: str,
    method: Method = "area",
    weight_variable: str | None = None,
    weight_period: str | None = None,
) -> CrosswalkReport:
    """Overlay ``source`` and ``target`` and store the weights (replacing an earlier crosswalk)."""
    import shapely

    s_ids, s_geo = _geoms(store, source)
    t_ids, t_geo = _geoms(store, target)
    pieces = overlay_pieces(s_geo, t_geo)
    s_area = shapely.area(s_geo)
    t_area = shapely.area(t_geo)
    covered = pieces.groupby("s")["a"].sum()
    without = [s_ids[i] for i in range(len(s_ids)) if i not in covered.index]
    uncovered = float(1 - covered.sum() / s_area.sum())
    fallback: list[str] = []
    if method == "population":
        if not weight_variable or not weight_period:
            raise InputError(
                "Die Gewichtung nach Einwohner:innen braucht --weight-variable und --weight-period.",
                column="--weight-variable",
            )
        pop = store.observations(target, [weight_variable], [weight_period]).set_index("area_id")["value"]
        if pop.empty:
            raise InputError(
                f"Auf {target!r} gibt es keine Werte von {weight_variable!r} für {weight_period}.",
                column="--weight-variable",
            )
        t_pop = np.array([float(pop.get(i, np.nan)) for i in t_ids])
        t_pop = np.nan_to_num(t_pop)
        pieces["m"] = t_pop[pieces["t"]] * pieces["a"] / t_area[pieces["t"]]
        per_s = pieces.groupby("s")["m"].transform("sum")
        empty = per_s <= 0
        fallback = sorted({s_ids[i] for i in pieces.loc[empty, "s"]})
        pieces.loc[empty, "m"] = pieces.loc[empty, "a"]  # unpopulated: split by area
    else:
        pieces["m"] = pieces["a"]
    pieces["w_ext"] = pieces["m"] / pieces.groupby("s")["m"].transform("sum")
    pieces["w_int"] = pieces["m"] / pieces.groupby("t")["m"].transform("sum")
    now = datetime.now(UTC).replace(tzinfo=None)
    table = pa.table(
        {
            "source_layer": pa.array([source] * len(pieces), pa.string()),
            "target_layer": pa.array([target] * len(pieces), pa.string()),
            "method": pa.array([method] * len(pieces), pa.string()),
            "source_id": pa.array([s_ids[i] for i in pieces["s"]], pa.string()),
            "target_id": pa.array([t_ids[i] for i in pieces["t"]], pa.string()),
            "overlap_m2": pa.array(pieces["a"].to_numpy(), pa.float64()),
            "w_extensive": pa.array(pieces["w_ext"].to_numpy(), pa.float64()),
            "w_intensive": pa.array(pieces["w_int"].to_numpy(), pa.float64()),
            "built_at": pa.array([now] * len(pieces), pa.timestamp("us")),
        }
    )
    with store.transaction():
        store.execute(
            "DELETE FROM crosswalks WHERE source_layer = ? AND target_layer = ? AND method = ?",
            [source, target, method],
        )
        store.insert_arrow("crosswalks", table)
    return CrosswalkReport(source, target, method, len(pieces), without, uncovered, fallback)


def crosswalk(store: Store, source: str, target: str, method: Method = "area") -> pd.DataFrame:
    df = store.query_df(
        "SELECT source_id, target_id, w_extensive, w_intensive FROM crosswalks "
        "WHERE source_layer = ? AND target_layer = ? AND method = ?",
        [source, target, method],
    )
    if df.empty:
        raise NotFoundError(
            f"Es gibt noch keine Zuordnung {source!r} → {target!r} ({method}).",
            hint="Bilden Sie sie mit 'planlabor areas crosswalk "
            f"--from {source} --to {target} --method {method}'.",
        )
    return df


def rebase_frame(values: pd.DataFrame, cw: pd.DataFrame, intensive: set[str]) -> pd.DataFrame:
    """Re-base long ``values`` (area_id, variable, period, value) with crosswalk ``cw``.

    Pure function: returns target_id, variable, period, value, flag.  Every value row is paired
    with the crosswalk rows of its source area and summed per (target, variable, period) on
    integer codes with ``np.bincount`` (5× faster than merge + groupby on the text keys).
    """
    src, src_ids = pd.factorize(cw["source_id"])
    tgt, tgt_ids = pd.factorize(cw["target_id"])
    var, var_names = pd.factorize(values["variable"])
    per, per_names = pd.factorize(values["period"])
    area = pd.Index(src_ids).get_indexer(values["area_id"])
    rows = np.flatnonzero(area >= 0)
    vrow, crow = _pairs(area[rows], src, rows, len(src_ids))
    if not len(vrow):
        return pd.DataFrame(columns=["target_id", "variable", "period", "value", "flag"])
    is_int_var = np.isin(np.asarray(var_names, dtype=object), list(intensive))
    is_int = is_int_var[var[vrow]]
    w = np.where(is_int, cw["w_intensive"].to_numpy(float)[crow], cw["w_extensive"].to_numpy(float)[crow])
    val = values["value"].to_numpy(float)[vrow]
    known = ~np.isnan(val)
    n_combo = len(var_names) * len(per_names)
    key = tgt[crow] * n_combo + var[vrow] * len(per_names) + per[vrow]
    keys, group = _groups(key, len(tgt_ids) * n_combo)
    # NaN parts are skipped like pandas' sum does
    wv = np.bincount(group, np.nan_to_num(np.where(known, w * val, 0.0)), len(keys))
    w_known = np.bincount(group, np.nan_to_num(np.where(known, w, 0.0)), len(keys))
    n_known = np.bincount(group, known, len(keys))
    n = np.bincount(group, minlength=len(keys))
    t, combo = np.divmod(keys, n_combo)
    v, p = np.divmod(combo, len(per_names))
    # intensive: weighted mean over the known parts; extensive: sum of the known parts (an area
    # without residents in the population method gets 0 for counts, no value for shares)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(is_int_var[v], wv / np.where(w_known > 0, w_known, np.nan), wv)
    value[n_known == 0] = np.nan
    flags = pd.Index(["geschaetzt", "geschaetzt_unvollstaendig"])
    return pd.DataFrame(  # take on the factorized keys keeps their dtype (no per-row strings)
        {
            "target_id": pd.Index(tgt_ids).take(t).array,
            "variable": pd.Index(var_names).take(v).array,
            "period": pd.Index(per_names).take(p).array,
            "value": value,
            "flag": flags.take((n > n_known).astype(np.int64)).array,
        }
    )


def _groups(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (sorted) and each row's group number; without sorting where the key
    space is small (every target × variable × period, as usual)."""
    if space > 4 * len(key):
        return np.unique(key, return_inverse=True)
    seen = np.zeros(space, dtype=bool)
    seen[key] = True
    keys = np.flatnonzero(seen)
    number = np.cumsum(seen) - 1
    return keys, number[key]


def _pairs(area: np.ndarray, src: np.ndarray, rows: np.ndarray, n_src: int) -> tuple[np.ndarray, np.ndarray]:
    """Value row and crosswalk row of each pair: value row ``rows[i]`` (source area code
    ``area[i]``) with every crosswalk row whose source code is the same (an inner join)."""
    order = np.argsort(src, kind="stable")
    counts = np.bincount(src, minlength=n_src)
    first = np.cumsum(counts) - counts
    reps = counts[area]
    vrow = np.repeat(rows, reps)
    offset = np.arange(len(vrow)) - np.repeat(np.cumsum(reps) - reps, reps)
    return vrow, order[np.repeat(first[area], reps) + offset]


def rebase(
    store: Store,
    source: str,
    target: str,
    variables: list[str] | None = None,
    periods: list[str] | None = None,
    method: Method = "area",
    intensive: list[str] | None = None,
) -> RebaseReport:
    """Re-base observations of ``source`` onto ``target`` and store them (kind ``rebase``)."""
    cw = crosswalk(store, source, target, method)
    values = store.observations(source, variables, periods)
    if values.empty:
        raise InputError(f"Auf {source!r} gibt es keine passenden Werte.", column="--variable")
    existing = store.query_df(
        "SELECT DISTINCT o.variable, o.period FROM observations o JOIN imports i USING (import_id) "
        "WHERE o.superseded_by IS NULL AND o.layer_id = ? AND i.kind <> 'rebase'",
        [target],
    )
    have = set(zip(existing["variable"], existing["period"], strict=True))
    skip = {(v, p) for v, p in zip(values["variable"], values["period"], strict=True) if (v, p) in have}
    if skip:
        mask = [(v, p) not in skip for v, p in zip(values["variable"], values["period"], strict=True)]
        values = values[mask]
    result = rebase_frame(values, cw, set(intensive or []))
    report = RebaseReport(
        source,
        target,
        method,
        sorted(values["variable"].unique().tolist()),
        sorted(values["period"].unique().tolist()),
        len(result),
        sorted(f"{v} {p}" for v, p in skip),
    )
    if result.empty:
        return report
    import_id = store.record_observations(
        "rebase",
        target,
        result.rename(columns={"target_id": "area_id"}).assign(layer_id=target),
        {"from": source, "to": target, "method": method, "intensive": sorted(intensive or [])},
        message="; ".join(report.skipped_existing[:20]),
        rows_read=len(values),
    )
    report.import_id = import_id
    return report


def rebase_error(
    store: Store, target: str, rebased_variable: str, actual_variable: str, period: str
) -> pd.DataFrame:
    """Per target area: re-based vs. real value at a date both systems have; with summary figures
    in ``.attrs`` (MAE, MAPE, share within 5 %, total deviation)."""
    a = store.observations(target, [rebased_variable], [period]).set_index("area_id")["value"]
    b = store.observations(target, [actual_variable], [period]).set_index("area_id")["value"]
    df = pd.DataFrame({"rebased": a, "actual": b}).dropna()
    df["error"] = df["rebased"] - df["actual"]
    pos = df["actual"] > 0
    ape = df.loc[pos, "error"].abs() / df.loc[pos, "actual"]
    df.attrs = {
        "areas": len(df),
        "mae": float(df["error"].abs().mean()),
        "mape": float(ape.mean()),
        "median_ape": float(ape.median()),
        "within_5pct": float((ape <= 0.05).mean()),
        "total_rebased": float(df["rebased"].sum()),
        "total_actual": float(df["actual"].sum()),
    }
    return df
