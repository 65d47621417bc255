"""Prebuilt vector tiles of a large layer's overview zooms (e.g. the 10,978 Gemeinden of Germany).

MapLibre cuts a GeoJSON source into tiles in one worker, one tile after the other: for the
Gemeinden ~1.1 s of the first paint (docs/benchmarks.md, "Atlas im Gemeindemaßstab").  The tiles
of zoom :data:`MIN_ZOOM` to :data:`MAX_ZOOM` are therefore cut here, once per version of the
workspace (server) or at ``atlas build`` (static folder), as Mapbox Vector Tiles
(:mod:`mapbox_vector_tile`), each zoom from its own coverage simplification
(:func:`shapely.coverage_simplify`, neighbours keep one shared border) with a tolerance of about
two screen pixels at that zoom.

The payloads are JSON like the other atlas payloads, so the static atlas loads them as scripts from
``file://`` too:

- ``tiles/<layer>``: the index ``{"minzoom", "maxzoom", "fine_zoom", "bounds", "n", "tiles":
  {zoom: ["x/y", …]}}``;
- ``tiles/<layer>/<zoom>``: ``{"z": zoom, "t": {"x/y": base64 of the tile}}``.

The page hands the tiles to MapLibre through ``maplibregl.addProtocol`` (``planlabor://…``); beyond
:data:`MAX_ZOOM` it shows the detailed GeoJSON (``geofine/<layer>``).  A tile holds one layer
``areas`` whose features carry only the geometry and the area key (property ``id``, the id of the
feature states); values never enter a tile.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from planlabor.atlas.data import AtlasSource
from planlabor.atlas.large import layer_in_metres, simplified

MIN_ZOOM = 4
MAX_ZOOM = 7  # from FINE_ZOOM (8) on the page shows geofine/<layer>
EXTENT = 4096
BUFFER = 64  # tile units around each tile, so that outlines do not show at tile edges
SOURCE_LAYER = "areas"
WORLD = 20037508.342789244  # half the width of the Web Mercator square in metres
NO_TILES: dict[str, Any] = {"tiles": None}  # the tiles index of a layer without tiles (GeoJSON only)
# two pixels of a 512-pixel tile at 50° N in metres (78,271 m / 2^z · cos 50°): the simplification tolerance
TOLERANCE = {z: 2 * 78271.5 / 2**z * 0.64 for z in range(MIN_ZOOM, MAX_ZOOM + 1)}


def tile_payloads(src: AtlasSource, layer: str) -> dict[str, dict[str, Any]]:
    """``{"tiles/<layer>": index, "tiles/<layer>/<z>": tiles of zoom z}`` for :data:`MIN_ZOOM` to
    :data:`MAX_ZOOM`."""
    from planlabor.atlas.large import FINE_ZOOM

    keys, arr, valid = _areas(src, layer)
    out: dict[str, dict[str, Any]] = {}
    index: dict[str, Any] = {"minzoom": MIN_ZOOM, "maxzoom": MAX_ZOOM, "fine_zoom": FINE_ZOOM}
    index |= {"n": len(keys), "bounds": _bounds(arr), "tiles": {}}
    for z in range(MIN_ZOOM, MAX_ZOOM + 1):
        merc = _simplified(arr, valid, TOLERANCE[z])
        tiles = _zoom_tiles(keys, merc, z)
        index["tiles"][str(z)] = sorted(tiles)
        out[f"tiles/{layer}/{z}"] = {"z": z, "t": tiles}
    return {f"tiles/{layer}": index} | out


def _areas(src: AtlasSource, layer: str) -> tuple[list[str], Any, bool]:
    """The layer's keys and geometries in metres (ETRS89-LAEA where stored in degrees)."""
    import geopandas as gpd
    import shapely

    areas, g = layer_in_metres(src, layer)
    arr = g.to_numpy()
    keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    keys = [str(k) for k in areas["area_id"].to_numpy()[keep]]
    arr = gpd.GeoSeries(arr[keep], crs=g.crs)
    return keys, arr, bool(shapely.coverage_is_valid(arr.to_numpy()))


def _simplified(arr: Any, valid: bool, tol: float) -> Any:
    """Simplified as a coverage (shared borders stay shared), in Web Mercator metres."""
    import geopandas as gpd

    return gpd.GeoSeries(simplified(arr.to_numpy(), valid, tol), crs=arr.crs).to_crs(3857).to_numpy()


def _bounds(arr: Any) -> list[float]:
    minx, miny, maxx, maxy = arr.to_crs(4326).total_bounds
    return [round(float(v), 5) for v in (minx, miny, maxx, maxy)]


def _zoom_tiles(keys: list[str], merc: Any, z: int) -> dict[str, str]:
    """``{"x/y": base64 MVT}`` of every tile of zoom ``z`` that holds an area."""
    import mapbox_vector_tile
    import shapely

    size = 2 * WORLD / 2**z
    tree = shapely.STRtree(merc)
    minx, miny, maxx, maxy = shapely.total_bounds(merc)
    x0, x1 = int((minx + WORLD) // size), int((maxx + WORLD) // size)
    y0, y1 = int((WORLD - maxy) // size), int((WORLD - miny) // size)
    pad = size * BUFFER / EXTENT
    out: dict[str, str] = {}
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            left, top = -WORLD + x * size, WORLD - y * size
            box = (left - pad, top - size - pad, left + size + pad, top + pad)
            hits = np.sort(tree.query(shapely.box(*box), predicate="intersects"))
            if not len(hits):
                continue
            # into tile units (y up, as the encoder flips it), rounded and oriented at once for all areas:
            # the encoder's own per-point quantisation and winding check took 2/3 of the build time
            clipped = shapely.clip_by_rect(merc[hits], *box)
            origin, scale = np.array([left, top - size]), EXTENT / size
            local = shapely.transform(clipped, lambda c: np.round((c - origin) * scale))  # noqa: B023
            local = shapely.orient_polygons(local, exterior_cw=True)
            feats = [
                {"geometry": g, "properties": {"id": keys[i]}}
                for i, g in zip(hits, local, strict=True)
                if not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon")
            ]
            if not feats:
                continue
            options = {"extents": EXTENT, "quantize_bounds": None, "check_winding_order": False}
            data = mapbox_vector_tile.encode(
                [{"name": SOURCE_LAYER, "features": feats}], default_options=options
            )
            out[f"{x}/{y}"] = base64.b64encode(data).decode("ascii")
    return out


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The ``(x, y)`` of the tile of zoom ``z`` that holds the point (for tests)."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)
