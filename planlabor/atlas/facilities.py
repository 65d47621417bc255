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


def _attributes(raw: Any, known: set[str]) -> dict[str, Any]:
    """The first attributes of the imported file, without those repeating id, name or places."""
    if not isinstance(raw, str):
        return {}
    try:
        attrs = json.loads(raw)
    except ValueError:
        return {}
    out: dict[str, Any] = {}
    for k, v in list(attrs.items())[:MAX_ATTRIBUTES]:
        if v is None or (isinstance(v, float) and not math.isfinite(v)) or str(v) in known:
            continue
        out[str(k)] = v if isinstance(v, int | float | bool) else str(v)[:120]
    return out


def _capacity(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None


def facilities_payload(src: Any, public: bool = True) -> dict[str, Any]:
    """The facilities as GeoJSON points (EPSG:4326, 6 decimals) with name, places and attributes."""
    import geopandas as gpd
    import shapely

    df = _shown(src, public)
    pts = shapely.from_wkb([bytes(g) for g in df["geom"]]) if len(df) else []
    wgs = gpd.GeoSeries(pts, crs=src.crs).to_crs(4326) if len(df) else []
    features = []
    for i, r in enumerate(df.itertuples(index=False)):
        g, cap = wgs[i], _capacity(r.capacity)
        name = r.name if isinstance(r.name, str) else str(r.facility_id)
        known = {str(r.facility_id), name} | ({f"{cap:g}", str(cap)} if cap is not None else set())
        features.append(
            {
                "type": "Feature",
                "geometry": None
                if g is None or g.is_empty
                else {"type": "Point", "coordinates": [round(g.x, 6), round(g.y, 6)]},
                "properties": {
                    "type": str(r.facility_type),
                    "id": str(r.facility_id),
                    "name": name,
                    "capacity": cap,
                    "attributes": _attributes(r.attributes, known),
                },
            }
        )
    return {"type": "FeatureCollection", "name": "einrichtungen", "features": features}


def facility_areas_payload(src: Any, layer: str, public: bool = True) -> dict[str, Any]:
    """The area of ``layer`` each facility of :func:`facilities_payload` lies in (same order;
    ``null`` outside every area), so the atlas counts facilities per area."""
    import shapely

    from planlabor.spatial.facilities import assign_points

    lay = src.store.layer(layer)
    if lay is None:
        raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht.", column="layer")
    df = _shown(src, public)
    areas_of: list[str | None] = [None] * len(df)
    if len(df) and lay.has_geometry:
        pts = shapely.from_wkb([bytes(g) for g in df["geom"]])
        areas = src.store.areas(layer, geometry=True).sort_values("area_id")
        ids = areas["area_id"].astype(str).tolist()
        polys = shapely.from_wkb(areas["geom"].tolist())
        areas_of = [ids[i] if i >= 0 else None for i in assign_points(pts, polys)]
    return {"layer": layer, "areas": areas_of}
