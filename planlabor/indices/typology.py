"""Typologies: clusters of areas on standardised indicators (k-means or Ward).

Reproducible (fixed seed), with the silhouette coefficient and a profile of every type in
figures (mean z-values and raw means) and in words.
Source of the methods: scikit-learn ``KMeans`` (Lloyd, k-means++ start, 10 restarts) and
``AgglomerativeClustering(linkage="ward")``; silhouette after Rousseeuw (1987).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.indices.standardize import zscore
from planlabor.store import Store

SILHOUETTE_SAMPLE = 5000


@dataclass
class TypologyResult:
    method: str
    k: int
    seed: int
    columns: list[str]
    labels: np.ndarray  # 1 … k, None where an input is missing
    silhouette: float
    profiles: pd.DataFrame  # one row per type: size, mean z per input, mean raw value per input
    descriptions: list[str] = field(default_factory=list)
    silhouette_sampled: bool = False


def typology(
    df: pd.DataFrame,
    columns: list[str],
    k: int,
    method: str = "kmeans",
    seed: int = 0,
    names: dict[str, str] | None = None,
) -> TypologyResult:
    """Cluster the rows of ``df`` on ``columns`` (z-standardised, population SD)."""
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.metrics import silhouette_score

    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"Spalten fehlen: {', '.join(missing)}",
            column=missing[0],
            expected="Spalten: " + ", ".join(map(str, df.columns[:20])),
        )
    if method not in ("kmeans", "ward"):
        raise InputError(f"Unbekanntes Verfahren {method!r}.", column="--method", expected="kmeans oder ward")
    raw = df[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    ok = ~np.isnan(raw).any(axis=1)
    if ok.sum() <= k:
        raise InputError(
            f"Zu wenige vollständige Gebiete ({int(ok.sum())}) für {k} Typen.",
            hint="Wählen Sie weniger Typen oder Indikatoren mit weniger Lücken.",
        )
    z = np.column_stack([zscore(raw[ok, j]) for j in range(len(columns))])
    if method == "kmeans":
        model = KMeans(n_clusters=k, random_state=seed, n_init=10)
    else:
        model = AgglomerativeClustering(n_clusters=k, linkage="ward")
    raw_labels = model.fit_predict(z)
    sampled = len(z) > SILHOUETTE_SAMPLE
    sil = float(
        silhouette_score(z, raw_labels, sample_size=SILHOUETTE_SAMPLE if sampled else None, random_state=seed)
    )
    # number types by size (largest first), ties by the mean of all z-values: stable across runs
    order = sorted(range(k), key=lambda c: (-(raw_labels == c).sum(), z[raw_labels == c].mean()))
    relabel = {old: new + 1 for new, old in enumerate(order)}
    lab = np.array([relabel[c] for c in raw_labels])
    labels = np.full(len(df), None, dtype=object)
    labels[ok] = lab
    rows = []
    for t in range(1, k + 1):
        sel = lab == t
        row: dict[str, object] = {"typ": t, "gebiete": int(sel.sum())}
        for j, c in enumerate(columns):
            row[f"z_{c}"] = float(z[sel, j].mean())
            row[c] = float(raw[ok][sel, j].mean())
        rows.append(row)
    profiles = pd.DataFrame(rows)
    descriptions = [_describe(r, columns, names or {}) for r in rows]
    return TypologyResult(
        method=method,
        k=k,
        seed=seed,
        columns=columns,
        labels=labels,
        silhouette=sil,
        profiles=profiles,
        descriptions=descriptions,
        silhouette_sampled=sampled,
    )


def _describe(row: dict[str, object], columns: list[str], names: dict[str, str]) -> str:
    high = [names.get(c, c) for c in columns if float(row[f"z_{c}"]) >= 0.5]  # type: ignore[arg-type]
    low = [names.get(c, c) for c in columns if float(row[f"z_{c}"]) <= -0.5]  # type: ignore[arg-type]
    parts = []
    if high:
        parts.append("überdurchschnittlich: " + ", ".join(high))
    if low:
        parts.append("unterdurchschnittlich: " + ", ".join(low))
    text = "; ".join(parts) if parts else "in allen Merkmalen nahe am Durchschnitt"
    return f"Typ {row['typ']} ({row['gebiete']} Gebiete): {text}."


def store_typology(
    store: Store, layer: str, period: str, variable: str, area_ids: list[str], result: TypologyResult
) -> int:
    """Keep the types as observations (variable ``variable``) so indicators, atlas and reports
    can use them; recorded in the import log like every import.  Returns the import number."""
    import json

    frame = pd.DataFrame(
        {
            "layer_id": layer,
            "area_id": area_ids,
            "variable": variable,
            "period": period,
            "value": [np.nan if v is None else float(v) for v in result.labels],
        }
    )
    return store.record_observations(
        "typology",
        layer,
        frame,
        {
            "method": result.method,
            "k": result.k,
            "seed": result.seed,
            "columns": result.columns,
            "silhouette": round(result.silhouette, 4),
        },
        message=json.dumps(result.descriptions, ensure_ascii=False),
    )
