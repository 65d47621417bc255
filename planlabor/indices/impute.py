"""Missing values of an indicator time series, estimated as GISD does.

RKI, GISD Readme (Release 2022/2025, "Zeitreihenimputation und Datenharmonisierung"): where a
series does not reach back to the base year, missing values are estimated from the available
series with linear random-intercept models.  Here per input column:

    x_it = β₀ + β₁·t + u_i + ε_it,   u_i ~ N(0, σ²_u)

(t = position of the period in time order, i = area), fitted by restricted maximum likelihood
with ``statsmodels`` ``MixedLM``; a missing x_it is predicted as β₀ + β₁·t + û_i (û_i the
best linear unbiased predictor; 0 for an area without any value).  Missing codes (e.g. -9999)
are not estimated: such rows stay excluded.  Rows with an estimated value are marked, so that
they can be kept out of the fit of a pooled principal component (as the RKI does).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from planlabor.indices.spec import IndexSpec


def impute_random_intercept(
    spec: IndexSpec, df: pd.DataFrame, numeric: Callable[[str], np.ndarray]
) -> tuple[pd.DataFrame, np.ndarray, int]:
    """``df`` with missing input values estimated, the mask of rows with an estimate, the count."""
    from planlabor.io.periods import sort_periods

    assert spec.period_column
    df = df.copy()
    periods = [str(p) for p in df[spec.period_column]]
    order = {p: k for k, p in enumerate(sort_periods(sorted(set(periods))))}
    t = np.array([order[p] for p in periods], dtype=float)
    ids = df[spec.id_column].astype(str).to_numpy()
    marked = np.zeros(len(df), dtype=bool)
    n = 0
    for col in spec.input_columns():
        x = numeric(col)
        coded = pd.to_numeric(df[col], errors="coerce").isin(spec.missing_codes).to_numpy()
        missing = np.isnan(x) & ~coded
        if not missing.any() or (~np.isnan(x)).sum() < 3:
            continue
        x[missing] = _predict(x, t, ids, missing)
        df[col] = x
        marked |= missing & ~np.isnan(x)
        n += int((missing & ~np.isnan(x)).sum())
    return df, marked, n


def _predict(x: np.ndarray, t: np.ndarray, ids: np.ndarray, missing: np.ndarray) -> np.ndarray:
    import statsmodels.api as sm

    ok = ~np.isnan(x)
    exog = np.column_stack([np.ones(ok.sum()), t[ok]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.MixedLM(x[ok], exog, groups=ids[ok]).fit(reml=True)
    beta = np.asarray(fit.fe_params, dtype=float)
    u = {str(k): float(np.asarray(v)[0]) for k, v in fit.random_effects.items()}
    return np.array([beta[0] + beta[1] * t[i] + u.get(str(ids[i]), 0.0) for i in np.nonzero(missing)[0]])
