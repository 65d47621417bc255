"""The GeoJSON download of the API from cached geometry: one indicator, layer and period.

The exporter (:func:`planlabor.io.export.export`) reads the geometry from the store, reprojects
it and writes it through GDAL on every request: about 1 s for the 542 planning areas of Berlin,
most of it writing the coordinates.  Here each layer's geometry is turned into GeoJSON text once
per version of the workspace (WGS 84, 7 decimals like the exporter's ``COORDINATE_PRECISION``),
kept in the shared cache folder (:mod:`planlabor.cache`) for every ``serve`` process, and a
download puts the values of the atlas's own frame (:meth:`AtlasService.groups`: public view
suppressed) beside it.  The properties are the exporter's: ``area_id``, ``name``, the indicator
(rounded to its decimals + 2), ``<indicator>__status`` when some area has a mark, ``period``.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import HTTPException

from planlabor.atlas.service import AtlasService
from planlabor.errors import InputError

CRS84 = '{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}'


def geometries(svc: AtlasService, layer: str) -> list[list[str | None]]:
    """``[area_id, name, geometry as GeoJSON text or None]`` per area of ``layer``, in the
    store's order; built once per version of the workspace for all processes."""
    kept: dict[str, list[list[str | None]]] = svc.__dict__.setdefault("_geojson", {})
    if layer in kept:
        return kept[layer]
    name = f"public/geojson/{layer}"
    data = svc.shared.get(name) if svc.shared is not None else None
    if data is not None:
        rows: list[list[str | None]] = json.loads(data)
    else:
        rows = _build(svc, layer)
        if svc.shared is not None:
            svc.shared.put(name, json.dumps(rows, ensure_ascii=False).encode("utf-8"))
    kept[layer] = rows
    return rows


def _build(svc: AtlasService, layer: str) -> list[list[str | None]]:
    import geopandas as gpd
    import numpy as np
    import shapely

    areas = svc.areas(layer)
    lay = svc.layer_info(layer)
    if lay is None or not lay.has_geometry or areas["geom"].isna().all():
        raise InputError(
            f"Die Raumebene {layer!r} hat keine Geometrien.",
            column="format",
            hint="Laden Sie die Werte als CSV oder XLSX herunter.",
        )
    geoms = gpd.GeoSeries(shapely.from_wkb(areas["geom"].tolist()), crs=lay.crs).to_crs("EPSG:4326")
    rounded = shapely.transform(geoms.values, lambda c: np.round(c, 7))
    texts = shapely.to_geojson(rounded)
    return [
        [str(a), None if n is None else str(n), None if t is None else str(t)]
        for a, n, t in zip(areas["area_id"], areas["name"], texts, strict=True)
    ]


def geojson_download(svc: AtlasService, pub: bool, layer: str, indicator: str, period: str) -> bytes:
    """The GeoJSON file of one indicator, layer and period (the exporter's properties)."""
    svc.indicator(indicator, pub)
    svc._check_layer(layer, pub)
    sel = svc.groups(layer, pub, ("indicator_id", "period")).get((indicator, period))
    if sel is None or sel.empty:
        raise HTTPException(404, f"Für {indicator} gibt es auf {layer} am {period} keine Werte.")
    definition = svc.src.catalog.get(indicator)
    places = (definition.decimals if definition else 2) + 2
    status = sel["flag"]
    if "suppressed" in sel:
        status = sel["suppressed"].where(sel["suppressed"].notna(), status)
    by_area = dict(zip(sel["area_id"].astype(str), zip(sel["value"], status, strict=True), strict=True))
    marks = any(isinstance(s, str) for s in status)
    features = []
    for aid, name, geom in geometries(svc, layer):
        value, mark = by_area.get(str(aid), (None, None))
        props: dict[str, Any] = {"area_id": aid, "name": name, indicator: _num(value, places)}
        if marks:
            props[f"{indicator}__status"] = mark if isinstance(mark, str) else None
        props["period"] = period
        text = json.dumps(props, ensure_ascii=False, allow_nan=False)
        features.append(f'{{"type":"Feature","properties":{text},"geometry":{geom or "null"}}}')
    head = f'{{"type":"FeatureCollection","name":{json.dumps(layer)},"crs":{CRS84},"features":[\n'
    return (head + ",\n".join(features) + "\n]}\n").encode("utf-8")


def _num(v: Any, places: int) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return round(float(v), places)
