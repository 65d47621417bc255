"""The atlas's data service: cached payloads per view and the byte answers built from them.

:class:`AtlasService` holds what the routes of :mod:`planlabor.atlas.server` answer from
(payloads, value frames indexed per key, the bounded answer cache); :func:`json_answer` sends a
cached answer, gzip-packed when the client accepts it.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pandas as pd
from fastapi import HTTPException, Request
from fastapi.responses import Response

from planlabor.atlas.access import REFRESH_WAIT, REQUEST_WAIT, LiveWorkspace
from planlabor.atlas.cache import BASE_JSON, SHAREABLE, ByteLRU, Entry
from planlabor.atlas.data import AtlasSource, dumps, geo_payload, meta_payload, values_frame, values_payload
from planlabor.atlas.facilities import facilities_payload, facility_areas_payload
from planlabor.atlas.large import geo_levels, values_parts

log = logging.getLogger("planlabor.server")


class _Groups:
    """Row positions of a frame per key; ``get`` returns the rows of one key."""

    def __init__(self, frame: pd.DataFrame, indices: dict[Any, Any]) -> None:
        self.frame = frame
        self.indices = indices

    def get(self, key: Any) -> pd.DataFrame | None:
        pos = self.indices.get(key)
        return None if pos is None else self.frame.iloc[pos]


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
        self._next_check = 0.0
        self._refreshing = False

    @contextmanager
    def reading(self, wait: float = REQUEST_WAIT) -> Iterator[AtlasSource]:
        """The source with an open store, for one build (nested builds share the opening)."""
        with self.lock:
            if self.live is None:
                yield self.src
                return
            if self._reading is not None:
                yield self._reading
                return
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
                self.responses, self._meta = fresh.responses, fresh._meta
        except Exception:  # keep serving the old data; the log says why
            log.exception("Der geänderte Arbeitsbereich konnte nicht neu geladen werden.")
        finally:
            self._sig = sig
            self._refreshing = False

    def remember(self, key: tuple[Any, ...], raw: bytes, packed: bytes) -> Entry:
        entry = Entry(raw, packed, BASE_JSON.encode() in raw)
        self.responses.put(key, entry)
        return entry

    def payload(self, name: str, public: bool) -> tuple[bytes, bytes]:
        key = (name, public)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        with self.reading() as src:
            if key in self.cache:
                return self.cache[key]
            kind, _, layer = name.partition("/")
            if kind in ("geo", "geofine", "values") and layer.split("/")[0] in self._large_layers(public):
                return self._large(src, name, public)
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
            raw = dumps(data).encode("utf-8")
            self.cache[key] = (raw, gzip.compress(raw, 6))
            return self.cache[key]

    def _large_layers(self, public: bool) -> set[str]:
        return {lay["id"] for lay in self.meta(public)["layers"] if lay.get("large")}

    def _large(self, src: AtlasSource, name: str, public: bool) -> tuple[bytes, bytes]:
        """A large layer's payloads (:mod:`planlabor.atlas.large`), all of one kind built at once."""
        kind, _, rest = name.partition("/")
        layer = rest.split("/")[0]
        self._check_layer(layer, public)
        built = values_parts(src, layer, public) if kind == "values" else geo_levels(src, layer)
        for key, data in built.items():
            raw = dumps(data).encode("utf-8")
            self.cache[(key, public)] = (raw, gzip.compress(raw, 6))
        if (name, public) not in self.cache:
            raise HTTPException(404, "Diese Werte gibt es im Atlas nicht.")
        return self.cache[(name, public)]

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
            with self.reading() as src:
                if key not in self.frames:
                    self.frames[key] = values_frame(src, layer, public)
        return self.frames[key]

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

    def warm(self, wait: float = REFRESH_WAIT) -> None:
        """Build the public payloads and lookup tables ahead of the first visitors (one opening
        of the store), then move them out of the garbage collector's way (long-lived; scanning
        them caused pauses)."""
        import gc

        with self.reading(wait):
            for lay in self.meta(True)["layers"]:
                for kind in ("geo", "values"):
                    self.payload(f"{kind}/{lay['id']}", True)
                for keys in (("indicator_id", "period"), ("indicator_id", "area_id"), ("area_id",)):
                    self.groups(lay["id"], True, keys)
        gc.collect()
        gc.freeze()

    def indicator(self, iid: str, public: bool) -> dict[str, Any]:
        meta = self.meta(public)
        if iid not in meta["indicators"]:
            raise HTTPException(404, f"Den Indikator {iid!r} gibt es im Atlas nicht.")
        return meta["indicators"][iid]


def json_answer(
    request: Request, pair: tuple[bytes, bytes] | Entry, media: str = "application/json", public: bool = False
) -> Response:
    """A cached answer, gzip-packed when the client accepts it; the server's address goes in
    where a templated answer holds :data:`~planlabor.atlas.cache.BASE`."""
    if isinstance(pair, Entry):
        raw, packed, templated = pair.raw, pair.packed, pair.templated
    else:
        (raw, packed), templated = pair, False
    headers = {"Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if public and not templated:
        headers[SHAREABLE.decode()] = "1"  # FastPath may answer the same request from memory
    if templated:
        base = json.dumps(str(request.base_url).rstrip("/"))[1:-1].encode("utf-8")
        raw = raw.replace(BASE_JSON.encode(), base)
        packed = gzip.compress(raw, 5) if len(raw) > 1024 else b""
    if packed and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type=media, headers={**headers, "Content-Encoding": "gzip"})
    return Response(raw, media_type=media, headers=headers)


def num(v: Any) -> float | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    return float(v)
