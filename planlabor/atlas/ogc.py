"""OGC API – Features (Part 1 Core, Part 2 CRS) under ``/ogc``, served by pygeoapi.

pygeoapi (a maintained reference implementation of the standard) does the protocol: parameter
checks (``limit``, ``offset``, ``bbox``, ``bbox-crs``, ``crs``, ``datetime``, ``properties``,
``sortby``), paging links, collection documents with extents and CRS lists, queryables and
schema.  planlabor adds what the standard leaves to the server: a provider over precomputed
features (:mod:`planlabor.atlas.ogc_data`, values only from the shared suppressed path), a 400
for parameters the collection does not know, and answers cached as bytes per URL and view.

Routes: ``/ogc`` (landing page), ``/ogc/conformance``, ``/ogc/collections``,
``/ogc/collections/{layer}``, ``…/queryables``, ``…/schema``, ``…/items``, ``…/items/{id}``.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable
from enum import Enum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from planlabor.atlas.cache import BASE, BASE_JSON, PER_ADDRESS, SHAREABLE, ByteLRU, Entry
from planlabor.atlas.ogc_data import CRS84, EPSG, FeatureTable, build_table, crs_uri, register

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
]
ITEM_PARAMS = {
    "f",
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "properties",
    "skipGeometry",
    "sortby",
    "resulttype",
}
JSON_TYPES = {"application/json", "application/geo+json", "application/schema+json"}
_EXC = {"application/json": {"schema": {"$ref": "#/components/schemas/OgcException"}}}
OGC_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Ungültiger Parameter (OGC-Ausnahme)", "content": _EXC},
    404: {"description": "Nicht gefunden (OGC-Ausnahme)", "content": _EXC},
}


def ogc_exception_schema(spec: dict[str, Any]) -> None:
    """Add the schema of OGC exceptions to an OpenAPI description and drop FastAPI's 422 from the
    OGC routes (their parameters are checked by pygeoapi and answered with 400)."""
    spec.setdefault("components", {}).setdefault("schemas", {})["OgcException"] = {
        "title": "OGC-Ausnahme",
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "type": {"type": "string"},
            "description": {"type": "string"},
        },
        "required": ["code", "description"],
    }
    for path, ops in spec.get("paths", {}).items():
        if path.startswith("/ogc"):
            for op in ops.values():
                op.get("responses", {}).pop("422", None)


class OgcService:
    """Feature tables and pygeoapi API objects of one atlas application.

    Links are written with the placeholder :data:`~planlabor.atlas.cache.BASE` for the server's
    address (filled in when an answer is sent), so one API object per view serves every host
    name and the cache key never holds the ``Host`` header.  When the server reloads a changed
    workspace (a new answer cache in ``svc``), the tables are rebuilt too.
    """

    def __init__(self, svc: Any) -> None:
        self.svc = svc
        self.lock = threading.RLock()
        self.tables: dict[tuple[str, bool], FeatureTable | None] = {}
        self.apis: dict[bool, Any] = {}
        self._configs: dict[bool, dict[str, Any]] = {}
        self._generation = svc.responses
        self._n = 0
        # answers with the requesting address filled in, per URL and address: compressing them
        # anew for each request cost ~7 ms a page; a separate bound keeps invented host names
        # from pushing anything out of the server's own cache
        self.rendered = ByteLRU(32 << 20)

    def fresh(self) -> None:
        """Drop everything built from an older state of the workspace."""
        if self.svc.responses is not self._generation:
            with self.lock:
                if self.svc.responses is not self._generation:
                    self.tables, self.apis, self._configs = {}, {}, {}
                    self._generation = self.svc.responses
                    self.rendered = ByteLRU(self.rendered.max_bytes)
                    self._n += 1

    def key(self, layer: str, public: bool) -> str:
        return f"{id(self)}/{self._n}/{'public' if public else 'intern'}/{layer}"

    def table(self, layer: str, public: bool) -> FeatureTable | None:
        k = (layer, public)
        if k not in self.tables:
            with self.lock:
                if k not in self.tables:
                    # layer record, values and areas from the shared folder (planlabor.cache):
                    # no store opening, no wait behind another process's build lock
                    t = build_table(  # both asked only for a layer with geometry (else: None)
                        self.svc.src,
                        layer,
                        public,
                        lambda: self.svc.frame(layer, public),
                        lambda: self.svc.areas(layer),
                        info=self.svc.layer_info(layer),
                    )
                    if t is not None:
                        register(self.key(layer, public), t)
                    self.tables[k] = t
        return self.tables[k]

    def layers(self, public: bool) -> list[dict[str, Any]]:
        return [lay for lay in self.svc.meta(public)["layers"] if self.table(lay["id"], public) is not None]

    def config(self, public: bool) -> dict[str, Any]:
        """The pygeoapi configuration of the view (without the server URL)."""
        if public not in self._configs:
            src = self.svc.src
            resources = {}
            for lay in self.layers(public):
                t = self.table(lay["id"], public)
                assert t is not None
                begin, end = t.temporal()
                storage = crs_uri(t.storage_crs)
                crs = [CRS84, f"{EPSG}4326", f"{EPSG}25833", storage, crs_uri(src.crs)]
                resources[lay["id"]] = {
                    "type": "collection",
                    "links": [
                        {
                            "type": "application/schema+json",
                            "rel": "describedBy",
                            "title": "JSON-Schema der Features (Spaltentypen)",
                            "href": "{base}/collections/" + lay["id"] + "/feature-schema",
                        }
                    ],
                    "title": lay.get("plural") or lay["name"],
                    "description": f"{lay.get('plural') or lay['name']} mit den Indikatorwerten eines "
                    "Zeitraums (datetime wählt ihn; ohne datetime der neueste). "
                    + ("Öffentliche Fassung: kleine Fallzahlen gesperrt." if public else "Interne Fassung."),
                    "keywords": ["Sozialmonitoring", lay["name"]],
                    "extents": {
                        "spatial": {"bbox": t.extent(), "crs": CRS84},
                        **({"temporal": {"begin": begin, "end": end}} if begin else {}),
                    },
                    "providers": [
                        {
                            "type": "feature",
                            "name": "planlabor.atlas.ogc_data.PlanlaborProvider",
                            "data": self.key(lay["id"], public),
                            "id_field": "area_id",
                            "title_field": "area_name",
                            "time_field": "period",
                            "storage_crs": storage,
                            "crs": list(dict.fromkeys(crs)),
                        }
                    ],
                }
            self._configs[public] = {
                "server": {
                    "url": "",
                    "mimetype": "application/json; charset=UTF-8",
                    "encoding": "utf-8",
                    "languages": ["de-DE"],
                    "limits": {"default_items": 100, "max_items": 10000, "on_exceed": "throttle"},
                    "map": {"url": "", "attribution": ""},
                    "pretty_print": False,
                },
                "logging": {"level": "CRITICAL"},
                "metadata": {
                    "identification": {"title": src.title, "description": "", "keywords": []},
                    "license": {"name": "", "url": ""},
                    "provider": {"name": "planlabor", "url": ""},
                    "contact": {"name": ""},
                },
                "resources": resources,
            }
        return self._configs[public]

    def api(self, public: bool) -> Any:
        """The pygeoapi API object of a view; its links start with the address placeholder."""
        import copy

        from pygeoapi.api import API

        with self.lock:
            hit = self.apis.get(public)
            if hit is None:
                base = BASE + "/ogc"
                cfg = copy.deepcopy(self.config(public))
                cfg["server"]["url"] = base
                for res in cfg["resources"].values():
                    for link in res["links"]:
                        link["href"] = link["href"].replace("{base}", base)
                hit = API(cfg, {})
                self.apis[public] = hit
            return hit

    def warm(self) -> None:
        """Build the public feature tables with their WGS 84 geometries ahead of the first client
        (and import pygeoapi's modules: its filter grammar takes about a second)."""
        import pygeoapi.api.itemtypes  # noqa: F401

        for lay in self.svc.meta(True)["layers"]:
            t = self.table(lay["id"], True)
            if t is not None:
                t.geometries(CRS84)
                t.default_period()
        self.config(True)


def _error(status: int, code: str, text: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"code": code, "type": code, "description": text}, ensure_ascii=False)
    return status, {"Content-Type": "application/json"}, body.encode("utf-8")


def _clean_links(content: Any) -> Any:
    """Keep the JSON links only (no HTML pages: they would load scripts from the internet)."""
    if isinstance(content, dict):
        if isinstance(content.get("links"), list):
            content["links"] = [
                lk for lk in content["links"] if not isinstance(lk, dict) or lk.get("type") in JSON_TYPES
            ]
        for v in content.values():
            if isinstance(v, list):
                for x in v:
                    _clean_links(x)
    return content


def mount_ogc(app: FastAPI, svc: Any, public_view: Callable[[Request], bool]) -> OgcService:
    """Add the OGC API routes to ``app``; answers are cached per URL and view in ``svc``."""
    ogc = OgcService(svc)
    answers = _Answers(ogc, svc, public_view)
    _mount_landing(app, svc, answers)
    _mount_collections(app, answers)
    _mount_items(app, answers)
    return ogc


def _known_params(request: Request, allowed: set[str]) -> str | None:
    """The first query parameter not in ``allowed`` (or ``f`` with a format other than JSON)."""
    for name in request.query_params:
        if name not in allowed:
            return name
    f = request.query_params.get("f")
    if f not in (None, "json", "geojson"):
        return "f"
    return None


def _unknown_param() -> Response:
    """The OGC exception (400) for an unknown query parameter."""
    return Response(
        _error(400, "InvalidParameterValue", "Unbekannter Parameter.")[2],
        400,
        media_type="application/json",
    )


class _Answers:
    """The answers of the pygeoapi-backed routes: parameters checked, built once per URL and view
    (concurrent first requests wait for the one build), cached as bytes in ``svc.responses``, with
    the requesting address filled into the links and gzip when the client accepts it."""

    def __init__(self, ogc: OgcService, svc: Any, public_view: Callable[[Request], bool]) -> None:
        self.ogc, self.svc, self.public_view = ogc, svc, public_view
        self.building: dict[tuple[Any, ...], threading.Lock] = {}

    def call(
        self, request: Request, fn: Any, allowed: set[str], *args: str
    ) -> tuple[int, dict[str, str], bytes]:
        """Run the pygeoapi function ``fn`` for the request's view; return status, headers, body."""
        from pygeoapi.api import APIRequest

        pub = self.public_view(request)
        api = self.ogc.api(pub)
        bad = _known_params(request, allowed)
        if bad:
            hint = "erlaubt: " + ", ".join(sorted(allowed)) if bad != "f" else "f=json"
            return _error(400, "InvalidParameterValue", f"Unbekannter Parameter {bad!r} ({hint}).")
        req = APIRequest(request, api.locales)
        req._format = "json"
        headers, status, content = fn(api, req, *args)
        if int(status) >= 400:
            return int(status), {"Content-Type": "application/json"}, str(content).encode("utf-8")
        body = _clean_links(json.loads(content))
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
        keep = {k: v for k, v in headers.items() if k in ("Content-Type", "Content-Crs")}
        return int(status), keep, raw

    def build(self, request: Request, key: tuple[Any, ...], fn: Any, allowed: set[str], *args: str) -> Entry:
        """The cached answer for ``key``, built (and cached unless a server error) when missing."""
        # one build per URL at a time: concurrent first requests wait for it instead of repeating it
        with self.ogc.lock:
            lock = self.building.setdefault(key, threading.Lock())
        with lock:
            hit = self.svc.responses.get(key)
            if hit is None:
                status, headers, raw = self.call(request, fn, allowed, *args)
                meta: tuple[tuple[bytes, bytes], ...] = ((b":status", str(status).encode()),)
                meta += tuple((k.lower().encode(), v.encode()) for k, v in headers.items())
                hit = Entry(raw, gzip.compress(raw, 5), BASE_JSON.encode() in raw, meta)
                if status < 500:
                    self.svc.responses.put(key, hit)
        with self.ogc.lock:
            self.building.pop(key, None)
        return hit

    async def answer(self, request: Request, fn: Any, allowed: set[str], *args: str) -> Response:
        """The HTTP response for the request (from the cache, or built in a worker thread)."""
        self.ogc.fresh()
        # the key holds path and query, never the Host header (links carry the placeholder)
        key = ("ogc", self.public_view(request), request.url.path, request.url.query)
        hit = self.svc.responses.get(key)
        if hit is None:
            hit = await run_in_threadpool(self.build, request, key, fn, allowed, *args)
        head = {k.decode(): v.decode() for k, v in hit.headers}
        status = int(head.pop(":status"))
        raw, packed = hit.raw, hit.packed
        if hit.templated:  # the requesting address into the links
            base = json.dumps(str(request.base_url).rstrip("/"))[1:-1].encode("utf-8")
            rendered = self.ogc.rendered  # emptied with the answer cache when the workspace changes
            done = rendered.get((key, base))
            if done is None:
                filled = raw.replace(BASE_JSON.encode(), base)
                done = Entry(filled, gzip.compress(filled, 5))
                rendered.put((key, base), done)
            raw, packed = done.raw, done.packed
        head["Vary"] = "Accept-Encoding"
        if key[1]:  # public: FastPath may answer the same request from memory (per address)
            head[SHAREABLE.decode()] = PER_ADDRESS.decode() if hit.templated else "1"
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(packed, status, {**head, "Content-Encoding": "gzip"})
        return Response(raw, status, head)

    def item_params(self, request: Request, layer: str) -> set[str]:
        """The query parameters the items of ``layer`` accept (standard ones and its columns)."""
        self.ogc.fresh()
        t = self.ogc.table(layer, self.public_view(request))
        return ITEM_PARAMS | ({"area_id", "area_name", "parent_id", "period", *t.columns} if t else set())


_TAGS: list[str | Enum] = ["OGC API – Features"]


def _mount_landing(app: FastAPI, svc: Any, answers: _Answers) -> None:
    """Add the landing page ``/ogc`` and ``/ogc/conformance``."""
    tags = _TAGS

    @app.get("/ogc", tags=tags, summary="Landing page", responses=OGC_ERRORS)
    async def ogc_root(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        body = {
            "title": f"{svc.src.title}: OGC API – Features",
            "description": "Raumebenen mit Indikatorwerten; öffentliche Fassung mit Geheimhaltung.",
            "links": [
                {"href": f"{base}/ogc", "rel": "self", "type": "application/json", "title": "Diese Seite"},
                {
                    "href": f"{base}/api/openapi.json",
                    "rel": "service-desc",
                    "type": "application/vnd.oai.openapi+json;version=3.0",
                    "title": "API-Beschreibung",
                },
                {"href": f"{base}/api/docs", "rel": "service-doc", "type": "text/html", "title": "API-Doku"},
                {"href": f"{base}/ogc/conformance", "rel": "conformance", "type": "application/json"},
                {"href": f"{base}/ogc/collections", "rel": "data", "type": "application/json"},
            ],
        }
        if _known_params(request, {"f"}):
            return _unknown_param()
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")

    @app.get("/ogc/conformance", tags=tags, summary="Conformance", responses=OGC_ERRORS)
    async def ogc_conformance(request: Request) -> Response:
        if _known_params(request, {"f"}):
            return _unknown_param()
        return Response(json.dumps({"conformsTo": CONFORMANCE}), media_type="application/json")


def _mount_collections(app: FastAPI, answers: _Answers) -> None:
    """Add the collection documents: list, one collection, queryables, schema, feature schema."""
    tags, answer, ogc = _TAGS, answers.answer, answers.ogc

    @app.get("/ogc/collections", tags=tags, summary="Collections (Raumebenen)", responses=OGC_ERRORS)
    async def ogc_collections(request: Request) -> Response:
        from pygeoapi.api import describe_collections

        return await answer(request, describe_collections, {"f"})

    @app.get("/ogc/collections/{layer}", tags=tags, summary="Collection", responses=OGC_ERRORS)
    async def ogc_collection(request: Request, layer: str) -> Response:
        from pygeoapi.api import describe_collections

        return await answer(request, describe_collections, {"f"}, layer)

    @app.get("/ogc/collections/{layer}/queryables", tags=tags, summary="Queryables", responses=OGC_ERRORS)
    async def ogc_queryables(request: Request, layer: str) -> Response:
        from pygeoapi.api.itemtypes import get_collection_queryables

        return await answer(request, get_collection_queryables, {"f", "properties"}, layer)

    @app.get("/ogc/collections/{layer}/schema", tags=tags, summary="Schema", responses=OGC_ERRORS)
    async def ogc_schema(request: Request, layer: str) -> Response:
        from pygeoapi.api import get_collection_schema

        return await answer(request, get_collection_schema, {"f"}, layer)

    @app.get(
        "/ogc/collections/{layer}/feature-schema",
        tags=tags,
        summary="JSON-Schema eines Features (Spaltentypen für GDAL/QGIS)",
        responses=OGC_ERRORS,
    )
    async def ogc_feature_schema(request: Request, layer: str) -> Response:
        public_view = answers.public_view
        t = (
            ogc.table(layer, public_view(request))
            if layer in {x["id"] for x in ogc.layers(public_view(request))}
            else None
        )
        if t is None:
            return Response(
                _error(404, "NotFound", f"Die Raumebene {layer!r} gibt es nicht.")[2],
                404,
                media_type="application/json",
            )
        return Response(
            json.dumps(t.feature_schema(), ensure_ascii=False), media_type="application/schema+json"
        )


def _mount_items(app: FastAPI, answers: _Answers) -> None:
    """Add the features: ``/ogc/collections/{layer}/items`` and ``…/items/{area}``."""
    tags, answer = _TAGS, answers.answer

    @app.get(
        "/ogc/collections/{layer}/items",
        tags=tags,
        summary="Gebiete mit Werten eines Zeitraums",
        responses=OGC_ERRORS,
    )
    async def ogc_items(
        request: Request,
        layer: str,
        limit: str | None = None,
        offset: str | None = None,
        bbox: str | None = None,
        datetime: str | None = None,
        crs: str | None = None,
    ) -> Response:
        from pygeoapi.api.itemtypes import get_collection_items

        return await answer(request, get_collection_items, answers.item_params(request, layer), layer)

    @app.get("/ogc/collections/{layer}/items/{area}", tags=tags, summary="Ein Gebiet", responses=OGC_ERRORS)
    async def ogc_item(request: Request, layer: str, area: str, crs: str | None = None) -> Response:
        from pygeoapi.api.itemtypes import get_collection_item

        return await answer(request, get_collection_item, {"f", "crs"}, layer, area)
