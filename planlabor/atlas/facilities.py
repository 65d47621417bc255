"""Facilities (Einrichtungen) for the atlas map: point layers with their attributes.

Every facility type of the workspace becomes a point layer; each point carries the area of the
shown layer it lies in, so the atlas counts facilities per area beside the indicators.  Types
named in ``[confidentiality] internal_facilities`` of ``planlabor.toml`` (Frauenhäuser, Notunter-
künfte, …) appear only in the internal view: a public payload never contains their points, counts
or names (issue 19, point 3).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from planlabor.errors import NotFoundError

TYPE_NAMES = {"kita": "Kitas", "schule": "Schulen", "grundschule": "Grundschulen"}
MAX_ATTRIBUTES = 12  # attributes shown per point (the first columns of the imported file)


def type_name(facility_type: str) -> str:
    return TYPE_NAMES.get(facility_type, facility_type.replace("_", " ").capitalize())


def _shown(src: Any, public: bool) -> pd.DataFrame:
    df = src.store.query_df(
        "SELECT facility_type, facility_id, name, capacity, attributes, geom FROM facilities "
        "WHERE geom IS NOT NULL ORDER BY facility_type, facility_id"
    )
    if public and len(df):
        df = df[~df["facility_type"].isin(set(src.internal_facilities))]
    return df.reset_index(drop=True)


def facility_types(src: Any, public: bool) -> list[dict[str, Any]]:
    """The facility types the view may show, with their number of points."""
    df = src.store.query_df("SELECT facility_type, count(*) AS n FROM facilities GROUP BY 1 ORDER BY 1")
    internal = set(src.internal_facilities)
    return [
        {"id": str(t), "name": type_name(str(t)), "n": int(n), "internal": t in internal}
        for t, n in zip(df["facility_type"], df["n"], strict=True)
        if not (public and t in internal)
    ]


def _attributes(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, str):
        return {}
    try:
        attrs = json.loads(raw)
    except ValueError:
        return {}
    out: dict[str, Any] = {}
    for k, v in list(attrs.items())[:MAX_ATTRIBUTES]:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            continue
        out[str(k)] = v if isinstance(v, int | float | bool) else str(v)[:120]
    return out


def facilities_payload(src: Any, layer: str, public: bool = True) -> dict[str, Any]:
    """The facilities as GeoJSON points (EPSG:4326, 6 decimals), each with the area of ``layer``."""
    import geopandas as gpd
    import shapely

    from planlabor.spatial.facilities import assign_points

    lay = src.store.layer(layer)
    if lay is None:
        raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht.", column="layer")
    df = _shown(src, public)
    pts = shapely.from_wkb([bytes(g) for g in df["geom"]]) if len(df) else []
    area_of: list[str | None] = [None] * len(df)
    if len(df) and lay.has_geometry:
        areas = src.store.areas(layer, geometry=True).sort_values("area_id")
        polys = shapely.from_wkb(areas["geom"].tolist())
        ids = areas["area_id"].astype(str).tolist()
        area_of = [ids[i] if i >= 0 else None for i in assign_points(pts, polys)]
    wgs = gpd.GeoSeries(pts, crs=src.crs).to_crs(4326) if len(df) else []
    features = []
    for i, r in enumerate(df.itertuples(index=False)):
        g = wgs[i]
        if g is None or g.is_empty:
            continue
        cap = r.capacity if isinstance(r.capacity, int | float) and math.isfinite(r.capacity) else None
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(g.x, 6), round(g.y, 6)]},
                "properties": {
                    "type": str(r.facility_type),
                    "id": str(r.facility_id),
                    "name": r.name if isinstance(r.name, str) else str(r.facility_id),
                    "capacity": cap,
                    "area": area_of[i],
                    "attributes": _attributes(r.attributes),
                },
            }
        )
    return {"type": "FeatureCollection", "name": f"einrichtungen_{layer}", "features": features}
