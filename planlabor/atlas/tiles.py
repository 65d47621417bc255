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

- ``tiles/<layer>``: the index ``{"minzoom", "maxzoom", "fine_zoom", "bounds", "n", "version",
  "tiles": {zoom: ["x/y", …]}}``; ``version`` is a hash of all tiles of the build;
- ``tiles/<layer>/<zoom>`` (static atlas): ``{"z": zoom, "gz": true, "t": {"x/y": base64 of the
  tile gzip-packed}}``, unpacked by the browser (``DecompressionStream``) and handed to MapLibre
  through ``maplibregl.addProtocol`` (``planlabor://…``); packed, the Gemeinden's overview (z5) is
  0.26 instead of 0.42 MB;
- the server sends each tile on its own, as binary MVT gzip-packed once when built, under an
  address with the version (``/api/atlas/tiles/<layer>/<version>/<z>/<x>/<y>``), cached by
  browsers for a year (immutable: a new build has a new version): :func:`server_tiles`.

Beyond :data:`MAX_ZOOM` the page shows the detailed GeoJSON (``geofine/<layer>``) and goes back to
the tiles when zoomed out again.  A tile holds one layer ``areas`` whose features carry only the
geometry and as feature id the position of the area in the layer's sorted keys plus one (the index
of ``values/<layer>``'s ``areas``; the id of the feature states): no properties, values never enter
a tile.  A numeric id instead of the key as a string property makes the tiles a quarter smaller.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import math
from typing import Any

import numpy as np

from planlabor.atlas.data import AtlasSource
from planlabor.atlas.large import layer_in_metres, simplified

MIN_ZOOM = 4
MAX_ZOOM = 7  # from FINE_ZOOM (8) on the page shows geofine/<layer>
EXTENT = 2048  # 4 units per pixel of a 512-pixel tile: deltas of simplified rings mostly fit one byte
BUFFER = 32  # tile units around each tile, so that outlines do not show at tile edges
SOURCE_LAYER = "areas"
WORLD = 20037508.342789244  # half the width of the Web Mercator square in metres
NO_TILES: dict[str, Any] = {"tiles": None}  # the tiles index of a layer without tiles (GeoJSON only)
# two pixels of a 512-pixel tile at 50° N in metres (78,271 m / 2^z · cos 50°): the simplification tolerance
TOLERANCE = {z: 2 * 78271.5 / 2**z * 0.64 for z in range(MIN_ZOOM, MAX_ZOOM + 1)}


def tile_payloads(src: AtlasSource, layer: str) -> dict[str, dict[str, Any]]:
    """The static atlas' payloads: ``{"tiles/<layer>": index, "tiles/<layer>/<z>": tiles of zoom z
    (base64)}`` for :data:`MIN_ZOOM` to :data:`MAX_ZOOM`."""
    index, tiles = build_tiles(src, layer)
    out: dict[str, dict[str, Any]] = {f"tiles/{layer}": index}
    for z, zoom in tiles.items():
        coded = {xy: base64.b64encode(_packed(b)).decode("ascii") for xy, b in zoom.items()}
        out[f"tiles/{layer}/{z}"] = {"z": z, "gz": True, "t": coded}
    return out


def server_tiles(src: AtlasSource, layer: str) -> tuple[dict[str, Any], dict[str, tuple[bytes, bytes]]]:
    """The server's tiles: the index and ``{"mvt/<layer>/<z>/<x>/<y>": (tile, tile gzip-packed)}``."""
    index, tiles = build_tiles(src, layer)
    out = {}
    for z, zoom in tiles.items():
        for xy, data in zoom.items():
            out[f"mvt/{layer}/{z}/{xy}"] = (data, _packed(data))
    return index, out


def _packed(tile: bytes) -> bytes:
    return gzip.compress(tile, 9, mtime=0)  # the same bytes for the same tile


def build_tiles(src: AtlasSource, layer: str) -> tuple[dict[str, Any], dict[int, dict[str, bytes]]]:
    """The index and per zoom ``{"x/y": MVT}``; the index' ``version`` hashes all tiles."""
    from planlabor.atlas.large import FINE_ZOOM

    ids, arr, valid = _areas(src, layer)
    index: dict[str, Any] = {"minzoom": MIN_ZOOM, "maxzoom": MAX_ZOOM, "fine_zoom": FINE_ZOOM}
    index |= {"n": len(ids), "bounds": _bounds(arr), "tiles": {}}
    tiles: dict[int, dict[str, bytes]] = {}
    digest = hashlib.blake2b(digest_size=8)
    for z in range(MIN_ZOOM, MAX_ZOOM + 1):
        merc = _simplified(arr, valid, TOLERANCE[z])
        tiles[z] = _zoom_tiles(ids, merc, z)
        index["tiles"][str(z)] = sorted(tiles[z])
        for xy in index["tiles"][str(z)]:
            digest.update(f"{z}/{xy}:".encode() + tiles[z][xy])
    index["version"] = digest.hexdigest()
    return index, tiles


def _areas(src: AtlasSource, layer: str) -> tuple[Any, Any, bool]:
    """The feature ids (position in the layer's sorted keys plus one) and geometries in metres
    (ETRS89-LAEA where stored in degrees) of the areas with a geometry."""
    import geopandas as gpd
    import shapely

    _, g = layer_in_metres(src, layer)  # sorted by key, as the values index' "areas"
    arr = g.to_numpy()
    keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    ids = np.flatnonzero(keep) + 1  # MapLibre's feature states: ids from 1
    arr = gpd.GeoSeries(arr[keep], crs=g.crs)
    return ids, arr, bool(shapely.coverage_is_valid(arr.to_numpy()))


def _simplified(arr: Any, valid: bool, tol: float) -> Any:
    """Simplified as a coverage (shared borders stay shared), in Web Mercator metres."""
    import geopandas as gpd

    return gpd.GeoSeries(simplified(arr.to_numpy(), valid, tol), crs=arr.crs).to_crs(3857).to_numpy()


def _bounds(arr: Any) -> list[float]:
    minx, miny, maxx, maxy = arr.to_crs(4326).total_bounds
    return [round(float(v), 5) for v in (minx, miny, maxx, maxy)]


def _zoom_tiles(ids: Any, merc: Any, z: int) -> dict[str, bytes]:
    """``{"x/y": MVT}`` of every tile of zoom ``z`` that holds an area."""
    import mapbox_vector_tile
    import shapely

    size = 2 * WORLD / 2**z
    tree = shapely.STRtree(merc)
    minx, miny, maxx, maxy = shapely.total_bounds(merc)
    x0, x1 = int((minx + WORLD) // size), int((maxx + WORLD) // size)
    y0, y1 = int((WORLD - maxy) // size), int((WORLD - miny) // size)
    pad = size * BUFFER / EXTENT
    out: dict[str, bytes] = {}
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
                {"geometry": g, "properties": {}, "id": int(ids[i])}
                for i, g in zip(hits, local, strict=True)
                if not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon")
            ]
            if not feats:
                continue
            options = {"extents": EXTENT, "quantize_bounds": None, "check_winding_order": False}
            data = mapbox_vector_tile.encode(
                [{"name": SOURCE_LAYER, "features": feats}], default_options=options
            )
            out[f"{x}/{y}"] = data
    return out


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The ``(x, y)`` of the tile of zoom ``z`` that holds the point (for tests)."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)
