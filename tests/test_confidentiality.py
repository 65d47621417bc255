"""Primary and secondary suppression (methods.md §7)."""

import pandas as pd
import pytest

from planlabor.confidentiality import PRIMARY, SECONDARY, SuppressionRules, apply_suppression

pytestmark = pytest.mark.nostore  # never opens a store: run once (conftest.py)


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "layer_id",
            "area_id",
            "parent_id",
            "indicator_id",
            "period",
            "value",
            "numerator",
            "denominator",
        ],
    )


def test_primary_and_secondary() -> None:
    df = frame(
        [
            ("g", "A1", "D1", "q", "2021", 2.0, 2, 100),  # primary: 2 < 3
            ("g", "A2", "D1", "q", "2021", 5.0, 10, 200),
            ("g", "A3", "D1", "q", "2021", 4.0, 8, 200),  # smallest remaining in D1 → secondary
            ("g", "A4", "D2", "q", "2021", 5.0, 5, 100),
            ("g", "A5", "D2", "q", "2021", 10.0, 20, 200),
        ]
    )
    out = apply_suppression(df, SuppressionRules(min_count=3)).set_index("area_id")
    assert out.loc["A1", "suppressed"] == PRIMARY
    assert out.loc["A3", "suppressed"] == SECONDARY
    assert out["suppressed"].notna().sum() == 2
    assert out.loc[["A1", "A3"], ["value", "numerator", "denominator"]].isna().all().all()
    assert out.loc["A2", "value"] == 5.0


def test_zero_shown_unless_configured() -> None:
    df = frame([("g", "A1", "D1", "q", "2021", 0.0, 0, 100), ("g", "A2", "D1", "q", "2021", 1.0, 4, 400)])
    assert apply_suppression(df, SuppressionRules())["suppressed"].isna().all()
    out = apply_suppression(df, SuppressionRules(suppress_zero=True)).set_index("area_id")
    assert out.loc["A1", "suppressed"] == PRIMARY and out.loc["A2", "suppressed"] == SECONDARY


def test_small_denominator_and_per_indicator_threshold() -> None:
    df = frame([("g", "A1", None, "q", "2021", 50.0, 1, 2), ("g", "A2", None, "r", "2021", 40.0, 4, 10)])
    out = apply_suppression(df, SuppressionRules(), {"r": 5}).set_index("area_id")
    assert out.loc["A1", "suppressed"] == PRIMARY  # 1 of 2 persons
    assert out.loc["A2", "suppressed"] == PRIMARY  # 4 < 5 for indicator r
    # no parent: no secondary suppression possible or needed
    assert (out["suppressed"] != SECONDARY).all()


def test_no_secondary_when_two_already_suppressed() -> None:
    df = frame(
        [
            ("g", "A1", "D1", "q", "2021", 1.0, 1, 100),
            ("g", "A2", "D1", "q", "2021", 2.0, 2, 100),
            ("g", "A3", "D1", "q", "2021", 9.0, 9, 100),
        ]
    )
    out = apply_suppression(df, SuppressionRules())
    assert [s if isinstance(s, str) else None for s in out["suppressed"]] == [PRIMARY, PRIMARY, None]


def test_values_without_counts_untouched() -> None:
    df = frame([("g", "A1", "D1", "wert", "2021", 2.82, None, None)])
    out = apply_suppression(df, SuppressionRules())
    assert out["suppressed"].isna().all() and out["value"].iloc[0] == 2.82
