"""Werkstatt: the planning workflow in the browser, for signed-in users of ``planlabor serve``.

Every page is a thin adapter over the application layer (:mod:`planlabor.app`): it reads a form,
runs one use case in the workspace's writer (:class:`~planlabor.werkstatt.jobs.Writer`) and shows
the plain result.  Pages follow the server's security (:mod:`planlabor.atlas.security`): a session
of the internal view, the CSRF token of the session in every form, no inline script or style
(scripts and styles are files under ``/werkstatt/static/``).

Pages register in :data:`PAGES` (slug, title, a function that adds the routes); a new page — the
dossier form of issue 20, the catalog, the layers — is a module with an ``install`` function and
one :func:`register` call in :func:`install`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from planlabor.atlas.login import Login
    from planlabor.werkstatt.web import Werkstatt


@dataclass(frozen=True)
class Page:
    """A page of the Werkstatt: its address ``/werkstatt/<slug>``, its title in the navigation and
    the function adding its routes."""

    slug: str
    title: str
    install: Callable[[Werkstatt], None]
    roles: tuple[str, ...] = ("admin", "editor", "intern", "viewer")  # who sees it in the navigation


PAGES: list[Page] = []


def register(page: Page) -> None:
    """Add a page (replacing one with the same slug)."""
    PAGES[:] = [p for p in PAGES if p.slug != page.slug] + [page]


def install(app: FastAPI, login: Login, root: Path, **options: Any) -> Werkstatt:
    """Add the Werkstatt to the server of the workspace at ``root``."""
    from planlabor.werkstatt import (
        analysen,
        benutzer,
        berechnen,
        berichte,
        beteiligung,
        daten,
        dossier,
        katalog,
        raumebenen,
    )
    from planlabor.werkstatt.web import Werkstatt

    register(Page("daten", "Daten", daten.install))
    register(Page("raumebenen", "Raumebenen", raumebenen.install))
    register(Page("katalog", "Katalog", katalog.install))
    register(Page("berechnen", "Berechnen", berechnen.install))
    register(Page("analysen", "Analysen", analysen.install))
    register(Page("berichte", "Berichte und Veröffentlichen", berichte.install))
    register(Page("dossier", "Dossier", dossier.install))
    register(Page("beteiligung", "Beteiligung", beteiligung.install))
    register(Page("benutzer", "Benutzer", benutzer.install, roles=("admin",)))
    shop = Werkstatt(app, login, root, **options)
    shop.install_pages(PAGES)
    return shop
