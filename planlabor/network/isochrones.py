"""Isochrones: the area from where a facility is reached within a travel time.

The search runs backwards from the facility (on one-way streets the way *to* the facility
counts).  Every node within the time is reached, and every edge leading to a reached node is
reached over the part that the remaining time allows.  The polygon is the concave hull of
those points (GEOS, ``shapely.concave_hull``) widened by :data:`EDGE_M` on each side: it
follows the streets, leaves out rivers and railway land that no path crosses, and stays inside
the straight-line circle of the same time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planlabor.errors import InputError, NotFoundError
from planlabor.network.chains import aranges
from planlabor.network.graph import Batch, Graph
from planlabor.network.profiles import Profile, profile
from planlabor.store import Store

HULL_RATIO = 0.25  # shapely.concave_hull: 0 follows the points closely, 1 is the convex hull
EDGE_M = 10.0
GRID_M = 15.0  # the hull is built from one point per grid cell of this size
FAR_M = 300.0  # facilities farther from the network than this are reported


def _reached_points(graph: Graph, bat: Batch, k: int, budget: float) -> np.ndarray:
    """Reached nodes and the reached ends of partly reached edges of start point ``k``."""
    net = graph.net
    reached, cost = bat.reached(k)
    csr = graph.rev if bat.reverse else graph.fwd
    ip = csr.indptr
    deg = ip[reached + 1] - ip[reached]
    pos = aranges(ip[reached], ip[reached + 1])
    frac = np.clip(np.repeat(budget - cost, deg) / np.maximum(csr.data[pos], 1e-12), 0.0, 1.0)[:, None]
    z = np.repeat(reached, deg)
    tips = net.xy[z] + frac * (net.xy[csr.indices[pos]] - net.xy[z])
    return np.concatenate([net.xy[reached], tips])


def _thin(pts: np.ndarray) -> np.ndarray:
    """One point per grid cell of :data:`GRID_M` (the hull needs no more detail)."""
    cell = np.round(pts / GRID_M).astype(np.int64)
    cell -= cell.min(axis=0)
    _, first = np.unique(cell[:, 0] * (int(cell[:, 1].max()) + 1) + cell[:, 1], return_index=True)
    return pts[first]


def polygons(
    graph: Graph, xy: np.ndarray, minutes: float, reverse: bool = True, ratio: float = HULL_RATIO
) -> list[Any]:
    """One isochrone polygon per point (in the network CRS); ``graph`` has costs in minutes."""
    import shapely

    if graph.unit != "min":
        raise ValueError("isochrones need a graph with costs in minutes")
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    out: list[Any] = [None] * len(xy)
    for bat in graph.bounded(xy, minutes, reverse=reverse):
        for k, i in enumerate(bat.sources):
            pts = np.vstack([_reached_points(graph, bat, k, minutes), xy[i]])
            pts = _thin(pts)
            hull = shapely.concave_hull(shapely.multipoints(pts), ratio=ratio)
            out[i] = shapely.buffer(hull, EDGE_M, quad_segs=4)
    return out


@dataclass
class IsochroneResult:
    facility_type: str
    profile: Profile
    minutes: list[float]
    frame: Any  # GeoDataFrame: facility_id, name, profile, minutes, area_m2, geometry
    far: list[str] = field(default_factory=list)  # facilities more than FAR_M from the network


def compute_isochrones(
    store: Store,
    facility_type: str,
    profile_id: str,
    minutes: list[float],
    kmh: float | None = None,
    save: bool = True,
) -> IsochroneResult:
    """Isochrones of every facility of a type, for each time in ``minutes``; stored with ``save``."""
    import geopandas as gpd
    import shapely

    from planlabor.network.storage import load_network

    prof = profile(profile_id)
    _check_minutes(minutes)
    net = load_network(store)
    assert net is not None
    fac = store.query_df(
        "SELECT facility_id, name, geom FROM facilities WHERE facility_type = ? ORDER BY facility_id",
        [facility_type],
    )
    if fac.empty:
        raise NotFoundError(
            f"Es gibt keine Einrichtungen der Art {facility_type!r}.",
            column="--type",
            hint="Importieren Sie sie mit 'planlabor facilities import'.",
        )
    pts = shapely.from_wkb([bytes(g) for g in fac["geom"]])
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    graph = net.graph(prof, "min", kmh)
    _, _, metres = graph.attach(xy)
    parts = []
    for m in minutes:
        geoms = polygons(graph, xy, m)
        parts.append(
            pd.DataFrame(
                {
                    "facility_id": fac["facility_id"].astype(str),
                    "name": fac["name"],
                    "profile": prof.id,
                    "minutes": float(m),
                    "area_m2": shapely.area(np.asarray(geoms, dtype=object)),
                    "geometry": geoms,
                }
            )
        )
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=net.crs)
    far = fac["facility_id"].astype(str)[metres > FAR_M].tolist()
    if save:
        _save(store, facility_type, frame, net.import_id)
    return IsochroneResult(facility_type, prof, [float(m) for m in minutes], frame, far)


def _check_minutes(minutes: list[float]) -> None:
    bad = [m for m in minutes if not (np.isfinite(m) and 0 < m <= 120)]
    if not minutes or bad:
        raise InputError(
            f"Die Reisezeit {bad[0] if bad else ''} ist ungültig.",
            column="--minutes",
            expected="Minuten größer als 0 und höchstens 120, z. B. 10",
        )


def _save(store: Store, facility_type: str, frame: Any, network_import: int) -> None:
    import pyarrow as pa
    import shapely

    now = datetime.now(UTC).replace(tzinfo=None)
    table = pa.table(
        {
            "facility_type": pa.array([facility_type] * len(frame), pa.string()),
            "facility_id": pa.array(frame["facility_id"].tolist(), pa.string()),
            "profile": pa.array(frame["profile"].tolist(), pa.string()),
            "minutes": pa.array(frame["minutes"].to_numpy(float)),
            "area_m2": pa.array(frame["area_m2"].to_numpy(float)),
            "geom": pa.array(shapely.to_wkb(frame.geometry.values).tolist(), pa.binary()),
            "network_import": pa.array([network_import] * len(frame), pa.int32()),
            "computed_at": pa.array([now] * len(frame), pa.timestamp("us")),
        }
    )
    with store.transaction():
        for prof, m in frame[["profile", "minutes"]].drop_duplicates().itertuples(index=False):
            store.execute(
                "DELETE FROM isochrones WHERE facility_type = ? AND profile = ? AND minutes = ?",
                [facility_type, prof, float(m)],
            )
        store.insert_arrow("isochrones", table)


def stored_isochrones(
    store: Store,
    facility_type: str | None = None,
    profile_id: str | None = None,
    minutes: float | None = None,
    crs: str | None = None,
) -> Any:
    """Stored isochrones as a GeoDataFrame (workspace CRS), optionally filtered."""
    import geopandas as gpd
    import shapely

    where, params = ["TRUE"], []
    for col, val in (("i.facility_type", facility_type), ("i.profile", profile_id), ("i.minutes", minutes)):
        if val is not None:
            where.append(f"{col} = ?")
            params.append(val)
    df = store.query_df(
        "SELECT i.facility_type, i.facility_id, f.name, i.profile, i.minutes, i.area_m2, i.geom, "
        "i.computed_at FROM isochrones i LEFT JOIN facilities f "
        "ON f.facility_type = i.facility_type AND f.facility_id = i.facility_id "
        f"WHERE {' AND '.join(where)} ORDER BY 1, 2, 4, 5",
        params,
    )
    geoms = shapely.from_wkb([bytes(g) for g in df.pop("geom")]) if len(df) else []
    df["computed_at"] = df["computed_at"].astype(str).str[:19]
    return gpd.GeoDataFrame(df, geometry=list(geoms), crs=crs)


def write_isochrones(frame: Any, path: str | Path) -> Path:
    """Write isochrones: GeoJSON in WGS 84 (RFC 7946), GeoPackage in the workspace CRS."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".geojson", ".json", ".gpkg"):
        raise InputError(
            f"Das Dateiformat {suffix or '(ohne Endung)'} wird für Isochronen nicht unterstützt.",
            file=path,
            expected="eine Datei mit der Endung .geojson oder .gpkg",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.to_crs(4326) if suffix != ".gpkg" else frame
    out.to_file(path, driver="GPKG" if suffix == ".gpkg" else "GeoJSON", layer="isochronen")
    return path
