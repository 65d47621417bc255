"""The suppression pattern from the cells that can matter, not from every published count.

Primary suppression concerns the cells below their minimum count; secondary suppression of a
sensitive cell moves only cells of its component (the variables linked to its term by terms
and relations) on its base layer (:mod:`.protect`).  So a period without a sensitive cell, and
in a period every component without one, is never looked at: the store answers which cells are
small (one aggregate over the indicator values), and only the cells of the components with a
sensitive cell come to Python – on the 11-million-value benchmark a few thousand cells instead
of every cell of every period (issue #22).

The result is the one of the whole model (:func:`planlabor.confidentiality.pattern.full_status`,
compared on random hierarchies in ``tests/test_confidentiality_focus.py``): relations are
searched among the same variables, components come from all terms of the period, and cells and
atoms keep their relative order, so every optimisation sees the same problem.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planlabor.catalog import Catalog
from planlabor.confidentiality.model import (
    CountModel,
    _assign_bases,
    _base_layers,
    _components,
    _plain_text,
    cell_spec,
    collect_cells,
    terms_by_period,
)
from planlabor.confidentiality.protect import PRIMARY, protect_period
from planlabor.confidentiality.relations import Relation, relations_in
from planlabor.confidentiality.rules import SuppressionRules
from planlabor.confidentiality.stages import stage
from planlabor.store import Store

CELL_COLUMNS = ["layer_id", "area_id", "period", "term", "value", "threshold", "cell", "status"]


def focused_status(
    store: Store, catalog: Catalog, rules: SuppressionRules, declared: list[Relation]
) -> pd.DataFrame:
    """The cells looked at (``layer_id, area_id, period, term, value, threshold, cell``) with
    their ``status`` (``primär``/``sekundär``, None where published)."""
    spec = cell_spec(catalog, rules)
    reader = store.counts_reader()  # PostgreSQL: the indicator step's DuckDB scratch, if kept
    with stage("Kleine Zellen sammeln"):
        small = collect_cells(reader, catalog, rules, spec, small_only=True)
        small = _plain_text(small[rules.sensitive(small["value"].to_numpy(), small["threshold"].to_numpy())])
    if not rules.secondary:  # primary suppression only: the sensitive cells are the pattern
        cells = small.assign(cell=np.arange(len(small), dtype=np.int64))
        return cells.assign(status=pd.Series([PRIMARY] * len(cells), index=cells.index, dtype=object))[
            CELL_COLUMNS
        ]
    with stage("Kleine Zellen sammeln"):
        present = terms_by_period(reader, spec)
    terms = sorted(set().union(*present.values())) if present else []
    empty = small.iloc[:0].assign(cell=np.zeros(0, dtype=np.int64))
    model = CountModel(store, catalog, rules, declared, cells=empty, terms=terms, obs=empty)
    periods = [str(p) for p in sorted(small["period"].unique().tolist())]
    plans = [_plan(model, reader, period, present.get(period, set()), small) for period in periods]
    with stage("Zellen der Komponenten"):
        cells = _component_cells(reader, spec, plans)
    with stage("Basisebenen der Zellen"):
        hot = pa.concat_tables([p.atoms for p in plans]) if plans else None
        model._base.update(_assign_bases(cells, hot, model) if hot is not None else {})
    frames = [empty.assign(status=pd.Series(dtype=object))]
    rows = cells.groupby("period", sort=False).indices if len(cells) else {}  # not 20 × 1 M comparisons
    for plan in plans:
        frames.append(_protect(model, plan, cells.iloc[rows.get(plan.period, np.zeros(0, dtype=np.int64))]))
    return pd.concat(frames, ignore_index=True)[CELL_COLUMNS]


@dataclass
class _Plan:
    """One period's relations, components and the components with a sensitive cell."""

    period: str
    relations: dict[str, list[Relation]]
    comps: list[set[str]]
    terms: list[str]  # the terms of those components
    atoms: pa.Table  # their atoms, numbered (``atom``) in the order layer, variable, area


def _plan(model: CountModel, reader: Store, period: str, present: set[str], small: pd.DataFrame) -> _Plan:
    with stage("Beobachtungen und Atome"):
        atoms = _period_atoms(model, reader, period)
    with stage("Beziehungssuche"):
        relations = {
            base: relations_in(_wide(atoms.filter(pc.equal(atoms.column("layer_id"), base))), model.declared)
            for base in sorted(pc.unique(atoms.column("layer_id")).to_pylist())
        }
    with stage("Komponenten"):
        comps = _components(model.term_vars, sorted(present), relations)
        comp_of = {v: k for k, comp in enumerate(comps) for v in comp}
        sens_terms = small.loc[small["period"] == period, "term"].unique().tolist()
        hot = {comp_of[model.term_vars[t][0]] for t in sens_terms}
        variables = set().union(*(comps[k] for k in hot))
        terms = [t for t in present if model.term_vars[t][0] in variables]
        return _Plan(period, relations, comps, terms, _hot_atoms(atoms, variables, period))


def _component_cells(reader: Store, spec: pa.Table, plans: list[_Plan]) -> pd.DataFrame:
    """The cells of the components with a sensitive cell, of all periods in one query,
    numbered period by period (in each period in the order layer, area, term)."""
    if not plans:
        return pd.DataFrame(columns=[*CELL_COLUMNS[:6], "cell"])
    parts = []
    for plan in plans:
        mine = spec.filter(pc.is_in(spec.column("term"), value_set=pa.array(plan.terms, pa.string())))
        parts.append(mine.append_column("period", pa.array([plan.period] * len(mine), pa.string())))
    got = _plain_text(reader.query_bulk(PERIOD_CELL_SQL, {"_pl_cell_spec": pa.concat_tables(parts)}))
    order = {plan.period: k for k, plan in enumerate(plans)}
    got = got.iloc[np.argsort(got["period"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    return got.assign(cell=np.arange(len(got), dtype=np.int64))


PERIOD_CELL_SQL = """
    SELECT v.layer_id, v.area_id, v.period, s.term,
           min(CASE WHEN s.role = 'n' THEN v.numerator ELSE v.denominator END) AS value,
           max(s.threshold) AS threshold
    FROM indicator_values v JOIN _pl_cell_spec s ON s.indicator_id = v.indicator_id AND s.period = v.period
    WHERE (CASE WHEN s.role = 'n' THEN v.numerator ELSE v.denominator END) IS NOT NULL
    GROUP BY v.layer_id, v.area_id, v.period, s.term
    ORDER BY v.period, v.layer_id, v.area_id, s.term"""


def _protect(model: CountModel, plan: _Plan, cells: pd.DataFrame) -> pd.DataFrame:
    """Protect one period on the components that hold one of its sensitive cells."""
    with stage("Periodenmodell"):
        model.cells = cells
        mine = _plain_text(plan.atoms.to_pandas())
        model._atoms[plan.period] = mine[["atom", "variable", "layer_id", "area_id", "value"]]
        pm = model.period(plan.period, (plan.relations, plan.comps))
    with stage("Schutz (MIP je Zelle)"):
        status = protect_period(model, pm, model.rules)
    return cells.assign(status=cells["cell"].map(status))


def _period_atoms(model: CountModel, reader: Store, period: str) -> pa.Table:
    """The atoms of ``period`` (``layer_id, area_id, variable, value`` on their base layers) as
    Arrow, in one query (to ``reader``, see :meth:`Store.counts_reader`): the relation search
    needs them for every variable."""
    obs = reader.query_bulk_arrow(
        "SELECT layer_id, area_id, variable, value FROM observations WHERE superseded_by IS NULL "
        "AND value IS NOT NULL AND period = ? AND variable IN (SELECT variable FROM _pl_vars)",
        {"_pl_vars": pa.table({"variable": pa.array(model.variables, pa.string())})},
        [period],
    )
    obs = obs.cast(
        pa.schema(
            [
                ("layer_id", pa.string()),
                ("area_id", pa.string()),
                ("variable", pa.string()),
                ("value", pa.float64()),
            ]
        )
    )
    pairs = obs.select(["variable", "layer_id"]).group_by(["variable", "layer_id"]).aggregate([])
    pair_vars = pairs.column("variable").to_pylist()
    several = sorted(v for v, n in Counter(pair_vars).items() if n > 1)
    bases = {
        v: {lay}
        for v, lay in zip(pair_vars, pairs.column("layer_id").to_pylist(), strict=True)
        if v not in several
    }
    if several:  # a variable on several layers: which of them are its base (see _base_layers)
        sub = obs.filter(pc.is_in(obs.column("variable"), value_set=pa.array(several, pa.string())))
        bases.update(_base_layers(_plain_text(sub.to_pandas()), model))
    keep = np.zeros(len(obs), dtype=bool)
    for lay in sorted({lay for ls in bases.values() for lay in ls}):
        on = [v for v, ls in bases.items() if lay in ls]
        mask = pc.and_(
            pc.equal(obs.column("layer_id"), lay), pc.is_in(obs.column("variable"), value_set=pa.array(on))
        )
        keep |= mask.to_numpy(zero_copy_only=False)
    return obs.filter(pa.array(keep))


def _sorted_unique(col: pa.ChunkedArray) -> pa.Array:
    u = pc.unique(col)
    return u.take(pc.sort_indices(u))


def _wide(atoms: pa.Table) -> pd.DataFrame:
    """Base areas × variables (both sorted, NaN where missing) as the pivot table of
    :func:`planlabor.confidentiality.relations.find_relations`, without pandas strings."""
    areas, variables = _sorted_unique(atoms.column("area_id")), _sorted_unique(atoms.column("variable"))
    rows = pc.index_in(atoms.column("area_id"), value_set=areas).to_numpy(zero_copy_only=False)
    cols = pc.index_in(atoms.column("variable"), value_set=variables).to_numpy(zero_copy_only=False)
    values = atoms.column("value").to_numpy()
    m = np.full((len(areas), len(variables)), np.nan)
    m[rows[::-1], cols[::-1]] = values[::-1]  # duplicates: the first one wins, as ``aggfunc="first"``
    index = pd.Index(areas.to_pylist(), dtype=object, name="area_id")
    return pd.DataFrame(
        m, index=index, columns=pd.Index(variables.to_pylist(), dtype=object, name="variable")
    )


def _hot_atoms(atoms: pa.Table, variables: set[str], period: str) -> pa.Table:
    """The atoms of the components with a sensitive cell, numbered in the order layer,
    variable, area (as :meth:`CountModel.period_atoms` numbers all atoms)."""
    mine = atoms.filter(
        pc.is_in(atoms.column("variable"), value_set=pa.array(sorted(variables), pa.string()))
    )
    mine = mine.take(
        pc.sort_indices(
            mine, [("layer_id", "ascending"), ("variable", "ascending"), ("area_id", "ascending")]
        )
    )
    n = len(mine)
    return mine.append_column("period", pa.array([period] * n, pa.string())).append_column(
        "atom", pa.array(np.arange(n, dtype=np.int64))
    )
