"""Combining standardised inputs into one score (one function per rule)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PCAFit:
    """A first principal component: the centring, scaling and loading vector it applies."""

    mean: np.ndarray
    sd: np.ndarray
    vector: np.ndarray  # unit loadings of the scaled inputs (oriented)
    explained: float  # share of the variance on the first component

    def scores(self, v: np.ndarray) -> np.ndarray:
        return np.asarray(((v - self.mean) / self.sd) @ self.vector, dtype=float)


def pca_fit(v: np.ndarray, orient: np.ndarray | None = None) -> PCAFit:
    """Fit the first principal component of centred, scaled columns (sample SD), oriented so
    that its scores correlate positively with ``orient`` (else with the first column)."""
    v = np.asarray(v, dtype=float)
    mean = v.mean(axis=0)
    sd = v.std(axis=0, ddof=1)
    sd[~(sd > 0)] = 1.0
    scaled = (v - mean) / sd
    _, s, vt = np.linalg.svd(scaled, full_matrices=False)
    vec = vt[0]
    ref = orient if orient is not None else scaled[:, 0]
    if np.corrcoef(scaled @ vec, ref)[0, 1] < 0:
        vec = -vec
    explained = float(s[0] ** 2 / (s**2).sum()) if (s**2).sum() > 0 else 0.0
    return PCAFit(mean=mean, sd=sd, vector=vec, explained=explained)


def combine(
    matrix: np.ndarray,
    method: str,
    weights: np.ndarray | None = None,
    orient: np.ndarray | None = None,
    pca: PCAFit | None = None,
) -> np.ndarray:
    """Combine the columns of ``matrix`` (areas × inputs) row-wise.

    Methods: ``sum``, ``mean``, ``weighted_sum`` (Σ wᵢxᵢ), ``weighted_mean`` (Σ wᵢxᵢ / Σ wᵢ),
    ``geometric_mean`` (inputs must be > 0, as after min–max rescaling with an offset),
    ``minimum``, ``pca`` (first principal component of the centred and scaled inputs, sign
    chosen so that it correlates positively with ``orient``, as GISD does with unemployment;
    with ``pca`` a component fitted beforehand, e.g. on all periods pooled, is applied).
    A row with any missing input gets no score.

    >>> combine(np.array([[1.0, 2.0], [3.0, np.nan]]), "sum").tolist()
    [3.0, nan]
    """
    m = np.asarray(matrix, dtype=float)
    complete = ~np.isnan(m).any(axis=1)
    out = np.full(m.shape[0], np.nan)
    if not complete.any():
        return out
    v = m[complete]
    w = np.ones(m.shape[1]) if weights is None else np.asarray(weights, dtype=float)
    # weights default to 1; sum and mean honour them (so sensitivity analyses can vary them)
    if method == "sum":
        out[complete] = v @ w
    elif method == "mean":
        out[complete] = (v @ w) / w.sum()
    elif method == "weighted_sum":
        out[complete] = v @ w
    elif method == "weighted_mean":
        out[complete] = (v @ w) / w.sum()
    elif method == "geometric_mean":
        if (v <= 0).any():
            raise ValueError("geometric mean needs positive inputs")
        out[complete] = np.exp((np.log(v) * w).sum(axis=1) / w.sum())
    elif method == "minimum":
        out[complete] = v.min(axis=1)
    elif method == "pca":
        if pca is not None:
            out[complete] = pca.scores(v)
        else:
            out[complete] = first_component(v, None if orient is None else np.asarray(orient)[complete])
    else:
        raise ValueError(f"unknown combination {method!r}")
    return out


def first_component(v: np.ndarray, orient: np.ndarray | None = None) -> np.ndarray:
    """Scores on the first principal component of centred, scaled columns (sample SD)."""
    return pca_fit(v, orient).scores(v)
