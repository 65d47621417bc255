"""The Werkstatt page *Daten*: upload a file, check the dry-run report, fix options, import;
the import log with revert.

Routes (all forms carry the session's CSRF token):

- ``GET /werkstatt/daten``: upload form and import log;
- ``POST /werkstatt/daten/pruefen``: a new file (multipart) or a kept upload with changed
  options → the dry-run report as tables and the options form;
- ``POST /werkstatt/daten/importieren``: import the kept upload with the options;
- ``POST /werkstatt/daten/quarantaene``: map held-back keys to area keys and import the kept
  file again (``planlabor import … --map-key ALT=NEU``);
- ``POST /werkstatt/daten/zuruecksetzen``: make an earlier import current again.

Uploads are kept in the workspace folder ``werkstatt/uploads/<random>/`` (owner-only) until
imported; the file of an import with held-back keys stays in ``werkstatt/quarantaene/<nr>/``
until its keys are mapped.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from planlabor.app import areas as app_areas
from planlabor.app import imports as app_imports
from planlabor.app.fields import lines
from planlabor.errors import AccessError, InputError, PlanlaborError

if TYPE_CHECKING:
    from planlabor.werkstatt.web import Werkstatt

TEMPLATE = "daten.html"
UPLOADS = Path("werkstatt") / "uploads"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
#: the options of ``planlabor import`` the form offers (text fields) …
TEXT_FIELDS = ("layer", "fmt", "id_column", "period", "period_column", "sheet", "on_unmatched")
#: … and those typed one ``A=B`` per line
LINE_FIELDS = ("rename", "map_key", "missing", "select")
ON_UNMATCHED = {
    "": "wie eingestellt (auto)",
    "auto": "auto: zurückstellen, wenn die meisten passen",
    "quarantine": "zurückstellen",
    "skip": "überspringen",
    "refuse": "ablehnen",
}


def options_of(form: Any) -> dict[str, Any]:
    """The import options of a posted form, by the names of :data:`planlabor.app.imports.FIELDS`."""
    out: dict[str, Any] = {k: str(form.get(k) or "").strip() or None for k in TEXT_FIELDS}
    out.update({k: lines(str(form.get(k) or "")) for k in LINE_FIELDS})
    out["stichtag"] = bool(form.get("stichtag"))
    return out


def _upload_dir(root: Path, token: str) -> Path:
    if not TOKEN.match(token):
        raise InputError("Die hochgeladene Datei ist nicht mehr da.", hint="Laden Sie die Datei erneut hoch.")
    return root / UPLOADS / token


def kept(root: Path, token: str) -> Path:
    """The uploaded file kept under ``token``."""
    folder = _upload_dir(root, token)
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    if not files:
        raise InputError("Die hochgeladene Datei ist nicht mehr da.", hint="Laden Sie die Datei erneut hoch.")
    return files[0]


async def keep(root: Path, upload: Any) -> tuple[str, Path]:
    """Keep an uploaded file; its token and path."""
    name = str(getattr(upload, "filename", "") or "")
    data = await upload.read() if upload is not None and name else b""
    if not data:
        raise InputError(
            "Es wurde keine Datei hochgeladen.", hint="Wählen Sie eine Datei aus oder ziehen Sie sie hierher."
        )
    token = secrets.token_urlsafe(24)
    folder = _upload_dir(root, token)
    (root / UPLOADS).mkdir(parents=True, exist_ok=True, mode=0o700)
    return token, app_imports.keep_upload(folder, name, data)


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    app = shop.app

    async def show(request: Request, status: int = 200, **context: Any) -> Response:
        log = await shop.run(app_imports.import_log, shop.root)
        layers = await shop.run(app_areas.layers, shop.root)
        context.setdefault("held", await shop.run(app_imports.held_imports, shop.root))
        return shop.page(
            request, TEMPLATE, status, log=list(reversed(log)), layers=layers, on_unmatched=ON_UNMATCHED,
            **context,
        )  # fmt: skip

    @app.get("/werkstatt/daten", include_in_schema=False)
    async def daten(
        request: Request, nr: int | None = None, werte: int | None = None, was: str = ""
    ) -> Response:
        shop.user(request)
        done = {"nr": nr, "werte": werte, "was": was} if nr is not None else None
        return await show(request, done=done)

    @app.post("/werkstatt/daten/pruefen", include_in_schema=False)
    async def pruefen(request: Request) -> Response:
        shop.user(request)
        form = await shop.form(request)
        options = options_of(form)
        try:
            token = str(form.get("upload") or "")
            if token:
                path = kept(shop.root, token)
            else:
                token, path = await keep(shop.root, form.get("file"))
            outcome = await shop.run(app_imports.preview_import, shop.root, path, options)
        except PlanlaborError as err:
            return await show(request, 422, error=err, options=options)
        return await show(request, outcome=outcome, upload=token, filename=path.name, options=options)

    @app.post("/werkstatt/daten/importieren", include_in_schema=False)
    async def importieren(request: Request) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        options = options_of(form)
        token = str(form.get("upload") or "")
        try:
            path = kept(shop.root, token)
            outcome = await shop.run(
                app_imports.import_file, shop.root, path, options, by=s.user, name=path.name
            )
        except PlanlaborError as err:
            status = 403 if isinstance(err, AccessError) else 422
            return await show(request, status, error=err, options=options)
        if outcome.report.get("quarantined") and outcome.import_id is not None:  # keys to map later
            await shop.run(app_imports.hold_for_mapping, shop.root, outcome.import_id, path, options)
        for f in path.parent.iterdir():
            f.unlink()
        path.parent.rmdir()
        nr, n = outcome.import_id, outcome.report.get("n_values", 0)
        return RedirectResponse(f"/werkstatt/daten?nr={nr}&werte={n}&was=import", status_code=303)

    install_quarantine(shop, show)

    @app.post("/werkstatt/daten/zuruecksetzen", include_in_schema=False)
    async def zuruecksetzen(request: Request) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        try:
            nr = int(str(form.get("import_id") or ""))
        except ValueError:
            return await show(request, 422, error=InputError("Die Importnummer fehlt.", column="import_id"))
        try:
            n = await shop.run(app_imports.revert_import, shop.root, nr, by=s.user)
        except PlanlaborError as err:
            return await show(request, 422, error=err)
        return RedirectResponse(f"/werkstatt/daten?nr={nr}&werte={n}&was=revert", status_code=303)


def install_quarantine(shop: Werkstatt, show: Any) -> None:
    """Map held-back keys to area keys and import the kept file again."""
    app = shop.app

    @app.post("/werkstatt/daten/quarantaene", include_in_schema=False)
    async def quarantaene(request: Request) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        mapping = {k[4:]: str(v) for k, v in form.items() if k.startswith("key:")}
        try:
            nr = int(str(form.get("import_id") or ""))
            outcome = await shop.run(app_imports.import_mapped, shop.root, nr, mapping, by=s.user)
        except ValueError:
            return await show(request, 422, error=InputError("Die Importnummer fehlt.", column="import_id"))
        except PlanlaborError as err:
            return await show(request, 422, error=err)
        nr, n = outcome.import_id, outcome.report.get("n_values", 0)
        return RedirectResponse(f"/werkstatt/daten?nr={nr}&werte={n}&was=import", status_code=303)
