"""Points into areas (planlabor.spatial.points): the raster path gives exactly what testing every
point gives, on the real Berlin PLR and on built polygons with holes, islands and overlaps."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from planlabor.demo import data_dir
from planlabor.spatial import points as sp


@pytest.fixture(scope="module")
def plr() -> gpd.GeoDataFrame:
    return gpd.read_file(data_dir() / "berlin" / "lor_2021" / "lor_planungsraeume_2021.shp")


def _exact_xy(x: np.ndarray, y: np.ndarray, polys: np.ndarray) -> np.ndarray:
    out = np.full(len(x), -1, dtype=np.int64)
    ok = np.isfinite(x) & np.isfinite(y)
    out[ok] = sp.exact_assign(shapely.points(x[ok], y[ok]), polys)
    return out


def test_berlin_raster_equals_exact_test_of_every_point(plr: gpd.GeoDataFrame) -> None:
    polys = plr.geometry.values
    minx, miny, maxx, maxy = plr.total_bounds
    rng = np.random.default_rng(5)
    n = 60_000
    verts = shapely.get_coordinates(polys)[::7]  # points exactly on borders, shared by two PLR
    mids = (verts[:-1] + verts[1:]) / 2
    x = np.concatenate([rng.uniform(minx - 500, maxx + 500, n), verts[:, 0], mids[:, 0], [np.nan, 1e9]])
    y = np.concatenate([rng.uniform(miny - 500, maxy + 500, n), verts[:, 1], mids[:, 1], [5.0, np.inf]])
    raster = sp._Raster.build(np.asarray(polys, dtype=object), len(x))
    assert raster is not None
    share_border = (raster.lookup(x[:n], y[:n]) == sp._BORDER).mean()
    assert 0 < share_border < 0.15  # only a few per cent of the points need the exact test
    ours = sp.assign_xy(x, y, polys)
    assert (ours == _exact_xy(x, y, polys)).all()
    assert not shapely.is_prepared(polys).any()  # the caller's geometries stay as they were
    assert (ours[n : n + len(verts)] >= 0).all()  # a vertex on a border goes to the first PLR
    assert ours[-2:].tolist() == [-1, -1]
    inside = ours[:n] >= 0
    assert 0.4 < inside.mean() < 0.8  # Berlin fills about 60 % of its bounding box


def test_agrees_with_geopandas_within_off_borders(plr: gpd.GeoDataFrame) -> None:
    minx, miny, maxx, maxy = plr.total_bounds
    rng = np.random.default_rng(6)
    x, y = rng.uniform(minx, maxx, 30_000), rng.uniform(miny, maxy, 30_000)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=plr.crs)
    joined = gpd.sjoin(pts, plr[["PLR_ID", "geometry"]], predicate="within", how="left")
    theirs = joined[~joined.index.duplicated()]["index_right"].fillna(-1).astype(int).to_numpy()
    assert (sp.assign_xy(x, y, plr.geometry.values) == theirs).all()
    assert (sp.assign_points(pts.geometry.values, plr.geometry.values) == theirs).all()


def _built_polygons() -> np.ndarray:
    donut = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(3, 3), (7, 3), (7, 7), (3, 7)]])
    island = box(4, 4, 6, 6)  # inside the hole
    right = box(10, 0, 20, 10)  # shares the border x = 10 with the donut
    overlap = box(15, 5, 25, 15)  # overlaps ``right``: the first wins
    parts = MultiPolygon([box(30, 0, 32, 2), box(40, 8, 42, 10)])
    return np.array([donut, island, right, overlap, None, parts], dtype=object)


@pytest.mark.parametrize("exact_below", [0, 10**9])
def test_holes_islands_overlaps_and_borders(monkeypatch: pytest.MonkeyPatch, exact_below: int) -> None:
    monkeypatch.setattr(sp, "EXACT_BELOW", exact_below)
    polys = _built_polygons()
    named = {
        (1, 1): 0,  # donut
        (5, 3.5): -1,  # in the hole, beside the island
        (5, 5): 1,  # island in the hole
        (10, 5): 0,  # border donut | right: the first polygon
        (3, 5): 0,  # on the hole's ring: still the donut's border
        (17, 7): 2,  # right and overlap: the first
        (22, 12): 3,
        (31, 1): 5,
        (41, 9): 5,
        (35, 5): -1,
        (-1, -1): -1,
    }
    g = np.mgrid[-2:44:0.25, -2:16:0.25].reshape(2, -1)
    x = np.concatenate([np.array([p[0] for p in named], float), g[0]])
    y = np.concatenate([np.array([p[1] for p in named], float), g[1]])
    ours = sp.assign_xy(x, y, polys)
    assert ours[: len(named)].tolist() == list(named.values())
    assert (ours == _exact_xy(x, y, polys)).all()


def test_assign_points_takes_geometries_of_any_kind() -> None:
    polys = _built_polygons()
    geoms = np.array(
        [Point(1, 1), None, Point(), shapely.MultiPoint([(35, 5), (5, 5)]), Point(17, 7, 3)], dtype=object
    )
    assert sp.assign_points(geoms, polys).tolist() == [0, -1, -1, 1, 2]
    assert sp.assign_points(np.array([], dtype=object), polys).tolist() == []


def test_other_geometries_among_areas_fall_back_to_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sp, "EXACT_BELOW", 0)
    polys = np.array([box(0, 0, 1, 1), shapely.LineString([(0, 2), (3, 2)])], dtype=object)
    assert sp._Raster.build(polys, 100) is None
    assert sp.assign_xy([0.5, 1.5, 2.0], [0.5, 2.0, 5.0], polys).tolist() == [0, 1, -1]
