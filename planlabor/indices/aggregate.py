"""Index scores for higher levels: population-weighted means of the lower level, rescaled.

As GISD does for Kreise from Gemeinden (RKI, GISD Readme): the score of a parent area is the
mean of its children's scores weighted by their population, and the parents' scores are
rescaled to 0–1 per period.
"""

from __future__ import annotations

import pandas as pd

from planlabor.indices.standardize import minmax


def aggregate_scores(
    scores: pd.DataFrame,
    parents: dict[str, str],
    weight_col: str = "population",
    score_col: str = "total",
    rescale: bool = True,
) -> pd.DataFrame:
    """``scores`` (columns id, period, score, weight) → one row per parent and period."""
    df = scores[["id", "period", score_col, weight_col]].copy()
    df["parent"] = df["id"].map(parents)
    df = df.dropna(subset=["parent", score_col, weight_col])
    df["wx"] = df[score_col] * df[weight_col]
    g = df.groupby(["parent", "period"]).agg(wx=("wx", "sum"), w=(weight_col, "sum"), n=("id", "count"))
    g = g.reset_index()
    g["score"] = g["wx"] / g["w"].where(g["w"] > 0)
    if rescale:
        g["score"] = g.groupby("period")["score"].transform(
            lambda s: pd.Series(minmax(s.to_numpy()), s.index)
        )
    return g.rename(columns={"parent": "id", "w": "weight", "n": "children"})[
        ["id", "period", "score", "weight", "children"]
    ].astype({"score": float})


__all__ = ["aggregate_scores"]
