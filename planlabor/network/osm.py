"""Read the street network from an OpenStreetMap extract (``.osm.pbf``, ``.osm``, ``.osm.gz``,
``.osm.bz2``) with pyosmium (libosmium's Python bindings).

Every way with a ``highway`` tag becomes a chain of edges between its consecutive nodes, each
edge with its geodesic length (WGS 84 ellipsoid) and, per profile, whether and in which
direction it may be used (:mod:`planlabor.network.profiles`).  Edges at a node that a profile
cannot pass (a barrier, a raised kerb …) are closed for that profile.  Edges longer than
:data:`MAX_SEGMENT_M` are split into equal pieces so that points (facilities, areas) are
attached to the network within half that distance of where they are.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from planlabor.errors import InputError
from planlabor.network.profiles import PROFILE_IDS, car_kmh, node_blocks, way_codes

MAX_SEGMENT_M = 50.0
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2", ".osm.xml")
NODE_KEYS = ("barrier", "kerb", "kerb:height", "wheelchair", "access", "foot", "bicycle", "vehicle",
             "motor_vehicle", "motorcar", "entrance")  # fmt: skip


@dataclass
class RawNetwork:
    """The routable network as arrays: nodes (OSM id, lon, lat) and directed-by-code edges."""

    osm_id: np.ndarray  # int64, negative for points inserted on long edges
    lon: np.ndarray
    lat: np.ndarray
    u: np.ndarray  # int64 node positions
    v: np.ndarray
    length: np.ndarray  # metres
    way_id: np.ndarray
    highway: np.ndarray  # object (str)
    codes: dict[str, np.ndarray]  # profile → uint8 0..3 per edge
    car_kmh: np.ndarray
    ways: int = 0
    blocked: dict[str, int] = field(default_factory=dict)  # profile → nodes it cannot pass
    broken_ways: int = 0  # ways with nodes missing from the extract (kept in pieces)


def _check_path(path: Path) -> None:
    if not path.exists():
        raise InputError(f"Die Datei {path} gibt es nicht.", file=path, hint="Prüfen Sie den Pfad.")
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise InputError(
            "Das ist keine OpenStreetMap-Datei.",
            file=path,
            expected="ein OSM-Auszug mit der Endung .osm.pbf, .osm, .osm.gz oder .osm.bz2",
            hint="Laden Sie einen Auszug Ihrer Kommune z. B. als .osm.pbf herunter.",
        )


class _Collector:
    """Accumulates edges way by way (lists; turned into arrays once at the end)."""

    def __init__(self) -> None:
        self.blocks: dict[int, set[str]] = {}
        self.refs: list[int] = []  # node refs of edge ends, pairs
        self.coords: list[float] = []  # lon, lat of edge ends, pairs
        self.edge_way: list[int] = []
        self.edge_highway: list[str] = []
        self.edge_codes: list[tuple[int, ...]] = []
        self.edge_kmh: list[float] = []
        self.ways = 0
        self.broken = 0

    def node(self, obj: Any) -> None:
        tags = {k: obj.tags[k] for k in NODE_KEYS if k in obj.tags}
        if tags:
            blocked = node_blocks(tags)
            if blocked:
                self.blocks[obj.id] = blocked

    def way(self, obj: Any) -> None:
        tags = {t.k: t.v for t in obj.tags}
        codes = way_codes(tags)
        if not any(codes.values()):
            return
        self.ways += 1
        pts = []
        for n in obj.nodes:
            loc = n.location
            pts.append((n.ref, loc.lon, loc.lat) if loc.valid() else None)
        if None in pts:
            self.broken += 1
        code_t = tuple(codes[p] for p in PROFILE_IDS)
        kmh = car_kmh(tags)
        highway = tags["highway"]
        for a, b in itertools.pairwise(pts):
            if a is None or b is None or a[0] == b[0]:
                continue
            self.refs += (a[0], b[0])
            self.coords += (a[1], a[2], b[1], b[2])
            self.edge_way.append(obj.id)
            self.edge_highway.append(highway)
            self.edge_codes.append(code_t)
            self.edge_kmh.append(kmh)


def _scan(path: Path) -> _Collector:
    import osmium

    col = _Collector()
    keys = ("highway", *NODE_KEYS)
    try:
        fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        for obj in fp.with_locations().with_filter(osmium.filter.KeyFilter(*keys)):
            if isinstance(obj, osmium.osm.Node):
                col.node(obj)
            elif isinstance(obj, osmium.osm.Way) and "highway" in obj.tags:
                col.way(obj)
    except RuntimeError as exc:
        raise InputError(
            "Die OpenStreetMap-Datei kann nicht gelesen werden (beschädigt oder kein OSM-Format).",
            file=path,
            expected="ein OSM-Auszug (.osm.pbf, .osm, .osm.gz, .osm.bz2)",
            detail=str(exc),
        ) from exc
    return col


def read_osm(path: str | Path, max_segment: float = MAX_SEGMENT_M) -> RawNetwork:
    """The routable network of an OSM extract (see the module description)."""
    from pyproj import Geod

    path = Path(path)
    _check_path(path)
    col = _scan(path)
    if not col.edge_way:
        raise InputError(
            "Die Datei enthält keine Wege mit highway=* (kein Straßen- und Wegenetz).",
            file=path,
            hint="Nutzen Sie einen OSM-Auszug mit Straßen und Wegen, nicht nur Gebäude oder Grenzen.",
        )
    refs = np.asarray(col.refs, dtype=np.int64)
    coords = np.asarray(col.coords, dtype=float).reshape(-1, 2)
    osm_id, first, inverse = np.unique(refs, return_index=True, return_inverse=True)
    u, v = inverse[0::2], inverse[1::2]
    codes = np.asarray(col.edge_codes, dtype=np.uint8)
    code_map = {p: codes[:, i].copy() for i, p in enumerate(PROFILE_IDS)}
    blocked = {p: 0 for p in PROFILE_IDS}
    if col.blocks:
        for p in PROFILE_IDS:
            ids = np.array([i for i, b in col.blocks.items() if p in b], dtype=np.int64)
            pos = np.searchsorted(osm_id, ids)
            pos = pos[(pos < len(osm_id)) & (osm_id[np.minimum(pos, len(osm_id) - 1)] == ids)]
            blocked[p] = len(pos)
            mask = np.zeros(len(osm_id), dtype=bool)
            mask[pos] = True
            code_map[p][mask[u] | mask[v]] = 0
    lon, lat = coords[first, 0], coords[first, 1]
    length = np.asarray(Geod(ellps="WGS84").inv(lon[u], lat[u], lon[v], lat[v])[2], dtype=float)
    raw = RawNetwork(
        osm_id=osm_id,
        lon=lon,
        lat=lat,
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        length=length,
        way_id=np.asarray(col.edge_way, dtype=np.int64),
        highway=np.asarray(col.edge_highway, dtype=object),
        codes=code_map,
        car_kmh=np.asarray(col.edge_kmh, dtype=float),
        ways=col.ways,
        blocked=blocked,
        broken_ways=col.broken,
    )
    keep = np.any(np.column_stack(list(code_map.values())) > 0, axis=1)
    return densify(_select_edges(raw, keep), max_segment)


def _select_edges(raw: RawNetwork, keep: np.ndarray) -> RawNetwork:
    """Only the edges in ``keep`` and the nodes they use."""
    used = np.zeros(len(raw.osm_id), dtype=bool)
    used[raw.u[keep]] = True
    used[raw.v[keep]] = True
    new_pos = np.cumsum(used) - 1
    return RawNetwork(
        osm_id=raw.osm_id[used],
        lon=raw.lon[used],
        lat=raw.lat[used],
        u=new_pos[raw.u[keep]],
        v=new_pos[raw.v[keep]],
        length=raw.length[keep],
        way_id=raw.way_id[keep],
        highway=raw.highway[keep],
        codes={p: c[keep] for p, c in raw.codes.items()},
        car_kmh=raw.car_kmh[keep],
        ways=raw.ways,
        blocked=raw.blocked,
        broken_ways=raw.broken_ways,
    )


def densify(raw: RawNetwork, max_segment: float = MAX_SEGMENT_M) -> RawNetwork:
    """Split every edge longer than ``max_segment`` into equal pieces (new nodes, OSM id < 0)."""
    parts = np.maximum(np.ceil(raw.length / max_segment).astype(np.int64), 1)
    if (parts == 1).all():
        return raw
    n_new = int((parts - 1).sum())
    n0 = len(raw.osm_id)
    edge = np.repeat(np.arange(len(parts)), parts)  # edge of each piece
    k = np.arange(len(edge)) - np.repeat(np.cumsum(parts) - parts, parts)  # piece number 0..parts-1
    inner = k > 0  # pieces that start at an inserted node
    new_ids = np.full(len(edge), -1, dtype=np.int64)
    new_ids[inner] = n0 + np.arange(n_new)
    frac = (k[inner] / parts[edge[inner]]).astype(float)
    ue, ve = raw.u[edge[inner]], raw.v[edge[inner]]
    lon = np.concatenate([raw.lon, raw.lon[ue] + frac * (raw.lon[ve] - raw.lon[ue])])
    lat = np.concatenate([raw.lat, raw.lat[ue] + frac * (raw.lat[ve] - raw.lat[ue])])
    start = np.where(inner, new_ids, raw.u[edge])
    last = np.r_[k[1:] == 0, True]  # the last piece of each edge ends at the edge's end node
    end = np.where(last, raw.v[edge], np.r_[new_ids[1:], -1])
    return RawNetwork(
        osm_id=np.concatenate([raw.osm_id, -np.arange(1, n_new + 1, dtype=np.int64)]),
        lon=lon,
        lat=lat,
        u=start,
        v=end,
        length=raw.length[edge] / parts[edge],
        way_id=raw.way_id[edge],
        highway=raw.highway[edge],
        codes={p: c[edge] for p, c in raw.codes.items()},
        car_kmh=raw.car_kmh[edge],
        ways=raw.ways,
        blocked=raw.blocked,
        broken_ways=raw.broken_ways,
    )
