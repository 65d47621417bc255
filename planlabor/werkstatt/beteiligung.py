"""The Werkstatt page *Beteiligung* (issue 21): open and close a consultation, moderate the answers
(nothing a resident wrote is shown before approval), record stakeholder positions, evaluate the
answers into observations and build the committee sheet — over :mod:`planlabor.app.participation`
and :mod:`planlabor.app.publish`; evaluating and the sheet run as jobs."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from planlabor.app import participation as app_part
from planlabor.app import publish as app_publish
from planlabor.errors import PlanlaborError
from planlabor.werkstatt.berichte import REPORTS

if TYPE_CHECKING:
    from planlabor.werkstatt.web import Werkstatt

KINDS = {"beteiligung": "Befragung auswerten", "vorlage": "Vorlage für den Jugendhilfeausschuss"}
CID = re.compile(r"^[a-z][a-z0-9_]{0,19}$")


def _cid(cid: str) -> str:
    if not CID.match(cid):
        raise HTTPException(404, "Diese Befragung gibt es nicht.")
    return cid


async def _overview(shop: Werkstatt, request: Request, status: int = 200, **context: Any) -> Response:
    """The page: running and past consultations, the form to open one, the positions."""
    from planlabor.app.areas import layers

    shop.user(request)
    items = await run_in_threadpool(app_part.consultations, shop.root)
    found = await shop.run(layers, shop.root)
    today = date.today()
    defaults = {
        "von": today.isoformat(),
        "bis": (today + timedelta(days=28)).isoformat(),
        "frage": "Was fehlt hier?",
        "zielgruppe": "Jugendliche von 12 bis 21 Jahren",
        "mindestfallzahl": "5",
    }
    context.setdefault("fields", defaults)
    return shop.page(
        request,
        "beteiligung.html",
        status,
        items=items,
        layers=found,
        positions=await run_in_threadpool(app_part.positions, shop.root),
        **context,
    )


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    app = shop.app

    @app.get("/werkstatt/beteiligung", include_in_schema=False)
    async def page(request: Request) -> Response:
        return await _overview(shop, request)

    @app.post("/werkstatt/beteiligung/oeffnen", include_in_schema=False)
    async def open_(request: Request) -> Response:
        s = shop.writer_of(request)
        f = {k: str(v) for k, v in (await shop.form(request)).items() if k != "csrf"}
        try:
            c = await shop.run(
                app_part.open_consultation,
                shop.root,
                f.get("kennung", "").strip(),
                f.get("titel", ""),
                f.get("frage", ""),
                f.get("von", ""),
                f.get("bis", ""),
                f.get("ebene") or None,
                f.get("zielgruppe", ""),
                f.get("kategorien") or None,
                [t for t in f.get("themen", "").split(",") if t.strip()],
                _int(f.get("mindestfallzahl"), 5),
                f.get("vergleich") or None,
                by=s.user,
            )
        except PlanlaborError as err:
            return await _overview(shop, request, 422, error=err, fields=f)
        return RedirectResponse(f"/werkstatt/beteiligung/{c.id}", status_code=303)

    @app.get("/werkstatt/beteiligung/{cid}", include_in_schema=False)
    async def detail(request: Request, cid: str) -> Response:
        shop.user(request)
        c = await run_in_threadpool(app_part.consultation, shop.root, _cid(cid))
        answers = await run_in_threadpool(app_part.answers, shop.root, cid)
        return shop.page(
            request,
            "beteiligung_befragung.html",
            c=c,
            answers=answers,
            pending=[a for a in answers if a.state == "neu" and a.text],
            done=[a for a in answers if a.state != "neu" and a.text],
        )

    @app.post("/werkstatt/beteiligung/{cid}/{action}", include_in_schema=False)
    async def act(request: Request, cid: str, action: str) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        cid = _cid(cid)
        if action == "moderieren":
            ids = [int(x) for x in form.getlist("antwort") if str(x).isdigit()]
            await run_in_threadpool(
                app_part.moderate, shop.root, cid, ids, str(form.get("entscheidung")), by=s.user
            )
            return RedirectResponse(f"/werkstatt/beteiligung/{cid}", status_code=303)
        if action == "schliessen":
            await run_in_threadpool(app_part.close_consultation, shop.root, cid, by=s.user)
            return RedirectResponse(f"/werkstatt/beteiligung/{cid}", status_code=303)
        job = _start_job(shop, s.user, cid, action, form)
        return RedirectResponse(f"/werkstatt/auftrag/{job}", status_code=303)

    _install_positions(shop)


def _start_job(shop: Werkstatt, user: str, cid: str, action: str, form: Any) -> str:
    """Start the evaluation or the committee sheet of a consultation as a job; its id."""
    if action == "auswerten":
        job = shop.jobs.start("beteiligung", user, app_part.evaluate, shop.root, cid, by=user)
    elif action == "vorlage":
        out = shop.root / REPORTS / f"jha_{cid}.pdf"
        job = shop.jobs.start(
            "vorlage",
            user,
            app_publish.committee_sheet,
            shop.root,
            out,
            str(form.get("stichtag") or f"{date.today().year}-12-31"),
            level=str(form.get("ebene") or "") or None,
            consultation=cid,
            subject=str(form.get("thema") or "") or None,
            by=user,
        )
    else:
        raise HTTPException(404, "Nicht gefunden.")
    return job


def _install_positions(shop: Werkstatt) -> None:
    """The form that records a stakeholder's position."""
    app = shop.app

    @app.post("/werkstatt/beteiligung-position", include_in_schema=False)
    async def position(request: Request) -> Response:
        s = shop.writer_of(request)
        f = {k: str(v) for k, v in (await shop.form(request)).items() if k != "csrf"}
        try:
            await run_in_threadpool(
                app_part.record_position,
                shop.root,
                f.get("thema", ""),
                f.get("akteur", ""),
                f.get("art", ""),
                f.get("position", ""),
                f.get("datum", ""),
                f.get("quelle", ""),
                by=s.user,
            )
        except PlanlaborError as err:
            return await _overview(shop, request, 422, error=err, position=f)
        return RedirectResponse("/werkstatt/beteiligung#positionen", status_code=303)


def _int(text: str | None, default: int) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        return default
