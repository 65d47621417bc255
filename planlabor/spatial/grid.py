"""Zensus grid cells onto the areas of any layer: assignment and aggregation.

Two ways to assign a cell (a square in EPSG:3035) to the areas of a layer:

* ``zentroid``: the whole cell goes to the area containing its centre (exact sums of cells;
  an area smaller than a cell may receive none).  The centres lie on a regular grid, so the
  polygons are filled row by row like a rasteriser does (:func:`centres_in_polygons`).
* ``flaeche``: the cell is split in proportion to the area of its intersection with each
  polygon (:func:`cell_overlaps`, exact by Green's theorem).  The weights of a cell sum to 1
  over the covered part, so a border cell partly outside every area gives all its value to the
  areas it touches (reported as partly outside).

Aggregation (:func:`aggregate`) sums counts with the weights and averages means and shares
weighted by a weight variable (e.g. Einwohner) times the weights; cells without a value count
as 0 in sums and are left out of means.  Where suppressed cells fall into an area its value is
only a partial sum: flag ``teilsumme`` (``zentroid``) or ``geschaetzt_unvollstaendig``
(``flaeche``, whose values are area-weighted estimates, flag ``geschaetzt``).  No Python loop
runs per cell or per polygon: shapely 2 array functions and NumPy sorting, cumulative sums and
``bincount``.

The polygons are transformed into EPSG:3035, the grid's equal-area CRS, so areas of intersection
are true areas and the cells stay squares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from planlabor.errors import InputError, NotFoundError
from planlabor.store import Store

Method = Literal["zentroid", "flaeche"]
METHODS: tuple[Method, ...] = ("zentroid", "flaeche")
GRID_CRS = "EPSG:3035"
_EPS = 1e-9


@dataclass(frozen=True)
class Assignment:
    """Pairs (cell, area, weight): the share of each cell's value that goes to an area."""

    method: str
    cell: np.ndarray
    area: np.ndarray
    weight: np.ndarray
    covered: np.ndarray  # per cell: share of the square inside the areas (zentroid: 1 or 0)
    n_cells: int
    n_areas: int

    @property
    def outside(self) -> np.ndarray:
        """Cells in no area at all."""
        return self.covered <= _EPS

    @property
    def partly_outside(self) -> np.ndarray:
        """Cells only partly covered by the areas (``flaeche``)."""
        return (self.covered > _EPS) & (self.covered < 1 - 1e-6)


def layer_polygons(store: Store, layer_id: str) -> tuple[list[str], Any]:
    """Area ids and polygons of a layer, transformed into EPSG:3035."""
    import shapely

    layer = store.layer(layer_id)
    if layer is None:
        known = ", ".join(lay.layer_id for lay in store.layers()) or "keine"
        raise NotFoundError(
            f"Die Raumebene {layer_id!r} gibt es nicht.",
            column="--layer",
            expected=f"eine dieser Raumebenen: {known}",
        )
    areas = store.areas(layer_id, geometry=True)
    if areas.empty or areas["geom"].isna().all():
        raise InputError(
            f"Die Raumebene {layer_id!r} hat keine Geometrien.",
            column="--layer",
            hint="Gitterzellen lassen sich nur Gebieten mit Grenzen zuordnen; importieren Sie die "
            "Grenzen mit 'planlabor areas import DATEI --layer " + layer_id + "'.",
        )
    if areas["geom"].isna().any():
        missing = areas.loc[areas["geom"].isna(), "area_id"].astype(str).tolist()
        raise InputError(
            f"{len(missing)} Gebiete der Raumebene {layer_id!r} haben keine Geometrie: "
            + ", ".join(missing[:10]),
            column="--layer",
            hint="Importieren Sie die Grenzen vollständig.",
        )
    if not layer.crs:
        raise InputError(
            f"Für die Raumebene {layer_id!r} ist kein Koordinatenreferenzsystem gespeichert.",
            column="--layer",
            hint="Importieren Sie die Grenzen neu mit 'planlabor areas import'.",
        )
    polys = shapely.from_wkb(areas["geom"].tolist())
    return areas["area_id"].astype(str).tolist(), to_grid_crs(polys, layer.crs)


def to_grid_crs(geoms: Any, crs: str) -> Any:
    """Transform shapely geometries from ``crs`` into EPSG:3035 (all coordinates at once)."""
    import pyproj
    import shapely

    if pyproj.CRS.from_user_input(crs).equals(pyproj.CRS.from_user_input(GRID_CRS)):
        return geoms
    tr = pyproj.Transformer.from_crs(crs, GRID_CRS, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def assign_cells(x: np.ndarray, y: np.ndarray, size: float, polygons: Any, method: Method) -> Assignment:
    """Assign cells (centres ``x``, ``y`` and edge ``size`` in EPSG:3035) to ``polygons``."""
    if method == "zentroid":
        return _assign_centroid(x, y, size, polygons)
    if method == "flaeche":
        return _assign_area(x, y, size, polygons)
    raise InputError(
        f"Die Methode {method!r} gibt es nicht.", column="--methode", expected="zentroid oder flaeche"
    )


def _assign_centroid(x: np.ndarray, y: np.ndarray, size: float, polygons: Any) -> Assignment:
    idx = centres_in_polygons(x, y, size, polygons)
    inside = idx >= 0
    cells = np.flatnonzero(inside)
    return Assignment(
        "zentroid",
        cells,
        idx[inside],
        np.ones(len(cells)),
        inside.astype(np.float64),
        len(x),
        len(polygons),
    )


def _ring_edges(polygons: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All edges of all rings (outer and holes) of all polygons: x0, y0, x1, y1, polygon index."""
    import shapely

    polygons = np.asarray(polygons)
    present = np.flatnonzero(~(shapely.is_missing(polygons) | shapely.is_empty(polygons)))
    _kind, coords, offsets = shapely.to_ragged_array(polygons[present])
    owner = present
    for off in offsets[::-1]:  # geometry → parts → rings → coordinates
        owner = np.repeat(owner, np.diff(off))
    ring_of = np.repeat(np.arange(len(offsets[0]) - 1), np.diff(offsets[0]))
    same = ring_of[1:] == ring_of[:-1]
    start = np.flatnonzero(same)
    return coords[start, 0], coords[start, 1], coords[start + 1, 0], coords[start + 1, 1], owner[start]


def _expand(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For runs (first, count): the run of each element and the element (first + offset)."""
    count = np.maximum(count, 0)
    run = np.repeat(np.arange(len(count)), count)
    offset = np.arange(len(run)) - np.repeat(np.cumsum(count) - count, count)
    return run, first[run] + offset


def centres_in_polygons(x: np.ndarray, y: np.ndarray, size: float, polygons: Any) -> np.ndarray:
    """Index of the polygon containing each grid cell centre (-1: none), by scanline filling.

    The cell centres lie on a regular grid, so instead of testing each point the polygons are
    filled row by row, as a rasteriser does: every edge is cut with the rows of cell centres it
    spans, the crossings of a polygon on a row are sorted and paired (even-odd rule, so holes
    and multi-part polygons need nothing special), and the cells between a pair are looked up
    in the sorted cell keys.  Rows and columns are half-open (a centre on the lower or left
    edge belongs inside), so a centre on a border shared by two areas goes to exactly one;
    where areas overlap the first wins.  About 10 times faster than testing points with
    prepared polygons in the STR-tree.
    """
    x0, y0, x1, y1, poly = _ring_edges(polygons)
    out = np.full(len(x), -1, dtype=np.int64)
    if not len(x) or not len(poly):
        return out
    gx, gy = x.min(), y.min()
    col = np.rint((x - gx) / size).astype(np.int64)
    row = np.rint((y - gy) / size).astype(np.int64)
    ncols, nrows = int(col.max()) + 1, int(row.max()) + 1
    order, sorted_keys = _sorted(row * ncols + col)
    # rows of centres each edge crosses: ylo <= y_row < yhi (horizontal edges cross none)
    ylo, yhi = np.minimum(y0, y1), np.maximum(y0, y1)
    r_first = np.maximum(np.ceil((ylo - gy) / size).astype(np.int64), 0)
    r_last = np.minimum(np.ceil((yhi - gy) / size).astype(np.int64) - 1, nrows - 1)
    edge, r = _expand(r_first, r_last - r_first + 1)
    if not len(edge):
        return out
    yr = gy + r * size
    xc = x0[edge] + (yr - y0[edge]) * (x1[edge] - x0[edge]) / (y1[edge] - y0[edge])
    p = poly[edge]
    srt = np.lexsort((xc, r, p))
    p, r, xc = p[srt], r[srt], xc[srt]
    new_group = np.ones(len(p), dtype=bool)
    new_group[1:] = (p[1:] != p[:-1]) | (r[1:] != r[:-1])
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(p)), 0))
    even = (np.arange(len(p)) - group_start) % 2 == 0
    left = np.flatnonzero(even[:-1] & ~new_group[1:])  # a crossing with its partner after it
    c_first = np.maximum(np.ceil((xc[left] - gx) / size).astype(np.int64), 0)
    c_last = np.minimum(np.ceil((xc[left + 1] - gx) / size).astype(np.int64) - 1, ncols - 1)
    span = c_last >= c_first
    left, c_first, c_last = left[span], c_first[span], c_last[span]
    base = r[left] * ncols
    lo = np.searchsorted(sorted_keys, base + c_first, side="left")
    hi = np.searchsorted(sorted_keys, base + c_last, side="right")
    run, pos = _expand(lo, hi - lo)
    cell = order[pos]
    owner = p[left][run]
    if np.bincount(cell, minlength=len(x)).max(initial=0) > 1:  # overlapping areas: the first wins
        first = np.lexsort((owner, cell))
        cell, owner = cell[first], owner[first]
        keep = np.ones(len(cell), dtype=bool)
        keep[1:] = cell[1:] != cell[:-1]
        cell, owner = cell[keep], owner[keep]
    out[cell] = owner
    return out


def _sorted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order and sorted keys (files usually list cells row by row: then no sort is needed)."""
    if len(keys) < 2 or bool(np.all(keys[1:] >= keys[:-1])):
        return np.arange(len(keys)), keys
    order = np.argsort(keys, kind="stable")
    return order, keys[order]


def _assign_area(x: np.ndarray, y: np.ndarray, size: float, polygons: Any) -> Assignment:
    area, poly, cell = cell_overlaps(x, y, size, polygons)
    per_cell = np.bincount(cell, weights=area, minlength=len(x))
    return Assignment(
        "flaeche",
        cell,
        poly,
        area / per_cell[cell],
        per_cell / (float(size) * size),
        len(x),
        len(polygons),
    )


def cell_overlaps(
    x: np.ndarray, y: np.ndarray, size: float, polygons: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area of every non-empty intersection of a grid cell with a polygon: (area, polygon, cell).

    Exact and without a GEOS overlay per cell: by Green's theorem the area of polygon ∩ cell is
    the boundary integral of F(x, y) = (clamp(x, left, right) − left) · [bottom ≤ y ≤ top] along
    the polygon's rings (outer rings counter-clockwise, holes clockwise).  Every edge is cut into
    pieces by the rows and columns of the grid; a piece in column c adds its own trapezoid to
    cell c and ``size · Δy`` to every cell left of c on its row.  Summing these per (polygon,
    row) with cumulative sums gives the area of all cells between the polygon's outermost
    crossings at once, border and interior alike (interior cells come out as size²).  20 times
    faster than intersecting the border cells with ``shapely.intersection``.
    """
    import shapely

    s = float(size)
    polys = shapely.orient_polygons(np.asarray(polygons), exterior_cw=False)
    x0, y0, x1, y1, poly = _ring_edges(polys)
    empty = (np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    keep = y0 != y1  # horizontal edges add nothing (dy = 0)
    x0, y0, x1, y1, poly = x0[keep], y0[keep], x1[keep], y1[keep], poly[keep]
    if not len(x) or not len(poly):
        return empty
    # grid frame: lower-left corner aligned with the cells, left/below of cells and polygons
    gx = np.floor(min(x.min() - s / 2, x0.min(), x1.min()) / s) * s
    gy = np.floor(min(y.min() - s / 2, y0.min(), y1.min()) / s) * s
    ncols = int(np.floor((max(x.max() + s / 2, x0.max(), x1.max()) - gx) / s)) + 1
    nrows = int(np.floor((max(y.max() + s / 2, y0.max(), y1.max()) - gy) / s)) + 1
    # 1. cut edges at the row lines
    r_lo = np.floor((np.minimum(y0, y1) - gy) / s).astype(np.int64)
    r_hi = np.floor((np.maximum(y0, y1) - gy) / s).astype(np.int64)
    e, row = _expand(r_lo, r_hi - r_lo + 1)
    band = gy + row * s
    ya = np.clip(y0[e], band, band + s)
    yb = np.clip(y1[e], band, band + s)
    slope = (x1[e] - x0[e]) / (y1[e] - y0[e])
    xa = x0[e] + (ya - y0[e]) * slope
    xb = x0[e] + (yb - y0[e]) * slope
    use = ya != yb
    e, row, xa, xb, ya, yb = e[use], row[use], xa[use], xb[use], ya[use], yb[use]
    # 2. cut the row pieces at the column lines
    c_lo = np.floor((np.minimum(xa, xb) - gx) / s).astype(np.int64)
    c_hi = np.floor((np.maximum(xa, xb) - gx) / s).astype(np.int64)
    k, col = _expand(c_lo, c_hi - c_lo + 1)
    left = gx + col * s
    pxa = np.clip(xa[k], left, left + s)
    pxb = np.clip(xb[k], left, left + s)
    dx = xb[k] - xa[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        t_a = np.where(dx != 0, (pxa - xa[k]) / dx, 0.0)
        t_b = np.where(dx != 0, (pxb - xa[k]) / dx, 1.0)
    dy = (yb[k] - ya[k]) * (t_b - t_a)
    own = ((pxa + pxb) / 2 - left) * dy
    # 3. per (polygon, row): sum own pieces per column, suffix sums of dy to the right
    group = poly[e[k]] * nrows + row[k]
    key = group * ncols + col
    srt = np.argsort(key, kind="stable")
    key, group, col, dy, own = key[srt], group[srt], col[srt], dy[srt], own[srt]
    cum_dy = np.concatenate([[0.0], np.cumsum(dy)])
    g_start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    g_end = np.r_[g_start[1:], len(group)]
    # 4. candidate cells: the grid cells between the outermost pieces of each (polygon, row)
    ccol = np.rint((x - s / 2 - gx) / s).astype(np.int64)
    crow = np.rint((y - s / 2 - gy) / s).astype(np.int64)
    corder, csorted = _sorted(crow * ncols + ccol)
    g_row = group[g_start] % nrows
    lo = np.searchsorted(csorted, g_row * ncols + col[g_start], side="left")
    hi = np.searchsorted(csorted, g_row * ncols + col[g_end - 1], side="right")
    gi, pos = _expand(lo, hi - lo)
    cell = corder[pos]
    pair_key = group[g_start][gi] * ncols + ccol[cell]
    # own: pieces in the cell's column; suffix: dy of the pieces right of it on the same row
    first = np.searchsorted(key, pair_key, side="left")
    after = np.searchsorted(key, pair_key, side="right")
    cum_own = np.concatenate([[0.0], np.cumsum(own)])
    area = (cum_own[after] - cum_own[first]) + s * (cum_dy[g_end[gi]] - cum_dy[after])
    pol = group[g_start][gi] // nrows
    tiny = area > s * s * 1e-9
    return area[tiny], pol[tiny], cell[tiny]


@dataclass(frozen=True)
class CellValues:
    """One variable on the cells: value (NaN where flagged) and status per cell."""

    value: np.ndarray
    suppressed: np.ndarray  # bool
    missing: np.ndarray  # bool: no value (counts as 0 in sums, left out of means)


def aggregate(
    assignment: Assignment,
    values: CellValues,
    intensive: bool = False,
    weight: CellValues | None = None,
) -> pd.DataFrame:
    """Values per area (index = area position): ``value``, ``flag``, ``cells``, ``suppressed``.

    Counts (``intensive=False``) are summed with the assignment weights; means and shares
    (``intensive=True``) are averaged, weighted by ``weight`` (per cell) times the assignment
    weights, or by the assignment weights alone.  An area without any cell gets no value
    (flag ``fehlend``); an area whose contributing cells are all suppressed gets ``gesperrt``.
    """
    a = assignment
    n = a.n_areas
    ci, ai, w = a.cell, a.area, a.weight
    supp = values.suppressed[ci]
    ok = ~(values.suppressed | values.missing)[ci]
    if weight is not None:
        supp = supp | (weight.suppressed[ci] & ok)
        ok = ok & ~(weight.suppressed | weight.missing)[ci]
    v = np.where(ok, np.nan_to_num(values.value[ci]), 0.0)
    cells = np.bincount(ai, minlength=n)
    n_supp = np.bincount(ai, weights=supp.astype(np.float64), minlength=n)
    if intensive:
        g = w * (np.where(ok, np.nan_to_num(weight.value[ci]), 0.0) if weight is not None else ok)
        den = np.bincount(ai, weights=g, minlength=n)
        num = np.bincount(ai, weights=g * v, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(den > 0, num / den, np.nan)
        has_value = den > 0
    else:
        value = np.bincount(ai, weights=w * v, minlength=n)
        has_value = np.bincount(ai, weights=ok.astype(np.float64), minlength=n) > 0
    estimated = a.method == "flaeche"
    flag = np.full(n, "geschaetzt" if estimated else None, dtype=object)
    flag[n_supp > 0] = "geschaetzt_unvollstaendig" if estimated else "teilsumme"
    all_supp = (n_supp > 0) & ~has_value
    value = np.where(all_supp, np.nan, value)
    flag[all_supp] = "gesperrt"
    flag[np.isnan(value) & ~all_supp] = "fehlend"
    none = cells == 0
    value = np.where(none, np.nan, value)
    flag[none] = "fehlend"
    return pd.DataFrame({"value": value, "flag": flag, "cells": cells, "suppressed": n_supp.astype(np.int64)})
