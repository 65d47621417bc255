"""The Werkstatt page *Raumebenen*: the layers with their hierarchy; upload geometries (zipped
Shapefile, GeoPackage, GeoJSON), pick key and name columns, validity dates and the hierarchy (key
prefix, column, spatial) with a map preview, import (:func:`planlabor.app.areas.import_geometries`);
build a layer from another by key prefix (Länder from Kreise) — a job over
:func:`planlabor.app.areas.dissolve`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from planlabor.app import areas as app_areas
from planlabor.errors import InputError, PlanlaborError
from planlabor.werkstatt.daten import keep, kept

if TYPE_CHECKING:
    from planlabor.werkstatt.web import Werkstatt

LAYER_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FORM_KEYS = ("layer", "layer_name", "id_column", "name_column", "valid_from", "valid_to", "hierarchy",
             "parent_layer", "parent_prefix", "parent_column")  # fmt: skip


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    app = shop.app

    async def show(request: Request, status: int = 200, **context: object) -> Response:
        layers = await shop.run(app_areas.layers, shop.root)
        return shop.page(
            request, "raumebenen.html", status, layers=layers, hierarchy=app_areas.HIERARCHY, **context
        )

    @app.get("/werkstatt/raumebenen", include_in_schema=False)
    async def raumebenen(request: Request) -> Response:
        shop.user(request)
        return await show(request)

    install_upload(shop, show)

    @app.post("/werkstatt/raumebenen/zusammenfassen", include_in_schema=False)
    async def zusammenfassen(request: Request) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        layer, into = str(form.get("layer") or ""), str(form.get("into") or "").strip()
        name = str(form.get("layer_name") or "").strip() or None
        try:
            if not LAYER_ID.match(into):
                raise InputError(
                    f"Die ID {into!r} der neuen Raumebene ist nicht zulässig.",
                    column="into",
                    expected="Kleinbuchstaben, Ziffern und _ , z. B. land",
                )
            prefix = int(str(form.get("key_prefix") or "0"))
            if prefix < 1:
                raise InputError("Die Schlüssellänge fehlt.", column="key_prefix", expected="eine Zahl wie 2")
        except (PlanlaborError, ValueError) as exc:
            err = exc if isinstance(exc, PlanlaborError) else InputError("Die Schlüssellänge ist keine Zahl.")
            return await show(request, 422, error=err)
        job = shop.jobs.start(
            "dissolve", s.user, app_areas.dissolve, shop.root, layer, into, prefix, layer_name=name, by=s.user
        )
        return RedirectResponse(f"/werkstatt/auftrag/{job}", status_code=303)


def install_upload(shop: Werkstatt, show: Any) -> None:
    """Upload, inspect (columns, first rows, map preview) and import a geometry file."""
    app = shop.app

    @app.post("/werkstatt/raumebenen/pruefen", include_in_schema=False)
    async def pruefen(request: Request) -> Response:
        shop.user(request)
        form = await shop.form(request)
        fields = {k: str(form.get(k) or "") for k in FORM_KEYS}
        try:
            token = str(form.get("upload") or "")
            path = kept(shop.root, token) if token else None
            if path is None:
                token, path = await keep(shop.root, form.get("file"))
            geo = await shop.run(app_areas.inspect_geometries, path)
        except PlanlaborError as err:
            return await show(request, 422, error=err, fields=fields)
        return await show(request, geo=geo, upload=token, filename=path.name, fields=fields)

    @app.get("/werkstatt/raumebenen/vorschau", include_in_schema=False)
    async def vorschau(request: Request, upload: str = "") -> Response:
        shop.user(request)
        try:
            path = kept(shop.root, upload)
            data = await shop.run(app_areas.preview_geojson, path)
        except PlanlaborError as err:
            return JSONResponse({"detail": err.message}, status_code=404)
        return JSONResponse(data, media_type="application/geo+json", headers={"Cache-Control": "no-store"})

    @app.post("/werkstatt/raumebenen/importieren", include_in_schema=False)
    async def importieren(request: Request) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        fields = {k: str(form.get(k) or "") for k in FORM_KEYS}
        token = str(form.get("upload") or "")
        try:
            if not LAYER_ID.match(fields["layer"]):
                raise InputError(
                    f"Die ID {fields['layer']!r} der Raumebene ist nicht zulässig.",
                    column="layer",
                    expected="Kleinbuchstaben, Ziffern und _ , z. B. kreis",
                )
            path = kept(shop.root, token)
            done = await shop.run(
                app_areas.import_geometries, shop.root, path, fields, by=s.user, name=path.name
            )
        except PlanlaborError as err:
            geo = None
            try:
                geo = await shop.run(app_areas.inspect_geometries, kept(shop.root, token))
            except PlanlaborError:
                token = ""
            return await show(request, 422, error=err, geo=geo, upload=token, fields=fields)
        for f in path.parent.iterdir():
            f.unlink()
        path.parent.rmdir()
        return await show(request, imported=done)
