"""The focused pattern (only components with a sensitive cell, from the store) equals the
pattern of the whole model on random hierarchies with several periods and components."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planlabor.confidentiality.focus import focused_status
from planlabor.confidentiality.pattern import full_status, indicator_status, relations_of
from planlabor.indicators import compute_indicators
from planlabor.io.importer import ImportOptions
from planlabor.store.duckdb_ import DuckDBStore
from planlabor.workspace import Workspace
from tests.conftest import write
from tests.hierarchy import area_trees, tree_workspace
from tests.test_confidentiality_properties import CATALOG

SETTINGS = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES_GH", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: a second component (e over f) that often has no small count
FOCUS_CATALOG = (
    CATALOG
    + """
[[indicator]]
id = "anteil_e"
name = "Anteil E"
unit = "%"
numerator = ["e"]
denominator = ["f"]
factor = 100
"""
)

Tree = tuple[dict[str, dict[str, str | None]], list[dict[str, dict[str, float]]]]
count = st.one_of(st.integers(0, 4), st.integers(5, 80))
large = st.integers(3, 90)


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    parents, current = draw(area_trees())
    periods = []
    for _ in range(draw(st.integers(1, 3))):
        data = {}
        for area in current:
            a, b, c = draw(count), draw(count), draw(count)
            data[area] = {"a": a, "b": b, "t": a + b, "c": c, "e": draw(large), "f": draw(large) + 90}
        periods.append(data)
    return parents, periods


def build(root: Path, tree: Tree) -> Workspace:
    parents, periods = tree
    ws = tree_workspace(root, parents, periods[0], FOCUS_CATALOG, period="2020")
    base = list(parents)[-1]
    for k, data in enumerate(periods[1:], start=1):
        variables = sorted(next(iter(data.values())))
        lines = ["id;" + ";".join(variables)]
        lines += [a + ";" + ";".join(str(int(r[v])) for v in variables) for a, r in data.items()]
        src = write(root / "src" / f"data{k}.csv", "\n".join(lines) + "\n")
        ws.import_table(src, ImportOptions(layer=base, id_column="id", period=str(2020 + k)))
    if len(periods) > 1:
        ws.compute()
    return ws


def suppressed(cells: pd.DataFrame) -> set[tuple[str, ...]]:
    hit = cells[cells["status"].notna()]
    cols = ["layer_id", "area_id", "period", "term", "status"]
    return set(zip(*(hit[c].astype(str).tolist() for c in cols), strict=True))


def compare(ws: Workspace, secondary: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    catalog, rules = ws.catalog(), replace(ws.rules(), secondary=secondary)
    with ws.store.keeping_scratch():  # as in ``compute``: PostgreSQL reads the indicator step's scratch
        compute_indicators(ws.store, catalog)
        reader = ws.store.counts_reader()
        kept = focused_status(ws.store, catalog, rules, relations_of(catalog))
        kept_values = indicator_status(ws.store, catalog, kept)
    assert (reader is ws.store) == isinstance(ws.store, DuckDBStore)
    full = full_status(ws.store, catalog, rules)
    focus = focused_status(ws.store, catalog, rules, relations_of(catalog))
    assert suppressed(focus) == suppressed(full)
    pd.testing.assert_frame_equal(kept, focus)  # the same cells, values and pattern from the server
    pd.testing.assert_frame_equal(kept_values, indicator_status(ws.store, catalog, focus))
    return full, focus


@pytest.mark.slow
@SETTINGS
@given(tree=trees())
def test_focused_pattern_equals_the_whole_model(tmp_path_factory: pytest.TempPathFactory, tree: Tree) -> None:
    ws = build(tmp_path_factory.mktemp("focus") / "ws", tree)
    try:
        compare(ws)
    finally:
        ws.close()


def test_focus_skips_components_and_periods_without_small_counts(tmp_path: Path) -> None:
    parents = {"l0": {"T": None}, "l1": {"X": "T", "Y": "T"}, "l2": {"X1": "X", "X2": "X", "Y1": "Y"}}
    small = {
        "X1": {"a": 1, "b": 30, "t": 31, "c": 20, "e": 40, "f": 120},
        "X2": {"a": 9, "b": 40, "t": 49, "c": 50, "e": 50, "f": 130},
        "Y1": {"a": 25, "b": 7, "t": 32, "c": 9, "e": 60, "f": 140},
    }
    none = {k: {**v, "a": 20} for k, v in small.items()}
    ws = build(tmp_path / "ws", (parents, [small, none]))
    try:
        full, focus = compare(ws)
        assert suppressed(full)  # a of X1 and its partners
        assert set(focus["period"]) == {"2020"}  # 2021 has no small count
        assert not set(focus["term"]) & {"e", "f"}  # nor has the component e/f
        assert len(focus) < len(full) / 3
    finally:
        ws.close()


def test_focus_without_secondary_suppression(tmp_path: Path) -> None:
    parents = {"l0": {"T": None}, "l1": {"X": "T"}, "l2": {"X1": "X", "X2": "X"}}
    data = {
        "X1": {"a": 1, "b": 30, "t": 31, "c": 2, "e": 40, "f": 120},
        "X2": {"a": 9, "b": 40, "t": 49, "c": 50, "e": 50, "f": 130},
    }
    ws = build(tmp_path / "ws", (parents, [data]))
    try:
        _full, focus = compare(ws, secondary=False)
        assert {s[-1] for s in suppressed(focus)} == {"primär"}
        assert {(s[1], s[3]) for s in suppressed(focus)} == {("X1", "a"), ("X1", "c")}
    finally:
        ws.close()
