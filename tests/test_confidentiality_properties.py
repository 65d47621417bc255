"""Property tests: random hierarchies with related indicators; the audit never finds a disclosed
cell in what the suppression lets out, and every small count is suppressed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planlabor.confidentiality import PRIMARY
from planlabor.confidentiality.pattern import suppression_status
from planlabor.testing import assert_confidential
from tests.hierarchy import area_trees, tree_workspace

SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES_GH", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: a + b = t in every area; the shares of a and b in t add up to 100 %
CATALOG = """
[[indicator]]
id = "n_t"
name = "Gesamt"
numerator = ["t"]

[[indicator]]
id = "n_a"
name = "Gruppe A"
numerator = ["a"]

[[indicator]]
id = "anteil_a"
name = "Anteil A"
unit = "%"
numerator = ["a"]
denominator = ["t"]
factor = 100

[[indicator]]
id = "anteil_b"
name = "Anteil B"
unit = "%"
numerator = ["b"]
denominator = ["t"]
factor = 100

[[indicator]]
id = "n_c"
name = "Unabhängige Zahl"
numerator = ["c"]
"""

small_or_large = st.one_of(st.integers(0, 4), st.integers(5, 80))


@st.composite
def hierarchies(draw: st.DrawFn) -> tuple[dict[str, dict[str, str | None]], dict[str, dict[str, float]]]:
    parents, current = draw(area_trees())
    data = {}
    for area in current:
        a, b, c = draw(small_or_large), draw(small_or_large), draw(small_or_large)
        data[area] = {"a": a, "b": b, "t": a + b, "c": c}
    return parents, data


@pytest.mark.slow
@SETTINGS
@given(tree=hierarchies(), width=st.sampled_from([None, 2, 6]))
def test_random_hierarchies_pass_the_audit(
    tmp_path_factory: pytest.TempPathFactory,
    tree: tuple[dict[str, dict[str, str | None]], dict[str, dict[str, float]]],
    width: int | None,
) -> None:
    parents, data = tree
    root = tmp_path_factory.mktemp("gh") / "ws"
    config = "secondary = true\n" + (f"protection_width = {width}\n" if width is not None else "")
    ws = tree_workspace(root, parents, data, CATALOG, config=config)
    try:
        rep = assert_confidential(ws)
        small = rep.findings[rep.findings["sensitive"].astype(bool)]
        assert not small["published"].any()
        status = suppression_status(ws.store, ws.catalog(), ws.rules())
        base = list(parents)[-1]
        for area, row in data.items():
            if 0 < row["c"] < 3:  # the independent count
                hit = status[(status["area_id"] == area) & (status["indicator_id"] == "n_c")]
                assert (hit["layer_id"] == base).any() and set(hit["status"]) == {PRIMARY}
    finally:
        ws.close()


def test_generated_hierarchy_example(tmp_path: Path) -> None:
    """One fixed case of the property (so that it also runs without hypothesis' search)."""
    parents = {"l0": {"T": None}, "l1": {"X": "T", "Y": "T"}, "l2": {"X1": "X", "X2": "X", "Y1": "Y"}}
    data = {
        "X1": {"a": 1, "b": 30, "t": 31, "c": 2},
        "X2": {"a": 0, "b": 40, "t": 40, "c": 50},
        "Y1": {"a": 25, "b": 2, "t": 27, "c": 9},
    }
    ws = tree_workspace(tmp_path / "ws", parents, data, CATALOG)
    try:
        rep = assert_confidential(ws)
        assert int(rep.findings["sensitive"].sum()) >= 4  # a of X1, b of Y1, c of X1 and sums
    finally:
        ws.close()
