"""The whole-city network of Heidelberg (OSM extract, ODbL): isochrones sane against the
straight line, the scenario changes only areas within reach, exact costs against networkx,
coverage on the network never below the straight line."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from planlabor.areas import AreaImportOptions
from planlabor.network import PlannedFacility, compute_isochrones, import_network, load_network, scenario
from planlabor.network.isochrones import EDGE_M
from planlabor.network.scenario import NetworkDistance, network_backend
from planlabor.spatial.coverage import analyse
from planlabor.spatial.facilities import import_facilities
from planlabor.workspace import Workspace
from tests.conftest import write

pytestmark = pytest.mark.slow
PBF = Path(__file__).parent / "data" / "osm" / "heidelberg.test.pbf"
CRS = "EPSG:25832"
X0, Y0, CELL, N = 474000, 5470000, 500, 12  # 6 × 6 km over the city centre, Bergheim, Weststadt


@pytest.fixture(scope="module")
def hd(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    tmp = tmp_path_factory.mktemp("hd")
    ws = Workspace.init(tmp / "ws", name="Heidelberg", crs=CRS)
    cells = [
        (f"H{r:02d}{c:02d}", box(X0 + c * CELL, Y0 + r * CELL, X0 + (c + 1) * CELL, Y0 + (r + 1) * CELL))
        for r in range(N)
        for c in range(N)
    ]
    gpd.GeoDataFrame(
        {"id": [c[0] for c in cells], "name": [c[0] for c in cells]}, geometry=[c[1] for c in cells], crs=CRS
    ).to_file(tmp / "a.geojson", driver="GeoJSON")
    ws.import_areas(tmp / "a.geojson", AreaImportOptions(layer="gitter", id_column="id", name_column="name"))
    rng = np.random.default_rng(11)
    rows = "".join(f"{c[0]};{int(rng.integers(20, 200))}\n" for c in cells)
    from planlabor.io.importer import ImportOptions

    ws.import_table(
        write(tmp / "k.csv", "id;kinder\n" + rows), ImportOptions(layer="gitter", period="2024-12-31")
    )
    xs, ys = rng.uniform(X0 + 300, X0 + N * CELL - 300, 40), rng.uniform(Y0 + 300, Y0 + N * CELL - 300, 40)
    kitas = "id;x;y;plaetze\n" + "".join(
        f"K{i};{x:.1f};{y:.1f};{int(rng.integers(30, 120))}\n"
        for i, (x, y) in enumerate(zip(xs, ys, strict=True))
    )
    import_facilities(
        ws.store,
        write(tmp / "kitas.csv", kitas),
        "kita",
        "gitter",
        "2024-12-31",
        CRS,
        capacity_column="plaetze",
        id_column="id",
        x_column="x",
        y_column="y",
        source_crs=CRS,
    )
    r = import_network(ws.store, PBF, CRS)
    assert r.ways > 20_000 and r.km["fuss"] > r.km["rollstuhl"] > 0 and r.km["auto"] > 0
    return ws


def _facilities(ws: Workspace) -> tuple[pd.DataFrame, np.ndarray]:
    fac = ws.store.query_df("SELECT facility_id, geom FROM facilities ORDER BY facility_id")
    pts = shapely.from_wkb([bytes(g) for g in fac["geom"]])
    return fac, np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])


def test_isochrones_sane_against_the_straight_line(hd: Workspace) -> None:
    walk = compute_isochrones(hd.store, "kita", "fuss", [5, 10]).frame
    chair = compute_isochrones(hd.store, "kita", "rollstuhl", [10], save=False).frame
    fac, xy = _facilities(hd)
    net = load_network(hd.store)
    assert net is not None
    snap = net.graph("fuss", "min").attach(xy)[2]
    for minutes in (5, 10):
        sel = walk[walk["minutes"] == minutes].set_index("facility_id").loc[fac["facility_id"]]
        radius = 4.5 / 3.6 * 60 * minutes  # metres walked in that time: 375 m, 750 m
        # no point of an isochrone lies farther from the facility than the straight-line radius
        reach = np.array(
            [shapely.hausdorff_distance(g, shapely.Point(p)) for g, p in zip(sel.geometry, xy, strict=True)]
        )
        assert (reach <= radius + EDGE_M + 1).all()
        share = sel["area_m2"].to_numpy() / (np.pi * radius**2)
        assert (share < 1).all() and 0.15 < np.median(share) < 0.7  # streets are not straight lines
        assert (snap[share < 0.05] > 100).all()  # only facilities far off the network reach almost nothing
    five = walk[walk["minutes"] == 5].set_index("facility_id")["area_m2"]
    ten = walk[walk["minutes"] == 10].set_index("facility_id")["area_m2"]
    assert (ten > five).all()
    chair_area = chair.set_index("facility_id")["area_m2"]
    assert (chair_area <= ten * 1.05).mean() > 0.9  # slower and fewer ways: smaller
    assert hd.store.query_df("SELECT count(*) AS n FROM isochrones")["n"][0] == 80


def test_scenario_changes_only_areas_within_reach(hd: Workspace) -> None:
    backend = network_backend(hd.store, "fuss", "min")
    site = PlannedFacility(476800.0, 5473200.0, 60.0, "Neue Kita Bergheim")
    r = scenario(hd.store, "gitter", "kita", "kinder", "2024-12-31", [site], 10.0, 10.0, "none", backend)
    areas = hd.store.areas("gitter", geometry=True)
    rep = shapely.point_on_surface(shapely.from_wkb(areas["geom"].tolist()))
    pts = np.column_stack([shapely.get_x(rep), shapely.get_y(rep)])
    o, _, _ = backend.graph.within(pts, np.array([[site.x, site.y]]), 10.0)
    reachable = set(areas["area_id"].iloc[o])
    assert 3 < len(reachable) < 40
    assert set(r.changed["area_id"]) == reachable
    assert (r.changed["sfca_change"] > 0).all()
    unchanged = r.table[~r.table["area_id"].isin(reachable)]
    np.testing.assert_array_equal(unchanged["sfca_before"], unchanged["sfca_after"])
    assert r.city_after - r.city_before == pytest.approx(60 / r.table["demand"].sum() * 100)
    assert r.share_after >= r.share_before
    # nearest times only ever fall, and only where the new site is the nearest
    d = r.table["nearest_min_after"] - r.table["nearest_min_before"]
    assert (d <= 1e-9).all() and d.lt(0).sum() <= len(areas)


def test_heidelberg_costs_equal_networkx(hd: Workspace) -> None:
    net = load_network(hd.store)
    assert net is not None
    g = net.graph("fuss", "min")
    _, xy = _facilities(hd)
    graph = nx.DiGraph()
    coo = g.rev.tocoo()
    graph.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    nodes, off, _ = g.attach(xy[:15])
    for bat in g.bounded(xy[:15], 10.0, reverse=True):
        for k, i in enumerate(bat.sources):
            ref = nx.single_source_dijkstra_path_length(graph, int(nodes[i]), cutoff=10.0 - off[i])
            ids = np.fromiter(ref, dtype=np.int64)
            got = bat.at(ids, np.array([k]))[0]
            np.testing.assert_allclose(got, np.fromiter(ref.values(), float) + off[i], rtol=1e-9)
            everywhere = bat.at(np.arange(len(net.xy)), np.array([k]))[0]
            assert np.isfinite(everywhere).sum() == len(ref)


def test_coverage_on_the_network_never_below_the_straight_line(hd: Workspace) -> None:
    line = analyse(hd.store, "gitter", "kita", "kinder", "2024-12-31", 1000, save=False)
    walk = analyse(
        hd.store,
        "gitter",
        "kita",
        "kinder",
        "2024-12-31",
        1000,
        backend=network_backend(hd.store, "fuss"),
        save=False,
    )
    assert (walk.table["nearest_m"] >= line.table["nearest_m"] * 0.999).all()
    assert walk.table["nearest_m"].median() < 2.5 * line.table["nearest_m"].median()
    # 2SFCA hands out exactly the places of the facilities that have demand within reach
    backend = network_backend(hd.store, "fuss")
    areas = hd.store.areas("gitter", geometry=True)
    rep = shapely.point_on_surface(shapely.from_wkb(areas["geom"].tolist()))
    _, xy = _facilities(hd)
    _, j, cost = backend.within(np.column_stack([shapely.get_x(rep), shapely.get_y(rep)]), xy, 1000)
    cap = hd.store.query_df("SELECT capacity FROM facilities ORDER BY facility_id")["capacity"].to_numpy()
    handed_out = (walk.table["demand"] * walk.table["sfca_per_100"] / 100).sum()
    assert handed_out == pytest.approx(cap[np.unique(j[cost < 1000])].sum(), rel=1e-9)
    assert handed_out <= (line.table["demand"] * line.table["sfca_per_100"] / 100).sum() <= cap.sum() + 1e-6
    car = analyse(
        hd.store,
        "gitter",
        "kita",
        "kinder",
        "2024-12-31",
        10,
        backend=network_backend(hd.store, "auto", "min"),
        save=False,
    )
    foot = analyse(
        hd.store,
        "gitter",
        "kita",
        "kinder",
        "2024-12-31",
        10,
        backend=network_backend(hd.store, "fuss", "min"),
        save=False,
    )
    assert car.table["nearest_min"].median() < foot.table["nearest_min"].median()
    assert isinstance(network_backend(hd.store, "walk"), NetworkDistance)  # aliases
