"""The Werkstatt page *Dossier*: describe a planning project in a form and export it as a dossier
for the gallery of planning approaches (issue 20) — over :mod:`planlabor.app.exchange`; the export
runs as a job and passes the confidentiality audit before anything is written for good."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from planlabor.app import exchange as app_exchange
from planlabor.errors import PlanlaborError
from planlabor.werkstatt.berechnen import folder_zip

if TYPE_CHECKING:
    from planlabor.werkstatt.web import Werkstatt

OUT = Path("werkstatt") / "dossier" / "export"


def _saved(root: Path) -> dict[str, str]:
    """The fields of the saved form (to fill the form again), or none."""
    from planlabor.exchange.model import SECTIONS, read_description

    path = root / app_exchange.FORM_FILE
    if not path.is_file():
        return {}
    try:
        d = read_description(path)
    except PlanlaborError:
        return {}
    fields = {k: str(getattr(d, k) or "") for k in ("titel", "art", "kommune", "land", "raumtyp", "jahr")}
    fields.update(
        themen=", ".join(d.themen), methoden=", ".join(d.methoden), zusammenfassung=d.zusammenfassung
    )
    fields.update({k: d.beschreibung.get(k, "") for k in SECTIONS})
    fields.update({f"kontakt_{k}": getattr(d.kontakt, k) for k in ("name", "stelle", "email", "web")})
    fields["lizenz"] = d.lizenz
    return fields


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    from planlabor.exchange.model import SECTIONS

    app = shop.app

    def show(request: Request, status: int = 200, **context: object) -> Response:
        built = (shop.root / OUT / "dossier.toml").is_file()
        context.setdefault("fields", _saved(shop.root))
        return shop.page(request, "dossier.html", status, sections=SECTIONS, built=built, **context)

    @app.get("/werkstatt/dossier", include_in_schema=False)
    async def dossier(request: Request) -> Response:
        shop.user(request)
        return show(request)

    @app.post("/werkstatt/dossier/export", include_in_schema=False)
    async def export(request: Request) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        fields = {k: str(v) for k, v in form.items() if k != "csrf"}
        try:
            desc = app_exchange.description_from_form(fields)
        except PlanlaborError as err:
            return show(request, 422, error=err, fields=fields)
        await shop.run(app_exchange.save_description, shop.root, desc)
        job = shop.jobs.start(
            "dossier", s.user, app_exchange.export, shop.root, shop.root / OUT,
            with_report=bool(fields.get("bericht")), by=s.user,
        )  # fmt: skip
        return RedirectResponse(f"/werkstatt/auftrag/{job}", status_code=303)

    @app.get("/werkstatt/dossier/dossier.zip", include_in_schema=False)
    async def download(request: Request) -> Response:
        shop.user(request)
        return folder_zip(
            shop.root / OUT, "dossier.toml", "dossier.zip", "Das Dossier ist noch nicht exportiert."
        )
