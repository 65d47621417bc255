"""The Werkstatt page *Analysen*: index, typology, segregation, hot spots, coverage, projection and
Kita plan with the options of the command line — each form drawn from the one description in
:data:`planlabor.app.analysis_tables.ANALYSES`, each run a job over
:func:`planlabor.app.analysis_forms.run_analysis`; the job's page shows the result as a table with
links into the internal atlas."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from planlabor.app.analysis_forms import Option, parse, run_analysis
from planlabor.app.analysis_tables import ANALYSES
from planlabor.errors import InputError, PlanlaborError

if TYPE_CHECKING:
    from planlabor.werkstatt.web import Werkstatt

OUT = Path("werkstatt") / "analysen"
FILE_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.(csv|xlsx)$")


def kinds() -> dict[str, str]:
    """Job kinds of the page (for the job's heading)."""
    return {f"analyse-{a.id}": a.title for a in ANALYSES.values()}


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    from planlabor.app.areas import layers
    from planlabor.atlas.security import UPLOADS

    app = shop.app
    UPLOADS.setdefault("/werkstatt/analysen/index", 64 * 1024 * 1024)  # the table of the index form

    async def show(request: Request, status: int = 200, **context: Any) -> Response:
        found = await shop.run(layers, shop.root)
        return shop.page(request, "analysen.html", status, analyses=ANALYSES, layers=found, **context)

    @app.get("/werkstatt/analysen", include_in_schema=False)
    async def analysen(request: Request) -> Response:
        shop.user(request)
        return await show(request, values={})

    @app.post("/werkstatt/analysen/{analysis}", include_in_schema=False)
    async def start(request: Request, analysis: str) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        a = ANALYSES.get(analysis)
        if a is None:
            raise HTTPException(404, "Diese Analyse gibt es nicht.")
        values: dict[str, Any] = {k: v for k, v in form.items() if k != "csrf" and isinstance(v, str)}
        try:
            for o in a.options:
                uploads = [u for u in form.getlist(o.name) if getattr(u, "filename", "")]
                if o.kind == "file" and (o.required or uploads):
                    values[o.name] = str(await _keep(shop.root, uploads, o))
            parse(a.options, values)  # the German error on the form at once, before anything is queued
        except PlanlaborError as err:
            return await show(request, 422, error=err, values={analysis: values}, open=analysis)
        job = shop.jobs.start(
            f"analyse-{a.id}", s.user, run_analysis, shop.root, a.id, values, by=s.user, with_progress=True
        )
        return RedirectResponse(f"/werkstatt/auftrag/{job}", status_code=303)

    @app.get("/werkstatt/analysen/datei/{name}", include_in_schema=False)
    async def download(request: Request, name: str) -> Response:
        shop.user(request)
        path = shop.root / OUT / name
        if not FILE_NAME.match(name) or not path.is_file():
            raise HTTPException(404, "Diese Datei gibt es nicht (mehr).")
        return FileResponse(path, filename=name)


async def _keep(root: Path, uploads: list[Any], option: Option) -> Path:
    """Uploaded files kept together in one folder among the uploads (removed with them after some
    hours); the first, or with several (``option.multiple``: a scenario file and the tables it
    names) the one of the first accepted ending (``.toml``)."""
    from planlabor.app.imports import keep_upload
    from planlabor.werkstatt.daten import keep

    _token, path = await keep(root, uploads[0] if uploads else None)
    kept = [path]
    for upload in uploads[1 : 20 if option.multiple else 1]:
        kept.append(keep_upload(path.parent, str(upload.filename), await upload.read()))
    if option.multiple and option.choices:
        main = [p for p in kept if p.suffix.lower() == option.choices[0]]
        if not main:
            raise InputError(
                f"„{option.label}“: unter den hochgeladenen Dateien fehlt die {option.choices[0]}-Datei.",
                column=option.flag,
                expected=f"eine {option.choices[0]}-Datei und die Tabellen, die sie nennt",
            )
        return main[0]
    return path
