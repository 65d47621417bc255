"""Re-basing with a stored crosswalk (areas.rebase.rebase_frame) on integer codes gives what the
plain pandas join and group-by gives: values, gaps and flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planlabor.areas.rebase import rebase_frame


def _reference(values: pd.DataFrame, cw: pd.DataFrame, intensive: set[str]) -> pd.DataFrame:
    """The re-basing written plainly: inner join on the source area, weighted sums per target."""
    m = values.merge(cw, left_on="area_id", right_on="source_id")
    m["is_int"] = m["variable"].isin(intensive)
    m["w"] = np.where(m["is_int"], m["w_intensive"], m["w_extensive"])
    m["wv"] = m["w"] * m["value"]
    m["w_known"] = np.where(m["value"].notna(), m["w"], 0.0)
    m["known"] = m["value"].notna()
    g = (
        m.groupby(["target_id", "variable", "period"])
        .agg(wv=("wv", "sum"), w_known=("w_known", "sum"), is_int=("is_int", "first"),
             n_known=("known", "sum"), n=("known", "size"))
        .reset_index()
    )  # fmt: skip
    g["value"] = np.where(g["is_int"], g["wv"] / g["w_known"].where(g["w_known"] > 0), g["wv"])
    g.loc[g["n_known"] == 0, "value"] = np.nan
    g["flag"] = np.where(g["n"] > g["n_known"], "geschaetzt_unvollstaendig", "geschaetzt")
    return g[["target_id", "variable", "period", "value", "flag"]]


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    df = df.astype({"target_id": str, "variable": str, "period": str, "flag": str})
    return df.sort_values(["target_id", "variable", "period"]).reset_index(drop=True)


def test_equals_plain_join_and_groupby() -> None:
    rng = np.random.default_rng(4)
    sources = [f"s{i}" for i in range(40)]
    cw = pd.DataFrame(
        {
            "source_id": rng.choice(sources[:35], 120),  # s35..s39 have no crosswalk rows
            "target_id": rng.choice([f"t{i}" for i in range(30)], 120),
            "w_extensive": rng.uniform(0, 1, 120),
            "w_intensive": rng.uniform(0, 1, 120),
        }
    )
    cw.loc[3, "w_intensive"] = np.nan  # a piece without residents (population method)
    grid = pd.MultiIndex.from_product([sources, ["anzahl", "quote", "leer"], ["2020", "2021"]])
    values = grid.to_frame(index=False, name=["area_id", "variable", "period"])
    values["value"] = rng.integers(0, 100, len(values)).astype(float)
    values.loc[rng.choice(len(values), 40, replace=False), "value"] = np.nan
    values.loc[values["variable"] == "leer", "value"] = np.nan
    ours = _sorted(rebase_frame(values, cw, {"quote"}))
    theirs = _sorted(_reference(values, cw, {"quote"}))
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
    assert ours.loc[ours["variable"] == "leer", "value"].isna().all()
    assert {"geschaetzt", "geschaetzt_unvollstaendig"} == set(ours["flag"])


def test_by_hand_and_nothing_to_join() -> None:
    cw = pd.DataFrame(
        {"source_id": ["a", "a", "b"], "target_id": ["X", "Y", "Y"],
         "w_extensive": [0.25, 0.75, 1.0], "w_intensive": [1.0, 0.6, 0.4]}
    )  # fmt: skip
    values = pd.DataFrame(
        {"area_id": ["a", "a", "b", "b", "c"], "variable": ["n", "q", "n", "q", "n"],
         "period": ["2020"] * 5, "value": [100.0, 10.0, 20.0, np.nan, 5.0]}
    )  # fmt: skip
    out = rebase_frame(values, cw, {"q"}).set_index(["target_id", "variable"])
    assert out.loc[("X", "n"), "value"] == 25.0
    assert out.loc[("Y", "n"), "value"] == 75.0 + 20.0
    assert out.loc[("Y", "q"), "value"] == 10.0  # b's share unknown: mean over the known part
    assert out.loc[("Y", "q"), "flag"] == "geschaetzt_unvollstaendig"
    assert out.loc[("X", "n"), "flag"] == "geschaetzt"
    empty = rebase_frame(values[values["area_id"] == "c"], cw, set())
    assert empty.empty and list(empty.columns) == ["target_id", "variable", "period", "value", "flag"]


def test_groups_dense_and_sorted_agree() -> None:
    from planlabor.areas.rebase import _groups

    key = np.random.default_rng(7).integers(0, 50, 300)
    dense = _groups(key, 50)  # small key space: a mark per key, no sort
    sparse = _groups(key, 10**6)  # large key space: np.unique
    assert (dense[0] == sparse[0]).all() and (dense[1] == sparse[1]).all()
    assert (dense[0][dense[1]] == key).all()
