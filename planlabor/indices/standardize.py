"""Standardisation of indicator values (one function per method).

All functions ignore missing values (NaN) and return NaN for them.
"""

from __future__ import annotations

import numpy as np


def zscore(x: np.ndarray, ddof: int = 0, weights: np.ndarray | None = None) -> np.ndarray:
    """z-standardise: (x − mean) / SD.

    ``ddof=0`` uses the population SD (as the Berlin MSS does), ``ddof=1`` the sample SD.
    With ``weights`` (e.g. residents) mean and SD are weighted:
    mean = Σwx / Σw, var = Σw(x − mean)² / (Σw − ddof).

    >>> zscore(np.array([1.0, 2.0, 3.0])).round(4).tolist()
    [-1.2247, 0.0, 1.2247]
    """
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    if weights is None:
        mean = np.nanmean(x) if ok.any() else np.nan
        sd = np.nanstd(x, ddof=ddof) if ok.sum() > ddof else np.nan
    else:
        w = np.asarray(weights, dtype=float)
        ok &= ~np.isnan(w)
        sw = w[ok].sum()
        mean = float((w[ok] * x[ok]).sum() / sw) if sw > 0 else np.nan
        sd = float(np.sqrt((w[ok] * (x[ok] - mean) ** 2).sum() / (sw - ddof))) if sw > ddof else np.nan
    out = np.full_like(x, np.nan)
    if sd and not np.isnan(sd):
        out[ok] = (x[ok] - mean) / sd
    elif ok.any():
        out[ok] = 0.0  # no variation: every area is average
    return out


def percentile_rank(x: np.ndarray) -> np.ndarray:
    """Percentile rank (rank − 1) / (n − 1) with ties at their lowest rank, 0–1.

    This is Excel's ``PERCENTRANK.INC`` as used by the CDC/ATSDR Social Vulnerability Index.

    >>> percentile_rank(np.array([10.0, 20.0, 20.0, 40.0])).tolist()
    [0.0, 0.3333333333333333, 0.3333333333333333, 1.0]
    """
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    out = np.full_like(x, np.nan)
    n = int(ok.sum())
    if n == 1:
        out[ok] = 0.0
    elif n > 1:
        vals = x[ok]
        order = np.sort(vals)
        out[ok] = np.searchsorted(order, vals, side="left") / (n - 1)
    return out


def minmax(x: np.ndarray) -> np.ndarray:
    """Rescale to 0–1: (x − min) / (max − min).

    >>> minmax(np.array([2.0, 4.0, 6.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    x = np.asarray(x, dtype=float)
    lo, hi = (
        np.nanmin(x) if (~np.isnan(x)).any() else np.nan,
        np.nanmax(x) if (~np.isnan(x)).any() else np.nan,
    )
    out = np.full_like(x, np.nan)
    ok = ~np.isnan(x)
    if ok.any():
        out[ok] = 0.0 if hi == lo else (x[ok] - lo) / (hi - lo)
    return out


def standardize(x: np.ndarray, method: str, ddof: int = 0, weights: np.ndarray | None = None) -> np.ndarray:
    if method == "z":
        return zscore(x, ddof=ddof, weights=weights)
    if method == "percentile_rank":
        return percentile_rank(x)
    if method == "minmax":
        return minmax(x)
    if method == "none":
        return np.asarray(x, dtype=float)
    raise ValueError(f"unknown standardisation {method!r}")
