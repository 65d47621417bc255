"""Statistical confidentiality (Geheimhaltung) for everything published.

Rules (methods.md §7):

* **Primary suppression**: a cell whose count (the numerator of a ratio, or the
  count itself) is below the indicator's minimum count is suppressed; zero is
  shown unless ``suppress_zero`` is set.  A ratio whose denominator is below the
  minimum is suppressed too, and so is every share computed from a suppressed count.
* **Secondary suppression**: where exactly one cell of a group of areas with a
  common parent is suppressed, its count could be derived from the published
  parent total and its siblings; the sibling with the next smallest count is
  suppressed as well.

Suppressed cells keep no value in any output; they are marked with the sign
from the workspace configuration (default ``•``), never shown as 0.
Every output path (export ``--public``, atlas, reports, API) calls
:func:`apply_suppression`; none has its own logic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

PRIMARY = "primär"
SECONDARY = "sekundär"


@dataclass(frozen=True)
class SuppressionRules:
    min_count: int = 3
    suppress_zero: bool = False
    secondary: bool = True
    marker: str = "•"


def apply_suppression(
    values: pd.DataFrame, rules: SuppressionRules, min_counts: dict[str, int] | None = None
) -> pd.DataFrame:
    """Return ``values`` with ``value``/``numerator``/``denominator`` removed where suppressed.

    ``values`` needs columns ``layer_id, area_id, indicator_id, period, value,
    numerator, denominator`` and, for secondary suppression, ``parent_id``.
    Adds ``suppressed`` (``primär``/``sekundär``/None).
    """
    df = values.copy()
    min_counts = min_counts or {}
    thresholds = df["indicator_id"].map(lambda i: min_counts.get(i, rules.min_count)).astype(float)
    num = df["numerator"].astype(float)
    den = df["denominator"].astype(float)
    small_num = num < thresholds
    if not rules.suppress_zero:
        small_num &= num != 0
    small_den = (den < thresholds) & (den > 0)
    primary = (small_num | small_den).fillna(False).to_numpy(dtype=bool)
    status = np.array([PRIMARY if p else None for p in primary], dtype=object)
    if rules.secondary and "parent_id" in df.columns and primary.any():
        status = _secondary(df, status, num)
    df["suppressed"] = status
    mask = pd.notna(df["suppressed"]).to_numpy()
    for col in ("value", "numerator", "denominator"):
        df[col] = df[col].astype(float).mask(mask)
    return df


def _secondary(df: pd.DataFrame, status: np.ndarray, num: pd.Series) -> np.ndarray:
    status = status.copy()
    work = pd.DataFrame(
        {
            "key_layer": df["layer_id"].to_numpy(),
            "parent": df["parent_id"].to_numpy(),
            "ind": df["indicator_id"].to_numpy(),
            "period": df["period"].to_numpy(),
            "num": num.to_numpy(),
            "pos": np.arange(len(df)),
            "sup": pd.notna(status),
        }
    )
    work = work[work["parent"].notna()]
    key = ["key_layer", "parent", "ind", "period"]
    grouped = work.groupby(key, sort=False)["sup"]
    n_sup = grouped.transform("sum").to_numpy()
    size = grouped.transform("size").to_numpy()
    cand = work[(n_sup == 1) & (size >= 2) & ~work["sup"].to_numpy() & work["num"].notna().to_numpy()]
    cand = cand.assign(zero=cand["num"] <= 0).sort_values(["zero", "num"], kind="stable")
    pick = cand.drop_duplicates(key)
    status[pick["pos"].to_numpy()] = SECONDARY
    return status


def format_suppressed(value: float | None, suppressed: str | None, marker: str) -> str | float | None:
    """The value to print: the marker for suppressed cells, never 0."""
    if suppressed:
        return marker
    return value
