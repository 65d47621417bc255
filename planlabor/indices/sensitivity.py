"""Sensitivity of an index's classes to its weights and to leaving an input out.

For every input of a component: its weight raised and lowered by ``delta`` (default ±20 %)
and the input left out; each time the index is recomputed with otherwise the same method and
the share of (included) areas whose class changes is reported, with the Spearman rank
correlation to the original index.  This tells a planner how robust a ranking is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.indices.engine import apply_index
from planlabor.indices.spec import IndexSpec


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ok = ~np.isnan(a) & ~np.isnan(b)
    if ok.sum() < 3:
        return float("nan")
    ra = pd.Series(a[ok]).rank().to_numpy()
    rb = pd.Series(b[ok]).rank().to_numpy()
    return float(np.corrcoef(ra, rb)[0, 1])


def sensitivity(
    spec: IndexSpec, df: pd.DataFrame, component: str | None = None, delta: float = 0.2
) -> pd.DataFrame:
    """One row per scenario: input, change, areas changing class (share and count), Spearman ρ."""
    comps = {c.id: c for c in spec.component}
    cid = component or next((c.id for c in spec.component if c.classification), spec.component[0].id)
    if cid not in comps:
        raise InputError(
            f"Die Komponente {cid!r} gibt es nicht.", column="--component", expected=", ".join(comps)
        )
    comp = comps[cid]
    if comp.classification is None:
        raise InputError(f"Die Komponente {cid!r} hat keine Klassen.", column="--component")
    base = apply_index(spec, df).table
    base_class = base[f"{cid}__class"].to_numpy()
    # areas with a class in the original index (excluded or incomplete areas do not count)
    included = ~base["excluded"].to_numpy() & np.array([c is not None for c in base_class])
    base_index = base[cid].to_numpy(dtype=float)
    rows = []
    scenarios: list[tuple[str, str, list]] = []  # (input, description, new inputs)
    for i, inp in enumerate(comp.inputs):
        if comp.combine != "pca":
            for sign, word in ((1, "+"), (-1, "−")):
                new = [
                    x.model_copy(update={"weight": x.weight * (1 + sign * delta)}) if j == i else x
                    for j, x in enumerate(comp.inputs)
                ]
                scenarios.append((inp.column, f"Gewicht {word}{delta:.0%}".replace(".", ","), new))
        if len(comp.inputs) > 1:
            scenarios.append((inp.column, "weggelassen", [x for j, x in enumerate(comp.inputs) if j != i]))
    for column, change, inputs in scenarios:
        variant = spec.model_copy(deep=True)
        variant.component = [
            c.model_copy(update={"inputs": inputs}) if c.id == cid else c for c in variant.component
        ]
        t = apply_index(variant, df).table
        cls = t[f"{cid}__class"].to_numpy()
        changed = int(sum(1 for a, b, ok in zip(base_class, cls, included, strict=True) if ok and a != b))
        n = int(included.sum())
        rows.append(
            {
                "komponente": cid,
                "indikator": column,
                "aenderung": change,
                "gebiete": n,
                "klassenwechsel": changed,
                "anteil_klassenwechsel": changed / n if n else float("nan"),
                "spearman": _spearman(base_index, t[cid].to_numpy(dtype=float)),
            }
        )
    return pd.DataFrame(rows)
