"""The Werkstatt page *Katalog*: indicators and indices, a form to add or edit an indicator with
live validation against the data, theme sets from the shipped templates, template import and
export — a thin adapter over :mod:`planlabor.app.catalog`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from planlabor.app import catalog as app_catalog
from planlabor.errors import AccessError, InputError, PlanlaborError

if TYPE_CHECKING:
    from planlabor.werkstatt.web import Werkstatt

FORM_KEYS = (*app_catalog.FIELDS, "public", "decimals")
MAX_TEMPLATE = 2 << 20  # a template is a small TOML file


def _status(err: PlanlaborError) -> int:
    return 403 if isinstance(err, AccessError) else 422


def _fields(form: Any) -> dict[str, str]:
    return {k: str(form.get(k) or "") for k in FORM_KEYS}


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    app = shop.app

    async def show(request: Request, status: int = 200, **context: Any) -> Response:
        data = await shop.run(app_catalog.overview, shop.root)
        context.setdefault("fields", {"public": "1", "polarity": "neutral"})
        return shop.page(request, "katalog.html", status, polarity=app_catalog.POLARITY, **data, **context)

    @app.get("/werkstatt/katalog", include_in_schema=False)
    async def katalog(request: Request, indikator: str = "") -> Response:
        shop.user(request)
        if indikator:
            try:
                fields = await shop.run(app_catalog.definition, shop.root, indikator)
            except PlanlaborError as err:
                return await show(request, 404, error=err)
            return await show(request, fields=fields, editing=indikator)
        return await show(request)

    @app.get("/werkstatt/katalog/pruefen", include_in_schema=False)
    async def pruefen(request: Request) -> Response:
        shop.user(request)
        fields = {k: str(request.query_params.get(k) or "") for k in FORM_KEYS}
        result = await shop.run(app_catalog.check, shop.root, fields, request.query_params.get("layer"))
        return JSONResponse(result, headers={"Cache-Control": "no-store"})

    @app.post("/werkstatt/katalog/indikator", include_in_schema=False)
    async def speichern(request: Request) -> Response:
        s = shop.writer_of(request)
        fields = _fields(await shop.form(request))
        try:
            saved = await shop.run(app_catalog.save_indicator, shop.root, fields, by=s.user)
        except PlanlaborError as err:
            return await show(request, _status(err), error=err, fields=fields)
        return await show(request, saved=saved)

    @app.post("/werkstatt/katalog/vorlage", include_in_schema=False)
    async def vorlage(request: Request) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        upload = form.get("datei")
        try:
            if upload is not None and getattr(upload, "filename", None):
                report = await _apply_upload(shop, upload, s.user)
            else:
                name = str(form.get("vorlage") or "")
                if name not in (await shop.run(app_catalog.overview, shop.root))["templates"]:
                    raise InputError(f"Die Vorlage {name!r} gibt es nicht.", column="vorlage")
                report = await shop.run(app_catalog.apply_template, shop.root, name, by=s.user)
        except PlanlaborError as err:
            return await show(request, _status(err), error=err)
        return await show(request, template_report=report)

    @app.get("/werkstatt/katalog/vorlage.toml", include_in_schema=False)
    async def export(request: Request) -> Response:
        shop.user(request)
        with tempfile.TemporaryDirectory() as tmp:
            path = await shop.run(app_catalog.export_template, shop.root, Path(tmp) / "vorlage.toml")
            body = path.read_bytes()
        headers = {"Content-Disposition": 'attachment; filename="vorlage.toml"', "Cache-Control": "no-store"}
        return Response(body, media_type="application/toml", headers=headers)


async def _apply_upload(shop: Werkstatt, upload: Any, user: str) -> Any:
    """Apply an uploaded template file (kept only while it is read)."""
    data = await upload.read(MAX_TEMPLATE + 1)
    if len(data) > MAX_TEMPLATE:
        raise InputError("Die Vorlage ist größer als 2 MB.", file=upload.filename, expected="eine TOML-Datei")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(upload.filename).stem or "vorlage")
        path = path.with_suffix(".toml")
        path.write_bytes(data)
        try:
            return await shop.run(app_catalog.apply_template, shop.root, path, by=user)
        except PlanlaborError as err:
            err.file = upload.filename  # the name the planner knows, not the server's folder
            raise
