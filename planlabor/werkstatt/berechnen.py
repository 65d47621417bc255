"""The Werkstatt page *Berechnen*: compute the catalog as a job in the background
(:class:`~planlabor.werkstatt.jobs.Jobs`) over :mod:`planlabor.app.compute`; and the page of every
job (``/werkstatt/auftrag/<id>``) with its progress — step, total and label — which survives a
reload and is polled as JSON (``/werkstatt/auftrag/<id>/stand``) by ``werkstatt.js``.  Reports and
the public atlas are on the page *Berichte und Veröffentlichen* (:mod:`planlabor.werkstatt.berichte`)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from planlabor.app import compute as app_compute

if TYPE_CHECKING:
    from planlabor.werkstatt.web import Werkstatt

ATLAS = Path("werkstatt") / "atlas"
KINDS = {
    "compute": "Alle Indikatoren berechnen",
    "dissolve": "Übergeordnete Raumebene bilden",
    "dossier": "Dossier für die Galerie exportieren",
}
BACK = {"compute": "berechnen", "dissolve": "raumebenen", "dossier": "dossier", "beteiligung": "beteiligung",
        "vorlage": "beteiligung"}  # fmt: skip  # else by prefix


def folder_zip(folder: Path, marker: str, name: str, missing: str) -> Response:
    """A built folder (atlas, dossier) as one ZIP download; 404 with ``missing`` where its
    ``marker`` file is not there yet."""
    if not (folder / marker).is_file():
        raise HTTPException(404, missing)
    return Response(
        atlas_zip(folder),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def atlas_zip(folder: Path) -> bytes:
    """A folder as one ZIP file (for the web space)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return buf.getvalue()


def kinds() -> dict[str, str]:
    """Headings of all job kinds."""
    from planlabor.werkstatt import analysen, berichte, beteiligung

    return {**KINDS, **berichte.KINDS, **analysen.kinds(), **beteiligung.KINDS}


def back(kind: str) -> tuple[str, str]:
    """The page a job belongs to: its slug and title."""
    slug = BACK.get(kind) or ("analysen" if kind.startswith("analyse") else "berichte")
    titles = {"berechnen": "Berechnen", "raumebenen": "Raumebenen", "dossier": "Dossier",
              "analysen": "Analysen", "berichte": "Berichte und Veröffentlichen",
              "beteiligung": "Beteiligung"}  # fmt: skip
    return slug, titles[slug]


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    app = shop.app

    @app.get("/werkstatt/berechnen", include_in_schema=False)
    async def berechnen(request: Request) -> Response:
        shop.user(request)
        return shop.page(request, "berechnen.html", kinds=KINDS)

    @app.post("/werkstatt/berechnen/compute", include_in_schema=False)
    async def start(request: Request) -> Response:
        s = shop.writer_of(request)
        await shop.form(request)
        job = shop.jobs.start("compute", s.user, app_compute.compute, shop.root, by=s.user)
        return RedirectResponse(f"/werkstatt/auftrag/{job}", status_code=303)

    def job_of(job_id: str) -> dict[str, object]:
        job = shop.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, "Diesen Auftrag gibt es nicht.")
        return job

    @app.get("/werkstatt/auftrag/{job_id}", include_in_schema=False)
    async def auftrag(request: Request, job_id: str) -> Response:
        shop.user(request)
        job = job_of(job_id)
        # a running job: werkstatt.js polls /stand and reloads when it is done; without script a
        # <noscript> refresh reloads the page every two seconds
        return shop.page(request, "auftrag.html", job=job, kinds=kinds(), back=back(str(job["kind"])))

    @app.get("/werkstatt/auftrag/{job_id}/stand", include_in_schema=False)
    async def stand(request: Request, job_id: str) -> Response:
        """The state of a job for the progress bar: state, step, total, label (no result)."""
        shop.user(request)
        job = job_of(job_id)
        keys = ("id", "kind", "state", "step", "total", "label")
        return JSONResponse({k: job.get(k) for k in keys}, headers={"Cache-Control": "no-store"})
