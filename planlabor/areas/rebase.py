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

    Pure function: returns target_id, variable, period, value, flag.
    """
    m = values.merge(cw, left_on="area_id", right_on="source_id")
    m["is_int"] = m["variable"].isin(intensive)
    m["w"] = np.where(m["is_int"], m["w_intensive"], m["w_extensive"])
    m["wv"] = m["w"] * m["value"]
    m["w_known"] = np.where(m["value"].notna(), m["w"], 0.0)
    m["known"] = m["value"].notna()
    g = (
        m.groupby(["target_id", "variable", "period"], sort=False)
        .agg(
            wv=("wv", "sum"),
            w_known=("w_known", "sum"),
            is_int=("is_int", "first"),
            n_known=("known", "sum"),
            n=("known", "size"),
        )
        .reset_index()
    )
    g["n_missing"] = g["n"] - g["n_known"]
    # intensive: weighted mean over the known parts; extensive: sum of the known parts (an area
    # without residents in the population method gets 0 for counts, no value for shares)
    g["value"] = np.where(g["is_int"], g["wv"] / g["w_known"].where(g["w_known"] > 0), g["wv"])
    g.loc[g["n_known"] == 0, "value"] = np.nan
    g["flag"] = np.where(g["n_missing"] > 0, "geschaetzt_unvollstaendig", "geschaetzt")
    return g[["target_id", "variable", "period", "value", "flag"]]


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
