"""The Werkstatt page *Berechnen und Veröffentlichen*: compute the catalog, build the static public
atlas and download it — as jobs in the background (:class:`~planlabor.werkstatt.jobs.Jobs`) whose
page survives a reload, over :mod:`planlabor.app.compute` and :mod:`planlabor.app.publish`."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from planlabor.app import compute as app_compute
from planlabor.app import publish as app_publish

if TYPE_CHECKING:
    from planlabor.werkstatt.web import Werkstatt

ATLAS = Path("werkstatt") / "atlas"
REPORTS = Path("werkstatt") / "berichte"
KINDS = {
    "compute": "Alle Indikatoren berechnen",
    "atlas": "Öffentlichen Atlas bauen",
    "profile": "Sozialraumprofil (PDF)",
    "dissolve": "Übergeordnete Raumebene bilden",
    "dossier": "Dossier für die Galerie exportieren",
}
REPORT_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.(pdf|html|docx)$")


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


def install(shop: Werkstatt) -> None:
    """Add the routes of the page to the server."""
    app = shop.app

    @app.get("/werkstatt/berechnen", include_in_schema=False)
    async def berechnen(request: Request) -> Response:
        shop.user(request)
        built = (shop.root / ATLAS / "index.html").is_file()
        from planlabor.app.areas import layers

        found = await shop.run(layers, shop.root)
        return shop.page(request, "berechnen.html", kinds=KINDS, built=built, layers=found)

    @app.post("/werkstatt/berechnen/{kind}", include_in_schema=False)
    async def start(request: Request, kind: str) -> Response:
        s = shop.writer_of(request)
        form = await shop.form(request)
        if kind == "profile":
            area, layer = str(form.get("area") or "").strip(), str(form.get("layer") or "") or None
            job = shop.jobs.start(
                kind, s.user, app_publish.profiles, shop.root, shop.root / REPORTS, [area], layer, by=s.user
            )
        elif kind == "compute":
            job = shop.jobs.start(kind, s.user, app_compute.compute, shop.root, by=s.user)
        elif kind == "atlas":
            job = shop.jobs.start(
                kind, s.user, app_publish.publish_atlas, shop.root, shop.root / ATLAS, by=s.user
            )
        else:
            raise HTTPException(404, "Nicht gefunden.")
        return RedirectResponse(f"/werkstatt/auftrag/{job}", status_code=303)

    @app.get("/werkstatt/auftrag/{job_id}", include_in_schema=False)
    async def auftrag(request: Request, job_id: str) -> Response:
        shop.user(request)
        job = shop.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, "Diesen Auftrag gibt es nicht.")
        response = shop.page(request, "auftrag.html", job=job, kinds=KINDS)
        if job["state"] in ("wartet", "läuft"):
            response.headers["Refresh"] = "2"  # the page reloads itself until the job is done
        return response

    @app.get("/werkstatt/berichte/{name}", include_in_schema=False)
    async def report(request: Request, name: str) -> Response:
        shop.user(request)
        path = shop.root / REPORTS / name
        if not REPORT_NAME.match(name) or not path.is_file():
            raise HTTPException(404, "Diesen Bericht gibt es nicht.")
        media = {"pdf": "application/pdf", "html": "text/html", "docx": "application/octet-stream"}
        return FileResponse(path, media_type=media[path.suffix[1:]], filename=name)

    @app.get("/werkstatt/berechnen/atlas.zip", include_in_schema=False)
    async def download(request: Request) -> Response:
        shop.user(request)
        return folder_zip(shop.root / ATLAS, "index.html", "atlas.zip", "Der Atlas ist noch nicht gebaut.")
