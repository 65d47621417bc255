"""Street network: OSM reading, profile rules, exact shortest paths on hand-built and real graphs,
the chain contraction against networkx, 2SFCA on a complete straight-line graph."""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod, Transformer

from planlabor.errors import InputError
from planlabor.network.graph import Network
from planlabor.network.osm import MAX_SEGMENT_M, read_osm
from planlabor.network.profiles import car_kmh, node_blocks, way_codes

OSM = Path(__file__).parent / "data" / "osm"
CRS = "EPSG:25833"
GEOD = Geod(ellps="WGS84")
TO_XY = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


def osm_file(path: Path, nodes: dict[str, tuple[float, float, dict[str, str]]], ways: list[tuple]) -> Path:
    """Write an OSM XML file: nodes {name: (lon, lat, tags)}, ways [(refs, tags)]."""
    ids = {name: i + 1 for i, name in enumerate(nodes)}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for name, (lon, lat, tags) in nodes.items():
        tag = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'<node id="{ids[name]}" version="1" lat="{lat}" lon="{lon}">{tag}</node>')
    for i, (refs, tags) in enumerate(ways):
        nd = "".join(f'<nd ref="{ids[r]}"/>' for r in refs)
        tag = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'<way id="{100 + i}" version="1">{nd}{tag}</way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def network_of(path: Path) -> Network:
    raw = read_osm(path)
    x, y = TO_XY.transform(raw.lon, raw.lat)
    return Network.build(np.column_stack([x, y]), raw.u, raw.v, raw.length, raw.codes, raw.car_kmh, CRS)


def metres(*pts: tuple[float, float, dict[str, str]]) -> float:
    """Geodesic length of a polyline through the given nodes."""
    return sum(GEOD.inv(a[0], a[1], b[0], b[1])[2] for a, b in itertools.pairwise(pts))


def xy(*pts: tuple[float, float, dict[str, str]]) -> np.ndarray:
    x, y = TO_XY.transform([p[0] for p in pts], [p[1] for p in pts])
    return np.column_stack([x, y])


# A street S–A, steps A–B, street B–T; a footway detour above (U1 with a raised kerb) and a
# longer one below (V1, V2): walking takes the steps, a wheelchair the lower detour.
S = (13.4000, 52.5000, {})
A = (13.4010, 52.5000, {})
B = (13.4020, 52.5000, {})
T = (13.4030, 52.5000, {})
U1 = (13.4010, 52.5010, {"barrier": "kerb", "kerb": "raised"})
U2 = (13.4020, 52.5010, {})
V1 = (13.4010, 52.4985, {})
V2 = (13.4020, 52.4985, {})
NODES = {"S": S, "A": A, "B": B, "T": T, "U1": U1, "U2": U2, "V1": V1, "V2": V2}
WAYS = [
    (["S", "A"], {"highway": "residential"}),
    (["A", "B"], {"highway": "steps"}),
    (["B", "T"], {"highway": "residential"}),
    (["A", "U1", "U2", "B"], {"highway": "footway"}),
    (["A", "V1", "V2", "B"], {"highway": "footway", "surface": "asphalt"}),
]


@pytest.fixture
def ladder(tmp_path: Path) -> Network:
    return network_of(osm_file(tmp_path / "ladder.osm", NODES, WAYS))


def test_read_osm_lengths_codes_and_split_edges(tmp_path: Path) -> None:
    raw = read_osm(osm_file(tmp_path / "l.osm", NODES, WAYS))
    assert raw.ways == 5 and raw.length.max() <= MAX_SEGMENT_M + 1e-9
    assert raw.length.sum() == pytest.approx(
        metres(S, A) + metres(A, B) + metres(B, T) + metres(A, U1, U2, B) + metres(A, V1, V2, B), rel=1e-6
    )
    steps = raw.highway == "steps"
    assert (raw.codes["fuss"][steps] == 3).all() and (raw.codes["rollstuhl"][steps] == 0).all()
    assert (raw.codes["auto"][raw.highway == "footway"] == 0).all()
    assert raw.blocked["rollstuhl"] == 1 and raw.blocked["fuss"] == 0  # the raised kerb at U1


def test_exact_walking_and_wheelchair_distances(ladder: Network) -> None:
    walk = ladder.graph("fuss", "m")
    chair = ladder.graph("rollstuhl", "m")
    s, t = xy(S), xy(T)
    assert walk.nearest(t, s)[0] == pytest.approx(metres(S, A, B, T), rel=1e-9)
    assert walk.nearest(s, t)[0] == pytest.approx(metres(S, A, B, T), rel=1e-9)
    # no steps, no raised kerb: the lower detour
    assert chair.nearest(t, s)[0] == pytest.approx(metres(S, A, V1, V2, B, T), rel=1e-9)
    o, d, cost = chair.within(t, s, 1000)
    assert (
        list(o) == [0] and list(d) == [0] and cost[0] == pytest.approx(metres(S, A, V1, V2, B, T), rel=1e-9)
    )
    assert len(chair.within(t, s, metres(S, A, V1, V2, B, T) - 1)[0]) == 0
    minutes = ladder.graph("fuss", "min")
    assert minutes.nearest(t, s)[0] == pytest.approx(metres(S, A, B, T) / (4.5 / 3.6) / 60, rel=1e-9)
    # a point 30 m off the network: the straight leg is added
    off = xy(S) + np.array([0, -30])
    assert walk.nearest(t, off)[0] == pytest.approx(metres(S, A, B, T) + 30, rel=1e-6)


def test_points_on_one_long_street_use_the_street_between_them(tmp_path: Path) -> None:
    """Both points inside one walk of the contracted graph (no junction between them)."""
    a, b = (13.40, 52.50, {}), (13.41, 52.50, {})  # 678 m, split into 14 pieces
    net = network_of(
        osm_file(tmp_path / "s.osm", {"a": a, "b": b}, [(["a", "b"], {"highway": "residential"})])
    )
    g = net.graph("fuss", "m")
    assert len(g.chains.junctions) == 2
    p, q = xy(a)[0] + [200, 0], xy(a)[0] + [500, 0]
    cost = g.nearest(p[None], q[None])[0]
    assert cost == pytest.approx(300, abs=MAX_SEGMENT_M)  # nodes every ≤ 50 m
    _, _, c = g.within(p[None], q[None], 400)
    assert c[0] == pytest.approx(cost)


def test_one_way_streets_for_cars_not_for_walking(tmp_path: Path) -> None:
    x, y_, z = (13.400, 52.500, {}), (13.402, 52.500, {}), (13.401, 52.502, {})
    net = network_of(
        osm_file(
            tmp_path / "o.osm",
            {"x": x, "y": y_, "z": z},
            [
                (["x", "y"], {"highway": "residential", "oneway": "yes"}),
                (["y", "z", "x"], {"highway": "residential"}),
            ],
        )
    )
    car, walk = net.graph("auto", "m"), net.graph("fuss", "m")
    # nearest(origins, destinations): from the origin to the destination
    assert car.nearest(xy(x), xy(y_))[0] == pytest.approx(metres(x, y_), rel=1e-9)  # x → y: direct
    assert car.nearest(xy(y_), xy(x))[0] == pytest.approx(metres(y_, z, x), rel=1e-9)  # y → x: around
    assert walk.nearest(xy(y_), xy(x))[0] == pytest.approx(metres(x, y_), rel=1e-9)
    assert car.within(xy(y_), xy(x), 400)[0].size == 0 and walk.within(xy(y_), xy(x), 400)[0].size == 1


def test_profile_rules() -> None:
    assert way_codes({"highway": "steps"}) == {"fuss": 3, "rad": 0, "auto": 0, "rollstuhl": 0}
    assert way_codes({"highway": "steps", "ramp:wheelchair": "yes"})["rollstuhl"] == 3
    assert way_codes({"highway": "footway", "bicycle": "yes"})["rad"] == 3
    assert way_codes({"highway": "cycleway"})["fuss"] == 0  # no walking on a cycleway without foot=*
    assert way_codes({"highway": "cycleway", "foot": "designated"})["rollstuhl"] == 3
    assert way_codes({"highway": "motorway"}) == {"fuss": 0, "rad": 0, "auto": 1, "rollstuhl": 0}
    assert way_codes({"highway": "residential", "oneway": "-1"})["auto"] == 2
    assert way_codes({"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"})["rad"] == 3
    assert way_codes({"highway": "residential", "access": "private"})["fuss"] == 0
    assert way_codes({"highway": "path", "surface": "gravel"})["rollstuhl"] == 0
    assert way_codes({"highway": "footway", "incline": "10%"})["rollstuhl"] == 0
    assert way_codes({"highway": "footway", "incline": "4%"})["rollstuhl"] == 3
    assert (
        way_codes({"highway": "track"})["auto"] == 0 and way_codes({"highway": "construction"})["fuss"] == 0
    )
    assert node_blocks({"barrier": "kerb", "kerb": "raised"}) == {"rollstuhl"}
    assert node_blocks({"barrier": "kerb", "kerb": "lowered"}) == set()
    assert node_blocks({"kerb:height": "6 cm"}) == {"rollstuhl"}
    assert node_blocks({"barrier": "bollard"}) == {"auto"}
    assert node_blocks({"barrier": "gate", "access": "private"}) == {"fuss", "rad", "auto", "rollstuhl"}
    assert node_blocks({"barrier": "stile"}) == {"rad", "auto", "rollstuhl"}
    assert node_blocks({"barrier": "cycle_barrier", "wheelchair": "yes"}) == {"auto"}
    assert car_kmh({"highway": "primary", "maxspeed": "DE:urban"}) == 50
    assert car_kmh({"highway": "primary", "maxspeed": "CH:rural"}) == 80
    assert car_kmh({"highway": "residential", "maxspeed": "30 mph"}) == pytest.approx(48.28, abs=0.01)
    assert car_kmh({"highway": "residential"}) == 30 and car_kmh({"highway": "living_street"}) == 7


@pytest.mark.parametrize("name", ["berlin-neukoelln-blocks.osm", "berlin-siegessaeule.osm.gz"])
@pytest.mark.parametrize("profile_id", ["fuss", "auto", "rollstuhl"])
def test_bounded_search_equals_networkx_on_the_full_graph(name: str, profile_id: str) -> None:
    """Independent check of windows and chain contraction: every cost to every node."""
    net = network_of(OSM / name)
    g = net.graph(profile_id, "min")
    rng = np.random.default_rng(7)
    pts = net.xy[rng.choice(g.main, 25)] + rng.normal(0, 15, (25, 2))
    nodes, off, _ = g.attach(pts)
    budget = 4.0 if profile_id != "auto" else 1.0
    everything = np.arange(len(net.xy))
    for reverse in (True, False):
        graph = nx.DiGraph()
        coo = (g.rev if reverse else g.fwd).tocoo()
        graph.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
        for bat in g.bounded(pts, budget, reverse=reverse):
            costs = bat.at(everything)
            for k, i in enumerate(bat.sources):
                ref = nx.single_source_dijkstra_path_length(graph, int(nodes[i]), cutoff=budget - off[i])
                got = np.nonzero(np.isfinite(costs[k]))[0]
                assert set(got.tolist()) == set(ref)
                want = np.array([ref[j] for j in got]) + off[i]
                np.testing.assert_allclose(costs[k][got], want, rtol=1e-9, atol=1e-9)
                ids, cost = bat.reached(k)  # the fast way to the same set (in any order)
                order = np.argsort(ids)
                np.testing.assert_array_equal(ids[order], got)
                np.testing.assert_allclose(cost[order], want, rtol=1e-9, atol=1e-9)


def test_real_extract_wheelchair_network(tmp_path: Path) -> None:
    raw = read_osm(OSM / "berlin-neukoelln-blocks.osm")
    steps = raw.highway == "steps"
    assert steps.any() and (raw.codes["rollstuhl"][steps] == 0).all() and (raw.codes["fuss"][steps] > 0).all()
    assert raw.blocked["rollstuhl"] > raw.blocked["fuss"]  # raised kerbs in the extract
    assert raw.codes["rollstuhl"].astype(bool).sum() < raw.codes["fuss"].astype(bool).sum()


def test_two_step_fca_on_a_complete_straight_line_graph_equals_straight_line() -> None:
    """Every pair joined by a straight edge: the network is the plane, results must agree."""
    from planlabor.network.scenario import NetworkDistance
    from planlabor.spatial.coverage import StraightLine, two_step_fca

    rng = np.random.default_rng(3)
    origin = np.array([390000, 5820000])
    supply_xy = rng.uniform(0, 3000, (15, 2)) + origin
    demand_xy = rng.uniform(0, 3000, (40, 2)) + origin
    pts = np.vstack([supply_xy, demand_xy])
    i, j = np.triu_indices(len(pts), k=1)
    length = np.hypot(*(pts[i] - pts[j]).T)
    codes = {p: np.full(len(i), 3, np.uint8) for p in ("fuss", "rad", "auto", "rollstuhl")}
    net = Network.build(pts, i, j, length, codes, np.full(len(i), 50.0), CRS)
    backend = NetworkDistance(net.graph("fuss", "m"))
    supply = rng.integers(10, 100, 15).astype(float)
    demand = rng.integers(5, 300, 40).astype(float)
    for decay in ("none", "gaussian"):
        a = two_step_fca(demand_xy, demand, supply_xy, supply, 900, decay, StraightLine())
        b = two_step_fca(demand_xy, demand, supply_xy, supply, 900, decay, backend)
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        backend.nearest(demand_xy, supply_xy), StraightLine().nearest(demand_xy, supply_xy), rtol=1e-9
    )


def test_not_an_osm_file_is_a_german_error(tmp_path: Path) -> None:
    bad = tmp_path / "stadt.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError, match="keine OpenStreetMap-Datei") as exc:
        read_osm(bad)
    assert "stadt.csv" in exc.value.render() and "Erwartet" in exc.value.render()
    broken = tmp_path / "kaputt.osm.pbf"
    broken.write_bytes(b"\x00\x01kein pbf")
    with pytest.raises(InputError, match="kann nicht gelesen werden"):
        read_osm(broken)
    empty = osm_file(tmp_path / "leer.osm", {"a": S, "b": A}, [(["a", "b"], {"building": "yes"})])
    with pytest.raises(InputError, match="keine Wege mit highway"):
        read_osm(empty)
    with pytest.raises(InputError, match="gibt es nicht"):
        read_osm(tmp_path / "fehlt.osm.pbf")
