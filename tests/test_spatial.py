"""Spatial analyses: segregation (PySAL), checked against hand-computed and published values."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planlabor.spatial import segregation as seg
from planlabor.workspace import Workspace


def test_measures_against_hand_computation() -> None:
    df = pd.DataFrame({"x": [10.0, 40.0, 0.0, 50.0], "t": [100.0, 100.0, 50.0, 250.0]})
    vals, _ = seg.measures(df, "x", "t")
    X, T = df["x"].sum(), df["t"].sum()
    y = df["t"] - df["x"]
    d = 0.5 * np.abs(df["x"] / X - y / y.sum()).sum()
    iso = ((df["x"] / X) * (df["x"] / df["t"])).sum()
    inter = ((df["x"] / X) * (y / df["t"])).sum()
    assert vals["dissimilarity"] == pytest.approx(d)
    assert vals["isolation"] == pytest.approx(iso)
    assert vals["interaction"] == pytest.approx(inter)
    assert X / T == pytest.approx(0.2)


def test_berlin_dissimilarity_published_values(berlin: Workspace) -> None:
    res = seg.analyse(berlin.store, "plr", "inhabitants_foreigners", "inhabitants",
                      ["2021-12-31", "2024-12-31"], save=False)
    d = {r.period: r.values["dissimilarity"] for r in res}
    assert round(d["2021-12-31"], 3) == 0.237 and round(d["2024-12-31"], 3) == 0.211
    assert res[0].n_areas == 541  # Pankower Tor has no residents
    assert "Größe der Gebiete" in res[0].caveats


def test_permutation_and_change_test(berlin: Workspace) -> None:
    obs = berlin.store.observations("plr", ["inhabitants_foreigners", "inhabitants"], ["2021-12-31", "2024-12-31"])
    wide = obs.pivot_table(index=["period", "area_id"], columns="variable", values="value").reset_index()
    a, b = wide[wide["period"] == "2021-12-31"], wide[wide["period"] == "2024-12-31"]
    vals, p = seg.measures(a, "inhabitants_foreigners", "inhabitants", permutations=49)
    assert p["dissimilarity"] < 0.05  # far from a random distribution
    change = seg.compare(a, b, "inhabitants_foreigners", "inhabitants", permutations=49)
    assert change["difference"] == pytest.approx(-(0.2367 - 0.2108), abs=5e-4)


def test_results_stored_as_observations(grid_ws: Workspace, tmp_path: Path) -> None:
    from planlabor.io.importer import ImportOptions
    from tests.conftest import write

    grid_ws.import_table(write(tmp_path / "d.csv", "id;x;t\nA1;10;100\nA2;40;100\nA3;0;50\nA4;50;250\n"),
                         ImportOptions(layer="gebiet", period="2021"))
    seg.analyse(grid_ws.store, "gebiet", "x", "t", spatial=True)
    lq = grid_ws.store.observations("gebiet", ["lq_x"]).set_index("area_id")["value"]
    assert lq["A2"] == pytest.approx((40 / 100) / (100 / 500))
    top = grid_ws.store.observations("stadt", ["seg_dissimilarity_x", "seg_spatial_dissimilarity_x"])
    assert len(top) == 2 and top["area_id"].unique().tolist() == ["C"]
    assert "segregation" in grid_ws.imports()["kind"].tolist()
