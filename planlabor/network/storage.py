"""The street network in the store: import (atomic, logged), loading (cached), description."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from planlabor.errors import InputError, NotFoundError
from planlabor.network.graph import Network
from planlabor.network.osm import read_osm
from planlabor.network.profiles import PROFILE_IDS, PROFILES
from planlabor.store import Store

_CACHE: dict[tuple[str, int], Network] = {}
_LOCK = threading.Lock()


@dataclass
class NetworkReport:
    import_id: int
    file: str
    nodes: int
    edges: int
    ways: int
    km: dict[str, float]  # usable length per profile
    blocked: dict[str, int]  # nodes a profile cannot pass
    bbox: tuple[float, float, float, float]  # lon/lat
    seconds: float
    isochrones_removed: int = 0
    warnings: list[str] = field(default_factory=list)


def _tables_exist(store: Store) -> bool:
    df = store.query_df(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'network_edges'"
    )
    return bool(df["n"].iloc[0])


def current_import(store: Store) -> int | None:
    """Import number of the current network (None: no network imported)."""
    if not _tables_exist(store):
        return None
    df = store.query_df("SELECT max(import_id) AS i FROM network_edges")
    value = df["i"].iloc[0]
    return None if pd.isna(value) else int(value)


def import_network(store: Store, path: str | Path, crs: str) -> NetworkReport:
    """Read an OSM extract and replace the workspace's street network (all or nothing)."""
    from datetime import UTC, datetime

    from pyproj import Transformer

    from planlabor.io.importer import file_sha256
    from planlabor.store import ImportRecord

    t0 = time.perf_counter()
    path = Path(path)
    raw = read_osm(path)
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(raw.lon, raw.lat)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError(
            f"Die Knoten lassen sich nicht ins Koordinatensystem {crs} des Arbeitsbereichs umrechnen.",
            file=path,
            hint="Passt der OSM-Auszug zur Kommune des Arbeitsbereichs?",
        )
    km = {p: float(raw.length[raw.codes[p] > 0].sum() / 1000) for p in PROFILE_IDS}
    warnings = []
    if raw.broken_ways:
        warnings.append(f"{raw.broken_ways} Wege reichen über den Rand des Auszugs (dort abgeschnitten).")
    for p in PROFILE_IDS:
        if km[p] == 0:
            warnings.append(f"Keine Wege für {PROFILES[p].name}.")
    import_id = store.next_id("imports", "import_id")
    n, e = len(raw.osm_id), len(raw.u)
    nodes = pa.table(
        {
            "node": pa.array(np.arange(n), pa.int32()),
            "osm_id": pa.array(raw.osm_id, pa.int64()),
            "x": pa.array(np.asarray(x, float)),
            "y": pa.array(np.asarray(y, float)),
            "import_id": pa.array(np.full(n, import_id), pa.int32()),
        }
    )
    edges = pa.table(
        {
            "u": pa.array(raw.u, pa.int32()),
            "v": pa.array(raw.v, pa.int32()),
            "length_m": pa.array(raw.length),
            "way_id": pa.array(raw.way_id, pa.int64()),
            "highway": pa.array(raw.highway.tolist(), pa.string()),
            **{p: pa.array(raw.codes[p], pa.uint8()) for p in PROFILE_IDS},
            "auto_kmh": pa.array(raw.car_kmh),
            "import_id": pa.array(np.full(e, import_id), pa.int32()),
        }
    )
    with store.transaction():
        store.log_import(
            ImportRecord(
                import_id=import_id,
                kind="network",
                file=str(path),
                sha256=file_sha256(path),
                imported_at=datetime.now(UTC).replace(tzinfo=None),
                options={"crs": crs, "km": {p: round(v, 1) for p, v in km.items()}},
                layer_id=None,
                rows_read=raw.ways,
                values_imported=e,
                quarantined=0,
                message="; ".join(warnings),
            )
        )
        old = store.query_df("SELECT count(*) AS n FROM isochrones")["n"].iloc[0]
        for table in ("network_nodes", "network_edges", "isochrones"):
            store.execute(f"DELETE FROM {table}")
        store.insert_arrow("network_nodes", nodes)
        store.insert_arrow("network_edges", edges)
    bbox = (float(raw.lon.min()), float(raw.lat.min()), float(raw.lon.max()), float(raw.lat.max()))
    took = time.perf_counter() - t0
    return NetworkReport(
        import_id, str(path), n, e, raw.ways, km, raw.blocked, bbox, took, int(old), warnings
    )


def load_network(store: Store, required: bool = True) -> Network | None:
    """The current network (cached per store and import); None or an error if there is none."""
    import_id = current_import(store)
    if import_id is None:
        if required:
            raise NotFoundError(
                "Im Arbeitsbereich gibt es noch kein Straßennetz.",
                hint="Importieren Sie einen OSM-Auszug: planlabor network import stadt.osm.pbf",
            )
        return None
    key = (str(getattr(store, "path", id(store))), import_id)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
        nodes = store.query_arrow("SELECT x, y FROM network_nodes ORDER BY node")
        cols = ", ".join(PROFILE_IDS)
        edges = store.query_arrow(f"SELECT u, v, length_m, {cols}, auto_kmh FROM network_edges")
        xy = np.column_stack([nodes["x"].to_numpy(), nodes["y"].to_numpy()])
        crs = _crs(store, import_id)
        net = Network.build(
            xy,
            edges["u"].to_numpy().astype(np.int64),
            edges["v"].to_numpy().astype(np.int64),
            edges["length_m"].to_numpy(),
            {p: edges[p].to_numpy().astype(np.uint8) for p in PROFILE_IDS},
            edges["auto_kmh"].to_numpy(),
            crs,
            import_id,
        )
        for stale in [k for k in _CACHE if k[0] == key[0]]:
            del _CACHE[stale]
        _CACHE[key] = net
        return net


def _crs(store: Store, import_id: int) -> str:
    import json

    df = store.query_df("SELECT options FROM imports WHERE import_id = ?", [import_id])
    return str(json.loads(df["options"].iloc[0])["crs"])


def network_info(store: Store) -> dict[str, Any] | None:
    """What the current network holds (None if there is none)."""
    import json

    import_id = current_import(store)
    if import_id is None:
        return None
    log = store.query_df("SELECT * FROM imports WHERE import_id = ?", [import_id]).iloc[0]
    counts = store.query_df(
        "SELECT count(*) AS nodes, (SELECT count(*) FROM network_edges) AS edges, "
        "min(x) AS x0, min(y) AS y0, max(x) AS x1, max(y) AS y1 FROM network_nodes"
    ).iloc[0]
    options = json.loads(log["options"])
    return {
        "import_id": import_id,
        "file": Path(str(log["file"])).name,
        "imported_at": str(log["imported_at"])[:19],
        "crs": options["crs"],
        "nodes": int(counts["nodes"]),
        "edges": int(counts["edges"]),
        "ways": int(log["rows_read"]),
        "bbox": [float(counts[k]) for k in ("x0", "y0", "x1", "y1")],
        "profiles": [
            {"id": p, "name": PROFILES[p].name, "km": options["km"][p], "kmh": PROFILES[p].kmh}
            for p in PROFILE_IDS
        ],
        "message": str(log["message"] or ""),
    }


def export_network(store: Store, path: str | Path, profile_id: str | None = None) -> int:
    """Write the edges as lines (GeoPackage in the workspace CRS, GeoJSON in WGS 84) with the
    road class and the use per profile; returns the number of edges written."""
    import geopandas as gpd
    import shapely

    from planlabor.network.profiles import profile

    import_id = current_import(store)
    if import_id is None:
        load_network(store)  # raises the "no network" error
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".geojson", ".json"):
        raise InputError(
            f"Das Dateiformat {suffix or '(ohne Endung)'} wird nicht unterstützt.",
            file=path,
            expected="eine Datei mit der Endung .gpkg oder .geojson",
        )
    where = f"WHERE e.{profile(profile_id).id} > 0" if profile_id else ""
    df = store.query_df(
        "SELECT e.way_id, e.highway, e.length_m, e.fuss, e.rad, e.auto, e.rollstuhl, e.auto_kmh, "
        "a.x AS ax, a.y AS ay, b.x AS bx, b.y AS by FROM network_edges e "
        "JOIN network_nodes a ON a.node = e.u JOIN network_nodes b ON b.node = e.v " + where
    )
    coords = np.stack([df[["ax", "ay"]].to_numpy(), df[["bx", "by"]].to_numpy()], axis=1)
    lines = shapely.linestrings(coords)
    frame = gpd.GeoDataFrame(
        df.drop(columns=["ax", "ay", "bx", "by"]), geometry=lines, crs=_crs(store, int(import_id or 0))
    )
    if suffix != ".gpkg":
        frame = frame.to_crs(4326)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, driver="GPKG" if suffix == ".gpkg" else "GeoJSON", layer="wegenetz")
    return len(frame)
