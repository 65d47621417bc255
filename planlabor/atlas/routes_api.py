"""The API's frame: the OpenAPI description, German error answers and the API viewer page.

Errors are one sentence that says what is wrong (also for 422), not FastAPI's list; a store that
is being written answers 503 with ``Retry-After``; an internal error never shows its details.
"""

from __future__ import annotations

import copy
import gzip
import html
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from planlabor.atlas.cache import Entry
from planlabor.atlas.context import ServerContext
from planlabor.atlas.ogc import ogc_exception_schema
from planlabor.atlas.service import json_answer
from planlabor.errors import PlanlaborError, StoreError

log = logging.getLogger("planlabor.server")
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
ERROR_SCHEMA = {
    "title": "Fehler",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Meldung"}},
    "required": ["detail"],
}


def openapi_spec(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI description with German error answers (404, 422) on every non-OGC route."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["HTTPValidationError"] = copy.deepcopy(ERROR_SCHEMA)
    schemas.pop("ValidationError", None)
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


def install_errors(app: FastAPI) -> None:
    """German one-sentence error answers for invalid requests, a busy store and bugs."""

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


def install_docs(ctx: ServerContext) -> None:
    """``/api/docs``: Swagger UI without inline script (CSP), its script in ``/api/docs.js``;
    the OpenAPI description serialised and packed once (FastAPI's own route encodes it anew on
    every request)."""
    app = ctx.app
    url = app.openapi_url or "/api/openapi.json"
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != url]
    kept: list[Entry] = []

    @app.get(url, include_in_schema=False)
    async def openapi_json(request: Request) -> Response:
        if not kept:
            raw = json.dumps(app.openapi(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            kept.append(Entry(raw, gzip.compress(raw, 6)))
        return json_answer(request, kept[0], public=True)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE.replace("__TITLE__", html.escape(app.title)))

    @app.get("/api/docs.js", include_in_schema=False)
    def api_docs_js() -> Response:
        return Response(DOCS_JS, media_type="text/javascript")
