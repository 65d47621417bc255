"""Choosing the complementary (secondary) cells: one small optimisation per sensitive cell.

Method: the cell-suppression model of Fischetti & Salazar-González (2000, "Models and
algorithms for optimizing cell suppression in tabular data with linear constraints", JASA 95,
916–928), solved for one sensitive cell at a time as in τ-ARGUS (Hundepool et al. 2012,
*Statistical Disclosure Control*, ch. 4.3).  For a sensitive count *a* with protection levels
*U* (up) and *L* (down) an attacker must not exclude *a* + *U* nor *a* − *L*.  That holds
exactly when there are deviations y⁺ and y⁻ of the atoms with

* *x* + *y* ≥ 0 (counts stay counts) and every relation between variables kept,
* the cell moved by ≥ *U* upwards (y⁺) and by ≥ *L* downwards (y⁻),
* every **published** cell unchanged –

so the cells the deviations move are the ones to suppress.  With a binary z_c per published
cell (|Δ_c(y±)| ≤ M_c·z_c) the mixed-integer program

    min Σ_c w_c · z_c,   w_c = 1 + ln(1 + value_c)

(HiGHS) finds the cheapest such pattern: few and small cells (the logarithmic cost of
τ-ARGUS).  Cells already suppressed cost nothing, so the patterns of neighbouring cells
overlap.  A zero cell cannot move down, so it is never the only partner.

The program runs on the smallest part of the hierarchy that can hold the deviations: the
subtree of the cell's parent with the parent's own counts fixed; if that is infeasible, the
grandparent's subtree, and so on; last the whole tree with nothing fixed.  A deviation found
there is one of the full system (outside the subtree nothing moves), so the protection is
exact, and suppressing more cells later only widens the attacker's intervals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planlabor.confidentiality.lp import INF, LinearProgram
from planlabor.confidentiality.model import CountModel, PeriodModel
from planlabor.confidentiality.rules import SuppressionRules

if TYPE_CHECKING:  # scipy is imported when a pattern is computed (not by every report or export)
    import scipy.sparse as sp

PRIMARY = "primär"
SECONDARY = "sekundär"


@dataclass
class Neighbourhood:
    areas: set[str]  # base areas
    inside: list[int]  # cells strictly below the root (or all cells without a root)
    root: list[int]  # the root's cells (kept fixed)


@dataclass
class Group:
    """The cells of one component on one base layer, with their ancestors on every layer."""

    base: str
    comp: int
    chain: list[str]
    cells: np.ndarray  # cell ids
    depth: np.ndarray  # position of the cell's layer in the chain
    area: np.ndarray  # the cell's area
    anc: dict[str, np.ndarray]  # layer -> ancestor id of the cell's area (or None)
    atoms_by_area: dict[str, list[int]]  # base area -> atoms of the component's variables
    value: dict[int, float]  # atom -> value


def protect_period(model: CountModel, pm: PeriodModel, rules: SuppressionRules) -> dict[int, str]:
    """Cell → ``primär``/``sekundär`` for one period."""
    cells = pm.cells
    mask = rules.sensitive(cells["value"].to_numpy(), cells["threshold"].to_numpy())
    sens = [int(c) for c in cells["cell"].to_numpy()[mask]]
    status = {c: PRIMARY for c in sens}
    if not rules.secondary or not sens:
        return status
    groups: dict[tuple[str, int], Group] = {}
    order = []
    for p in sens:
        base = pm.info[p][0]
        if base is None:
            continue  # an independent value: no published sum reveals it
        key = (base, pm.comp_of[p])
        if key not in groups:
            groups[key] = _group(model, pm, *key)
        g = groups[key]
        order.append((-int(g.depth[np.searchsorted(g.cells, p)]), pm.info[p][1], p, key))
    for _d, _lay, p, key in sorted(order):
        value = pm.value[p]
        need = (rules.upper_protection(value), rules.lower_protection(value))
        for c in _deviate(pm, groups[key], p, need, status):
            status.setdefault(c, SECONDARY)
    return status


def _group(model: CountModel, pm: PeriodModel, base: str, comp: int) -> Group:
    mine = pm.cells[(pm.cells["base"] == base) & (pm.cells["comp"] == comp)].sort_values("cell")
    cells = [int(c) for c in mine["cell"].tolist()]
    chain = model.chain(base)
    level = {name: k for k, name in enumerate(chain)}
    wide = model.ancestors_wide(base)
    key = pd.MultiIndex.from_arrays([mine["layer_id"].astype(str), mine["area_id"].astype(str)])
    first = model.first_below(base).reindex(key).to_numpy(dtype=object)  # a base area below each cell
    rows = wide.reindex(first)
    anc_cols = {}
    for lay in chain:
        anc_cols[lay] = rows[lay].to_numpy(dtype=object) if lay in rows.columns else np.full(len(cells), None)
    variables = pm.components[comp]
    atoms = pm.atoms[(pm.atoms["layer_id"] == base) & pm.atoms["variable"].isin(sorted(variables))]
    by_area: dict[str, list[int]] = {}  # in the order of the atoms
    ids = [int(a) for a in atoms["atom"].tolist()]
    for a, area in zip(ids, atoms["area_id"].tolist(), strict=True):
        by_area.setdefault(str(area), []).append(a)
    value = dict(zip(ids, map(float, atoms["value"].tolist()), strict=True))
    return Group(
        base=base,
        comp=comp,
        chain=chain,
        cells=np.asarray(cells, dtype=np.int64),
        depth=np.array([level[lay] for lay in key.get_level_values(0).tolist()], dtype=np.int64),
        area=np.asarray(key.get_level_values(1).tolist(), dtype=object),
        anc=anc_cols,
        atoms_by_area=by_area,
        value=value,
    )


def _neighbourhoods(pm: PeriodModel, g: Group, p: int) -> Iterator[Neighbourhood]:
    """The parent's subtree, the grandparent's, …, then the whole tree (lazily)."""
    i = int(np.searchsorted(g.cells, p))
    for k in range(int(g.depth[i]) + 1, len(g.chain)):
        root_id = g.anc[g.chain[k]][i]
        if not isinstance(root_id, str):
            break
        below = g.anc[g.chain[k]] == root_id
        yield Neighbourhood(
            areas=set(pm.desc.get((g.base, g.chain[k], root_id), ())),
            inside=g.cells[below & (g.depth < k)].tolist(),
            root=g.cells[(g.depth == k) & (g.area == root_id)].tolist(),
        )
    yield Neighbourhood(areas=set(g.atoms_by_area), inside=g.cells.tolist(), root=[])


def _deviate(
    pm: PeriodModel, g: Group, p: int, need: tuple[float, float], status: dict[int, str]
) -> list[int]:
    """Published cells that must be suppressed so that cell ``p`` can move up and down by
    ``need``; the smallest neighbourhood that allows it."""
    for hood in _neighbourhoods(pm, g, p):
        moved = _solve(pm, g, p, need, status, hood)
        if moved is not None:
            return moved
    return []


class _Rows:
    """Rows of a sparse constraint matrix with their bounds."""

    def __init__(self) -> None:
        self.rows: list[tuple[list[int], list[float]]] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, cols: list[int], vals: list[float], lo: float, hi: float) -> None:
        self.rows.append((cols, vals))
        self.lo.append(lo)
        self.hi.append(hi)


def _solve(
    pm: PeriodModel,
    g: Group,
    p: int,
    need: tuple[float, float],
    status: dict[int, str],
    hood: Neighbourhood,
) -> list[int] | None:
    """The single-cell protection model of Fischetti & Salazar-González on one neighbourhood:
    deviations y⁺ (upwards) and y⁻ (downwards) of the atoms; a published cell c that moves in
    either has to be suppressed (z_c = 1, |Δ_c| ≤ M_c·z_c); minimise Σ w_c·z_c (mixed-integer,
    HiGHS).  None if the neighbourhood cannot hold the deviations."""
    atom_ids = [a for area in sorted(hood.areas) for a in g.atoms_by_area.get(area, ())]
    col_of = {a: j for j, a in enumerate(atom_ids)}
    n_y = len(col_of)
    if n_y == 0:
        return None
    free = [c for c in hood.inside if c not in status]
    n_z = len(free)
    n_cols = 2 * n_y + n_z
    r = _Rows()
    target = [col_of[a] for a in pm.atoms_of(p, hood.areas) if a in col_of]
    amount = max(need)
    for k, c in enumerate(free):  # |Δ_c(y±)| ≤ M_c · z_c
        cols = [col_of[a] for a in pm.atoms_of(c, hood.areas) if a in col_of]
        big = abs(pm.value[c]) + 4.0 * amount + 1.0
        for off in (0, n_y):
            shifted = [off + j for j in cols]
            r.add([*shifted, 2 * n_y + k], [1.0] * len(cols) + [-big], -INF, 0.0)
            r.add([*shifted, 2 * n_y + k], [-1.0] * len(cols) + [-big], -INF, 0.0)
    for c in hood.root:  # the root's counts stay as they are
        cols = [col_of[a] for a in pm.atoms_of(c, hood.areas) if a in col_of]
        for off in (0, n_y):
            if cols:
                r.add([off + j for j in cols], [1.0] * len(cols), 0.0, 0.0)
    up, down = need
    r.add(target, [1.0] * len(target), up, INF)
    r.add([n_y + j for j in target], [-1.0] * len(target), down, INF)
    for off in (0, n_y):
        _relation_rows(pm, g, hood.areas, col_of, off, r)
    x = np.array([g.value[a] for a in atom_ids])
    col_lo = np.concatenate([-x, -x, np.zeros(n_z)])
    col_hi = np.concatenate([np.full(2 * n_y, INF), np.ones(n_z)])
    cost = np.concatenate([np.zeros(2 * n_y), [1.0 + np.log1p(abs(pm.value[c])) for c in free]])
    integer = np.concatenate([np.zeros(2 * n_y, dtype=bool), np.ones(n_z, dtype=bool)])
    lp = LinearProgram(
        _matrix(r.rows, n_cols), np.array(r.lo), np.array(r.hi), col_lo, col_hi, cost, integer, 10.0
    )
    res = lp.solve()
    if not res.ok:
        return None
    return [c for c, z in zip(free, res.x[2 * n_y :], strict=True) if z > 0.5]


def _relation_rows(
    pm: PeriodModel, g: Group, areas: set[str], col_of: dict[int, int], offset: int, r: _Rows
) -> None:
    comp = pm.components[g.comp]
    rels = [rel for rel in pm.relations.get(g.base, []) if set(rel.coef) <= comp]
    for area in sorted(areas):
        for rel in rels:
            idx = [pm.atom_index.get((v, g.base, area)) for v in rel.coef]
            if any(i is None or i not in col_of for i in idx):
                continue
            r.add([offset + col_of[int(i)] for i in idx if i is not None], list(rel.coef.values()), 0.0, 0.0)


def _matrix(rows: list[tuple[list[int], list[float]]], n_cols: int) -> sp.csr_matrix:
    r = np.repeat(np.arange(len(rows)), [len(c) for c, _ in rows])
    c = np.concatenate([np.asarray(cols, dtype=np.int64) for cols, _ in rows]) if rows else np.zeros(0)
    v = np.concatenate([np.asarray(vals, dtype=float) for _, vals in rows]) if rows else np.zeros(0)
    import scipy.sparse as sp

    return sp.csr_matrix((v, (r, c)), shape=(len(rows), n_cols))
