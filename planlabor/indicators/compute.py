"""Compute the catalog's indicators on every layer and period.

Counts are summed from the layer they were imported on up the hierarchy, level by level
(each level from the one below); a ratio indicator is Σ numerator / Σ denominator on every
level (ratio of sums, never the mean of ratios).  Imported values (e.g. published shares)
stay on their own layer unless the catalog declares a weight, then they are aggregated as
the weighted mean.  Where a layer has observations of its own for a variable, they win over
the aggregate from below.

Status flags travel with the numbers: an aggregate over areas of which some have no value
is flagged ``teilsumme``; a ratio with a zero denominator is ``nenner_null``; a value
missing at the base keeps the flag it was imported with.

Everything runs as SQL inside the store, reading the observations twice: one pass sums every
layer's counts by parent area (and tells which layers, periods and variables have counts), one
pass joins numerator and denominator terms on all levels.  They are matched on a 64-bit hash of
(layer, area, period, term); every match is verified against the full key and the exact join
is used instead should a hash ever collide.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planlabor.areas.hierarchy import ancestor_table, layer_chain
from planlabor.catalog import Catalog, IndicatorDefinition
from planlabor.store import Store


@dataclass
class ComputeReport:
    compute_id: int
    indicators: int
    values_written: int
    by_layer: dict[str, int] = field(default_factory=dict)
    missing_variables: dict[str, list[str]] = field(default_factory=dict)
    exact_fallback: bool = False
    indices: dict[str, int] = field(default_factory=dict)
    suppressed: dict[str, int] = field(default_factory=dict)  # primär / sekundär (values)


def _register_definitions(store: Store, catalog: Catalog) -> None:
    current = store.query_df(
        "SELECT indicator_id, version AS v, definition AS d FROM indicator_definitions i "
        "WHERE version = (SELECT max(version) FROM indicator_definitions j "
        "WHERE j.indicator_id = i.indicator_id)"
    )
    known = {r["indicator_id"]: (int(r["v"]), r["d"]) for r in current.to_dict("records")}
    now = datetime.now(UTC).replace(tzinfo=None)
    for ind in catalog.indicators:
        text = json.dumps(ind.model_dump(), sort_keys=True, ensure_ascii=False)
        v, d = known.get(ind.id, (0, None))
        if d != text:
            store.execute("INSERT INTO indicator_definitions VALUES (?, ?, ?, ?)", [ind.id, v + 1, text, now])


def _str_table(**cols: list[object]) -> pa.Table:
    return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})


def _parent_maps(store: Store, base_layers: list[str], links: pa.Table) -> tuple[pa.Table, list[list[str]]]:
    """Child → parent links of every level above the base layers, with the number of base
    areas under each parent (to flag partial sums), and the chains.  ``links``: every area's
    parent (a base area counts under an ancestor if every area between has a row there)."""
    frames = []
    chains = [layer_chain(store, base) for base in base_layers]
    all_links = links.to_pandas()
    by_layer = {lay: df for lay, df in all_links.groupby("layer_id")}
    empty = all_links.iloc[:0]
    for chain in chains:
        under: pd.Series | None = None  # base areas under each area of the current child layer
        for child, parent in itertools.pairwise(chain):
            lk = by_layer.get(child, empty)
            weight = pd.Series(1, index=lk.index) if under is None else lk["area_id"].map(under).fillna(0)
            under = weight.groupby(lk["parent_id"]).sum().astype("int64")
            frames.append(
                pd.DataFrame(
                    {
                        "base_layer": chain[0],
                        "child_layer": child,
                        "child_id": lk["area_id"],
                        "parent_layer": parent,
                        "parent_id": lk["parent_id"],
                        "n_base": lk["parent_id"].map(under).astype("int64"),
                    }
                )
            )
    schema = pa.schema(
        [(k, pa.string()) for k in ("base_layer", "child_layer", "child_id", "parent_layer", "parent_id")]
        + [("n_base", pa.int64())]
    )
    if not frames:
        return schema.empty_table(), chains
    table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), schema=schema, preserve_index=False)
    return table, chains


def _terms(indicators: list[IndicatorDefinition]) -> tuple[pa.Table, pa.Table]:
    """Numerator and denominator terms (a term is a sum of variables) and the indicator spec."""
    term_ids: dict[tuple[str, ...], int] = {}
    tv: dict[str, list[object]] = {"term_id": [], "variable": [], "n_vars": []}
    spec: dict[str, list[object]] = {
        "k": [],
        "indicator_id": [],
        "num_term": [],
        "den_term": [],
        "factor": [],
    }

    def term(vars_: list[str]) -> int | None:
        if not vars_:
            return None
        key = tuple(vars_)
        if key not in term_ids:
            term_ids[key] = len(term_ids)
            for v in vars_:
                tv["term_id"].append(term_ids[key])
                tv["variable"].append(v)
                tv["n_vars"].append(len(vars_))
        return term_ids[key]

    for k, ind in enumerate(indicators):
        spec["k"].append(k)
        spec["indicator_id"].append(ind.id)
        spec["num_term"].append(term(ind.numerator))
        spec["den_term"].append(term(ind.denominator))
        spec["factor"].append(float(ind.factor))
    terms = pa.table(
        {
            "term_id": pa.array(tv["term_id"], pa.int32()),
            "variable": pa.array(tv["variable"], pa.string()),
            "n_vars": pa.array(tv["n_vars"], pa.int32()),
        }
    )
    spec_t = pa.table(
        {
            "k": pa.array(spec["k"], pa.int32()),
            "indicator_id": pa.array(spec["indicator_id"], pa.string()),
            "num_term": pa.array(spec["num_term"], pa.int32()),
            "den_term": pa.array(spec["den_term"], pa.int32()),
            "factor": pa.array(spec["factor"], pa.float64()),
        }
    )
    return terms, spec_t


def compute_indicators(store: Store, catalog: Catalog) -> ComputeReport:
    """Compute all indicators of ``catalog`` and replace the stored indicator values."""
    ratio_like = [i for i in catalog.indicators if i.kind in ("quote", "anzahl")]
    values = [i for i in catalog.indicators if i.kind == "wert"]
    count_vars = sorted({v for i in ratio_like for v in (*i.numerator, *i.denominator)})
    compute_id = store.next_id("computations", "compute_id")
    terms, spec = _terms(ratio_like)
    ratios = _Ratios()
    with store.transaction():
        _register_definitions(store, catalog)
        store.execute("DELETE FROM indicator_sets")
        if ratio_like and count_vars:  # replaces the table
            ratios = _compute_ratios_in_scratch(store, compute_id, count_vars, terms, spec)
        else:
            store.execute("DELETE FROM indicator_data")
        by_layer = dict(ratios.by_layer)
        for ind in values:
            for layer, n in _compute_value_indicator(store, ind, compute_id).items():
                by_layer[layer] = by_layer.get(layer, 0) + n
        by_layer = {k: by_layer[k] for k in sorted(by_layer) if by_layer[k]}
        total = sum(by_layer.values())
        store.execute(
            "INSERT INTO computations VALUES (?, ?, ?, ?)",
            [compute_id, datetime.now(UTC).replace(tzinfo=None), len(catalog.indicators), total],
        )
    have = ratios.variables | _present_variables(store, catalog, set(count_vars))
    missing = {i.id: [v for v in i.variables() if v not in have] for i in catalog.indicators}
    return ComputeReport(
        compute_id=compute_id,
        indicators=len(catalog.indicators),
        values_written=total,
        by_layer=by_layer,
        missing_variables={k: v for k, v in missing.items() if v},
        exact_fallback=ratios.fallback,
    )


@dataclass
class _Ratios:
    """What the ratio step reports: values per layer, the count variables it found, whether
    the exact join had to be used."""

    by_layer: dict[str, int] = field(default_factory=dict)
    variables: set[str] = field(default_factory=set)
    fallback: bool = False


def _present_variables(store: Store, catalog: Catalog, known: set[str]) -> set[str]:
    """The catalog's variables with current observations, beyond ``known`` (the count variables,
    already found by the ratio step's pass over the observations)."""
    other = sorted({v for i in catalog.indicators for v in i.variables()} - known)
    if not other:
        return set()
    found = store.query_with(
        "SELECT DISTINCT variable FROM observations WHERE superseded_by IS NULL "
        "AND variable IN (SELECT variable FROM _pl_vars)",
        {"_pl_vars": _str_table(variable=list[object](other))},
    )
    return set(found["variable"])


_SET_COLUMNS = "set_id, layer_id, indicator_id, period, compute_id"


def _compute_ratios_in_scratch(
    store: Store, compute_id: int, count_vars: list[str], terms: pa.Table, spec: pa.Table
) -> _Ratios:
    """:func:`_compute_ratios` where the store computes best (:meth:`Store.scratch`: DuckDB for
    itself; PostgreSQL hands its observations to an in-memory DuckDB); results written back."""
    marks = ", ".join("?" for _ in count_vars)
    selects: dict[str, tuple[str, Sequence[Any] | None]] = {
        "observations": (
            "SELECT layer_id, area_id, variable, period, value, flag, import_id, superseded_by "
            f"FROM observations WHERE superseded_by IS NULL AND variable IN ({marks})",
            count_vars,
        ),
        "indicator_sets": (f"SELECT {_SET_COLUMNS} FROM indicator_sets", None),
    }
    links = store.query_arrow("SELECT layer_id, area_id, parent_id FROM areas WHERE parent_id IS NOT NULL")
    with store.scratch(selects) as work:
        ratios = _compute_ratios(work, store, compute_id, count_vars, links, terms, spec)
        if work is store:
            return ratios
        sets = work.query_arrow(
            f"SELECT {_SET_COLUMNS} FROM indicator_sets WHERE compute_id = ? ORDER BY set_id",
            [compute_id],
        )
        data = work.query_arrow(
            "SELECT set_id, area_id, value, numerator, denominator, flag FROM indicator_data"
        )
    store.insert_arrow("indicator_sets", sets)
    store.execute("TRUNCATE indicator_data")
    store.insert_arrow("indicator_data", data)
    store.analyze("indicator_data")
    return ratios


def _compute_ratios(
    work: Store,
    store: Store,
    compute_id: int,
    count_vars: list[str],
    links: pa.Table,
    terms: pa.Table,
    spec: pa.Table,
) -> _Ratios:
    """Ratio and count indicators on every layer into ``indicator_data`` of ``work`` (replaced;
    ``store`` knows the hierarchy).  ``links``: every area's parent."""
    tables = {
        "_pl_terms": terms,
        "_pl_spec": spec,
        "_pl_vars": _str_table(variable=list(count_vars)),
        "_pl_links": links,
    }
    present, found = _sum_base_level(work, tables)
    base_layers = sorted(set(present["layer_id"]))
    tables["_pl_periods"] = _str_table(
        layer_id=present["layer_id"].tolist(), period=present["period"].tolist()
    )
    tables["_pl_parents"], chains = _parent_maps(store, base_layers, links)
    _aggregate_up(work, chains, tables)
    above = {lay for chain in chains for lay in chain[1:]}
    _keep_one_aggregate(work, several_bases=len(chains) > 1, own_values=bool(above & set(base_layers)))
    _create_sets(work, compute_id, tables)
    collision, counts = _write_ratio_values(work, compute_id, terms, tables)
    by_layer = _drop_empty_sets(work, compute_id, counts)
    work.execute("DROP TABLE IF EXISTS _pl_up")
    work.execute("DROP TABLE IF EXISTS _pl_base")
    return _Ratios(by_layer=by_layer, variables=found, fallback=collision)


def _sum_base_level(store: Store, tables: dict[str, pa.Table]) -> tuple[pd.DataFrame, set[str]]:
    """Step 0: one pass over the observations of the count variables: each layer's values
    summed by parent area (``_pl_base``: the first step up from every layer that has counts);
    returns which (layer, period) pairs and which variables have counts."""
    store.execute("DROP TABLE IF EXISTS _pl_base")
    store.execute_with(
        """
        CREATE TEMP TABLE _pl_base AS
        SELECT o.layer_id, l.parent_id, o.variable, o.period, sum(o.value) AS value,
               count(o.value) AS n_valid
        FROM observations o LEFT JOIN _pl_links l ON l.layer_id = o.layer_id AND l.area_id = o.area_id
        WHERE o.superseded_by IS NULL AND o.variable IN (SELECT variable FROM _pl_vars)
        GROUP BY o.layer_id, l.parent_id, o.variable, o.period""",
        tables,
    )
    present = store.query_df("SELECT DISTINCT layer_id, period FROM _pl_base ORDER BY layer_id, period")
    found = store.query_df("SELECT DISTINCT variable FROM _pl_base")
    return present, set(found["variable"])


def _aggregate_up(store: Store, chains: list[list[str]], tables: dict[str, pa.Table]) -> None:
    """Step 1: counts summed level by level up every chain (each level from the one below; the
    first from ``_pl_base``) into the temporary table ``_pl_up`` (with the number of valid and
    of all base areas)."""
    store.execute("DROP TABLE IF EXISTS _pl_up")
    store.execute("""CREATE TEMP TABLE _pl_up (layer_id VARCHAR, area_id VARCHAR,
        variable VARCHAR, period VARCHAR, value DOUBLE, n_valid BIGINT, n_base BIGINT, base VARCHAR)""")
    for chain in chains:
        base = chain[0]
        for level, child in enumerate(chain[:-1]):
            if level == 0:  # already summed by parent: only the number of base areas joins
                sql = """
                INSERT INTO _pl_up
                SELECT p.parent_layer, o.parent_id, o.variable, o.period, o.value, o.n_valid, p.n_base, ?
                FROM _pl_base o
                JOIN (SELECT DISTINCT parent_layer, parent_id, n_base FROM _pl_parents
                      WHERE base_layer = ? AND child_layer = ?) p ON p.parent_id = o.parent_id
                WHERE o.layer_id = ?"""
                params: list[object] = [base, base, child, child]
            else:
                sql = """
                INSERT INTO _pl_up
                SELECT p.parent_layer, p.parent_id, o.variable, o.period, sum(o.value), sum(o.n_valid),
                       max(p.n_base), ?
                FROM (SELECT layer_id, area_id, variable, period, value, n_valid FROM _pl_up
                      WHERE layer_id = ? AND base = ?) o
                JOIN _pl_parents p ON p.base_layer = ? AND p.child_layer = o.layer_id
                                  AND p.child_id = o.area_id
                GROUP BY p.parent_layer, p.parent_id, o.variable, o.period"""
                params = [base, child, base, base]
            store.execute_with(sql, tables, params)
            store.analyze("_pl_up")  # the next level reads what this one wrote


def _keep_one_aggregate(store: Store, several_bases: bool, own_values: bool) -> None:
    """Step 2: one aggregate per area, variable and period.  With several base layers under the
    same ancestors (e.g. NUTS 3 and Basel's Wohnviertel under NUTS 2) the one covering the most
    base areas with values; observations of a layer of its own (``own_values``: some layer above
    a base layer has counts of its own) win over any aggregate."""
    if several_bases:
        store.execute("""DELETE FROM _pl_up WHERE EXISTS (
            SELECT 1 FROM _pl_up b WHERE b.layer_id = _pl_up.layer_id AND b.area_id = _pl_up.area_id
              AND b.variable = _pl_up.variable AND b.period = _pl_up.period
              AND (b.n_valid > _pl_up.n_valid OR (b.n_valid = _pl_up.n_valid AND b.base < _pl_up.base)))""")
    if own_values:
        store.execute("""DELETE FROM _pl_up WHERE (layer_id, area_id, variable, period) IN (
            SELECT layer_id, area_id, variable, period FROM observations
            WHERE superseded_by IS NULL AND layer_id IN (SELECT DISTINCT layer_id FROM _pl_up))""")


def _create_sets(store: Store, compute_id: int, tables: dict[str, pa.Table]) -> None:
    """Step 3: the sets (layer, indicator, period) with small integer keys in display order."""
    first = store.next_id("indicator_sets", "set_id")
    store.execute_with(
        """
        INSERT INTO indicator_sets
        SELECT CAST(? + row_number() OVER (ORDER BY lp.layer_id, s.k, lp.period) - 1 AS INTEGER),
               lp.layer_id, s.indicator_id, lp.period, ?
        FROM (SELECT layer_id, period FROM _pl_periods
              UNION SELECT DISTINCT layer_id, period FROM _pl_up) lp
        CROSS JOIN _pl_spec s""",
        tables,
        [first, compute_id],
    )


_RATIO_QUERY = """
    WITH agg AS (
        SELECT layer_id, area_id, variable, period, value, flag FROM observations
        WHERE superseded_by IS NULL
        UNION ALL
        SELECT layer_id, area_id, variable, period, value,
               CASE WHEN n_valid = 0 THEN 'fehlend' WHEN n_valid < n_base THEN 'teilsumme' END
        FROM _pl_up
    ), tv AS MATERIALIZED (
        SELECT a.layer_id, a.area_id, a.period, t.term_id, a.value, a.flag
        FROM agg a JOIN _pl_terms t ON a.variable = t.variable WHERE t.n_vars = 1
        {multi}
    ), sets AS (
        SELECT st.set_id, st.layer_id, st.period, p.num_term, p.den_term, p.factor FROM indicator_sets st
        JOIN _pl_spec p ON p.indicator_id = st.indicator_id WHERE st.compute_id = {compute_id}
    ), n AS (
        SELECT v.*, s.set_id, s.den_term, s.factor{nkey} FROM tv v
        JOIN sets s ON v.layer_id = s.layer_id AND v.period = s.period AND v.term_id = s.num_term
    ), d AS (
        SELECT v.*{dkey} FROM tv v
        WHERE v.term_id IN (SELECT den_term FROM _pl_spec WHERE den_term IS NOT NULL)
    )
    SELECT n.set_id, n.area_id,
           CASE WHEN n.value IS NULL THEN NULL
                WHEN n.den_term IS NULL THEN n.value * n.factor
                WHEN d.value IS NULL OR d.value = 0 THEN NULL
                ELSE n.value / d.value * n.factor END AS value,
           n.value AS numerator, d.value AS denominator,
           CASE {collision}
                WHEN n.value IS NULL THEN coalesce(n.flag, 'fehlend')
                WHEN n.den_term IS NULL THEN n.flag
                WHEN d.value IS NULL THEN coalesce(d.flag, 'fehlend')
                WHEN d.value = 0 THEN 'nenner_null'
                ELSE coalesce(n.flag, d.flag) END AS flag
    FROM n LEFT JOIN d ON {on}"""

# terms summing several variables (only if the catalog has any: each branch scans the data)
_MULTI_TERMS = """UNION ALL
        SELECT a.layer_id, a.area_id, a.period, t.term_id,
               CASE WHEN count(a.value) = max(t.n_vars) THEN sum(a.value) END,
               CASE WHEN count(a.value) < max(t.n_vars) THEN coalesce(min(a.flag), 'fehlend')
                    ELSE min(a.flag) END
        FROM agg a JOIN _pl_terms t ON a.variable = t.variable WHERE t.n_vars > 1
        GROUP BY a.layer_id, a.area_id, a.period, t.term_id"""

_EXACT_ON = (
    "d.layer_id = n.layer_id AND d.area_id = n.area_id AND d.period = n.period AND d.term_id = n.den_term"
)


def _ratio_queries(store: Store, compute_id: int, terms: pa.Table) -> tuple[str | None, str]:
    """The ratio query joining numerator and denominator on a hash key (None where the store
    has none) and the same query with the exact join."""
    multi = _MULTI_TERMS if max(terms.column("n_vars").to_pylist(), default=1) > 1 else ""
    query = _RATIO_QUERY.replace("{multi}", multi)
    plain = query.format(nkey="", dkey="", compute_id=int(compute_id), collision="", on=_EXACT_ON)
    nkey = store.hash_key("v.layer_id", "v.area_id", "v.period", "s.den_term")
    dkey = store.hash_key("v.layer_id", "v.area_id", "v.period", "v.term_id")
    if nkey is None or dkey is None:
        return None, plain
    hashed = query.format(
        nkey=f", {nkey} AS hk",
        dkey=f", {dkey} AS hk",
        compute_id=int(compute_id),
        on="n.hk = d.hk",
        collision=f"WHEN d.hk IS NOT NULL AND NOT ({_EXACT_ON}) THEN 'hash_kollision'",
    )
    return hashed, plain


_SET_COUNTS = (
    "SELECT set_id, count(*) AS n, count(*) FILTER (WHERE flag = 'hash_kollision') AS bad "
    "FROM indicator_data GROUP BY set_id"
)


def _write_ratio_values(
    store: Store, compute_id: int, terms: pa.Table, tables: dict[str, pa.Table]
) -> tuple[bool, pa.Table]:
    """Step 4: terms on all levels, numerator joined to denominator, written as the new
    ``indicator_data``.  Every hash match is verified against the full key; after a collision
    the exact join runs instead (True then).  Also returns the number of values per set (one
    pass over the values)."""
    hashed, plain = _ratio_queries(store, compute_id, terms)
    if hashed is not None:
        store.replace_rows("indicator_data", hashed, tables)
        counts = store.query_arrow(_SET_COUNTS)
        if not pc.sum(counts.column("bad")).as_py():
            return False, counts
    store.replace_rows("indicator_data", plain, tables)
    return hashed is not None, store.query_arrow(_SET_COUNTS)


def _drop_empty_sets(store: Store, compute_id: int, counts: pa.Table) -> dict[str, int]:
    """Step 5: sets without any value (e.g. a period with denominators only) are dropped;
    returns the number of values per layer."""
    tables = {"_pl_counts": counts.select(["set_id", "n"])}
    store.execute_with(
        "DELETE FROM indicator_sets WHERE compute_id = ? AND set_id NOT IN (SELECT set_id FROM _pl_counts)",
        tables,
        [compute_id],
    )
    by_layer = store.query_with(
        "SELECT s.layer_id, sum(c.n) AS n FROM _pl_counts c JOIN indicator_sets s USING (set_id) "
        "WHERE s.compute_id = ? GROUP BY s.layer_id",
        tables,
        [compute_id],
    )
    return {str(r["layer_id"]): int(r["n"]) for r in by_layer.to_dict("records")}


def _compute_value_indicator(store: Store, ind: IndicatorDefinition, compute_id: int) -> dict[str, int]:
    """Imported values: as is on their layer; weighted mean upwards if a weight is declared.
    Returns the number of values per layer."""
    rows = store.query_df(
        "SELECT layer_id, area_id, period, value, flag FROM observations "
        "WHERE superseded_by IS NULL AND variable = ?",
        [ind.variable],
    )
    frames = [rows.assign(numerator=None, denominator=None)]
    if ind.weight and not rows.empty:
        w = store.query_df(
            "SELECT layer_id, area_id, period, value AS weight FROM observations "
            "WHERE superseded_by IS NULL AND variable = ?",
            [ind.weight],
        )
        both = rows.merge(w, on=["layer_id", "area_id", "period"], how="inner")
        for base in sorted(both["layer_id"].unique()):
            anc = ancestor_table(store, base)
            anc = anc[anc["anc_layer"] != base]
            n_base = anc.groupby(["anc_layer", "anc_id"]).size().rename("n_base").reset_index()
            sub = both[both["layer_id"] == base].merge(anc, on="area_id")
            sub = sub.assign(vw=sub["value"] * sub["weight"], wv=sub["weight"].where(sub["value"].notna()))
            g = (
                sub.groupby(["anc_layer", "anc_id", "period"])
                .agg(vw=("vw", "sum"), wv=("wv", "sum"), n=("value", "count"))
                .reset_index()
            )
            g = g.merge(n_base, on=["anc_layer", "anc_id"])
            g["value"] = (g["vw"] / g["wv"]).where(g["wv"] > 0)
            g["flag"] = None
            g.loc[g["n"] < g["n_base"], "flag"] = "teilsumme"
            g.loc[g["n"] == 0, "flag"] = "fehlend"
            frames.append(
                pd.DataFrame(
                    {
                        "layer_id": g["anc_layer"],
                        "area_id": g["anc_id"],
                        "period": g["period"],
                        "value": g["value"],
                        "flag": g["flag"],
                        "numerator": None,
                        "denominator": g["wv"],
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    if ind.factor != 1.0:  # e.g. a published fraction (0.014) shown in percent
        out["value"] = out["value"] * ind.factor
    if not store_indicator_frame(store, ind.id, out, compute_id):
        return {}
    return {str(k): int(n) for k, n in out["layer_id"].value_counts().items()}


def store_indicator_frame(store: Store, indicator_id: str, allv: pd.DataFrame, compute_id: int) -> int:
    """Store values of one indicator: columns layer_id, area_id, period, value, flag
    (numerator, denominator optional).  Returns the number of values."""
    if allv.empty:
        return 0
    allv = allv.copy()
    for col in ("numerator", "denominator", "flag"):
        if col not in allv.columns:
            allv[col] = None
    sets = allv[["layer_id", "period"]].drop_duplicates().sort_values(["layer_id", "period"])
    first = store.next_id("indicator_sets", "set_id")
    sets = sets.assign(set_id=range(first, first + len(sets)))
    store.insert_arrow(
        "indicator_sets",
        pa.table(
            {
                "set_id": pa.array(sets["set_id"].tolist(), pa.int32()),
                "layer_id": pa.array(sets["layer_id"].astype(str).tolist(), pa.string()),
                "indicator_id": pa.array([indicator_id] * len(sets), pa.string()),
                "period": pa.array(sets["period"].astype(str).tolist(), pa.string()),
                "compute_id": pa.array([compute_id] * len(sets), pa.int32()),
            }
        ),
    )
    allv = allv.merge(sets, on=["layer_id", "period"])

    def floats(name: str) -> pa.Array:
        return pa.array([None if pd.isna(x) else float(x) for x in allv[name].astype(object)], pa.float64())

    store.insert_arrow(
        "indicator_data",
        pa.table(
            {
                "set_id": pa.array(allv["set_id"].tolist(), pa.int32()),
                "area_id": pa.array(allv["area_id"].astype(str).tolist(), pa.string()),
                "value": floats("value"),
                "numerator": floats("numerator"),
                "denominator": floats("denominator"),
                "flag": pa.array([f if isinstance(f, str) else None for f in allv["flag"]], pa.string()),
            }
        ),
    )
    return len(allv)
