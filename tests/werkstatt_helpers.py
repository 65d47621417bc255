"""Shared helpers of the Werkstatt tests: a small signed-in workspace (four areas, three
variables), the app over it, signing in with the test client, and a signed-in Chromium page with
axe-core — used by the Katalog, Raumebenen, Fachthemen, Quarantäne and end-to-end tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
from fastapi.testclient import TestClient
from shapely.geometry import box

from planlabor.app.users import add_user
from planlabor.areas import AreaImportOptions
from planlabor.atlas.access import LiveWorkspace
from planlabor.atlas.server import create_app
from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace

PASSWORD = "katalog-passwort-1"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


def make_workspace(folder: Path) -> Path:
    """Four areas, three variables (ew, kinder, sgb2) in two periods; an empty catalog; an admin
    ``planerin`` and a viewer ``leserin``."""
    ws = Workspace.init(folder / "ws", name="Katalogstadt")
    x0, y0 = 390000, 5820000
    areas = gpd.GeoDataFrame(
        {"id": ["0101", "0102", "0201", "0202"], "name": ["Nord", "Mitte", "Süd", "West"]},
        geometry=[box(x0 + i * 1000, y0, x0 + (i + 1) * 1000, y0 + 1000) for i in range(4)],
        crs="EPSG:25833",
    )
    areas.to_file(folder / "areas.gpkg")
    ws.import_areas(
        folder / "areas.gpkg", AreaImportOptions(layer="gebiet", id_column="id", name_column="name")
    )
    for period, k in (("2022-12-31", 0), ("2023-12-31", 50)):
        csv = folder / f"d{period}.csv"
        csv.write_text(
            f"id;ew;kinder;sgb2\n0101;{1000 + k};100;2\n0102;{3000 + k};600;300\n0201;1500;50;40\n0202;2000;100;60\n",
            encoding="utf-8",
        )
        ws.import_table(csv, ImportOptions(layer="gebiet", period=period))
    ws.close()
    add_user(ws.root, "planerin", PASSWORD, "admin")
    add_user(ws.root, "leserin", PASSWORD, "viewer")
    return ws.root


def make_app(root: Path) -> Any:
    """The internal server over the live workspace, Werkstatt included."""
    live = LiveWorkspace(root)
    return create_app(live.source(), internal=True, live=live)


def login(c: TestClient, user: str = "planerin", password: str = PASSWORD) -> str:
    """Sign in with the test client; returns the session's CSRF token."""
    token = c.get("/api/session").json()["csrf"]
    r = c.post("/login", data={"username": user, "password": password, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    return str(c.get("/api/session").json()["csrf"])


def axe(page: Any, name: str) -> None:
    """axe-core on the page: no violation; the findings written to ``test-artifacts``."""
    from axe_playwright_python.sync_playwright import Axe

    res = Axe().run(page)
    bad = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in res.response["violations"]]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe_werkstatt_{name}.json").write_text(json.dumps(bad, indent=1), encoding="utf-8")
    assert bad == [], (name, bad)


@contextmanager
def signed_in_page(
    server: str, path: str, user: str = "planerin", password: str = PASSWORD
) -> Iterator[tuple[Any, list[str]]]:
    """A Chromium page signed in on ``path``; yields the page and the list of script errors and
    CSP violations seen (the caller asserts it is empty at the end)."""
    from playwright.sync_api import sync_playwright

    from tests.test_atlas_browser import ARGS

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 900}, accept_downloads=True)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
        page.goto(f"{server}/login?next={path}")
        page.fill("#username", user)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(server + path)
        try:
            yield page, problems
        finally:
            browser.close()
