"""``planlabor serve``: the atlas and its API (FastAPI), public by default.

Routes (all documented in the OpenAPI description at ``/api/openapi.json``, viewer at
``/api/docs``):

- ``/`` the atlas; ``/api/atlas/meta|geo/{layer}|values/{layer}`` its payloads;
- REST/JSON: ``/api/layers``, ``/api/layers/{layer}/areas`` (GeoJSON), ``/api/indicators``,
  ``/api/indicators/{id}``, ``/api/values``, ``/api/timeseries``, ``/api/profile/{layer}/{area}``,
  ``/api/download`` (CSV, XLSX, GeoJSON of exactly one indicator, layer and period);
- OGC API – Features (Part 1 Core, Part 2 CRS) under ``/ogc``: :mod:`planlabor.atlas.ogc`
  (pygeoapi over precomputed features; QGIS and GDAL load the layers).

Every value goes through :func:`planlabor.io.export.collect_values`; the public view gets only
public indicators with suppression applied.  Payloads are built once per view and cached as
compressed bytes, so the API answers from memory.
"""

from __future__ import annotations

import functools
import gzip
import html
import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from planlabor.atlas.access import REFRESH_WAIT, REQUEST_WAIT, LiveWorkspace
from planlabor.atlas.build import STATIC_FILES, index_html, static_dir
from planlabor.atlas.cache import BASE_JSON, SHAREABLE, ByteLRU, Entry, FastPath
from planlabor.atlas.data import (
    BASEMAP_DIR,
    AtlasSource,
    dumps,
    geo_payload,
    meta_payload,
    values_frame,
    values_payload,
)
from planlabor.atlas.facilities import facilities_payload, facility_areas_payload
from planlabor.atlas.login import Login
from planlabor.atlas.login import install as install_login
from planlabor.atlas.ogc import mount_ogc, ogc_exception_schema
from planlabor.atlas.security import SecurityHeaders
from planlabor.atlas.sessions import AUTH_FILE, AuthStore
from planlabor.config import ServerSection
from planlabor.errors import PlanlaborError, StoreError

log = logging.getLogger("planlabor.server")
ID_RE = r"^[A-Za-z0-9_.\-]{1,64}$"
PERIOD_RE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
Layer = Annotated[str, Query(pattern=ID_RE, description="Raumebene, z. B. plr")]
Indicator = Annotated[str, Query(pattern=ID_RE, description="Indikator-ID")]
Period = Annotated[str, Query(pattern=PERIOD_RE, description="Zeitraum, z. B. 2024-12-31")]
AreaId = Annotated[str, Query(pattern=ID_RE, description="Gebietsschlüssel")]
SUFFIX = {"csv": ".csv", "xlsx": ".xlsx", "geojson": ".geojson"}
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
SWAGGER = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"
DOCS_PAGE = f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>__TITLE__ – API</title>
<link rel="stylesheet" href="{SWAGGER}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{SWAGGER}/swagger-ui-bundle.js"></script><script src="docs.js"></script></body></html>"""
DOCS_JS = """SwaggerUIBundle({url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout"});
"""
LayerPath = Annotated[str, PathParam(pattern=ID_RE, description="Raumebene, z. B. plr")]
AreaPath = Annotated[str, PathParam(pattern=ID_RE, description="Gebietsschlüssel")]
IndicatorPath = Annotated[str, PathParam(pattern=ID_RE, description="Indikator-ID")]


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


def _json(
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


def create_app(
    src: AtlasSource,
    internal: bool = False,
    warm: bool = False,
    secure_cookies: bool = False,
    live: LiveWorkspace | None = None,
    auth: AuthStore | None = None,
    settings: ServerSection | None = None,
) -> FastAPI:
    """The atlas application.

    Public by default.  With ``internal`` a login (users of the workspace, ``planlabor user add``)
    opens the internal view: internal indicators and unsuppressed values, for this session only.
    ``secure_cookies`` marks the session cookie HTTPS-only (behind TLS); ``warm`` builds the
    public caches in the background at start.  With ``live`` the store is opened only while an
    answer is built (``planlabor serve``; see :mod:`planlabor.atlas.access`); ``auth`` holds the
    users and sessions (default: the workspace's ``atlas-auth.sqlite``); ``settings`` the
    session lifetime, idle timeout and cache size (``[server]`` in ``planlabor.toml``).
    """
    settings = settings or ServerSection()
    svc = AtlasService(src, live, int(settings.cache_mb * (1 << 20)))
    if internal and auth is None:
        auth = AuthStore(Path(src.root or ".") / AUTH_FILE)
    login = Login(
        auth if internal else None, settings.session_hours * 3600, settings.idle_minutes * 60, secure_cookies
    )
    app = FastAPI(
        title=f"planlabor Sozialatlas – {src.title}",
        version="1",
        description="Öffentliche Indikatoren, Gebiete und Zeitreihen; kleine Fallzahlen gesperrt.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # our own page below: Swagger UI without inline script (CSP)
        redoc_url=None,
    )
    app.state.service = svc

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        spec = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        # errors are one sentence that says what is wrong (also for 422), not FastAPI's list
        spec.setdefault("components", {}).setdefault("schemas", {})["HTTPValidationError"] = {
            "title": "Fehler",
            "type": "object",
            "properties": {"detail": {"type": "string", "title": "Meldung"}},
            "required": ["detail"],
        }
        spec["components"]["schemas"].pop("ValidationError", None)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}
        ogc_exception_schema(spec)
        for path, ops in spec.get("paths", {}).items():
            if path.startswith("/ogc"):
                continue  # OGC exceptions (code, description): planlabor.atlas.ogc
            for op in ops.values():
                op.setdefault("responses", {})["404"] = {"description": "Nicht gefunden", "content": error}
                op["responses"].setdefault("422", {"description": "Ungültige Anfrage", "content": error})
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]

    app.add_middleware(FastPath, entries=lambda: svc.responses)  # inside: its answers get the headers
    app.add_middleware(SecurityHeaders, on_request=svc.check)
    install_login(app, login, src.title)
    app.state.login = login
    if internal and src.root:
        from planlabor.werkstatt import install as install_werkstatt

        app.state.werkstatt = install_werkstatt(app, login, Path(src.root))
    public_view = login.public_view

    def cached(fn: Callable[..., Any], media: str = "application/json") -> Callable[..., Any]:
        """Serialise an endpoint's answer once per parameters and view; later calls send bytes.
        The key is independent of the ``Host`` header (links carry a placeholder, see
        :mod:`planlabor.atlas.cache`); the cache is bounded in bytes."""

        def build(request: Request, key: tuple[Any, ...], kw: dict[str, Any]) -> Entry:
            raw = dumps(fn(request=request, **kw)).encode("utf-8")
            return svc.remember(key, raw, gzip.compress(raw, 5))

        @functools.wraps(fn)
        async def wrapper(request: Request, **kw: Any) -> Response:
            # answered in the event loop when cached; built in a worker thread otherwise
            key = (fn.__name__, public_view(request), tuple(sorted(kw.items())))
            entry = svc.responses.get(key)
            if entry is None:
                entry = await run_in_threadpool(build, request, key, kw)
            return _json(request, entry, media, public=key[1])

        return wrapper

    async def _payload(request: Request, name: str) -> Response:
        pub = public_view(request)
        pair = svc.cache.get((name, pub))
        if pair is None:
            pair = await run_in_threadpool(svc.payload, name, pub)
        return _json(request, pair, public=pub)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(x) for x in e.get('loc', [])[1:])}: {e.get('msg', '')}" for e in exc.errors()
        ]
        return JSONResponse({"detail": "Ungültige Anfrage: " + "; ".join(problems)}, status_code=422)

    @app.exception_handler(StoreError)
    async def _busy(request: Request, exc: StoreError) -> JSONResponse:
        log.warning("Speicher nicht lesbar: %s", exc.detail or exc.message)
        return JSONResponse(
            {"detail": "Die Daten werden gerade aktualisiert. Bitte in einer Minute erneut versuchen."},
            status_code=503,
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(PlanlaborError)
    async def _planlabor(request: Request, exc: PlanlaborError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=404 if "gibt es" in exc.message else 400)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.error("Interner Fehler bei %s", request.url.path, exc_info=exc)
        return JSONResponse(
            {"detail": "Interner Fehler. Die Einzelheiten stehen im Protokoll des Servers."}, 500
        )

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE.replace("__TITLE__", html.escape(app.title)))

    @app.get("/api/docs.js", include_in_schema=False)
    def api_docs_js() -> Response:
        return Response(DOCS_JS, media_type="text/javascript")

    # ---------------------------------------------------------------- atlas
    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(index_html(src.title, "server"), headers={"Cache-Control": "no-cache"})

    for name in STATIC_FILES:
        path = static_dir() / name

        def _file(path: Path = path) -> FileResponse:
            return FileResponse(path, headers={"Cache-Control": "no-cache"})

        app.get(f"/{name}", include_in_schema=False)(_file)
    app.mount("/vendor", StaticFiles(directory=static_dir() / "vendor"), name="vendor")
    if src.root is not None and (Path(src.root) / BASEMAP_DIR).is_dir():
        app.mount("/basemap", StaticFiles(directory=Path(src.root) / BASEMAP_DIR), name="basemap")

    @app.get("/api/atlas/meta", tags=["Atlas"], summary="Fachthemen, Indikatoren, Raumebenen")
    async def atlas_meta(request: Request) -> Response:
        return await _payload(request, "meta")

    @app.get("/api/atlas/geo/{layer}", tags=["Atlas"], summary="Gebiete einer Ebene (GeoJSON, WGS 84)")
    async def atlas_geo(request: Request, layer: LayerPath) -> Response:
        return await _payload(request, f"geo/{layer}")

    @app.get("/api/atlas/values/{layer}", tags=["Atlas"], summary="Alle Werte einer Ebene")
    async def atlas_values(request: Request, layer: LayerPath) -> Response:
        return await _payload(request, f"values/{layer}")

    @app.get("/api/atlas/facilities", tags=["Atlas"], summary="Einrichtungen als Punkte (GeoJSON, WGS 84)")
    async def atlas_facilities(request: Request) -> Response:
        return await _payload(request, "facilities")

    @app.get("/api/atlas/facility_areas/{layer}", tags=["Atlas"], summary="Gebiet jeder Einrichtung")
    async def atlas_facility_areas(request: Request, layer: LayerPath) -> Response:
        return await _payload(request, f"facility_areas/{layer}")

    # ---------------------------------------------------------------- REST
    @app.get("/api/layers", tags=["API"], summary="Raumebenen")
    @cached
    def layers(request: Request) -> list[dict[str, Any]]:
        return svc.meta(public_view(request))["layers"]

    @app.get("/api/layers/{layer}/areas", tags=["API"], summary="Gebiete als GeoJSON")
    async def areas(request: Request, layer: LayerPath) -> Response:
        return await _payload(request, f"geo/{layer}")

    @app.get("/api/indicators", tags=["API"], summary="Indikatoren mit Definition und Quelle")
    @cached
    def indicators(request: Request, theme: str | None = None) -> list[dict[str, Any]]:
        meta = svc.meta(public_view(request))
        return [{"id": k, **v} for k, v in meta["indicators"].items() if theme is None or v["theme"] == theme]

    @app.get("/api/indicators/{indicator}", tags=["API"], summary="Ein Indikator")
    @cached
    def indicator(request: Request, indicator: IndicatorPath) -> dict[str, Any]:
        return {"id": indicator, **svc.indicator(indicator, public_view(request))}

    @app.get("/api/values", tags=["API"], summary="Werte eines Indikators je Gebiet")
    @cached
    def values(request: Request, layer: Layer, indicator: Indicator, period: Period) -> dict[str, Any]:
        pub = public_view(request)
        svc.indicator(indicator, pub)
        sel = svc.groups(layer, pub, ("indicator_id", "period")).get((indicator, period))
        if sel is None or sel.empty:
            raise HTTPException(404, f"Für {indicator} gibt es auf {layer} am {period} keine Werte.")
        return {
            "layer": layer,
            "indicator": indicator,
            "period": period,
            "values": [
                {"area_id": a, "name": n, "value": _num(v), "flag": f if isinstance(f, str) else None}
                for a, n, v, f in zip(
                    sel["area_id"], sel["area_name"], sel["value"], sel["flag"], strict=True
                )
            ],
        }

    @app.get("/api/timeseries", tags=["API"], summary="Zeitreihe eines Gebiets")
    @cached
    def timeseries(request: Request, layer: Layer, indicator: Indicator, area: AreaId) -> dict[str, Any]:
        pub = public_view(request)
        svc.indicator(indicator, pub)
        sel = svc.groups(layer, pub, ("indicator_id", "area_id")).get((indicator, area))
        if sel is None or sel.empty:
            raise HTTPException(404, f"Für das Gebiet {area!r} gibt es keine Werte von {indicator}.")
        return {
            "layer": layer,
            "indicator": indicator,
            "area_id": area,
            "series": [
                {"period": p, "value": _num(v), "flag": f if isinstance(f, str) else None}
                for p, v, f in sorted(zip(sel["period"], sel["value"], sel["flag"], strict=True))
            ],
        }

    @app.get("/api/profile/{layer}/{area}", tags=["API"], summary="Profil: alle Indikatoren eines Gebiets")
    @cached
    def profile(
        request: Request, layer: LayerPath, area: AreaPath, period: Period | None = None
    ) -> dict[str, Any]:
        pub = public_view(request)
        sel = svc.groups(layer, pub, ("area_id",)).get(area)
        if sel is None or sel.empty:
            raise HTTPException(404, f"Das Gebiet {area!r} gibt es auf {layer!r} nicht.")
        meta = svc.meta(pub)["indicators"]
        out = []
        for iid, grp in sel.groupby("indicator_id", sort=False):
            if iid not in meta:
                continue
            grp = grp.sort_values("period")
            if period:
                grp = grp[grp["period"] <= period] if (grp["period"] <= period).any() else grp
            last = grp.iloc[-1]
            out.append(
                {
                    "indicator": iid,
                    "name": meta[iid]["name"],
                    "theme": meta[iid]["theme"],
                    "period": last["period"],
                    "value": _num(last["value"]),
                    "flag": last["flag"] if isinstance(last["flag"], str) else None,
                }
            )
        return {"layer": layer, "area_id": area, "name": str(sel["area_name"].iloc[0]), "indicators": out}

    def _download(pub: bool, layer: str, indicator: str, period: str, format: str) -> Entry:
        from planlabor.io.export import ExportOptions, export

        svc.indicator(indicator, pub)
        svc._check_layer(layer, pub)
        with tempfile.TemporaryDirectory() as tmp, svc.reading() as now:
            out = Path(tmp) / f"export{SUFFIX[format]}"
            opts = ExportOptions(
                layer=layer,
                out=out,
                format=format,  # type: ignore[arg-type]
                indicators=[indicator],
                periods=[period],
                public=pub,
                csv_style="excel-de",
            )
            export(now.store, now.catalog, now.rules, opts, {"workspace": now.title, "software": "planlabor"})
            content = out.read_bytes()
        packed = gzip.compress(content, 5) if format != "xlsx" else b""  # XLSX is a zip already
        return svc.remember(("download", pub, layer, indicator, period, format), content, packed)

    @app.get("/api/download", tags=["API"], summary="Download des Angezeigten (CSV, XLSX, GeoJSON)")
    async def download(
        request: Request,
        layer: Layer,
        indicator: Indicator,
        period: Period,
        format: Annotated[str, Query(pattern="^(csv|xlsx|geojson)$")] = "csv",
    ) -> Response:
        pub = public_view(request)
        entry = svc.responses.get(("download", pub, layer, indicator, period, format))
        if entry is None:
            entry = await run_in_threadpool(_download, pub, layer, indicator, period, format)
        name = f"{indicator}_{layer}_{period}{SUFFIX[format]}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-cache"}
        if pub:
            headers[SHAREABLE.decode()] = "1"
        if entry.packed and "gzip" in request.headers.get("accept-encoding", ""):
            headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
            return Response(entry.packed, media_type=MEDIA[format], headers=headers)
        return Response(entry.raw, media_type=MEDIA[format], headers=headers)

    # ---------------------------------------------------------------- OGC API – Features
    ogc = app.state.ogc = mount_ogc(app, svc, public_view)
    if warm:

        def _warm() -> None:
            ogc.warm()
            svc.warm()

        threading.Thread(target=_warm, name="atlas-warm", daemon=True).start()

    from planlabor.atlas.network_api import mount_network  # street network, internal view only

    mount_network(app)
    __import__("planlabor.atlas.groups_api", fromlist=["x"]).mount_groups(app)  # area groups (internal)
    return app


def _num(v: Any) -> float | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    return float(v)
