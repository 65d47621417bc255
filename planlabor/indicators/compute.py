"""Compute the catalog's indicators on every layer and period.

Counts are summed from the layer they were imported on up the hierarchy; a
ratio indicator is Σ numerator / Σ denominator on every level (ratio of sums,
never the mean of ratios).  Imported values (e.g. published shares) stay on
their own layer unless the catalog declares a weight, then they are
aggregated as the weighted mean.

Status flags travel with the numbers: an aggregate over areas of which some
have no value is flagged ``teilsumme``; a ratio with a zero denominator is
``nenner_null``; a value missing at the base keeps the flag it was imported with.
The whole computation runs as SQL inside the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa

from planlabor.areas.hierarchy import ancestor_table
from planlabor.catalog import Catalog, IndicatorDefinition
from planlabor.store import Store


@dataclass
class ComputeReport:
    compute_id: int
    indicators: int
    values_written: int
    by_layer: dict[str, int] = field(default_factory=dict)
    missing_variables: dict[str, list[str]] = field(default_factory=dict)


def _register_definitions(store: Store, catalog: Catalog) -> None:
    current = store.query_df(
        "SELECT indicator_id, max(version) AS v, arg_max(definition, version) AS d "
        "FROM indicator_definitions GROUP BY indicator_id"
    )
    known = {r["indicator_id"]: (int(r["v"]), r["d"]) for r in current.to_dict("records")}
    now = datetime.now(UTC).replace(tzinfo=None)
    for ind in catalog.indicators:
        text = json.dumps(ind.model_dump(), sort_keys=True, ensure_ascii=False)
        v, d = known.get(ind.id, (0, None))
        if d != text:
            store.execute("INSERT INTO indicator_definitions VALUES (?, ?, ?, ?)", [ind.id, v + 1, text, now])


def _roles(indicators: list[IndicatorDefinition]) -> pa.Table:
    rows: dict[str, list[object]] = {"indicator_id": [], "variable": [], "role": []}
    for ind in indicators:
        for role, names in (("num", ind.numerator), ("den", ind.denominator)):
            for n in names:
                rows["indicator_id"].append(ind.id)
                rows["variable"].append(n)
                rows["role"].append(role)
    return pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})


def _spec(indicators: list[IndicatorDefinition]) -> pa.Table:
    return pa.table(
        {
            "indicator_id": pa.array([i.id for i in indicators], pa.string()),
            "factor": pa.array([float(i.factor) for i in indicators], pa.float64()),
            "n_num": pa.array([len(i.numerator) for i in indicators], pa.int64()),
            "n_den": pa.array([len(i.denominator) for i in indicators], pa.int64()),
        }
    )


def compute_indicators(store: Store, catalog: Catalog) -> ComputeReport:
    """Compute all indicators of ``catalog`` and replace the stored indicator values."""
    ratio_like = [i for i in catalog.indicators if i.kind in ("quote", "anzahl")]
    values = [i for i in catalog.indicators if i.kind == "wert"]
    needed = sorted({v for i in catalog.indicators for v in i.variables()})
    present = store.query_df(
        "SELECT DISTINCT layer_id, variable FROM observations WHERE superseded_by IS NULL "
        "AND variable IN (SELECT unnest(?))",
        [needed],
    )
    base_layers = sorted(present["layer_id"].unique().tolist())
    have = set(present["variable"])
    missing = {i.id: [v for v in i.variables() if v not in have] for i in catalog.indicators}
    missing = {k: v for k, v in missing.items() if v}

    anc_frames = []
    for layer in base_layers:
        anc = ancestor_table(store, layer)
        anc.insert(0, "base_layer", layer)
        anc_frames.append(anc)
    anc_df = (
        pd.concat(anc_frames, ignore_index=True)
        if anc_frames
        else pd.DataFrame(columns=["base_layer", "area_id", "anc_layer", "anc_id"])
    )
    n_base = anc_df.groupby(["base_layer", "anc_layer", "anc_id"]).size().rename("n_base").reset_index()
    anc_df = anc_df.merge(n_base, on=["base_layer", "anc_layer", "anc_id"])
    anc_tbl = pa.table(
        {
            "base_layer": pa.array(anc_df["base_layer"].astype(str).tolist(), pa.string()),
            "area_id": pa.array(anc_df["area_id"].astype(str).tolist(), pa.string()),
            "anc_layer": pa.array(anc_df["anc_layer"].astype(str).tolist(), pa.string()),
            "anc_id": pa.array(anc_df["anc_id"].astype(str).tolist(), pa.string()),
            "n_base": pa.array(anc_df["n_base"].astype("int64").tolist(), pa.int64()),
            "is_self": pa.array((anc_df["base_layer"] == anc_df["anc_layer"]).tolist(), pa.bool_()),
        }
    )
    compute_id = store.next_id("computations", "compute_id")
    count_vars = sorted({v for i in ratio_like for v in (*i.numerator, *i.denominator)})
    tables = {"_pl_anc": anc_tbl, "_pl_roles": _roles(ratio_like), "_pl_spec": _spec(ratio_like)}

    with store.transaction():
        _register_definitions(store, catalog)
        store.execute("DELETE FROM indicator_values")
        if ratio_like:
            store.execute_with(
                """
            INSERT INTO indicator_values
            WITH obs AS (
                SELECT layer_id, area_id, variable, period, value, flag FROM observations
                WHERE superseded_by IS NULL AND variable IN (SELECT unnest(?))
            ), agg AS (
                SELECT a.anc_layer AS layer_id, a.anc_id AS area_id, o.variable, o.period,
                       sum(o.value) AS value,
                       CASE WHEN bool_and(a.is_self) THEN any_value(o.flag)
                            WHEN count(o.value) = 0 THEN 'fehlend'
                            WHEN count(o.value) < any_value(a.n_base) THEN 'teilsumme' END AS flag
                FROM obs o JOIN _pl_anc a ON o.layer_id = a.base_layer AND o.area_id = a.area_id
                GROUP BY a.anc_layer, a.anc_id, o.variable, o.period
            ), parts AS (
                SELECT g.layer_id, g.area_id, r.indicator_id, g.period,
                       sum(g.value) FILTER (WHERE r.role = 'num') AS num,
                       count(g.value) FILTER (WHERE r.role = 'num') AS n_num,
                       sum(g.value) FILTER (WHERE r.role = 'den') AS den,
                       count(g.value) FILTER (WHERE r.role = 'den') AS n_den,
                       min(g.flag) AS flag
                FROM agg g JOIN _pl_roles r ON g.variable = r.variable
                GROUP BY g.layer_id, g.area_id, r.indicator_id, g.period
            )
            SELECT p.layer_id, p.area_id, p.indicator_id, p.period,
                   CASE WHEN p.n_num < s.n_num OR p.n_den < s.n_den THEN NULL
                        WHEN s.n_den = 0 THEN p.num * s.factor
                        WHEN p.den = 0 THEN NULL
                        ELSE p.num / p.den * s.factor END AS value,
                   CASE WHEN p.n_num = s.n_num THEN p.num END AS numerator,
                   CASE WHEN s.n_den > 0 AND p.n_den = s.n_den THEN p.den END AS denominator,
                   CASE WHEN p.n_num < s.n_num OR p.n_den < s.n_den THEN coalesce(p.flag, 'fehlend')
                        WHEN s.n_den > 0 AND p.den = 0 THEN 'nenner_null'
                        ELSE p.flag END AS flag,
                   CAST(? AS INTEGER) AS compute_id
            FROM parts p JOIN _pl_spec s USING (indicator_id)
            """,
                tables,
                [count_vars, compute_id],
            )
        for ind in values:
            _compute_value_indicator(store, ind, compute_id, tables["_pl_anc"])
        counts = store.query_df(
            "SELECT layer_id, count(*) AS n FROM indicator_values GROUP BY layer_id ORDER BY layer_id"
        )
        by_layer = {r["layer_id"]: int(r["n"]) for r in counts.to_dict("records")}
        total = sum(by_layer.values())
        store.execute(
            "INSERT INTO computations VALUES (?, ?, ?, ?)",
            [compute_id, datetime.now(UTC).replace(tzinfo=None), len(catalog.indicators), total],
        )
    return ComputeReport(
        compute_id=compute_id,
        indicators=len(catalog.indicators),
        values_written=total,
        by_layer=by_layer,
        missing_variables=missing,
    )


def _compute_value_indicator(store: Store, ind: IndicatorDefinition, compute_id: int, anc: pa.Table) -> None:
    """Imported values: as is on their layer; weighted mean upwards if a weight is declared."""
    store.execute(
        """
        INSERT INTO indicator_values
        SELECT layer_id, area_id, ?, period, value, NULL, NULL, flag, ? FROM observations
        WHERE superseded_by IS NULL AND variable = ?""",
        [ind.id, compute_id, ind.variable],
    )
    if not ind.weight:
        return
    store.execute_with(
        """
        INSERT INTO indicator_values
        WITH v AS (SELECT layer_id, area_id, period, value FROM observations
                   WHERE superseded_by IS NULL AND variable = ?),
             w AS (SELECT layer_id, area_id, period, value AS weight FROM observations
                   WHERE superseded_by IS NULL AND variable = ?)
        SELECT a.anc_layer, a.anc_id, ?, v.period,
               sum(v.value * w.weight) / nullif(sum(w.weight) FILTER (WHERE v.value IS NOT NULL), 0),
               NULL, sum(w.weight) FILTER (WHERE v.value IS NOT NULL),
               CASE WHEN count(v.value) = 0 THEN 'fehlend'
                    WHEN count(v.value) < any_value(a.n_base) THEN 'teilsumme' END, ?
        FROM v JOIN w USING (layer_id, area_id, period)
        JOIN _pl_anc a ON v.layer_id = a.base_layer AND v.area_id = a.area_id
        WHERE NOT a.is_self
        GROUP BY a.anc_layer, a.anc_id, v.period""",
        {"_pl_anc": anc},
        [ind.variable, ind.weight, ind.id, compute_id],
    )
