"""Exact linear relations between variables, declared or found in the data.

An attacker who knows that residents are the sum of the age bands, or that residents with a
migration background are foreigners plus Germans with a background, recovers a suppressed
band from the published others.  So the suppression has to know these relations too:

* **declared** in the catalog: ``[[relation]]`` with ``total`` and ``parts``
  (``total = Σ parts``; a difference a = b − c is written b = a + c, shares of one denominator
  that add up to 100 % as denominator = Σ numerators);
* **found**: the null space of the base-layer data (areas × variables) of a period, from its
  singular value decomposition, brought into reduced row echelon form (one variable expressed
  by the others) and kept only where it holds in every area with all its variables.

With fewer complete areas than variables plus two every set of columns is dependent: no
search then.  A relation that holds by accident in all areas is kept all the same – whoever sees
it hold in every published area will assume it in the suppressed one too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

REL_TOL = 1e-9


@dataclass(frozen=True)
class Relation:
    """Σ coef[v] · x_v = 0 in every base area with all variables present."""

    coef: dict[str, float]
    source: str = "Daten"  # "Katalog" or "Daten"

    def text(self) -> str:
        """Readable form, e.g. ``inhabitants = inhabitants_age_below_6 + …``."""
        items = sorted(self.coef.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
        pos = [kv for kv in items if kv[1] > 0]
        neg = [kv for kv in items if kv[1] < 0]
        single = pos if len(pos) == 1 else neg if len(neg) == 1 else []
        if single:  # a total and its parts: write the total first
            items = single + [kv for kv in items if kv not in single]
        (lead, c0), rest = items[0], items[1:]
        terms = []
        for v, c in rest:
            k = -c / c0
            sign = "−" if k < 0 else "+"
            mag = "" if abs(abs(k) - 1) < 1e-9 else f"{abs(k):.6g} · "
            terms.append(f"{sign} {mag}{v}")
        body = " ".join(terms).lstrip("+ ").strip()
        return f"{lead} = {body}" if body else f"{lead} = 0"


def declared_relations(raw: list[tuple[str, list[str]]]) -> list[Relation]:
    """``[(total, [parts])]`` from the catalog as relations total − Σ parts = 0."""
    out = []
    for total, parts in raw:
        coef = {total: 1.0}
        for p in parts:
            coef[p] = coef.get(p, 0.0) - 1.0
        out.append(Relation(coef={k: v for k, v in coef.items() if v != 0}, source="Katalog"))
    return out


def _holds(rel: Relation, wide: pd.DataFrame) -> bool:
    cols = list(rel.coef)
    if any(c not in wide.columns for c in cols):
        return False
    sub = wide[cols].dropna()
    if sub.empty:
        return False
    m = sub.to_numpy(dtype=float)
    c = np.array([rel.coef[v] for v in cols])
    scale = np.abs(m) @ np.abs(c)
    return bool(np.all(np.abs(m @ c) <= 1e-6 * np.maximum(1.0, scale)))


def find_relations(atoms: pd.DataFrame, declared: list[Relation]) -> list[Relation]:
    """Relations among the variables of ``atoms`` (one base layer, one period: columns
    ``area_id, variable, value``): the declared ones that hold and those found."""
    if atoms.empty:
        return []
    wide = atoms.pivot_table(index="area_id", columns="variable", values="value", aggfunc="first")
    return relations_in(wide, declared)


def relations_in(wide: pd.DataFrame, declared: list[Relation]) -> list[Relation]:
    """:func:`find_relations` on the wide table (base areas × variables, both sorted, NaN
    where an area has no value)."""
    out = [r for r in declared if _holds(r, wide)]
    out += [r for r in _null_space(wide) if not _known(r, out)]
    return out


def _known(rel: Relation, have: list[Relation]) -> bool:
    return any(set(rel.coef) == set(h.coef) for h in have)


def _null_space(wide: pd.DataFrame) -> list[Relation]:
    full = wide.dropna(axis=1, how="all")
    full = full.loc[:, full.notna().mean() >= 0.9].dropna()
    cols = [c for c in full.columns if full[c].abs().sum() > 0]
    if len(cols) < 2 or len(full) < len(cols) + 2:
        return []
    m = full[cols].to_numpy(dtype=float)
    norms = np.linalg.norm(m, axis=0)
    with _one_blas_thread():  # a small SVD: BLAS threads only wait for each other (10× under load)
        _, s, vt = np.linalg.svd(m / norms, full_matrices=False)
    null = vt[s <= REL_TOL * max(s[0], 1e-300) * np.sqrt(len(m))] if len(s) else vt[:0]
    if len(null) == 0:
        return []
    basis = _rref(null / norms)  # back to the unscaled variables
    out = []
    for row in basis:
        coef = {cols[j]: _nice(row[j]) for j in np.nonzero(np.abs(row) > 1e-9)[0]}
        if len(coef) >= 2:
            rel = Relation(coef=coef)
            if _holds(rel, full):
                out.append(rel)
    return out


_BLAS: list[Any] = []


def _one_blas_thread() -> Any:
    """A context with one BLAS thread (the controller looks at the loaded libraries once)."""
    from threadpoolctl import ThreadpoolController

    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def _rref(a: np.ndarray) -> np.ndarray:
    """Reduced row echelon form (partial pivoting): every relation solved for one variable."""
    a = a.astype(float).copy()
    rows, cols = a.shape
    r = 0
    for c in range(cols):
        if r >= rows:
            break
        p = r + int(np.argmax(np.abs(a[r:, c])))
        if abs(a[p, c]) < 1e-9:
            continue
        a[[r, p]] = a[[p, r]]
        a[r] /= a[r, c]
        for i in range(rows):
            if i != r:
                a[i] -= a[i, c] * a[r]
        r += 1
    return a[:r]


def _nice(x: float) -> float:
    """Round coefficients that are integers up to float noise."""
    k = round(x)
    return float(k) if abs(x - k) < 1e-7 else float(x)
