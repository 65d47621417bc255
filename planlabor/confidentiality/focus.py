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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planlabor.catalog import Catalog
from planlabor.confidentiality.model import (
    CountModel,
    _assign_bases,
    _components,
    _plain_text,
    cell_spec,
    collect_cells,
    terms_by_period,
)
from planlabor.confidentiality.protect import PRIMARY, protect_period
from planlabor.confidentiality.relations import Relation
from planlabor.confidentiality.rules import SuppressionRules
from planlabor.store import Store

CELL_COLUMNS = ["layer_id", "area_id", "period", "term", "value", "threshold", "cell", "status"]


def focused_status(
    store: Store, catalog: Catalog, rules: SuppressionRules, declared: list[Relation]
) -> pd.DataFrame:
    """The cells looked at (``layer_id, area_id, period, term, value, threshold, cell``) with
    their ``status`` (``primär``/``sekundär``, None where published)."""
    spec = cell_spec(catalog, rules)
    small = collect_cells(store, catalog, rules, spec, small_only=True)
    small = _plain_text(small[rules.sensitive(small["value"].to_numpy(), small["threshold"].to_numpy())])
    if not rules.secondary:  # primary suppression only: the sensitive cells are the pattern
        cells = small.assign(cell=np.arange(len(small), dtype=np.int64))
        return cells.assign(status=pd.Series([PRIMARY] * len(cells), index=cells.index, dtype=object))[
            CELL_COLUMNS
        ]
    present = terms_by_period(store, spec)
    terms = sorted(set().union(*present.values())) if present else []
    empty = small.iloc[:0].assign(cell=np.zeros(0, dtype=np.int64))
    model = CountModel(store, catalog, rules, declared, cells=empty, terms=terms, obs=empty)
    frames = [empty.assign(status=pd.Series(dtype=object))]
    offset = 0
    for period in sorted(small["period"].unique().tolist()):
        cells = _period_status(model, spec, str(period), present.get(str(period), set()), small, offset)
        offset += len(cells)
        frames.append(cells)
    return pd.concat(frames, ignore_index=True)[CELL_COLUMNS]


def _period_status(
    model: CountModel,
    spec: pa.Table,
    period: str,
    present: set[str],
    small: pd.DataFrame,
    offset: int,
) -> pd.DataFrame:
    """Protect one period on the components that hold one of its sensitive cells."""
    obs = model.observations(period)
    atoms = model.period_atoms(period, obs)
    relations = model.relations(atoms)
    comps = _components(model.term_vars, sorted(present), relations)
    comp_of = {v: k for k, comp in enumerate(comps) for v in comp}
    sens_terms = small.loc[small["period"] == period, "term"].unique().tolist()
    hot = {comp_of[model.term_vars[t][0]] for t in sens_terms}
    variables = set().union(*(comps[k] for k in hot))
    terms = [t for t in present if model.term_vars[t][0] in variables]
    table = spec.filter(pc.is_in(spec.column("term"), value_set=pa.array(terms, pa.string())))
    cells = _plain_text(collect_cells(model.store, None, model.rules, table, period))
    cells["cell"] = np.arange(offset, offset + len(cells), dtype=np.int64)
    mine = atoms[atoms["variable"].isin(list(variables))]
    mine = mine.assign(atom=np.arange(len(mine)))
    model.cells = cells
    model._atoms[period] = mine[["atom", "variable", "layer_id", "area_id", "value"]]
    model._base.update(_assign_bases(cells, mine, model))
    pm = model.period(period, (relations, comps))
    status = protect_period(model, pm, model.rules)
    return cells.assign(status=cells["cell"].map(status))
