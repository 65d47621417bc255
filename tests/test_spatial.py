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
    assert pytest.approx(0.2) == X / T


def test_berlin_dissimilarity_published_values(berlin: Workspace) -> None:
    res = seg.analyse(
        berlin.store, "plr", "inhabitants_foreigners", "inhabitants", ["2021-12-31", "2024-12-31"], save=False
    )
    d = {r.period: r.values["dissimilarity"] for r in res}
    assert round(d["2021-12-31"], 3) == 0.237 and round(d["2024-12-31"], 3) == 0.211
    assert res[0].n_areas == 541  # Pankower Tor has no residents
    assert "Größe der Gebiete" in res[0].caveats


def test_permutation_and_change_test(berlin: Workspace) -> None:
    obs = berlin.store.observations(
        "plr", ["inhabitants_foreigners", "inhabitants"], ["2021-12-31", "2024-12-31"]
    )
    wide = obs.pivot_table(index=["period", "area_id"], columns="variable", values="value").reset_index()
    a, b = wide[wide["period"] == "2021-12-31"], wide[wide["period"] == "2024-12-31"]
    _vals, p = seg.measures(a, "inhabitants_foreigners", "inhabitants", permutations=49)
    assert p["dissimilarity"] < 0.05  # far from a random distribution
    change = seg.compare(a, b, "inhabitants_foreigners", "inhabitants", permutations=49)
    assert change["difference"] == pytest.approx(-(0.2367 - 0.2108), abs=5e-4)


def test_results_stored_as_observations(grid_ws: Workspace, tmp_path: Path) -> None:
    from planlabor.io.importer import ImportOptions
    from tests.conftest import write

    grid_ws.import_table(
        write(tmp_path / "d.csv", "id;x;t\nA1;10;100\nA2;40;100\nA3;0;50\nA4;50;250\n"),
        ImportOptions(layer="gebiet", period="2021"),
    )
    seg.analyse(grid_ws.store, "gebiet", "x", "t", spatial=True)
    lq = grid_ws.store.observations("gebiet", ["lq_x"]).set_index("area_id")["value"]
    assert lq["A2"] == pytest.approx((40 / 100) / (100 / 500))
    top = grid_ws.store.observations("stadt", ["seg_dissimilarity_x", "seg_spatial_dissimilarity_x"])
    assert len(top) == 2 and top["area_id"].unique().tolist() == ["C"]
    assert "segregation" in grid_ws.imports()["kind"].tolist()


# ------------------------------------------------------------------- re-basing


def _old_system(ws: Workspace, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from planlabor.areas import AreaImportOptions

    x0, y0 = 390000, 5820000
    old = gpd.GeoDataFrame(
        {"id": ["S1", "S2", "S3"]},
        geometry=[
            box(x0, y0, x0 + 1500, y0 + 1000),
            box(x0 + 1500, y0, x0 + 3000, y0 + 1000),
            box(x0 + 3000, y0, x0 + 4000, y0 + 1000),
        ],
        crs="EPSG:25833",
    )
    old.to_file(tmp_path / "old.gpkg")
    ws.import_areas(tmp_path / "old.gpkg", AreaImportOptions(layer="alt", id_column="id"))


def test_rebase_area_and_population_by_hand(grid_ws: Workspace, tmp_path: Path) -> None:
    from planlabor.areas.rebase import build_crosswalk, rebase
    from planlabor.io.importer import ImportOptions
    from tests.conftest import write

    _old_system(grid_ws, tmp_path)
    grid_ws.import_table(
        write(tmp_path / "o.csv", "id;ew;quote\nS1;150;10\nS2;300;20\nS3;40;30\n"),
        ImportOptions(layer="alt", period="2020"),
    )
    grid_ws.import_table(
        write(tmp_path / "n.csv", "id;ew\nA1;100;\nA2;300\nA3;0\nA4;50\n".replace(";\n", "\n")),
        ImportOptions(layer="gebiet", period="2021"),
    )
    build_crosswalk(grid_ws.store, "alt", "gebiet", "area")
    r = rebase(grid_ws.store, "alt", "gebiet", ["ew", "quote"], ["2020"], "area", intensive=["quote"])
    got = grid_ws.store.observations("gebiet", ["ew", "quote"], ["2020"]).pivot(
        index="area_id", columns="variable", values="value"
    )
    # S1 (1500 m wide) → A1 2/3, A2 1/3; S2 → A2 1/3, A3 2/3; S3 → A4
    assert got["ew"].to_dict() == pytest.approx({"A1": 100, "A2": 50 + 100, "A3": 200, "A4": 40})
    # shares: A2 = mean of S1 and S2 weighted by overlapping area (500 m each)
    assert got["quote"].to_dict() == pytest.approx({"A1": 10, "A2": 15, "A3": 20, "A4": 30})
    assert got["ew"].sum() == pytest.approx(490)  # totals kept
    assert r.values == 8
    # dasymetric: residents of the new areas in 2021 steer the split
    build_crosswalk(grid_ws.store, "alt", "gebiet", "population", "ew", "2021")
    rebase(grid_ws.store, "alt", "gebiet", ["ew"], ["2020"], "population")
    got = grid_ws.store.observations("gebiet", ["ew"], ["2020"]).set_index("area_id")["value"]
    # S1: pieces A1 (1000 m², 100 residents) and A2 (500 of 1000 m → 150 residents) → 100:150
    assert got["A1"] == pytest.approx(150 * 100 / 250) and got["A3"] == 0.0  # A3 has no residents
    flags = grid_ws.store.observations("gebiet", ["ew"], ["2020"])["flag"].unique().tolist()
    assert flags == ["geschaetzt"]


def test_rebase_never_overwrites_real_values(grid_ws: Workspace, tmp_path: Path) -> None:
    from planlabor.areas.rebase import build_crosswalk, rebase
    from planlabor.io.importer import ImportOptions
    from tests.conftest import write

    _old_system(grid_ws, tmp_path)
    grid_ws.import_table(
        write(tmp_path / "o.csv", "id;ew\nS1;1\nS2;2\nS3;3\n"), ImportOptions(layer="alt", period="2020")
    )
    grid_ws.import_table(
        write(tmp_path / "n.csv", "id;ew\nA1;9\nA2;9\nA3;9\nA4;9\n"),
        ImportOptions(layer="gebiet", period="2020"),
    )
    build_crosswalk(grid_ws.store, "alt", "gebiet", "area")
    r = rebase(grid_ws.store, "alt", "gebiet", ["ew"], ["2020"], "area")
    assert r.skipped_existing == ["ew 2020"] and r.values == 0
    assert grid_ws.store.observations("gebiet", ["ew"])["value"].tolist() == [9, 9, 9, 9]


def test_berlin_rebase_error_2020(tmp_path: Path) -> None:
    """Old PLR (2006) at 31.12.2020 → new PLR; compared with the MSS residents on the new PLR."""

    from planlabor.areas import AreaImportOptions
    from planlabor.areas.rebase import build_crosswalk, rebase, rebase_error
    from planlabor.io.importer import ImportOptions
    from tests.conftest import DEMO, PLR2006, PLR2006_FILE

    ws = Workspace.init(tmp_path / "b", name="B")
    ws.import_areas(
        DEMO / "lor_2021/lor_planungsraeume_2021.shp", AreaImportOptions(layer="plr", id_column="PLR_ID")
    )
    ws.import_areas(PLR2006_FILE, PLR2006)
    ws.import_table(
        DEMO / "einwohner/berlin-lor-population-2020-02-t1-planning-areas.csv",
        ImportOptions(layer="plr2006", id_column="id", period="2020-12-31", exclude_columns=["*_percentage"]),
    )
    ws.import_table(
        DEMO / "einwohner/berlin-lor-population-2021-01-t1-planning-areas.csv",
        ImportOptions(layer="plr", id_column="id", period="2021-06-30", exclude_columns=["*_percentage"]),
    )
    ws.import_table(
        DEMO / "mss_2021/mss_2021_kontext_indikatoren.csv",
        ImportOptions(layer="plr", id_column="PLR_ID", stichtag=True, columns=["EW"]),
    )
    cw = build_crosswalk(ws.store, "plr2006", "plr", "population", "inhabitants", "2021-06-30")
    assert cw.sources_without_target == [] and cw.uncovered_share < 1e-4
    rebase(ws.store, "plr2006", "plr", ["inhabitants"], ["2020-12-31"], "population")
    err = rebase_error(ws.store, "plr", "inhabitants", "EW", "2020-12-31").attrs
    assert err["total_rebased"] == err["total_actual"] == 3_769_962
    assert err["mape"] < 0.025 and err["median_ape"] < 0.005 and err["within_5pct"] > 0.9
    build_crosswalk(ws.store, "plr2006", "plr", "area")
    rebase(ws.store, "plr2006", "plr", ["inhabitants"], ["2020-12-31"], "area")
    by_area = rebase_error(ws.store, "plr", "inhabitants", "EW", "2020-12-31").attrs
    assert by_area["mape"] > err["mape"]  # residents are the better guide than area
    ws.close()


# ------------------------------------------------------------------- hot spots


def _grid(n: int):  # type: ignore[no-untyped-def]
    from shapely.geometry import box

    return np.array([box(c, r, c + 1, r + 1) for r in range(n) for c in range(n)], dtype=object)


@pytest.mark.filterwarnings("ignore:The alternative hypothesis")
def test_moran_and_lisa_on_built_grid() -> None:
    import esda
    from libpysal import weights

    from planlabor.spatial.hotspots import analyse_values

    n = 10
    geoms = _grid(n)
    # a hot corner (top-left 3×3 high) on a gradient-free background
    vals = np.zeros(n * n)
    for r in range(3):
        for c in range(3):
            vals[r * n + c] = 10.0
    vals += np.random.default_rng(0).normal(0, 0.5, n * n)
    s = pd.Series(vals, index=[f"c{i:03d}" for i in range(n * n)])
    res = analyse_values(s, geoms, "rook", permutations=999, seed=3)
    # Moran's I by its formula with binary rook weights row-standardised
    w = weights.lat2W(n, n, rook=True)
    w.transform = "r"
    z = vals - vals.mean()
    expected = (len(z) / w.s0) * (z @ (w.sparse @ z)) / (z @ z)
    assert res["moran_i"] == pytest.approx(expected)
    loc = res["local"].set_index("area_id")
    assert loc.loc["c011", "cluster_label"].startswith("hoch – hoch")  # inside the hot corner
    assert loc.loc["c011", "p"] <= 0.01
    assert (loc["cluster"] == 1).sum() >= 5
    # local I equal to esda's; p-values close to esda's own permutation test
    ref = esda.Moran_Local(vals, w, permutations=999, seed=3)
    assert np.allclose(loc["local_i"].to_numpy(), ref.Is)
    assert np.corrcoef(loc["p"].to_numpy(), ref.p_sim)[0, 1] > 0.97
    # Gi* is high in the hot corner
    assert loc.loc["c011", "gi_z"] > 3


def test_conditional_pvalues_equal_esdas_scheme_by_hand() -> None:
    """The vectorised randomisation equals esda's crand scheme written out area by area: one set
    of draws for all areas, area i takes the first k_i positions among the n − 1 others."""
    from libpysal import weights

    from planlabor.spatial.hotspots import conditional_pvalues, permuted_positions

    w = weights.lat2W(7, 9, rook=False)
    w.transform = "r"
    z = np.random.default_rng(5).normal(size=63)
    z = (z - z.mean()) / z.std()
    sp = w.sparse.tocsr()
    observed = z * (sp @ z)
    got = conditional_pvalues(z, w, observed, permutations=99, seed=4, threads=2)
    rids = permuted_positions(63, int(np.diff(sp.indptr).max()), 99, 4)
    assert all(len(set(r)) == len(r) and r.max() < 62 for r in rids)  # distinct, never the area itself
    for i in range(63):
        nb = sp.data[sp.indptr[i] : sp.indptr[i + 1]]
        others = np.delete(z, i)
        sims = z[i] * (others[rids[:, : len(nb)]] @ nb)
        larger = int((sims >= observed[i]).sum())
        assert got[i] == pytest.approx((min(larger, 99 - larger) + 1) / 100)


def test_islands_reported_and_fdr_stricter() -> None:
    from shapely.geometry import box

    from planlabor.spatial.hotspots import analyse_values

    geoms = [*list(_grid(8)), box(100, 100, 101, 101)]
    vals = np.concatenate([np.random.default_rng(1).normal(size=64), [5.0]])
    vals[:9] += 4
    s = pd.Series(vals, index=[f"a{i}" for i in range(65)])
    res = analyse_values(s, np.array(geoms, dtype=object), "queen", permutations=199)
    assert res["islands"] == ["a64"] and res["n"] == 64
    strict = analyse_values(s, np.array(geoms, dtype=object), "queen", permutations=199, fdr=True)
    assert (strict["local"]["cluster"] > 0).sum() <= (res["local"]["cluster"] > 0).sum()


def test_berlin_lisa_stored(berlin: Workspace) -> None:
    from planlabor.spatial.hotspots import analyse

    r = analyse(berlin.store, "plr", "KI_02", "2020-12-31", permutations=199, seed=1)
    assert r.n == 536 and 0.2 < r.moran_i < 0.35 and r.moran_p < 0.01
    stored = berlin.store.observations("plr", ["lisa_KI_02"], ["2020-12-31"])
    assert len(stored) == 536 and set(stored["value"].unique()) <= {0.0, 1.0, 2.0, 3.0, 4.0}
    assert len(berlin.store.observations("stadt", ["moran_i_KI_02"])) == 1


# ------------------------------------------------------------- coverage, 2SFCA


def test_two_step_fca_by_hand_and_conservation() -> None:
    from planlabor.spatial.coverage import two_step_fca

    demand_xy = np.array([[0.0, 0.0], [1000.0, 0.0], [5000.0, 0.0]])
    demand = np.array([100.0, 50.0, 80.0])
    supply_xy = np.array([[500.0, 0.0], [5100.0, 0.0]])
    supply = np.array([30.0, 40.0])
    a = two_step_fca(demand_xy, demand, supply_xy, supply, 600, decay="none")
    # facility 1 reaches demand 1 and 2 (500 m each): R1 = 30 / 150; facility 2 reaches demand 3: R2 = 40 / 80
    assert a.tolist() == pytest.approx([30 / 150, 30 / 150, 40 / 80])
    # every place is allotted once: Σ A_i D_i = Σ S_j (facilities with demand in reach)
    assert (a * demand).sum() == pytest.approx(supply.sum())
    g = two_step_fca(demand_xy, demand, supply_xy, supply, 600, decay="gaussian")
    assert (g * demand).sum() == pytest.approx(supply.sum())


def test_decay_weights() -> None:
    from planlabor.spatial.coverage import decay_weights

    w = decay_weights(np.array([0.0, 500.0, 1000.0]), 1000, "gaussian")
    assert w[0] == pytest.approx(1.0) and w[2] == pytest.approx(0.0) and 0 < w[1] < 1


def test_berlin_kita_coverage(berlin: Workspace) -> None:
    from planlabor.spatial.coverage import analyse

    r = analyse(berlin.store, "plr", "kita", "inhabitants_age_below_6", "2022-12-31", 1000, within=500)
    places = berlin.store.query_df("SELECT sum(capacity) AS s FROM facilities WHERE facility_type = 'kita'")[
        "s"
    ][0]
    u6 = berlin.store.observations("plr", ["inhabitants_age_below_6"], ["2022-12-31"])["value"].sum()
    assert r.city_ratio == pytest.approx(places / u6 * 100)
    assert 0.85 < r.share_within < 0.97
    assert (r.table["nearest_m"] >= 0).all() and r.table["nearest_m"].max() < 5000
    stored = berlin.store.observations(
        "plr", ["sfca_kita_1000m", "dist_kita", "within_500m_kita"], ["2022-12-31"]
    )
    assert len(stored) == 3 * 542


def test_case_data_with_coordinates_counted_and_suppressed(grid_ws: Workspace, tmp_path: Path) -> None:
    """Hilfen zur Erziehung as points in a CSV: counted per area, small counts suppressed in public."""
    from planlabor.errors import InputError
    from planlabor.io.export import ExportOptions
    from planlabor.io.importer import ImportOptions
    from planlabor.spatial.facilities import import_facilities
    from tests.conftest import write

    x0, y0 = 390000, 5820000
    rows = ["fall;x;y"] + [f"{i};{x0 + 100 + i},5;{y0 + 500}" for i in range(2)]  # 2 cases in A1
    rows += [f"{10 + i};{x0 + 1500 + i};{y0 + 500}" for i in range(7)]  # 7 cases in A2
    rows += [f"{20 + i};{x0 + 2500 + i};{y0 + 500}" for i in range(5)]  # 5 in A3, 0 in A4
    path = write(tmp_path / "hze.csv", "\n".join(rows) + "\n")
    r = import_facilities(
        grid_ws.store,
        path,
        "hze",
        "gebiet",
        "2023",
        "EPSG:25833",
        id_column="fall",
        x_column="x",
        y_column="y",
        source_crs="EPSG:25833",
    )
    assert r.n_assigned == 14
    counts = grid_ws.store.observations("gebiet", ["hze_anzahl"]).set_index("area_id")["value"].to_dict()
    assert counts == {"A1": 2.0, "A2": 7.0, "A3": 5.0, "A4": 0.0}
    cat = grid_ws.root / "catalog.toml"
    cat.write_text(
        cat.read_text(encoding="utf-8") + '\n[[indicator]]\nid = "hze"\nname = "HzE-Fälle"\n'
        'numerator = ["hze_anzahl"]\nmin_count = 3\n',
        encoding="utf-8",
    )
    grid_ws.import_table(
        write(tmp_path / "ew.csv", "id;ew\nA1;10\nA2;10\nA3;10\nA4;10\n"),
        ImportOptions(layer="gebiet", period="2023"),
    )
    grid_ws.compute()
    out = tmp_path / "p.csv"
    grid_ws.export(
        ExportOptions(layer="gebiet", out=out, indicators=["hze"], public=True, csv_style="excel-de")
    )
    cells = {
        k.strip('"=').replace('""', ""): v  # keys are text formulas ="A1" for spreadsheets
        for k, v in (line.split(";")[0:4:3] for line in out.read_text(encoding="utf-8-sig").splitlines()[1:])
    }
    assert cells["A1"] == "•" and cells["A2"] == "•"  # 2 < 3 primary; its only sibling secondary
    assert cells["A3"] == "5" and cells["A4"] == "0"
    with pytest.raises(InputError) as exc:
        import_facilities(
            grid_ws.store,
            write(tmp_path / "bad.csv", "x;y\n1;zwei\n"),
            "hze",
            "gebiet",
            "2023",
            "EPSG:25833",
            x_column="x",
            y_column="y",
            source_crs="EPSG:25833",
        )
    assert exc.value.row == 2 and exc.value.column == "y"


@pytest.mark.parametrize(
    ("name", "capacity", "n"),
    [
        ("schulen.geojson", None, 902),
        ("pflegeeinrichtungen.geojson", "platzzahl", 274),
        ("jugendfreizeiteinrichtungen.geojson", "e_platz", 407),
    ],
)
def test_real_point_layers_assigned_to_plr(tmp_path: Path, name: str, capacity: str | None, n: int) -> None:
    from planlabor.areas import AreaImportOptions
    from planlabor.spatial.facilities import import_facilities
    from tests.conftest import DATA, DEMO

    ws = Workspace.init(tmp_path / "w", name="W")
    ws.import_areas(
        DEMO / "lor_2021/lor_planungsraeume_2021.shp", AreaImportOptions(layer="plr", id_column="PLR_ID")
    )
    r = import_facilities(
        ws.store,
        DATA / "berlin/einrichtungen" / name,
        name.split(".")[0],
        "plr",
        "2023",
        "EPSG:25833",
        capacity_column=capacity,
    )
    assert r.n_facilities == n and r.n_assigned >= n - 2  # all inside Berlin's PLR (border cases aside)
    counts = ws.store.observations("plr", [f"{name.split('.')[0]}_anzahl"])["value"]
    assert counts.sum() == r.n_assigned and len(counts) == 542
    ws.close()
