"""``planlabor serve``: the atlas and its API (FastAPI), public by default.

Routes (all documented in the OpenAPI description at ``/api/openapi.json``, viewer at
``/api/docs``):

- ``/`` the atlas; ``/api/atlas/meta|geo/{layer}|values/{layer}`` its payloads;
- REST/JSON: ``/api/layers``, ``/api/layers/{layer}/areas`` (GeoJSON), ``/api/indicators``,
  ``/api/indicators/{id}``, ``/api/values``, ``/api/timeseries``, ``/api/profile/{layer}/{area}``,
  ``/api/download`` (CSV, XLSX, GeoJSON of exactly one indicator, layer and period);
- OGC API – Features: ``/ogc``, ``/ogc/conformance``, ``/ogc/collections``,
  ``/ogc/collections/{layer}``, ``/ogc/collections/{layer}/items`` (QGIS loads them as a layer).

Every value goes through :func:`planlabor.io.export.collect_values`; the public view gets only
public indicators with suppression applied.  Payloads are built once per view and cached as
compressed bytes, so the API answers from memory.
"""

from __future__ import annotations

import functools
import gzip
import hmac
import html
import secrets
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from planlabor.atlas.auth import ROLES, Throttle, secret_key, verify
from planlabor.atlas.build import index_html, static_dir
from planlabor.atlas.data import (
    BASEMAP_DIR,
    AtlasSource,
    dumps,
    geo_payload,
    meta_payload,
    values_frame,
    values_payload,
)
from planlabor.errors import PlanlaborError

ID_RE = r"^[A-Za-z0-9_.\-]{1,64}$"
RESPONSE_CACHE = 20_000  # serialised answers kept in memory (a few KB each)
PERIOD_RE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
Layer = Annotated[str, Query(pattern=ID_RE, description="Raumebene, z. B. plr")]
Indicator = Annotated[str, Query(pattern=ID_RE, description="Indikator-ID")]
Period = Annotated[str, Query(pattern=PERIOD_RE, description="Zeitraum, z. B. 2024-12-31")]
AreaId = Annotated[str, Query(pattern=ID_RE, description="Gebietsschlüssel")]
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
    """Cached payloads of one workspace, per view (public or internal)."""

    def __init__(self, src: AtlasSource) -> None:
        self.src = src
        self.lock = threading.RLock()
        self.cache: dict[tuple[str, bool], tuple[bytes, bytes]] = {}
        self.frames: dict[tuple[str, bool], pd.DataFrame] = {}
        self.grouped: dict[tuple[str, bool, tuple[str, ...]], _Groups] = {}
        self.responses: OrderedDict[tuple[Any, ...], tuple[bytes, bytes]] = OrderedDict()
        self._meta: dict[bool, dict[str, Any]] = {}

    def remember(self, key: tuple[Any, ...], pair: tuple[bytes, bytes]) -> None:
        with self.lock:
            self.responses[key] = pair
            while len(self.responses) > RESPONSE_CACHE:
                self.responses.popitem(last=False)

    def payload(self, name: str, public: bool) -> tuple[bytes, bytes]:
        key = (name, public)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        with self.lock:
            if key in self.cache:
                return self.cache[key]
            kind, _, layer = name.partition("/")
            if kind == "meta":
                data: dict[str, Any] = meta_payload(self.src, public)
            elif kind == "geo":
                self._check_layer(layer, public)
                data = geo_payload(self.src, layer)
            elif kind == "values":
                self._check_layer(layer, public)
                data = values_payload(self.src, layer, public)
            else:  # pragma: no cover - routes only ask for the three kinds
                raise HTTPException(404, "Unbekannte Daten.")
            raw = dumps(data).encode("utf-8")
            self.cache[key] = (raw, gzip.compress(raw, 6))
            return self.cache[key]

    def meta(self, public: bool) -> dict[str, Any]:
        import json

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
            with self.lock:
                self.frames[key] = values_frame(self.src, layer, public)
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

    def warm(self) -> None:
        """Build the public payloads and lookup tables ahead of the first visitors, then move
        them out of the garbage collector's way (long-lived; scanning them caused pauses)."""
        import gc

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


def _json(request: Request, pair: tuple[bytes, bytes]) -> Response:
    raw, packed = pair
    headers = {"Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            packed, media_type="application/json", headers={**headers, "Content-Encoding": "gzip"}
        )
    return Response(raw, media_type="application/json", headers=headers)


def create_app(
    src: AtlasSource, internal: bool = False, warm: bool = False, secure_cookies: bool = False
) -> FastAPI:
    """The atlas application.

    Public by default.  With ``internal`` a login (users of the workspace, ``planlabor user add``)
    opens the internal view: internal indicators and unsuppressed values, for this session only.
    ``secure_cookies`` marks the session cookie HTTPS-only (behind TLS); ``warm`` builds the
    public caches in the background at start.
    """
    svc = AtlasService(src)
    if warm:
        threading.Thread(target=svc.warm, name="atlas-warm", daemon=True).start()
    app = FastAPI(
        title=f"planlabor Sozialatlas – {src.title}",
        version="1",
        description="Öffentliche Indikatoren, Gebiete und Zeitreihen; kleine Fallzahlen gesperrt.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
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
        for ops in spec.get("paths", {}).values():
            for op in ops.values():
                op.setdefault("responses", {})["404"] = {"description": "Nicht gefunden", "content": error}
                op["responses"].setdefault("422", {"description": "Ungültige Anfrage", "content": error})
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]

    throttle = Throttle()
    if internal:
        from starlette.middleware.sessions import SessionMiddleware

        app.add_middleware(
            SessionMiddleware,
            secret_key=secret_key(src.root or Path(".")),
            session_cookie="planlabor_session",
            max_age=8 * 3600,
            same_site="strict",
            https_only=secure_cookies,
        )

    def public_view(request: Request) -> bool:
        if not internal:
            return True
        return request.session.get("role") not in ROLES

    def csrf_token(request: Request) -> str:
        tok = request.session.get("csrf")
        if not tok:
            tok = secrets.token_urlsafe(32)
            request.session["csrf"] = tok
        return str(tok)

    def check_csrf(request: Request, sent: str) -> None:
        origin = request.headers.get("origin")
        if origin and origin != "null" and origin.rstrip("/") != str(request.base_url).rstrip("/"):
            raise HTTPException(403, "Anfrage von fremder Herkunft abgelehnt.")
        tok = request.session.get("csrf")
        if not tok or not hmac.compare_digest(str(tok), sent or ""):
            raise HTTPException(
                403, "Sicherheitsmerkmal (CSRF) fehlt oder ist falsch. Laden Sie die Seite neu."
            )

    @app.get("/api/session", tags=["Anmeldung"], summary="Angemeldete Person und CSRF-Merkmal")
    async def session_info(request: Request) -> dict[str, Any]:
        if not internal:
            return {"internal_mode": False, "user": None, "role": None, "csrf": None}
        return {
            "internal_mode": True,
            "user": request.session.get("user"),
            "role": request.session.get("role"),
            "csrf": csrf_token(request),
        }

    if internal:

        @app.get("/login", include_in_schema=False)
        async def login_form(request: Request, fehler: str | None = None) -> HTMLResponse:
            return HTMLResponse(_login_page(src.title, csrf_token(request), fehler))

        @app.post("/login", include_in_schema=False)
        async def login(request: Request) -> Response:
            form = await request.form()
            check_csrf(request, str(form.get("csrf", "")))
            name = str(form.get("username", ""))[:64]
            password = str(form.get("password", ""))[:1024]
            client = request.client.host if request.client else "?"
            keys = (f"user:{name.lower()}", f"ip:{client}")
            wait = throttle.wait(*keys)
            if wait > 0:
                return HTMLResponse(
                    _login_page(
                        src.title,
                        csrf_token(request),
                        f"Zu viele Fehlversuche. Bitte {int(wait) + 1} s warten.",
                    ),
                    status_code=429,
                    headers={"Retry-After": str(int(wait) + 1)},
                )
            role = await run_in_threadpool(verify, src.store, name, password)
            if role is None:
                throttle.fail(*keys)
                return HTMLResponse(
                    _login_page(src.title, csrf_token(request), "Benutzername oder Passwort ist falsch."),
                    status_code=401,
                )
            throttle.success(*keys)
            request.session.clear()  # no session fixation: a fresh session with a fresh token
            request.session.update({"user": name, "role": role, "csrf": secrets.token_urlsafe(32)})
            return RedirectResponse("/", status_code=303)

        @app.post("/logout", include_in_schema=False)
        async def logout(request: Request) -> Response:
            form = await request.form()
            check_csrf(request, str(form.get("csrf", "")))
            request.session.clear()
            return RedirectResponse("/", status_code=303)

    def cached(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Serialise an endpoint's answer once per parameters and view; later calls send bytes."""

        def build(request: Request, key: tuple[Any, ...], kw: dict[str, Any]) -> tuple[bytes, bytes]:
            raw = dumps(fn(request=request, **kw)).encode("utf-8")
            pair = (raw, gzip.compress(raw, 5))
            svc.remember(key, pair)
            return pair

        @functools.wraps(fn)
        async def wrapper(request: Request, **kw: Any) -> Response:
            # answered in the event loop when cached; built in a worker thread otherwise
            key = (fn.__name__, public_view(request), str(request.base_url), tuple(sorted(kw.items())))
            pair = svc.responses.get(key)
            if pair is None:
                pair = await run_in_threadpool(build, request, key, kw)
            return _json(request, pair)

        return wrapper

    async def _payload(request: Request, name: str) -> Response:
        pub = public_view(request)
        pair = svc.cache.get((name, pub))
        if pair is None:
            pair = await run_in_threadpool(svc.payload, name, pub)
        return _json(request, pair)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(x) for x in e.get('loc', [])[1:])}: {e.get('msg', '')}" for e in exc.errors()
        ]
        return JSONResponse({"detail": "Ungültige Anfrage: " + "; ".join(problems)}, status_code=422)

    @app.exception_handler(PlanlaborError)
    async def _planlabor(request: Request, exc: PlanlaborError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=404 if "gibt es" in exc.message else 400)

    # ---------------------------------------------------------------- atlas
    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(index_html(src.title, "server"), headers={"Cache-Control": "no-cache"})

    for name in ("atlas.js", "atlas.css"):
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

    @app.get("/api/download", tags=["API"], summary="Download des Angezeigten (CSV, XLSX, GeoJSON)")
    def download(
        request: Request,
        layer: Layer,
        indicator: Indicator,
        period: Period,
        format: Annotated[str, Query(pattern="^(csv|xlsx|geojson)$")] = "csv",
    ) -> Response:
        from planlabor.io.export import ExportOptions, export

        pub = public_view(request)
        svc.indicator(indicator, pub)
        svc._check_layer(layer, pub)
        suffix = {"csv": ".csv", "xlsx": ".xlsx", "geojson": ".geojson"}[format]
        with tempfile.TemporaryDirectory() as tmp, svc.lock:
            out = Path(tmp) / f"{indicator}_{layer}_{period}{suffix}"
            export(
                src.store,
                src.catalog,
                src.rules,
                ExportOptions(
                    layer=layer,
                    out=out,
                    format=format,  # type: ignore[arg-type]
                    indicators=[indicator],
                    periods=[period],
                    public=pub,
                    csv_style="excel-de",
                ),
                {"workspace": src.title, "software": "planlabor"},
            )
            content = out.read_bytes()
        media = {
            "csv": "text/csv; charset=utf-8",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "geojson": "application/geo+json",
        }[format]
        return Response(
            content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{out.name}"'}
        )

    # ---------------------------------------------------------------- OGC API – Features
    @app.get("/ogc", tags=["OGC API – Features"], summary="Landing page")
    @cached
    def ogc_root(request: Request) -> dict[str, Any]:
        base = str(request.base_url).rstrip("/")
        return {
            "title": app.title,
            "links": [
                {"href": f"{base}/ogc", "rel": "self", "type": "application/json"},
                {
                    "href": f"{base}/api/openapi.json",
                    "rel": "service-desc",
                    "type": "application/vnd.oai.openapi+json;version=3.0",
                },
                {"href": f"{base}/ogc/conformance", "rel": "conformance", "type": "application/json"},
                {"href": f"{base}/ogc/collections", "rel": "data", "type": "application/json"},
            ],
        }

    @app.get("/ogc/conformance", tags=["OGC API – Features"], summary="Conformance")
    @cached
    def ogc_conformance(request: Request) -> dict[str, Any]:
        return {
            "conformsTo": [
                "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
                "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
            ]
        }

    def _collection(base: str, lay: dict[str, Any]) -> dict[str, Any]:
        href = f"{base}/ogc/collections/{lay['id']}"
        return {
            "id": lay["id"],
            "title": lay["name"],
            "itemType": "feature",
            "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
            "links": [
                {"href": href, "rel": "self", "type": "application/json"},
                {"href": f"{href}/items", "rel": "items", "type": "application/geo+json"},
            ],
        }

    @app.get("/ogc/collections", tags=["OGC API – Features"], summary="Collections (Raumebenen)")
    @cached
    def ogc_collections(request: Request) -> dict[str, Any]:
        base = str(request.base_url).rstrip("/")
        lays = svc.meta(public_view(request))["layers"]
        return {"collections": [_collection(base, lay) for lay in lays], "links": []}

    @app.get("/ogc/collections/{layer}", tags=["OGC API – Features"], summary="Collection")
    @cached
    def ogc_collection(request: Request, layer: LayerPath) -> dict[str, Any]:
        base = str(request.base_url).rstrip("/")
        for lay in svc.meta(public_view(request))["layers"]:
            if lay["id"] == layer:
                return _collection(base, lay)
        raise HTTPException(404, f"Die Raumebene {layer!r} gibt es im Atlas nicht.")

    @app.get("/ogc/collections/{layer}/items", tags=["OGC API – Features"], summary="Gebiete mit Werten")
    def ogc_items(
        request: Request,
        layer: LayerPath,
        period: Period | None = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
        offset: Annotated[int, Query(ge=0)] = 0,
        bbox: Annotated[
            str | None,
            Query(
                pattern=r"^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$",
                description="minLon,minLat,maxLon,maxLat (CRS84)",
            ),
        ] = None,
    ) -> Response:
        import json

        pub = public_view(request)
        geo = json.loads(svc.payload(f"geo/{layer}", pub)[0])
        if bbox:
            x0, y0, x1, y1 = (float(v) for v in bbox.split(","))
            if x0 > x1 or y0 > y1:
                raise HTTPException(422, "bbox: erwartet minLon,minLat,maxLon,maxLat mit min ≤ max.")
            geo["features"] = [
                f for f in geo["features"] if _intersects(_bounds(f["geometry"]), (x0, y0, x1, y1))
            ]
        df = svc.frame(layer, pub)
        if period is None:
            periods = sorted(p for p in df["period"].unique() if p <= pd.Timestamp.now().strftime("%Y-%m-%d"))
            period = periods[-1] if periods else None
        sel = df[df["period"] == period] if period else df.iloc[0:0]
        wide = sel.pivot_table(index="area_id", columns="indicator_id", values="value", aggfunc="first")
        feats = geo["features"][offset : offset + limit]
        for f in feats:
            row = wide.loc[f["id"]] if f["id"] in wide.index else None
            if row is not None:
                f["properties"].update({k: _num(v) for k, v in row.items()})
            f["properties"]["period"] = period
        body = {
            "type": "FeatureCollection",
            "numberMatched": len(geo["features"]),
            "numberReturned": len(feats),
            "features": feats,
            "links": [],
        }
        return Response(dumps(body), media_type="application/geo+json")

    from planlabor.atlas.network_api import mount_network  # street network, internal view only

    mount_network(app, src, public_view, check_csrf)
    return app


def _bounds(geom: dict[str, Any]) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []

    def walk(c: Any) -> None:
        if isinstance(c[0], int | float):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for part in c:
                walk(part)

    walk(geom["coordinates"])
    return min(xs), min(ys), max(xs), max(ys)


def _intersects(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _num(v: Any) -> float | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    return float(v)


def _login_page(title: str, csrf: str, error: str | None) -> str:
    msg = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Anmelden – {html.escape(title)}</title><link rel="stylesheet" href="atlas.css"></head>
<body class="login"><main id="main" class="login-box">
<h1>Interne Ansicht: {html.escape(title)}</h1>{msg}
<form method="post" action="login">
<input type="hidden" name="csrf" value="{html.escape(csrf)}">
<div class="field"><label for="username">Benutzername</label>
<input id="username" name="username" autocomplete="username" required maxlength="64"></div>
<div class="field"><label for="password">Passwort</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></div>
<button type="submit">Anmelden</button> <a href="./">Zurück zum öffentlichen Atlas</a>
</form></main></body></html>"""
