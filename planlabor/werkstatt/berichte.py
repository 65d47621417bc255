"""The Werkstatt page *Berichte und Veröffentlichen*: Sozialbericht, Sozialraumprofile (one or all)
and the committee sheet as jobs with progress per step, their downloads; a preview of what the
public atlas would show (public indicators, suppressed counts, what stays internal); the static
public atlas built and downloaded as a ZIP — over :mod:`planlabor.app.publish`.

The older addresses under ``/werkstatt/berechnen/`` (atlas, profile, atlas.zip) stay as aliases.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from planlabor.app import publish as app_publish
from planlabor.app.analysis_forms import Option, parse
from planlabor.errors import InputError, PlanlaborError

if TYPE_CHECKING:
    from planlabor.atlas.service import AtlasService
    from planlabor.werkstatt.web import Werkstatt

ATLAS = Path("werkstatt") / "atlas"
REPORTS = Path("werkstatt") / "berichte"
REPORT_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.(pdf|html|docx)$")
KINDS = {
    "atlas": "Öffentlichen Atlas bauen",
    "profile": "Sozialraumprofil(e)",
    "sozialbericht": "Sozialbericht",
    "sheet": "Blatt für den Jugendhilfeausschuss",
}
FMT = Option("fmt", "--format", "Format", "choice", "pdf", choices=("pdf", "html", "docx"))
FORMS: dict[str, tuple[Option, ...]] = {
    "sozialbericht": (
        Option("layer", "--layer", "Raumebene", "layer"),
        Option("period", "--period", "Stand", "period"),
        FMT,
        Option("min_residents", "--min-residents", "Gebiete ohne Rangfolge unter (Einwohner)", "int", 300),
    ),
    "profile": (
        Option("layer", "--layer", "Raumebene", "layer"),
        Option("area", "--area", "Gebietsschlüssel (leer mit „alle“)", help="01001"),
        Option("all", "--all", "Ein Profil für jedes Gebiet", "flag", False),
        Option("period", "--period", "Stand", "period"),
        FMT,
    ),
    "sheet": (
        Option("period", "--period", "Stichtag", "period", required=True),
        Option("layer", "--layer", "Raumebene", "layer"),
        Option("level", "--level", "Übergeordnete Ebene"),
        Option("scenario", "--prognose", "Prognosevariante"),
        Option("u3", "--u3-quote", "Bedarfsquote U3 in %", "float", 50.0),
        Option("ue3", "--ue3-quote", "Bedarfsquote Ü3 in %", "float", 95.0),
        FMT,
    ),
}


def _job(shop: Werkstatt, kind: str, user: str, values: dict[str, Any]) -> str:
    """Start the report ``kind`` with the form's ``values``; the job's id."""
    if kind == "atlas":
        return shop.jobs.start(
            kind, user, app_publish.publish_atlas, shop.root, shop.root / ATLAS, by=user, with_progress=True
        )
    if kind not in FORMS:
        raise HTTPException(404, "Nicht gefunden.")
    kw = parse(FORMS[kind], values)
    out = shop.root / REPORTS
    out.mkdir(parents=True, exist_ok=True, mode=0o700)  # owner-only: the reports are not public yet
    stamp = secrets.token_hex(3)
    if kind == "profile":
        area = kw["area"] or ""
        if not kw["all"] and not area:
            raise InputError("Geben Sie einen Gebietsschlüssel an oder wählen Sie „alle“.", column="--area")
        ids = ["*"] if kw["all"] else [area]
        target = out / f"profile-{stamp}" if kw["all"] else out
        return shop.jobs.start(
            kind,
            user,
            app_publish.profiles,
            shop.root,
            target,
            ids,
            kw["layer"],
            kw["period"],
            kw["fmt"],
            by=user,
            with_progress=True,
        )
    if kind == "sozialbericht":
        path = out / f"sozialbericht-{stamp}.{kw['fmt']}"
        return shop.jobs.start(
            kind,
            user,
            app_publish.sozialbericht,
            shop.root,
            path,
            kw["fmt"],
            kw["layer"],
            kw["period"],
            kw["min_residents"],
            by=user,
            with_progress=True,
        )
    path = out / f"ausschussblatt-{stamp}.{kw['fmt']}"
    period = kw.pop("period")
    return shop.jobs.start(
        kind, user, app_publish.committee_sheet, shop.root, path, period, by=user, with_progress=True, **kw
    )


def _reports(root: Path) -> list[dict[str, Any]]:
    """The reports written so far (newest first), as names below ``werkstatt/berichte``."""
    folder = root / REPORTS
    if not folder.is_dir():
        return []
    found = [p for p in folder.rglob("*") if p.is_file() and REPORT_NAME.match(p.name)]
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [{"name": p.relative_to(folder).as_posix(), "bytes": p.stat().st_size} for p in found[:50]]


def _below(folder: Path, path: Path) -> str:
    """A report's address below the reports folder (no server path shown)."""
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return path.name


def report_layers(svc: AtlasService) -> list[dict[str, Any]]:
    """The layers with values (what a report can show), from the internal atlas's cached meta;
    none while a job holds a store nothing was cached from yet."""
    from planlabor.errors import StoreError

    try:
        return [{"id": lay["id"], "name": lay["name"]} for lay in svc.meta(False)["layers"]]
    except StoreError:
        return []


def public_preview(svc: AtlasService) -> app_publish.PublicView:
    """What publishing would show, from the server's public atlas (its cached meta and values
    frames; the store is opened read-only only for what is not cached yet) — never through the
    writer, so the preview answers while an import or a compute runs."""
    from planlabor.errors import StoreError

    try:
        return app_publish.public_view_of(
            svc.meta(True), lambda layer: svc.frame(layer, True), svc.src.catalog
        )
    except StoreError as err:  # not cached yet and a job holds the store: say so, no server path
        raise StoreError(
            "Die Vorschau kann gerade nicht berechnet werden: ein Auftrag schreibt in den Arbeitsbereich.",
            hint="Laden Sie die Seite neu, sobald der Auftrag fertig ist.",
        ) from err


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    from planlabor.werkstatt.berechnen import folder_zip

    app = shop.app
    shop.env.filters["bericht"] = lambda path: _below(shop.root / REPORTS, Path(str(path)))

    async def show(request: Request, status: int = 200, **context: Any) -> Response:
        # read-only: from the atlas's caches, not queued behind a writing job in the writer
        svc = shop.app.state.service
        found = await run_in_threadpool(report_layers, svc)
        try:
            preview = await run_in_threadpool(public_preview, svc)
        except PlanlaborError as err:
            preview, context["preview_error"] = None, err
        built = (shop.root / ATLAS / "index.html").is_file()
        return shop.page(
            request,
            "berichte.html",
            status,
            layers=found,
            forms=FORMS,
            kinds=KINDS,
            built=built,
            preview=preview,
            reports=_reports(shop.root),
            **context,
        )

    @app.get("/werkstatt/berichte", include_in_schema=False)
    async def berichte(request: Request) -> Response:
        shop.user(request)
        return await show(request, values={})

    @app.post("/werkstatt/berichte/erstellen/{kind}", include_in_schema=False)
    @app.post("/werkstatt/berechnen/{kind}", include_in_schema=False)  # the older address
    async def start(request: Request, kind: str) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        if kind not in KINDS:
            raise HTTPException(404, "Nicht gefunden.")
        values = {k: str(v) for k, v in form.items() if k != "csrf"}
        try:
            job = _job(shop, kind, s.user, values)
        except PlanlaborError as err:
            return await show(request, 422, error=err, values={kind: values})
        return RedirectResponse(f"/werkstatt/auftrag/{job}", status_code=303)

    @app.get("/werkstatt/berichte/atlas.zip", include_in_schema=False)
    @app.get("/werkstatt/berechnen/atlas.zip", include_in_schema=False)  # the older address
    async def download(request: Request) -> Response:
        shop.user(request)
        return folder_zip(shop.root / ATLAS, "index.html", "atlas.zip", "Der Atlas ist noch nicht gebaut.")

    @app.get("/werkstatt/berichte/zip/{folder}", include_in_schema=False)
    async def folder_download(request: Request, folder: str) -> Response:
        """All profiles of one job (``profile-<stamp>``) as one ZIP."""
        shop.user(request)
        if not re.fullmatch(r"profile-[0-9a-f]{6}", folder):
            raise HTTPException(404, "Diese Berichte gibt es nicht (mehr).")
        path = shop.root / REPORTS / folder
        first = next(iter(sorted(path.glob("*"))), None) if path.is_dir() else None
        if first is None:
            raise HTTPException(404, "Diese Berichte gibt es nicht (mehr).")
        return folder_zip(path, first.name, f"{folder}.zip", "Diese Berichte gibt es nicht (mehr).")

    @app.get("/werkstatt/berichte/{name:path}", include_in_schema=False)
    async def report(request: Request, name: str) -> Response:
        shop.user(request)
        folder = (shop.root / REPORTS).resolve()
        path = (folder / name).resolve()
        if not REPORT_NAME.match(path.name) or not path.is_relative_to(folder) or not path.is_file():
            raise HTTPException(404, "Diesen Bericht gibt es nicht.")
        media = {"pdf": "application/pdf", "html": "text/html", "docx": "application/octet-stream"}
        return FileResponse(path, media_type=media[path.suffix[1:]], filename=path.name)
