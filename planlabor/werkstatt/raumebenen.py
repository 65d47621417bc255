"""The Werkstatt page *Raumebenen*: the layers with their hierarchy, and building a layer from
another by key prefix (Länder from Kreise) — a job over :func:`planlabor.app.areas.dissolve`.
(Uploading geometries follows; until then ``planlabor areas import``.)"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from planlabor.app import areas as app_areas
from planlabor.errors import InputError, PlanlaborError

if TYPE_CHECKING:
    from planlabor.werkstatt.web import Werkstatt

LAYER_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    app = shop.app

    async def show(request: Request, status: int = 200, **context: object) -> Response:
        layers = await shop.run(app_areas.layers, shop.root)
        return shop.page(request, "raumebenen.html", status, layers=layers, **context)

    @app.get("/werkstatt/raumebenen", include_in_schema=False)
    async def raumebenen(request: Request) -> Response:
        shop.user(request)
        return await show(request)

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
