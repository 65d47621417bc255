"""Points into areas: the index of the polygon each point lies in.

A planner has coordinates (a table of cases with x/y columns) or points read from a file.
:func:`assign_xy` works on the coordinate arrays, :func:`assign_points` on point geometries (it
reads their coordinates and calls :func:`assign_xy`).  A point on a border belongs to the
polygon that comes first (``intersects``: borders count), a point in no polygon gets -1.

How, for many points: a raster of cells laid over the polygons' extent (about one cell per
point) is split into cells that a polygon boundary touches and cells it does not.  The
boundaries are densified to pieces shorter than half a cell; each piece lies within the two-by-
two block of cells around its bounding box, so marking that block marks every cell the boundary
touches.  The untouched cells fall into connected regions (``scipy.ndimage.label``) that no
boundary crosses, so every point of a region lies in the same polygons: one exact test of a
region's centre cell decides all its points.  Only the points in boundary cells (in Berlin 5 %)
are tested exactly (:func:`exact_xy`: per polygon the points in its bounding box against the
polygon prepared by GEOS).  The result equals the exact test of every point; it is only faster
(measured in ``bench/bench_spatial.py`` against geopandas ``sjoin(predicate="within")``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

EXACT_BELOW = 20_000  # fewer points: test each exactly (the raster would not pay off)
CELLS_PER_POINT = 1.0  # measured on Berlin: 0.5–2 equal, 4 and more slower
MAX_CELLS = 1 << 23  # 8.4 M cells: 34 MB of region labels
MAX_BORDER_SHARE = 0.25  # boundary length in cells per cell above which the raster is skipped
MAX_VERTICES = 4_000_000  # densified boundary vertices; beyond that the cells grow
_BORDER = -2  # region label 0: boundary cells, test their points exactly


def assign_points(points: Any, polygons: Any) -> np.ndarray:
    """Index of the first polygon each point intersects (-1: in none, or no point).

    ``points``: shapely geometries (a GeoSeries' ``.values`` or an array); points go through
    :func:`assign_xy`, other geometries (multi-points) are tested exactly.
    """
    import shapely

    geoms = np.asarray(points, dtype=object)
    out = np.full(len(geoms), -1, dtype=np.int64)
    if not len(geoms):
        return out
    kind = shapely.get_type_id(geoms)
    filled = (kind >= 0) & ~shapely.is_empty(geoms)
    single = filled & (kind == 0)
    if single.any():
        xy = shapely.get_coordinates(geoms[single])
        out[single] = assign_xy(xy[:, 0], xy[:, 1], polygons)
    other = filled & (kind != 0)
    if other.any():
        out[other] = exact_assign(geoms[other], np.asarray(polygons, dtype=object))
    return out


def assign_xy(x: Any, y: Any, polygons: Any) -> np.ndarray:
    """Index of the first polygon containing each coordinate pair, border included (-1: none;
    also for a missing or non-finite coordinate).  Coordinates in the polygons' CRS."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    polys = np.asarray(polygons, dtype=object)
    out = np.full(len(x), -1, dtype=np.int64)
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if not n or not len(polys):
        return out
    with _prepared(polys):
        raster = _Raster.build(polys, n) if n >= EXACT_BELOW else None
        if raster is None:
            out[ok] = exact_xy(x[ok], y[ok], polys)
            return out
        out[ok] = raster.lookup(x[ok], y[ok])
        todo = np.flatnonzero(out == _BORDER)
        if len(todo):
            out[todo] = exact_xy(x[todo], y[todo], polys)
    return out


@contextmanager
def _prepared(polys: np.ndarray) -> Iterator[None]:
    """The polygons prepared by GEOS for the block; preparations made here are undone after it
    (repeated calls cost the same, the caller's geometries stay as they were)."""
    import shapely

    fresh = ~shapely.is_prepared(polys) & (shapely.get_type_id(polys) >= 0)
    shapely.prepare(polys)
    try:
        yield
    finally:
        shapely.destroy_prepared(polys[fresh])


def exact_xy(x: np.ndarray, y: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Index of the first polygon containing each point, border included (-1: none), tested
    exactly: per polygon the points in its bounding box (points sorted by x once, a slice per
    polygon) against the polygon prepared by GEOS (``intersects_xy``).  Points already placed
    are not tested again, so the first polygon wins."""
    import shapely

    out = np.full(len(x), -1, dtype=np.int64)
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    free = np.ones(len(x), dtype=bool)
    bounds = shapely.bounds(polys)
    with _prepared(polys):
        for i in np.flatnonzero(np.isfinite(bounds[:, 0])):
            lo, hi = np.searchsorted(xs, bounds[i, 0], "left"), np.searchsorted(xs, bounds[i, 2], "right")
            yy = ys[lo:hi]
            cand = np.flatnonzero((yy >= bounds[i, 1]) & (yy <= bounds[i, 3]) & free[lo:hi]) + lo
            if len(cand):
                hit = cand[shapely.intersects_xy(polys[i], xs[cand], ys[cand])]
                free[hit] = False
                out[order[hit]] = i
    return out


def exact_assign(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Index of the first polygon each geometry intersects (-1: none), tested exactly, for any
    geometry (multi-points): the geometries go into an STR-tree and each polygon queries it, so
    GEOS prepares every polygon once.  (Before issue #22 every point took this way.)"""
    import shapely

    tree = shapely.STRtree(points)
    poly_idx, point_idx = tree.query(polygons, predicate="intersects")
    out = np.full(len(points), -1, dtype=np.int64)
    order = np.lexsort((poly_idx, point_idx))
    point_idx, poly_idx = point_idx[order], poly_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    out[point_idx[first]] = poly_idx[first]
    return out


@dataclass(frozen=True)
class _Raster:
    """Cells over the polygons' extent, each with the polygon of its region (or _BORDER)."""

    gx: float
    gy: float
    size: float
    ncols: int
    nrows: int
    cell_poly: np.ndarray  # per cell (row-major): polygon index, -1 outside all, _BORDER

    @classmethod
    def build(cls, polys: np.ndarray, n_points: int) -> _Raster | None:
        """The raster for ``n_points`` points, or None where it cannot help (no area, or
        geometries other than polygons)."""
        import shapely

        kind = shapely.get_type_id(polys)
        if not np.isin(kind, (-1, 3, 6)).all():
            return None
        minx, miny, maxx, maxy = shapely.total_bounds(polys)
        width, height = maxx - minx, maxy - miny
        if not (np.isfinite(width) and width > 0 and height > 0):
            return None
        cells = int(min(max(CELLS_PER_POINT * n_points, 4096), MAX_CELLS))
        rings = shapely.get_parts(shapely.boundary(polys[kind >= 0]))
        length = float(shapely.length(rings).sum())
        size = max(float(np.sqrt(width * height / cells)), 2 * length / MAX_VERTICES)
        gx, gy = minx - size, miny - size  # one empty cell around the extent
        ncols, nrows = int(width / size) + 3, int(height / size) + 3
        if length / size > MAX_BORDER_SHARE * ncols * nrows:  # most points would be tested anyway
            return None
        border = _border_cells(rings, gx, gy, size, ncols, nrows)
        cell_poly = _region_polygons(border, polys, gx, gy, size)
        return cls(gx, gy, size, ncols, nrows, cell_poly)

    def lookup(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Polygon of each point's cell: an index, -1 (outside all) or _BORDER (test exactly)."""
        col = np.floor((x - self.gx) / self.size).astype(np.int64)
        row = np.floor((y - self.gy) / self.size).astype(np.int64)
        inside = (col >= 0) & (col < self.ncols) & (row >= 0) & (row < self.nrows)
        out = np.full(len(x), -1, dtype=np.int64)
        out[inside] = self.cell_poly[row[inside] * self.ncols + col[inside]]
        return out


def _border_cells(rings: np.ndarray, gx: float, gy: float, size: float, ncols: int, nrows: int) -> np.ndarray:
    """Cells (nrows × ncols) that a boundary touches, with a margin of 1e-6 cells for rounding."""
    import shapely

    xy, ring = shapely.get_coordinates(shapely.segmentize(rings, size / 2), return_index=True)
    piece = np.flatnonzero(ring[1:] == ring[:-1])  # vertex i to i + 1 on the same ring
    a, b = xy[piece], xy[piece + 1]
    lo = (np.minimum(a, b) - (gx, gy)) / size - 1e-6
    hi = (np.maximum(a, b) - (gx, gy)) / size + 1e-6
    c0, r0 = np.floor(lo).astype(np.int64).T
    c1, r1 = np.floor(hi).astype(np.int64).T
    border = np.zeros((nrows, ncols), dtype=bool)
    for rows in (r0, r1):  # a piece shorter than half a cell spans at most 2 × 2 cells
        for cols in (c0, c1):
            border[np.clip(rows, 0, nrows - 1), np.clip(cols, 0, ncols - 1)] = True
    return border


def _region_polygons(border: np.ndarray, polys: np.ndarray, gx: float, gy: float, size: float) -> np.ndarray:
    """Per cell the polygon of its boundary-free region (one exact test of one cell centre per
    region), _BORDER for boundary cells."""
    from scipy import ndimage

    labels, n = ndimage.label(~border)  # 4-connected: neighbours share an edge no boundary touches
    flat = labels.ravel()
    cell_of = np.zeros(n + 1, dtype=np.int64)
    cell_of[flat] = np.arange(flat.size, dtype=np.int32)  # any one cell of each region (≤ MAX_CELLS)
    rows, cols = np.divmod(cell_of[1:], border.shape[1])
    region_poly = np.empty(n + 1, dtype=np.int32)
    region_poly[0] = _BORDER
    region_poly[1:] = exact_xy(gx + (cols + 0.5) * size, gy + (rows + 0.5) * size, polys)
    return region_poly[flat]
