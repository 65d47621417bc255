"""The Werkstatt page *Benutzer* (admins only): users and roles, add and remove, and the audit
log of every change (who, what, when) — over :mod:`planlabor.app.users` and
:mod:`planlabor.app.audit`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from planlabor.app import audit as app_audit
from planlabor.app import users as app_users
from planlabor.atlas.auth import ROLES
from planlabor.errors import PlanlaborError

if TYPE_CHECKING:
    from planlabor.werkstatt.web import Werkstatt

TEMPLATE = "benutzer.html"
ROLE_TEXT = {
    "viewer": "viewer – nur ansehen",
    "editor": "editor – Daten ändern",
    "intern": "intern – Daten ändern (frühere Rolle)",
    "admin": "admin – auch Benutzer:innen verwalten",
}
ACTION_TEXT = {
    "import": "Import",
    "revert": "Import wieder gültig",
    "compute": "Berechnung",
    "atlas build": "Atlas gebaut",
    "report sozialbericht": "Sozialbericht",
    "report sheet": "Ausschussvorlage",
    "user add": "Benutzer:in angelegt",
    "user remove": "Benutzer:in entfernt",
    "user passwd": "Passwort gesetzt",
    "user logout": "Sitzungen beendet",
    "user themes": "Fachthemen gesetzt",
    "catalog": "Katalog geändert",
    "template": "Vorlage übernommen",
    "areas import": "Geometrien importiert",
}


def _themes(form: Any) -> list[str]:
    return [t.strip() for t in str(form.get("themes") or "").split(",") if t.strip()]


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    app = shop.app

    async def show(request: Request, status: int = 200, **context: Any) -> Response:
        users = await shop.run(app_users.list_users, shop.root)
        entries = await shop.run(app_audit.entries, shop.root, 200)
        return shop.page(
            request,
            TEMPLATE,
            status,
            users=users,
            entries=entries,
            roles={r: ROLE_TEXT.get(r, r) for r in ROLES},
            actions=ACTION_TEXT,
            **context,
        )

    @app.get("/werkstatt/benutzer", include_in_schema=False)
    async def benutzer(request: Request, ok: str = "") -> Response:
        shop.admin_of(request)
        return await show(request, done=ok)

    @app.post("/werkstatt/benutzer/anlegen", include_in_schema=False)
    async def anlegen(request: Request) -> Response:
        s = shop.admin_of(request)
        form = await shop.form(request)
        name, role = str(form.get("name") or "").strip(), str(form.get("role") or "")
        try:
            await shop.run(
                app_users.add_user, shop.root, name, str(form.get("password") or ""), role, by=s.user
            )
            if _themes(form):
                await shop.run(app_users.set_themes, shop.root, name, _themes(form), by=s.user)
        except PlanlaborError as err:
            return await show(request, 422, error=err, name=name)
        return RedirectResponse("/werkstatt/benutzer?ok=anlegen", status_code=303)

    @app.post("/werkstatt/benutzer/fachthemen", include_in_schema=False)
    async def fachthemen(request: Request) -> Response:
        s = shop.admin_of(request)
        form = await shop.form(request)
        try:
            await shop.run(
                app_users.set_themes, shop.root, str(form.get("name") or ""), _themes(form), by=s.user
            )
        except PlanlaborError as err:
            return await show(request, 422, error=err)
        return RedirectResponse("/werkstatt/benutzer?ok=fachthemen", status_code=303)

    @app.post("/werkstatt/benutzer/entfernen", include_in_schema=False)
    async def entfernen(request: Request) -> Response:
        s = shop.admin_of(request)
        form = await shop.form(request)
        name = str(form.get("name") or "")
        if name == s.user:
            from planlabor.errors import InputError

            err = InputError(
                "Sie können sich nicht selbst entfernen.", hint="Das tut eine andere Administratorin."
            )
            return await show(request, 422, error=err)
        try:
            await shop.run(app_users.remove_user, shop.root, name, by=s.user)
        except PlanlaborError as err:
            return await show(request, 422, error=err)
        return RedirectResponse("/werkstatt/benutzer?ok=entfernen", status_code=303)
