"""The atlas page, its files and its payloads (``/``, ``/vendor``, ``/basemap``, ``/api/atlas/…``)."""

from __future__ import annotations

import gzip
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from planlabor.atlas.build import STATIC_FILES, index_html, static_dir, tiled_layers
from planlabor.atlas.cache import Entry
from planlabor.atlas.context import ServerContext
from planlabor.atlas.data import BASEMAP_DIR
from planlabor.atlas.service import json_answer

ID_RE = r"^[A-Za-z0-9_.\-]{1,64}$"
LayerPath = Annotated[str, PathParam(pattern=ID_RE, description="Raumebene, z. B. plr")]
IndicatorPath = Annotated[str, PathParam(pattern=ID_RE, description="Indikator-ID")]
PeriodPath = Annotated[
    str, PathParam(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", description="Zeitraum, z. B. 2024-12-31")
]

ZoomPath = Annotated[int, PathParam(ge=0, le=22, description="Zoomstufe, z. B. 5")]
TilePath = Annotated[int, PathParam(ge=0, description="Kachelspalte bzw. -zeile")]
VersionPath = Annotated[
    str, PathParam(pattern=r"^[0-9a-f]{1,32}$", description="Version der Kacheln (aus dem Verzeichnis)")
]
MVT = "application/vnd.mapbox-vector-tile"
IMMUTABLE = "max-age=31536000, immutable"  # a tile's address names its build: never changes


def install_files(ctx: ServerContext) -> None:
    """The atlas page, its script and style files, the vendored libraries and the basemap.
    Page and files are read and gzip-packed once, then sent from memory (public: FastPath
    answers repeats before routing, with an ETag for ``304``)."""
    app, src = ctx.app, ctx.src
    kept: dict[str, Entry] = {}

    def answer(request: Request, name: str, media: str, make: Callable[[], bytes]) -> Response:
        entry = kept.get(name)
        if entry is None:
            raw = make()
            entry = kept[name] = Entry(raw, gzip.compress(raw, 6))
        return json_answer(request, entry, media, public=True)

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        try:  # only a hint for the early requests: the page reads the metadata anyway
            tiled, known = tiled_layers(ctx.svc.meta(True)), True
        except Exception:  # e.g. the store busy: the page still works without the hint
            tiled, known = [], False
        raw = index_html(src.title, "server", tiled).encode("utf-8")
        # kept by FastPath (emptied when the workspace changes) only with the hint
        page = Entry(raw, gzip.compress(raw, 6))
        return json_answer(request, page, "text/html; charset=utf-8", public=known)

    for name in STATIC_FILES:
        path = static_dir() / name
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        media += "; charset=utf-8" if media.startswith("text/") else ""

        async def _file(request: Request, path: Path = path, media: str = media) -> Response:
            return answer(request, path.name, media, path.read_bytes)

        app.get(f"/{name}", include_in_schema=False)(_file)
    app.mount("/vendor", StaticFiles(directory=static_dir() / "vendor"), name="vendor")
    if src.root is not None and (Path(src.root) / BASEMAP_DIR).is_dir():
        app.mount("/basemap", StaticFiles(directory=Path(src.root) / BASEMAP_DIR), name="basemap")


def install(ctx: ServerContext) -> None:
    """The payloads the atlas page loads, built once per view."""
    app, payload = ctx.app, ctx.payload

    @app.get("/api/atlas/meta", tags=["Atlas"], summary="Fachthemen, Indikatoren, Raumebenen")
    async def atlas_meta(request: Request) -> Response:
        return await payload(request, "meta")

    @app.get("/api/atlas/geo/{layer}", tags=["Atlas"], summary="Gebiete einer Ebene (GeoJSON, WGS 84)")
    async def atlas_geo(request: Request, layer: LayerPath) -> Response:
        return await payload(request, f"geo/{layer}")

    @app.get("/api/atlas/values/{layer}", tags=["Atlas"], summary="Alle Werte einer Ebene")
    async def atlas_values(request: Request, layer: LayerPath) -> Response:
        return await payload(request, f"values/{layer}")

    @app.get(
        "/api/atlas/values/{layer}/{indicator}/{period}",
        tags=["Atlas"],
        summary="Werte eines Indikators und Zeitraums (große Ebenen)",
    )
    async def atlas_values_part(
        request: Request, layer: LayerPath, indicator: IndicatorPath, period: PeriodPath
    ) -> Response:
        return await payload(request, f"values/{layer}/{indicator}/{period}")

    @app.get("/api/atlas/geofine/{layer}", tags=["Atlas"], summary="Gebiete einer großen Ebene, genau")
    async def atlas_geo_fine(request: Request, layer: LayerPath) -> Response:
        return await payload(request, f"geofine/{layer}")

    @app.get(
        "/api/atlas/tiles/{layer}", tags=["Atlas"], summary="Vektorkacheln einer großen Ebene: Verzeichnis"
    )
    async def atlas_tiles(request: Request, layer: LayerPath) -> Response:
        return await payload(request, f"tiles/{layer}")

    install_tiles(ctx)

    @app.get("/api/atlas/facilities", tags=["Atlas"], summary="Einrichtungen als Punkte (GeoJSON, WGS 84)")
    async def atlas_facilities(request: Request) -> Response:
        return await payload(request, "facilities")

    @app.get("/api/atlas/facility_areas/{layer}", tags=["Atlas"], summary="Gebiet jeder Einrichtung")
    async def atlas_facility_areas(request: Request, layer: LayerPath) -> Response:
        return await payload(request, f"facility_areas/{layer}")


def install_tiles(ctx: ServerContext) -> None:
    """Single vector tiles under an address with their build's version, cached for a year;
    the unversioned form of earlier versions is not found (in German, as every 404)."""
    app = ctx.app

    @app.get(
        "/api/atlas/tiles/{layer}/{version}/{zoom}/{x}/{y}",
        tags=["Atlas"],
        summary="Eine Vektorkachel einer großen Ebene (MVT; Version aus dem Verzeichnis)",
        response_class=Response,
        responses={200: {"description": "Die Kachel (leer, wo kein Gebiet liegt)", "content": {MVT: {}}}},
    )
    async def atlas_tile(
        request: Request, layer: LayerPath, version: VersionPath, zoom: ZoomPath, x: TilePath, y: TilePath
    ) -> Response:
        pub = ctx.public_view(request)
        pair = await run_in_threadpool(ctx.svc.tile, layer, version, zoom, x, y, pub)
        cache = f"{'public' if pub else 'private'}, {IMMUTABLE}"
        return json_answer(request, pair, MVT, public=pub, cache=cache)

    @app.get("/api/atlas/tiles/{layer}/{rest:path}", include_in_schema=False)
    async def atlas_tiles_unknown(layer: str, rest: str) -> Response:  # e.g. unversioned, as before
        raise HTTPException(
            404,
            "Vektorkacheln gibt es nur unter ihrer Version: /api/atlas/tiles/<Ebene>/<Version>/<z>/<x>/<y>. "
            f"Lösung: /api/atlas/tiles/{layer} nennt die Version.",
        )
