"""The atlas's data service: cached payloads per view and the byte answers built from them.

:class:`AtlasService` holds what the routes of :mod:`planlabor.atlas.server` answer from
(payloads, value frames indexed per key, the bounded answer cache); :func:`json_answer` sends a
cached answer, gzip-packed when the client accepts it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pandas as pd
from fastapi import HTTPException, Request
from fastapi.responses import Response

from planlabor.atlas.access import REFRESH_WAIT, REQUEST_WAIT, LiveWorkspace
from planlabor.atlas.cache import BASE_JSON, PER_ADDRESS, SHAREABLE, ByteLRU, Entry
from planlabor.atlas.data import AtlasSource, dumps, geo_payload, meta_payload, values_frame, values_payload
from planlabor.atlas.facilities import facilities_payload, facility_areas_payload
from planlabor.atlas.large import geo_levels, values_parts
from planlabor.atlas.tiles import NO_TILES, server_tiles
from planlabor.store.records import LayerInfo

log = logging.getLogger("planlabor.server")


class _Groups:
    """Row positions of a frame per key; ``get`` returns the rows of one key."""

    def __init__(self, frame: pd.DataFrame, indices: dict[Any, Any]) -> None:
        self.frame = frame
        self.indices = indices

    def get(self, key: Any) -> pd.DataFrame | None:
        pos = self.indices.get(key)
        return None if pos is None else self.frame.iloc[pos]


class _NeedsStore(Exception):
    """Raised inside :meth:`AtlasService.warm` when something is not in the shared folder."""


class AtlasService:
    """Cached payloads of one workspace, per view (public or internal).

    With a :class:`~planlabor.atlas.access.LiveWorkspace` the store is opened read-only only
    while an answer is built (see :mod:`planlabor.atlas.access`); without one, ``src.store`` is
    used, one build at a time.
    """

    def __init__(
        self, src: AtlasSource, live: LiveWorkspace | None = None, cache_bytes: int = 256 << 20
    ) -> None:
        self.src = src
        self.live = live
        self.lock = threading.RLock()
        self.cache: dict[tuple[str, bool], tuple[bytes, bytes]] = {}
        self.frames: dict[tuple[str, bool], pd.DataFrame] = {}
        self.grouped: dict[tuple[str, bool, tuple[str, ...]], _Groups] = {}
        self.responses = ByteLRU(cache_bytes)
        self._meta: dict[bool, dict[str, Any]] = {}
        self._reading: AtlasSource | None = None
        self._sig = live.signature() if live else None
        self.shared = live.shared_cache(self._sig) if live and self._sig is not None else None
        self._next_check = 0.0
        self._refreshing = False
        self._local = threading.local()

    @contextmanager
    def reading(self, wait: float = REQUEST_WAIT) -> Iterator[AtlasSource]:
        """The source with an open store, for one build (nested builds share the opening)."""
        if getattr(self._local, "shared_only", False):
            raise _NeedsStore  # warm(): try the shared folder first
        with self.lock:
            if self.live is None:
                yield self.src
                return
            if self._reading is not None:
                yield self._reading
                return
            # one process builds at a time; the others wait, then read what it wrote (planlabor.cache)
            with self.shared.building(wait) if self.shared else contextlib.nullcontext():
                store = self.live.open(wait)
                self._reading = replace(self.src, store=store)
                try:
                    yield self._reading
                finally:
                    self._reading = None
                    store.close()

    def check(self) -> None:
        """Notice a changed workspace (at most once a second) and rebuild in the background;
        until the new caches are ready the old ones answer."""
        if self.live is None or self._refreshing:
            return
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + 1.0
        sig = self.live.signature()
        if sig == self._sig:
            return
        self._refreshing = True
        threading.Thread(target=self._refresh, args=(sig,), name="atlas-refresh", daemon=True).start()

    def _refresh(self, sig: tuple[Any, ...]) -> None:
        assert self.live is not None
        try:
            fresh = AtlasService(self.live.source(), self.live, self.responses.max_bytes)
            fresh.warm(REFRESH_WAIT)
            with self.lock:
                self.src, self.cache, self.frames, self.grouped = (
                    fresh.src,
                    fresh.cache,
                    fresh.frames,
                    fresh.grouped,
                )
                self.responses, self._meta, self.shared = fresh.responses, fresh._meta, fresh.shared
            if fresh.shared is not None:
                fresh.shared.prune()  # older versions: no process reads them any more
        except Exception:  # keep serving the old data; the log says why
            log.exception("Der geänderte Arbeitsbereich konnte nicht neu geladen werden.")
        finally:
            self._sig = sig
            self._refreshing = False

    def remember(self, key: tuple[Any, ...], raw: bytes, packed: bytes) -> Entry:
        entry = Entry(raw, packed, BASE_JSON.encode() in raw)
        self.responses.put(key, entry)
        return entry

    def _keep(self, name: str, public: bool, raw: bytes, packed: bytes | None = None) -> tuple[bytes, bytes]:
        """Keep a built payload in memory and in the shared folder (for the other processes)."""
        pair = (raw, packed if packed is not None else gzip.compress(raw, 6))
        self.cache[(name, public)] = pair
        if self.shared is not None:
            self.shared.put(_shared_name(name, public), len(pair[0]).to_bytes(8, "big") + pair[0] + pair[1])
        return pair

    def _shared(self, name: str, public: bool) -> tuple[bytes, bytes] | None:
        """A payload another process built for this version of the workspace."""
        data = self.shared.get(_shared_name(name, public)) if self.shared is not None else None
        if data is None or len(data) < 8:
            return None
        n = int.from_bytes(data[:8], "big")
        pair = (data[8 : 8 + n], data[8 + n :])
        self.cache[(name, public)] = pair
        return pair

    def payload(self, name: str, public: bool) -> tuple[bytes, bytes]:
        key = (name, public)
        hit = self.cache.get(key) or self._shared(name, public)
        if hit is not None:
            return hit
        with self.reading() as src:
            hit = self.cache.get(key) or self._shared(name, public)
            if hit is not None:
                return hit
            kind, _, layer = name.partition("/")
            if kind in ("geo", "geofine", "values", "tiles") and layer.split("/")[0] in self._large_layers(
                public
            ):
                return self._large(src, name, public)
            if kind == "tiles" and "/" not in layer:  # a small layer: GeoJSON only
                self._check_layer(layer, public)
                return self._keep(name, public, dumps(NO_TILES).encode("utf-8"))
            if kind == "meta":
                data: dict[str, Any] = meta_payload(src, public)
            elif kind == "geo":
                self._check_layer(layer, public)
                data = geo_payload(src, layer)
            elif kind == "values":
                self._check_layer(layer, public)
                data = values_payload(src, layer, public)
            elif kind == "facilities":
                data = facilities_payload(src, public)
            elif kind == "facility_areas":
                self._check_layer(layer, public)
                data = facility_areas_payload(src, layer, public)
            else:  # pragma: no cover - routes only ask for the five kinds
                raise HTTPException(404, "Unbekannte Daten.")
            return self._keep(name, public, dumps(data).encode("utf-8"))

    def _large_layers(self, public: bool) -> set[str]:
        return {lay["id"] for lay in self.meta(public)["layers"] if lay.get("large")}

    def _large(self, src: AtlasSource, name: str, public: bool) -> tuple[bytes, bytes]:
        """A large layer's payloads (:mod:`planlabor.atlas.large`), all of one kind built at once;
        once built, a name not among them is not found (no second build)."""
        kind, _, rest = name.partition("/")
        layer = rest.split("/")[0]
        self._check_layer(layer, public)
        index = f"{kind}/{layer}"  # of values and tiles kept last, after their parts
        if kind in ("values", "tiles") and name != index and self._built(index, public):
            raise HTTPException(404, "Diese Daten gibt es im Atlas nicht.")
        if kind == "tiles":
            built = {f"tiles/{layer}": self._tiles(src, layer, public)}
        else:
            built = values_parts(src, layer, public) if kind == "values" else geo_levels(src, layer)
        for key, data in built.items():
            self._keep(key, public, dumps(data).encode("utf-8"))
        if (name, public) not in self.cache:
            raise HTTPException(404, "Diese Werte gibt es im Atlas nicht.")
        return self.cache[(name, public)]

    def _built(self, name: str, public: bool) -> bool:
        return (name, public) in self.cache or self._shared(name, public) is not None

    def _tiles(self, src: AtlasSource, layer: str, public: bool) -> dict[str, Any]:
        """The layer's vector tiles kept (binary, gzip-packed once); returns their index."""
        if not self._tiled(layer, public):
            return NO_TILES
        index, files = server_tiles(src, layer)
        for key, (raw, packed) in files.items():
            self._keep(key, public, raw, packed)
        return index  # kept after the tiles: whoever sees the index finds its tiles

    def tile(self, layer: str, version: str, z: int, x: int, y: int, public: bool) -> tuple[bytes, bytes]:
        """One vector tile of the build ``version`` (:func:`~planlabor.atlas.tiles.server_tiles`):
        empty inside the layer's zooms where no area lies, 404 for another version or zoom."""
        index = json.loads(self.payload(f"tiles/{layer}", public)[0])
        if not index.get("tiles") or version != index.get("version") or str(z) not in index["tiles"]:
            raise HTTPException(
                404,
                f"Die Vektorkachel {layer}/{version}/{z} gibt es im Atlas nicht (Atlas neu gebaut?). "
                f"Lösung: /api/atlas/tiles/{layer} nennt die gültige Version und die Zoomstufen.",
            )
        if not (0 <= x < 2**z and 0 <= y < 2**z):
            raise HTTPException(404, f"Die Kachel {z}/{x}/{y} liegt außerhalb der Welt.")
        name = f"mvt/{layer}/{z}/{x}/{y}"
        return self.cache.get((name, public)) or self._shared(name, public) or (b"", b"")

    def _tiled(self, layer: str, public: bool) -> bool:
        return any(lay["id"] == layer and lay.get("tiles") for lay in self.meta(public)["layers"])

    def meta(self, public: bool) -> dict[str, Any]:
        if public not in self._meta:
            self._meta[public] = json.loads(self.payload("meta", public)[0])
        return self._meta[public]

    def _check_layer(self, layer: str, public: bool) -> None:
        if layer not in {lay["id"] for lay in self.meta(public)["layers"]}:
            raise HTTPException(404, f"Die Raumebene {layer!r} gibt es im Atlas nicht.")

    def frame(self, layer: str, public: bool) -> pd.DataFrame:
        key = (layer, public)
        if key not in self.frames:
            self._check_layer(layer, public)
            df = self._shared_frame(layer, public)
            if df is None:
                with self.reading() as src:
                    df = self.frames.get(key)
                    df = df if df is not None else self._shared_frame(layer, public)
                    if df is None:
                        df = values_frame(src, layer, public)
                        if self.shared is not None:
                            self.shared.put(_shared_name(f"frame/{layer}", public), frame_bytes(df))
            self.frames[key] = df
        return self.frames[key]

    def areas(self, layer: str) -> pd.DataFrame:
        """The layer's areas with their geometry (WKB) as the store holds them, read once per
        version of the workspace by all processes (the OGC tables start from them)."""
        name = _shared_name(f"areas/{layer}", True)
        data = self.shared.get(name) if self.shared is not None else None
        if data is not None:
            return frame_of(data)
        with self.reading() as src:
            df = src.store.areas(layer, geometry=True)
        if self.shared is not None:
            self.shared.put(name, frame_bytes(df))
        return df

    def layer_info(self, layer: str) -> LayerInfo | None:
        """The layer's record (CRS, whether it has geometry) as the store holds it, read once per
        version of the workspace by all processes: the OGC tables need no store opening."""
        name = _shared_name(f"layer/{layer}", True)
        data = self.shared.get(name) if self.shared is not None else None
        if data is not None:
            raw = json.loads(data)
            return None if raw is None else LayerInfo(layer, raw["name"], raw["crs"], has_geometry=raw["geo"])
        with self.reading() as src:
            info = src.store.layer(layer)
        if self.shared is not None:
            keep = None if info is None else {"name": info.name, "crs": info.crs, "geo": info.has_geometry}
            self.shared.put(name, json.dumps(keep).encode("utf-8"))
        return info

    def _shared_frame(self, layer: str, public: bool) -> pd.DataFrame | None:
        data = self.shared.get(_shared_name(f"frame/{layer}", public)) if self.shared is not None else None
        return None if data is None else frame_of(data)

    def groups(self, layer: str, public: bool, keys: tuple[str, ...]) -> _Groups:
        """The layer's values indexed once by ``keys``: row positions per key, few objects."""
        key = (layer, public, keys)
        hit = self.grouped.get(key)
        if hit is None:
            df = self.frame(layer, public)
            with self.lock:
                by = list(keys) if len(keys) > 1 else keys[0]
                hit = _Groups(df, df.groupby(by, sort=False).indices)
                self.grouped[key] = hit
        return hit

    def warm(self, wait: float = REFRESH_WAIT, freeze: bool = True) -> None:
        """Build the public payloads and lookup tables ahead of the first visitors: read from the
        shared folder when another process built them, else built with one opening of the store;
        then move them out of the garbage collector's way (long-lived; scanning them caused pauses)."""
        import gc

        self._local.shared_only = True
        try:
            self._warm_all()
        except _NeedsStore:
            self._local.shared_only = False
            with self.reading(wait):
                self._warm_all()
        finally:
            self._local.shared_only = False
        if freeze:
            gc.collect()
            gc.freeze()

    def _warm_all(self) -> None:
        for lay in self.meta(True)["layers"]:
            for kind in ("geo", "values", "tiles"):
                self.payload(f"{kind}/{lay['id']}", True)
            for keys in (("indicator_id", "period"), ("indicator_id", "area_id"), ("area_id",)):
                self.groups(lay["id"], True, keys)

    def indicator(self, iid: str, public: bool) -> dict[str, Any]:
        meta = self.meta(public)
        if iid not in meta["indicators"]:
            raise HTTPException(404, f"Den Indikator {iid!r} gibt es im Atlas nicht.")
        return meta["indicators"][iid]


def frame_bytes(df: pd.DataFrame) -> bytes:
    """A frame as Arrow IPC bytes (column types kept; no code runs when it is read back)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    table = pa.Table.from_pandas(df, preserve_index=True)
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def frame_of(data: bytes) -> pd.DataFrame:
    import pyarrow as pa

    return pa.ipc.open_file(pa.py_buffer(data)).read_all().to_pandas()


def _shared_name(name: str, public: bool) -> str:
    return f"{'public' if public else 'internal'}/{name}"


class _Addressed:
    """Templated answers with the server's address put in, per (answer, address): compressed
    once, not on every request.  Bounded in bytes; a flood of invented ``Host`` names only
    pushes out older entries."""

    def __init__(self, max_bytes: int = 32 << 20) -> None:
        self.max_bytes, self.bytes = max_bytes, 0
        self.data: OrderedDict[tuple[int, bytes], tuple[Entry, bytes, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, entry: Entry, base: bytes) -> tuple[bytes, bytes] | None:
        with self.lock:
            hit = self.data.get((id(entry), base))
            if hit is None or hit[0] is not entry:  # an id reused by a new answer: not this one
                return None
            self.data.move_to_end((id(entry), base))
            return hit[1], hit[2]

    def put(self, entry: Entry, base: bytes, raw: bytes, packed: bytes) -> None:
        size = len(raw) + len(packed) + len(base)
        if size > self.max_bytes // 4:
            return
        with self.lock:
            old = self.data.pop((id(entry), base), None)
            self.bytes += size - (len(old[1]) + len(old[2]) + len(base) if old else 0)
            self.data[(id(entry), base)] = (entry, raw, packed)
            while self.bytes > self.max_bytes and self.data:
                (_, b), (_, r, p) = self.data.popitem(last=False)
                self.bytes -= len(r) + len(p) + len(b)


_ADDRESSED = _Addressed()


def _with_base(entry: Entry, base: bytes) -> tuple[bytes, bytes]:
    hit = _ADDRESSED.get(entry, base)
    if hit is None:
        raw = entry.raw.replace(BASE_JSON.encode(), base)
        hit = (raw, gzip.compress(raw, 5) if len(raw) > 1024 else b"")
        _ADDRESSED.put(entry, base, *hit)
    return hit


def json_answer(
    request: Request,
    pair: tuple[bytes, bytes] | Entry,
    media: str = "application/json",
    public: bool = False,
    cache: str = "no-cache",
) -> Response:
    """A cached answer, gzip-packed when the client accepts it; the server's address goes in
    where a templated answer holds :data:`~planlabor.atlas.cache.BASE`.  ``cache`` is its
    ``Cache-Control`` (default: ask again, answered with ``304`` via the ETag)."""
    if isinstance(pair, Entry):
        raw, packed, templated = pair.raw, pair.packed, pair.templated
    else:
        (raw, packed), templated = pair, False
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    if public:  # FastPath may answer the same request from memory (per address when templated)
        headers[SHAREABLE.decode()] = PER_ADDRESS.decode() if templated else "1"
    if templated:
        assert isinstance(pair, Entry)
        raw, packed = _with_base(pair, json.dumps(str(request.base_url).rstrip("/"))[1:-1].encode("utf-8"))
    if packed and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type=media, headers={**headers, "Content-Encoding": "gzip"})
    return Response(raw, media_type=media, headers=headers)


def num(v: Any) -> float | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    return float(v)
