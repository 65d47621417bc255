"""Atlas payloads of large layers (e.g. the 10,978 Gemeinden of Germany): loaded in pieces.

A layer with more than :data:`LARGE_AREAS` areas is not sent as one values file and one GeoJSON:

- ``values/<layer>`` is an index (keys, names, parents, and for each indicator its periods under
  ``parts``) without values, written compactly (:func:`compact_index`: for the Gemeinden 0.2 instead
  of 0.5 MB before the first paint); each indicator × period is its own payload
  ``values/<layer>/<indicator>/<period>`` (``{"v": [...], "f": {...}}`` as in
  :func:`~planlabor.atlas.data.values_payload`), so the first paint loads one of them.  Where most
  cells carry the same flag (e.g. ``geschaetzt`` for re-based values) it is sent once as ``fd``;
  ``f`` then lists the exceptions (``""`` = no flag).
- the geometry comes in two levels of detail, both simplified as a coverage
  (:func:`shapely.coverage_simplify`: neighbours keep one shared border, no gaps or overlaps):
  ``geo/<layer>`` coarse for the overview (:data:`COARSE_METRES`), ``geofine/<layer>`` for
  zoom ≥ :data:`FINE_ZOOM` (:data:`~planlabor.atlas.data.SIMPLIFY_METRES`).  Both are encoded
  compactly: per area a list of polygons, per polygon its rings, each ring as integers in units
  of ``1/q`` degree, the first point absolute and each further one as the difference to the one
  before (the closing point left out); ``null`` for an area without geometry.  The areas are in
  the order of the index's ``areas`` (both sorted by key), ``n`` is their number.

Layers up to :data:`LARGE_AREAS` areas (e.g. Berlin's 542 Planungsräume) keep the single files.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from planlabor.atlas.data import LARGE_AREAS, SIMPLIFY_METRES, AtlasSource, values_payload
from planlabor.errors import NotFoundError

__all__ = ["LARGE_AREAS", "compact_index", "geo_levels", "index_areas", "is_large", "values_parts"]
COARSE_METRES = 2000.0  # coverage simplification for the overview (Germany at zoom 5–7)
FINE_ZOOM = 8  # from this zoom on the atlas loads the detailed level
COARSE_Q = 10_000  # 1e-4 degree ≈ 7–11 m
FINE_Q = 100_000  # 1e-5 degree ≈ 1 m, as the GeoJSON of small layers


def is_large(src: AtlasSource, layer: str) -> bool:
    return len(src.store.areas(layer)) > LARGE_AREAS


def part_name(layer: str, indicator: str, period: str) -> str:
    return f"values/{layer}/{indicator}/{period}"


def values_parts(src: AtlasSource, layer: str, public: bool = True) -> dict[str, dict[str, Any]]:
    """``{payload name: payload}``: the index ``values/<layer>`` and one part per indicator × period."""
    full = values_payload(src, layer, public)
    parts: dict[str, list[str]] = {}
    out: dict[str, dict[str, Any]] = {}
    for ind, periods in full["indicators"].items():
        parts[ind] = list(periods)
        for period, cell in periods.items():
            head = {"layer": layer, "indicator": ind, "period": period}
            out[part_name(layer, ind, period)] = head | _flags(cell)
    index = compact_index(full["areas"], full["names"], full["parents"])
    out[f"values/{layer}"] = {"layer": layer, **index, "indicators": {}, "parts": parts}
    return out


SEP = ","
PLAIN = set('"\\,|') | {chr(c) for c in range(32)}  # characters that would be escaped or split


def compact_index(keys: list[str], names: list[str], parents: list[str | None]) -> dict[str, Any]:
    """The keys, names and parents of a large layer's index, smaller (the page expands them):
    ``ak`` the sorted keys front-coded (each: the length of the part shared with the key before as
    one base-36 digit, then the rest; joined by ``,``), ``an`` the names joined by ``|``, ``ap`` per
    area its parent's key or, where that is the start of the area's key, its length.  Keys or
    names holding a separator stay plain lists (``areas``, ``names``)."""
    out: dict[str, Any] = {}
    if keys and keys == sorted(keys) and not any(PLAIN & set(k) for k in keys):
        coded, before = [], ""
        for k in keys:
            n = min(35, _shared_start(before, k))
            coded.append(np.base_repr(n, 36).lower() + k[n:])
            before = k
        out["ak"] = SEP.join(coded)
    else:
        out["areas"] = keys
    if any((PLAIN - {SEP}) & set(n) for n in names):
        out["names"] = names
    else:
        out["an"] = "|".join(names)
    out["ap"] = [
        p if p is None or not k.startswith(p) else len(p) for k, p in zip(keys, parents, strict=True)
    ]
    return out


def _shared_start(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def index_areas(index: dict[str, Any]) -> list[str]:
    """The keys of a values index (plain or front-coded by :func:`compact_index`)."""
    if "ak" not in index:
        return [str(a) for a in index["areas"]]
    out: list[str] = []
    before = ""
    for part in str(index["ak"]).split(SEP):
        before = before[: int(part[0], 36)] + part[1:]
        out.append(before)
    return out


def _flags(cell: dict[str, Any]) -> dict[str, Any]:
    """One flag shared by most cells with a value is sent once (``fd``), the rest as exceptions."""
    flags: dict[str, str] = cell.get("f", {})
    valued = [i for i, v in enumerate(cell["v"]) if v is not None]
    if not flags or not valued:
        return cell
    counts = Counter(flags[str(i)] for i in valued if str(i) in flags).most_common(1)
    if not counts or counts[0][1] * 2 <= len(valued):
        return cell
    common = counts[0][0]
    rest = {k: f for k, f in flags.items() if f != common or cell["v"][int(k)] is None}
    rest.update({str(i): "" for i in valued if str(i) not in flags})
    return {"v": cell["v"], "f": rest, "fd": common}


def layer_in_metres(src: AtlasSource, layer: str) -> tuple[Any, Any]:
    """The layer's areas (sorted by key) and their geometries as a GeoSeries in metres
    (ETRS89-LAEA where stored in degrees): simplification tolerances are metres."""
    import geopandas as gpd
    import shapely

    lay = src.store.layer(layer)
    if lay is None:
        raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht.", column="layer")
    areas = src.store.areas(layer, geometry=True).sort_values("area_id")
    geoms = shapely.from_wkb([g if isinstance(g, bytes | bytearray) else None for g in areas["geom"]])
    g = gpd.GeoSeries(geoms, crs=lay.crs or src.crs)
    if g.crs is None or g.crs.is_geographic:
        g = g.to_crs(3035)
    return areas, g


def simplified(geoms: Any, valid: bool, tol: float) -> Any:
    """``geoms`` (numpy array of shapely geometries, in metres) simplified by ``tol``: as a
    coverage where the areas form one (shared borders stay shared), else each on its own."""
    import shapely

    if valid:
        return shapely.coverage_simplify(geoms, tol)
    return shapely.simplify(geoms, tol, preserve_topology=True)  # overlapping areas


def geo_levels(src: AtlasSource, layer: str) -> dict[str, dict[str, Any]]:
    """``{"geo/<layer>": coarse, "geofine/<layer>": detailed}`` in the compact encoding."""
    import geopandas as gpd
    import shapely

    areas, g = layer_in_metres(src, layer)
    arr = g.to_numpy()
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    valid = bool(shapely.coverage_is_valid(arr[present]))
    out = {}
    for name, tol, q in (("geo", COARSE_METRES, COARSE_Q), ("geofine", SIMPLIFY_METRES, FINE_Q)):
        simple = arr.copy()
        simple[present] = simplified(arr[present], valid, tol)
        wgs = gpd.GeoSeries(simple, crs=g.crs).to_crs(4326).to_numpy()
        out[f"{name}/{layer}"] = {
            "type": "planlabor-delta",
            "name": layer,
            "q": q,
            "fine_zoom": FINE_ZOOM,
            "n": len(areas),  # in the order of the index's "areas"
            "g": [_encode(x, q) for x in wgs],
        }
    return out


def _encode(geom: Any, q: int) -> list[list[list[int]]] | None:
    if geom is None or geom.is_empty:
        return None
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    out = []
    for p in polys:
        rings = []
        for ring in (p.exterior, *p.interiors):
            c = np.round(np.asarray(ring.coords)[:-1, :2] * q).astype(np.int64)
            if len(c) < 3:
                continue
            rings.append(np.vstack([c[:1], np.diff(c, axis=0)]).ravel().tolist())
        if rings:
            out.append(rings)
    return out or None
