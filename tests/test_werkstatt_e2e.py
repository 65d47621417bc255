"""A planner's whole way in the browser (issue 17): sign in → upload a real publisher file → fix a
key → import → build Länder from Kreise → (indicator) → compute → see it on the map → a profile
as PDF → an analysis opened in the atlas → publish the atlas as ZIP; axe-core on every page.

The Kreise geometries are imported in code (the geometry upload of *Raumebenen* is another
engineer's part); the indicator is written to ``catalog.toml`` because the Katalog page is not
on main yet."""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planlabor.app.users import add_user
from planlabor.areas import AreaImportOptions
from planlabor.atlas.access import LiveWorkspace
from planlabor.atlas.server import create_app
from planlabor.workspace import Workspace
from tests.conftest import live_server

DE = Path(__file__).resolve().parents[1] / "planlabor" / "demo" / "data" / "deutschland"
SHARED = Path("/work/shared/data/publishers/genesis/12411-0015.csv")
GENESIS = SHARED if SHARED.is_file() else DE / "12411-0015.csv"  # the same bytes ship with the demo
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
PASSWORD = "werkstatt-e2e-passwort"
CATALOG = """
[[indicator]]
id = "bevoelkerung"
name = "Bevölkerungsstand"
theme = "Bevölkerung"
numerator = ["bevoelkerungsstand"]
decimals = 0
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium fehlt"),
]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = Workspace.init(tmp_path_factory.mktemp("e2e") / "ws", name="Kreise", crs="EPSG:25832")
    ws.import_areas(
        DE / "VG5000_KRS.shp", AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN")
    )
    ws.close()
    add_user(ws.root, "planerin", PASSWORD, "editor")
    return ws.root


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[str]:
    live = LiveWorkspace(root)
    with live_server(create_app(live.source(), internal=True, live=live)) as url:
        yield url


def _axe(page: Any, name: str) -> None:
    import json

    from axe_playwright_python.sync_playwright import Axe

    res = Axe().run(page)
    bad = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in res.response["violations"]]
    (ARTIFACTS / f"axe_e2e_{name}.json").write_text(json.dumps(bad, indent=1), encoding="utf-8")
    assert bad == [], (name, bad)


def _job_done(page: Any, name: str) -> None:
    """The job's page until it is done (werkstatt.js polls and reloads); axe on it."""
    page.wait_for_selector("p.done, div.error", timeout=180_000)
    assert page.locator("div.error").count() == 0, page.locator("div.error").inner_text()
    _axe(page, name)
    page.screenshot(path=str(ARTIFACTS / f"werkstatt_e2e_{name}.png"), full_page=True)


def _painted(page: Any, indicator: str, layer: str) -> None:
    end = time.monotonic() + 30
    while time.monotonic() < end:
        got = page.evaluate("window.__atlasPainted || null")
        if got and got.get("ind") == indicator and got.get("layer") == layer:
            return
        time.sleep(0.05)
    raise AssertionError(f"Karte für {indicator} auf {layer} nicht gezeichnet")


def test_from_a_publisher_file_to_a_published_atlas_and_a_pdf_profile(
    server: str, root: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.test_atlas_browser import ARGS

    ARTIFACTS.mkdir(exist_ok=True)
    # the publisher's file with one key mistyped (01099 for Flensburg 01001), as happens in hand-edited tables
    upload = tmp_path / GENESIS.name
    upload.write_bytes(GENESIS.read_bytes().replace(b"\n01001;", b"\n01099;"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 900}, accept_downloads=True)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        # sign in
        page.goto(server + "/werkstatt/daten")
        page.fill("#username", "planerin")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server + "/werkstatt/daten")
        _axe(page, "daten")
        # upload, see the unmatched key, fix it, import
        page.set_input_files("#file", str(upload))
        page.select_option("#layer-new", "kreis")
        page.click("form.upload button[type=submit]")
        page.wait_for_selector("#report-h")
        assert "399 von 400" in page.locator("table.keys").inner_text()
        assert "01099" in page.content()
        _axe(page, "probelauf")
        page.fill("#map_key", "01099=01001")
        page.click("button:has-text('Erneut prüfen')")
        page.wait_for_selector("#report-h")
        assert "400 von 400" in page.locator("table.keys").inner_text()
        page.click("form.options button:has-text('Importieren')")
        page.wait_for_selector("p.done")
        _axe(page, "importiert")
        # Länder from Kreise
        page.click("nav a:has-text('Raumebenen')")
        _axe(page, "raumebenen")
        page.select_option("#d-layer", "kreis")
        page.fill("#d-into", "land")
        page.fill("#d-prefix", "2")
        page.fill("#d-name", "Länder")
        page.click("form[action='/werkstatt/raumebenen/zusammenfassen'] button[type=submit]")
        _job_done(page, "laender")
        assert "Raumebene „land“ mit 16 Gebiet(en) gebildet" in page.locator("main").inner_text()
        # an indicator (Katalog page not on main yet: the catalog file, as a planner's template would)
        (root / "catalog.toml").write_text(CATALOG, encoding="utf-8")
        # compute
        page.click("nav a:has-text('Berechnen')")
        _axe(page, "berechnen")
        page.click("button:has-text('Alle Indikatoren berechnen')")
        _job_done(page, "berechnet")
        assert "1 Indikatoren berechnet" in page.locator("main").inner_text()
        # on the map: the internal atlas with the indicator; Flensburg as published (89.504)
        page.goto(server + "/#i=bevoelkerung&l=kreis&p=2018-12-31")
        _painted(page, "bevoelkerung", "kreis")
        assert "Bevölkerungsstand" in page.inner_text("#legend-title")
        page.click('[data-view="table"]')
        page.fill("#table-filter", "Flensburg")
        rows = [r.split("\t") for r in page.locator("#data-table tbody tr").all_inner_texts()]
        assert ["01001", "Flensburg", "89.504"] in [r[:3] for r in rows], rows
        page.screenshot(path=str(ARTIFACTS / "werkstatt_e2e_atlas.png"))
        # a profile as PDF, with progress on the job's page
        page.goto(server + "/werkstatt/berichte")
        _axe(page, "berichte")
        page.screenshot(path=str(ARTIFACTS / "werkstatt_e2e_berichte.png"), full_page=True)
        page.select_option("#profile-layer", "kreis")
        page.fill("#profile-area", "01001")
        page.select_option("#profile-fmt", "pdf")
        page.click("button:has-text('Sozialraumprofile erstellen')")
        _job_done(page, "profil")
        with page.expect_download() as dl:
            page.click("ul.files a")
        pdf = Path(dl.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        text = _pdf_text(pdf, tmp_path)
        assert "Bevölkerungsstand" in text and "Flensburg" in text
        # an analysis, opened in the atlas
        page.click("nav a:has-text('Analysen')")
        _axe(page, "analysen")
        page.screenshot(path=str(ARTIFACTS / "werkstatt_e2e_analysen.png"), full_page=True)
        page.select_option("#hotspots-layer", "kreis")
        page.fill("#hotspots-variable", "bevoelkerung")
        page.fill("#hotspots-period", "2018-12-31")
        page.fill("#hotspots-permutations", "99")
        page.click("button:has-text('Hot Spots starten')")
        _job_done(page, "hotspots")
        assert "Moran's I" in page.locator("main").inner_text()
        assert "Flensburg" in page.locator("table.analysis").inner_text()  # names beside the keys
        page.click("a:has-text('Bevölkerungsstand im Atlas öffnen')")
        _painted(page, "bevoelkerung", "kreis")
        assert "i=bevoelkerung" in page.url and "p=2018-12-31" in page.url
        # publish: the static atlas as ZIP
        page.goto(server + "/werkstatt/berichte")
        page.click("button:has-text('Atlas bauen')")
        _job_done(page, "atlas")
        with page.expect_download() as dl2:
            page.click("a:has-text('Atlas herunterladen (ZIP)')")
        names = zipfile.ZipFile(io.BytesIO(Path(dl2.value.path()).read_bytes())).namelist()
        assert "index.html" in names and any("kreis" in n for n in names)
        browser.close()
    assert errors == []


def _pdf_text(pdf: bytes, tmp: Path) -> str:
    path = tmp / "profil.pdf"
    path.write_bytes(pdf)
    assert shutil.which("pdftotext"), "pdftotext fehlt (poppler-utils, scripts/debian-packages.txt)"
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
