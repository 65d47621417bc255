"""REST API of named area groups for the internal atlas view (issue 19, point 2).

- ``GET /api/gruppen``: the saved groups (optionally of one layer);
- ``POST /api/gruppen``: save the atlas selection as a named group (editor, intern, admin);
- ``DELETE /api/gruppen/{name}``: delete a group.

Only a signed-in user of the internal view gets answers (403 otherwise); changing requests carry
the session's CSRF token in the header ``X-CSRF-Token``.  Writing goes through the application
layer (:mod:`planlabor.app.groups`) in the workspace's one writer process (the Werkstatt's
:class:`~planlabor.werkstatt.jobs.Writer`), reading through the atlas service's short read-only
opening.  Errors are one German sentence in ``detail``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, HTTPException, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from planlabor.errors import PlanlaborError

ID = r"^[A-Za-z0-9_.\-]{1,64}$"


class Gruppe(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=80, description="Name der Gebietsgruppe")]
    raumebene: Annotated[str, Field(pattern=ID, description="Raumebene, z. B. plr")]
    gebiete: Annotated[list[Annotated[str, Field(pattern=ID)]], Field(min_length=1, max_length=20_000)]
    ersetzen: bool = False


def mount_groups(app: FastAPI) -> None:
    """Add the group routes (uses ``app.state.service``, ``app.state.login`` and, for writing,
    ``app.state.werkstatt``)."""
    svc, login = app.state.service, app.state.login
    router = APIRouter(prefix="/api/gruppen", tags=["Gebietsgruppen (intern)"])

    def internal_only(request: Request) -> Any:
        if login.public_view(request):
            raise HTTPException(403, "Nur in der internen Ansicht: Bitte melden Sie sich an.")
        return login.session(request)

    def shop(request: Request, csrf: str) -> Any:
        internal_only(request)
        login.check_csrf(request, csrf)
        werkstatt = getattr(app.state, "werkstatt", None)
        if werkstatt is None:
            raise HTTPException(503, "Gebietsgruppen speichert nur der Server eines Arbeitsbereichs.")
        return werkstatt, werkstatt.writer_of(request)

    async def write(werkstatt: Any, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return await werkstatt.run(fn, *args, **kw)
        except PlanlaborError as exc:
            raise HTTPException(404 if "gibt es nicht" in exc.message else 422, exc.message) from None

    @router.get("", summary="Gespeicherte Gebietsgruppen")
    async def groups(
        request: Request, raumebene: Annotated[str | None, Query(pattern=ID)] = None
    ) -> list[dict[str, Any]]:
        from planlabor.app.groups import stored_groups

        internal_only(request)

        def read() -> list[dict[str, Any]]:
            with svc.reading() as src:
                return stored_groups(src.store, raumebene)

        return await run_in_threadpool(read)

    @router.post("", summary="Die Auswahl als Gebietsgruppe speichern", status_code=201)
    async def save(
        request: Request, body: Gruppe, x_csrf_token: Annotated[str, Header()] = ""
    ) -> dict[str, Any]:
        from planlabor.app.groups import save_group

        werkstatt, user = shop(request, x_csrf_token)
        return await write(
            werkstatt, save_group, werkstatt.root, body.name, body.raumebene, body.gebiete,
            by=user.user, replace=body.ersetzen,
        )  # fmt: skip

    @router.delete("/{name}", summary="Eine Gebietsgruppe löschen")
    async def delete(
        request: Request,
        name: Annotated[str, PathParam(min_length=1, max_length=80)],
        x_csrf_token: Annotated[str, Header()] = "",
    ) -> dict[str, Any]:
        from planlabor.app.groups import delete_group

        werkstatt, user = shop(request, x_csrf_token)
        return await write(werkstatt, delete_group, werkstatt.root, name, by=user.user)

    app.include_router(router)
