"""Everything the catalog publishes as counts, as one linear system per period.

* **Cells**: the count quantities an indicator shows – its numerator and denominator terms
  (a term is a sum of variables, e.g. ``inhabitants_age_below_6 + inhabitants_age_6_15 + …``)
  on every layer, area and period.  A rate publishes both terms (the machine-readable export
  carries them), so suppressing a rate means suppressing a term.
* **Atoms**: the observed variables on the base layer where they were imported (e.g. PLR; with
  data on several layers the finest one that covers the coarser ones, see ``_base_layers``).
  A cell is the sum of its term's atoms over the base areas below it – checked against the
  stored value; a cell whose value is not that sum (e.g. observations of a layer of its own)
  is kept as an independent quantity.
* **Relations**: exact linear relations between variables in every base area, declared in the
  catalog (``[[relation]]``) or found in the data (see :mod:`.relations`), e.g. residents =
  the sum of the age bands, migration background = foreigners + Germans with background.
* **Components**: variables linked by a term or a relation; components are independent
  problems, and so are periods (no published quantity spans two periods).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from planlabor.areas.hierarchy import ancestor_table, layer_chain
from planlabor.catalog import Catalog, IndicatorDefinition
from planlabor.confidentiality.relations import Relation, find_relations
from planlabor.confidentiality.rules import SuppressionRules
from planlabor.store import Store

TOL = 1e-6


def term_key(variables: Iterable[str]) -> str:
    """A term (sum of variables) as a key; the order of the summands does not matter."""
    return "+".join(sorted(variables))


def count_indicators(catalog: Catalog) -> list[IndicatorDefinition]:
    """Indicators that publish counts: rates (quote) and counts (anzahl)."""
    return [i for i in catalog.indicators if i.kind in ("quote", "anzahl")]


def cell_spec(catalog: Catalog, rules: SuppressionRules) -> pa.Table:
    """Per public count indicator and role (``n``/``d``) its term and minimum count."""
    defs = [i for i in count_indicators(catalog) if i.public]
    spec: dict[str, list[object]] = {"indicator_id": [], "role": [], "term": [], "threshold": []}
    for d in defs:
        for role, variables in (("n", d.numerator), ("d", d.denominator)):
            if variables:
                spec["indicator_id"].append(d.id)
                spec["role"].append(role)
                spec["term"].append(term_key(variables))
                spec["threshold"].append(float(d.min_count or rules.min_count))
    return pa.table(
        {
            "indicator_id": pa.array(spec["indicator_id"], pa.string()),
            "role": pa.array(spec["role"], pa.string()),
            "term": pa.array(spec["term"], pa.string()),
            "threshold": pa.array(spec["threshold"], pa.float64()),
        }
    )


SMALL = (
    "min(CASE WHEN s.role = 'n' THEN v.numerator ELSE v.denominator END) < max(s.threshold) "
    "OR min(CASE WHEN s.role = 'n' THEN v.numerator ELSE v.denominator END) = 0"
)
# the areas and periods with a count below the largest threshold or zero: a small cell lies in
# one of them (its smallest count is below its threshold), so only their rows are grouped
CANDIDATES = """WITH _pl_cand AS (
    SELECT DISTINCT layer_id, area_id, period FROM indicator_values
    WHERE indicator_id IN (SELECT indicator_id FROM _pl_cell_spec)
      AND (numerator < ? OR numerator = 0 OR denominator < ? OR denominator = 0) {where})"""
CELL_SQL = """{with_}
    SELECT v.layer_id, v.area_id, v.period, s.term,
           min(CASE WHEN s.role = 'n' THEN v.numerator ELSE v.denominator END) AS value,
           max(s.threshold) AS threshold
    FROM indicator_values v JOIN _pl_cell_spec s USING (indicator_id) {join}
    WHERE (CASE WHEN s.role = 'n' THEN v.numerator ELSE v.denominator END) IS NOT NULL {where}
    GROUP BY v.layer_id, v.area_id, v.period, s.term {having}
    ORDER BY v.period, v.layer_id, v.area_id, s.term"""


def collect_cells(
    store: Store,
    catalog: Catalog | None,
    rules: SuppressionRules,
    spec: pa.Table | None = None,
    period: str | None = None,
    small_only: bool = False,
) -> pd.DataFrame:
    """Term cells of the public count indicators: ``layer_id, area_id, period, term, value,
    threshold`` (the largest minimum count of the indicators that show the term).

    ``spec``: only these rows of :func:`cell_spec` (all terms a cell has must be in it, else its
    value and threshold differ); ``period``: only this period; ``small_only``: only cells below
    their threshold or zero (a superset of the sensitive ones)."""
    if spec is None:
        assert catalog is not None, "collect_cells: catalog or spec"
        spec = cell_spec(catalog, rules)
    at = [period] if period is not None else []
    params: list[object] = list(at)
    with_, join = "", ""
    if small_only:
        top = max(spec.column("threshold").to_pylist(), default=0.0)
        with_ = CANDIDATES.format(where="AND period = ?" if period is not None else "")
        join = "JOIN _pl_cand c ON c.layer_id = v.layer_id AND c.area_id = v.area_id AND c.period = v.period"
        params = [top, top, *at, *at]
    sql = CELL_SQL.format(
        with_=with_,
        join=join,
        where="AND v.period = ?" if period is not None else "",
        having=f"HAVING {SMALL}" if small_only else "",
    )
    return store.query_bulk(sql, {"_pl_cell_spec": spec}, params or None)


def terms_by_period(store: Store, spec: pa.Table) -> dict[str, set[str]]:
    """The terms that have a cell in each period (without collecting the cells)."""
    got = store.query_with(
        "SELECT period, indicator_id, count(numerator) AS n, count(denominator) AS d "
        "FROM indicator_values WHERE indicator_id IN (SELECT indicator_id FROM _pl_cell_spec) "
        "GROUP BY period, indicator_id",
        {"_pl_cell_spec": spec},
    )
    term_of = {
        (i, r): t
        for i, r, t in zip(
            *(spec.column(c).to_pylist() for c in ("indicator_id", "role", "term")), strict=True
        )
    }
    out: dict[str, set[str]] = {}
    for period, ind, n, d in zip(
        *(got[c].tolist() for c in ("period", "indicator_id", "n", "d")), strict=True
    ):
        terms = out.setdefault(str(period), set())
        for role, count in (("n", n), ("d", d)):
            if count and (ind, role) in term_of:
                terms.add(term_of[(ind, role)])
    return out


@dataclass
class PeriodModel:
    """The counts of one period: atoms, cells with their base layer, relations, components."""

    period: str
    atoms: pd.DataFrame  # atom, variable, layer_id, area_id, value
    cells: pd.DataFrame  # cell, layer_id, area_id, term, value, threshold, base (layer or None), comp
    relations: dict[str, list[Relation]]  # base layer -> relations
    components: list[set[str]]
    desc: dict[tuple[str, str, str], np.ndarray]  # (base, layer, area) -> base area ids
    atom_index: dict[tuple[str, str, str], int]  # (variable, base, area) -> atom
    term_vars: dict[str, tuple[str, ...]] = field(default_factory=dict)

    info: dict[int, tuple[str | None, str, str, str]] = field(default_factory=dict)
    value: dict[int, float] = field(default_factory=dict)
    comp_of: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = self.cells["cell"].astype(np.int64).tolist()  # Python ints
        bases = [b if isinstance(b, str) else None for b in self.cells["base"].tolist()]
        layers, areas, terms = (
            self.cells[c].astype(object).tolist() for c in ("layer_id", "area_id", "term")
        )
        self.info = dict(zip(ids, zip(bases, layers, areas, terms, strict=True), strict=True))
        self.value = dict(zip(ids, self.cells["value"].astype(float).tolist(), strict=True))
        self.comp_of = dict(zip(ids, self.cells["comp"].astype(np.int64).tolist(), strict=True))

    def atoms_of(self, cell: int, areas: set[str] | None = None) -> list[int]:
        """Atoms whose sum is the cell (restricted to base ``areas`` if given)."""
        base, lay, area, term = self.info[cell]
        if base is None:
            return []
        out = []
        variables = self.term_vars[term]
        for b in self.desc.get((base, lay, area), ()):
            if areas is not None and b not in areas:
                continue
            for v in variables:
                a = self.atom_index.get((v, base, b))
                if a is not None:
                    out.append(a)
        return out


class CountModel:
    """The linear system of a workspace's published counts (built lazily per period)."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        rules: SuppressionRules,
        declared: list[Relation] | None = None,
        *,
        cells: pd.DataFrame | None = None,
        terms: Iterable[str] | None = None,
        obs: pd.DataFrame | None = None,
    ) -> None:
        """``cells``/``terms``/``obs``: given instead of read from the store (a model that
        looks at part of the cells: ``terms`` are all terms, whose variables the relations
        are searched among; see :mod:`.focus`)."""
        self.store = store
        self.rules = rules
        if cells is None:
            cells = _plain_text(collect_cells(store, catalog, rules))
            cells["cell"] = np.arange(len(cells))
        self.cells = cells
        all_terms = self.cells["term"].unique().tolist() if terms is None else list(terms)
        self.term_vars = {t: tuple(t.split("+")) for t in all_terms}
        self.declared = list(declared or [])
        variables = sorted({v for vs in self.term_vars.values() for v in vs})
        self.variables = variables
        self.obs = self.observations() if obs is None else obs
        self._anc: dict[str, pd.DataFrame] = {}
        self._chains: dict[str, list[str]] = {}
        self._desc: dict[str, dict[tuple[str, str, str], np.ndarray]] = {}
        self._first: dict[str, pd.Series] = {}
        self._atoms: dict[str, pd.DataFrame] = {}
        self._base: dict[int, str] = {}

    def observations(self, period: str | None = None) -> pd.DataFrame:
        """Current observations of the model's variables (of one ``period``)."""
        if not self.variables:
            return pd.DataFrame(columns=["layer_id", "area_id", "variable", "period", "value"])
        sql = (
            "SELECT layer_id, area_id, variable, period, value FROM observations WHERE superseded_by "
            "IS NULL AND value IS NOT NULL AND variable IN (SELECT variable FROM _pl_vars)"
        )
        tables = {"_pl_vars": pa.table({"variable": pa.array(self.variables, pa.string())})}
        if period is None:
            return _plain_text(self.store.query_bulk(sql, tables))
        return _plain_text(self.store.query_bulk(sql + " AND period = ?", tables, [period]))

    def periods(self, sensitive_only: bool = False) -> list[str]:
        """Periods with cells (only those with a sensitive cell: nothing to suppress elsewhere)."""
        cells = self.cells
        if sensitive_only:
            cells = cells[self.rules.sensitive(cells["value"].to_numpy(), cells["threshold"].to_numpy())]
        return sorted(cells["period"].unique().tolist())

    def chain(self, base: str) -> list[str]:
        if base not in self._chains:
            self._chains[base] = layer_chain(self.store, base)
        return self._chains[base]

    def ancestors(self, base: str) -> pd.DataFrame:
        if base not in self._anc:
            self._anc[base] = ancestor_table(self.store, base)
        return self._anc[base]

    def descendants(self, base: str) -> dict[tuple[str, str, str], np.ndarray]:
        """(base, layer, area) → the base areas below (or equal to) the area."""
        if base not in self._desc:
            anc = self.ancestors(base)
            out: dict[tuple[str, str, str], list[str]] = {}
            for a, lay, aid in zip(
                *(anc[c].tolist() for c in ("area_id", "anc_layer", "anc_id")), strict=True
            ):
                out.setdefault((base, str(lay), str(aid)), []).append(str(a))
            self._desc[base] = {k: np.asarray(v, dtype=object) for k, v in out.items()}
        return self._desc[base]

    def first_below(self, base: str) -> pd.Series:
        """(layer, area) → the first base area below (or equal to) it, as in :meth:`descendants`."""
        if base not in self._first:
            desc = self.descendants(base)
            index = pd.MultiIndex.from_tuples([(lay, a) for _b, lay, a in desc], names=["layer", "area"])
            self._first[base] = pd.Series([v[0] for v in desc.values()], index=index, dtype=object)
        return self._first[base]

    def ancestors_wide(self, base: str) -> pd.DataFrame:
        """Base area × layer → ancestor id."""
        key = f"wide::{base}"
        if key not in self._anc:
            anc = self.ancestors(base)
            self._anc[key] = anc.pivot_table(
                index="area_id", columns="anc_layer", values="anc_id", aggfunc="first"
            )
        return self._anc[key]

    def period_atoms(self, period: str, obs: pd.DataFrame | None = None) -> pd.DataFrame:
        """The atoms of ``period`` (``obs``: its observations, if already at hand), numbered in
        the order layer, variable, area."""
        obs = self.obs[self.obs["period"] == period] if obs is None else obs
        bases = _base_layers(obs, self)
        pairs = pd.DataFrame(
            [(v, lay) for v, ls in bases.items() for lay in ls], columns=["variable", "layer_id"]
        )
        merged = pd.DataFrame(obs.merge(pairs, on=["variable", "layer_id"]))
        atoms = merged.sort_values(["layer_id", "variable", "area_id"]).reset_index(drop=True)
        return atoms.assign(atom=np.arange(len(atoms)))

    def prepare(self, periods: list[str]) -> None:
        """Atoms and the base layer of every cell for ``periods``, in one pass."""
        todo = [p for p in periods if p not in self._atoms]
        if not todo:
            return
        frames = []
        for period in todo:
            atoms = self.period_atoms(period)
            self._atoms[period] = atoms[["atom", "variable", "layer_id", "area_id", "value"]]
            frames.append(atoms)
        cells = self.cells[self.cells["period"].isin(todo)]
        found = _assign_bases(cells, pd.concat(frames, ignore_index=True), self)
        self._base.update(found)

    def relations(self, atoms: pd.DataFrame) -> dict[str, list[Relation]]:
        """Base layer → the relations among its atoms (declared ones that hold, found ones)."""
        return {
            str(base): find_relations(grp, list(self.declared))
            for base, grp in atoms.groupby("layer_id", sort=True)
        }

    def period(
        self, period: str, parts: tuple[dict[str, list[Relation]], list[set[str]]] | None = None
    ) -> PeriodModel:
        """The model of one period (``parts``: its relations and components, if known)."""
        self.prepare([period])
        cells = self.cells[self.cells["period"] == period].set_index("cell", drop=False)
        cells.index.name = None
        atoms = self._atoms[period]
        base_col = cells["cell"].map(self._base) if self._base else pd.Series(None, index=cells.index)
        cells = cells.assign(base=base_col.astype(object).where(base_col.notna(), None))
        desc: dict[tuple[str, str, str], np.ndarray] = {}
        for base in sorted(atoms["layer_id"].unique()):
            desc.update(self.descendants(str(base)))
        keys = zip(*(atoms[c].tolist() for c in ("variable", "layer_id", "area_id")), strict=True)
        atom_index = dict(zip(keys, map(int, atoms["atom"].tolist()), strict=True))
        if parts is None:
            relations = self.relations(atoms)
            comps = _components(self.term_vars, cells["term"].unique().tolist(), relations)
        else:
            relations, comps = parts
        comp_of = {v: k for k, comp in enumerate(comps) for v in comp}
        cells = cells.assign(comp=[comp_of[self.term_vars[t][0]] for t in cells["term"].tolist()])
        return PeriodModel(period, atoms, cells, relations, comps, desc, atom_index, self.term_vars)


def _plain_text(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects: iterating Arrow-backed strings is slow."""
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c]) and df[c].dtype != object:
            df[c] = df[c].astype(object)
    return df


COVER = 0.5  # a finer layer replaces a coarser one as base where it has data under half its areas


def _base_layers(obs: pd.DataFrame, model: CountModel) -> dict[str, set[str]]:
    """Per variable the layers its atoms live on: layers with observations, without those a
    finer layer with observations of the same variable covers.  A publisher's table of
    Kreise with a few Gemeinden in it (GENESIS: the kreisangehörige Städte of a Städteregion)
    keeps the Kreise as base – otherwise every Kreis and Land value would be an independent
    quantity and the Land total would not link the Kreise."""
    out: dict[str, set[str]] = {}
    pairs = obs[["variable", "layer_id"]].drop_duplicates()
    layers = pairs.groupby("variable", sort=False)["layer_id"].agg(list)
    for var, lays in layers.items():
        if len(lays) == 1:  # one layer: it is the base, no cover to check
            out[str(var)] = {str(lays[0])}
    several = obs[~obs["variable"].isin(list(out))] if out else obs
    for var, grp in several.groupby("variable", sort=False):
        areas = {str(lay): set(g["area_id"].tolist()) for lay, g in grp.groupby("layer_id", sort=True)}
        drop: set[str] = set()
        for fine, below in areas.items():
            coarser = [c for c in model.chain(fine)[1:] if c in areas and c not in drop]
            drop.update(c for c in coarser if _covers(model, fine, c, below, areas[c]))
        out[str(var)] = set(areas) - drop or set(areas)
    return out


def _covers(model: CountModel, fine: str, coarse: str, below: set[str], above: set[str]) -> bool:
    """Whether the areas ``below`` (layer ``fine``) lie under at least ``COVER`` of ``above``."""
    wide = model.ancestors_wide(fine)
    if coarse not in wide.columns:
        return False
    anc = wide[coarse].reindex(sorted(below)).dropna()
    return len(set(anc.tolist()) & above) >= COVER * len(above)


def _assign_bases(cells: pd.DataFrame, atoms: pd.DataFrame | pa.Table, model: CountModel) -> dict[int, str]:
    """For each cell the base layer whose atoms sum up to its value (cells without one are
    independent values).  Sums over the ancestor tables of the base layers, in SQL.
    ``atoms``: columns ``period, layer_id, area_id, variable, value`` (pandas or Arrow)."""
    import pyarrow.compute as pc

    def table(df: pd.DataFrame, cols: list[str], numeric: dict[str, pa.DataType]) -> pa.Table:
        return pa.table({c: pa.array(df[c].to_numpy(), numeric.get(c, pa.string())) for c in cols})

    if cells.empty or len(atoms) == 0:
        return {}
    cols = ["period", "layer_id", "area_id", "variable", "value"]
    at = atoms.select(cols) if isinstance(atoms, pa.Table) else table(atoms, cols, {"value": pa.float64()})
    bases = sorted(pc.unique(at.column("layer_id")).to_pylist())
    anc = pd.concat([model.ancestors(b).assign(base=b) for b in bases], ignore_index=True)
    tv = [(t, v) for t in cells["term"].unique().tolist() for v in model.term_vars[t]]

    got = model.store.query_with(
        """
        WITH s AS (
            SELECT a.period, a.layer_id AS base, n.anc_layer, n.anc_id, a.variable,
                   sum(a.value) AS total
            FROM _pl_atoms a JOIN _pl_anc n ON n.base = a.layer_id AND n.area_id = a.area_id
            GROUP BY a.period, a.layer_id, n.anc_layer, n.anc_id, a.variable),
        k AS (SELECT term, count(*) AS n_vars FROM _pl_tv GROUP BY term)
        SELECT c.cell, s.base
        FROM _pl_cells c JOIN _pl_tv tv ON tv.term = c.term JOIN k ON k.term = c.term
        JOIN s ON s.period = c.period AND s.anc_layer = c.layer_id AND s.anc_id = c.area_id
              AND s.variable = tv.variable
        GROUP BY c.cell, s.base
        HAVING count(*) = max(k.n_vars)
           AND abs(sum(s.total) - max(c.value)) <= ? * greatest(1.0, abs(max(c.value)))
        ORDER BY c.cell, s.base""",
        {
            "_pl_atoms": at,
            "_pl_anc": table(anc, ["base", "area_id", "anc_layer", "anc_id"], {}),
            "_pl_tv": pa.table(
                {
                    "term": pa.array([t for t, _ in tv], pa.string()),
                    "variable": pa.array([v for _, v in tv], pa.string()),
                }
            ),
            "_pl_cells": table(
                cells,
                ["cell", "period", "layer_id", "area_id", "term", "value"],
                {"cell": pa.int64(), "value": pa.float64()},
            ),
        },
        [TOL],
    )
    base_of: dict[int, str] = {}
    for c, b in zip(got["cell"].tolist(), got["base"].tolist(), strict=True):
        old = base_of.get(int(c))
        if old is None or len(model.chain(str(b))) > len(model.chain(old)):  # the finest layer
            base_of[int(c)] = str(b)
    return base_of


def _components(
    term_vars: dict[str, tuple[str, ...]], terms: Iterable[str], relations: dict[str, list[Relation]]
) -> list[set[str]]:
    """Variables linked by a common term or a relation (union–find)."""
    parent: dict[str, str] = {}

    def find(v: str) -> str:
        parent.setdefault(v, v)
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    def union(vs: Iterable[str]) -> None:
        vs = list(vs)
        for v in vs:
            find(v)
        for v in vs[1:]:
            parent[find(v)] = find(vs[0])

    for t in terms:
        union(term_vars[t])
    for rels in relations.values():
        for r in rels:
            union(r.coef)
    groups: dict[str, set[str]] = defaultdict(set)
    for v in list(parent):
        groups[find(v)].add(v)
    return sorted(groups.values(), key=lambda s: sorted(s)[0])
