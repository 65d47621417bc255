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


def classify_levels(frame: pd.DataFrame, total: object) -> pd.DataFrame:
    """Classes of aggregated scores per period (the total's classification and its others)."""
    from planlabor.indices.classify import classify

    specs = {}
    main = getattr(total, "classification", None)
    if main is not None:
        specs[""] = main
    specs.update({f"_{k}": v for k, v in getattr(total, "more_classes", {}).items()})
    out = frame.copy()
    for suffix, spec in specs.items():
        codes = pd.Series([None] * len(out), index=out.index, dtype=object)
        labels = pd.Series([None] * len(out), index=out.index, dtype=object)
        for _, grp in out.groupby("period", sort=False):
            c = classify(grp["score"].to_numpy(dtype=float), spec)
            codes.loc[grp.index] = c.codes
            labels.loc[grp.index] = c.labels
        out[f"class{suffix}"] = codes
        out[f"label{suffix}"] = labels
    return out


def aggregate_levels(spec: object, df: pd.DataFrame, table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """GISD for higher levels of a table whose rows name their higher units in columns
    (``level_columns``, e.g. Kreis of a Gemeinde): population-weighted mean of the scores,
    rescaled to 0–1 per period, classified per period (RKI, GISD Readme)."""
    import numpy as np

    pop_col = getattr(spec, "population_column", None)
    total = getattr(spec, "total", None)
    out = {}
    pop = pd.to_numeric(df[pop_col], errors="coerce") if pop_col else None
    base = pd.DataFrame(
        {
            "id": table["id"].to_numpy(),
            "period": table["period"].to_numpy() if "period" in table.columns else "",
            "total": table["total"].to_numpy(dtype=float),
            "population": np.asarray(pop, dtype=float) if pop is not None else 1.0,
        }
    )
    for col in getattr(spec, "level_columns", []):
        if col not in df.columns:
            from planlabor.errors import InputError

            raise InputError(
                f"Die Spalte {col!r} für die höhere Ebene fehlt.",
                column=col,
                expected="Spalten: " + ", ".join(map(str, df.columns[:20])),
            )
        from planlabor.io.missing import text_column

        # an empty parent cell is no parent (the row stays out), never a parent called "nan"
        parents = {i: p for i, p in zip(text_column(table["id"]), text_column(df[col]), strict=True) if p}
        agg = aggregate_scores(base.assign(id=text_column(base["id"])), parents)
        out[col] = classify_levels(agg, total)
    return out
