"""A planner's whole way in the browser alone (issue 17): sign in → upload the VG5000 Kreise as a
zipped Shapefile on *Raumebenen*, pick key and name columns, import → build Länder from Kreise by
key prefix → upload a real publisher file on *Daten*, fix a mistyped key, import → add an
indicator in the *Katalog* form → compute on *Berechnen* → see it on the map → a profile as PDF
on *Berichte* → an analysis opened in the atlas → publish the static atlas as ZIP; axe-core on
every page visited. Only the empty workspace and the planner's login exist beforehand (what an
administrator sets up with ``planlabor init`` and ``planlabor user add``)."""

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
from planlabor.workspace import Workspace
from tests.conftest import live_server
from tests.werkstatt_helpers import ARTIFACTS, CHROMIUM, axe, make_app, signed_in_page

DE = Path(__file__).resolve().parents[1] / "planlabor" / "demo" / "data" / "deutschland"
PUBLISHERS = Path("/work/shared/data/publishers")
# the same bytes ship with the demo (planlabor/demo/data/deutschland, see its SOURCES.md)
GENESIS = next(p for p in (PUBLISHERS / "genesis", DE) if (p / "12411-0015.csv").is_file()) / "12411-0015.csv"
VG5000 = next(p for p in (PUBLISHERS / "deutschland_vg5000", DE) if (p / "VG5000_KRS.shp").is_file())
PASSWORD = "werkstatt-e2e-passwort"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium fehlt"),
]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = Workspace.init(tmp_path_factory.mktemp("e2e") / "ws", name="Kreise", crs="EPSG:25832")
    ws.close()
    add_user(ws.root, "planerin", PASSWORD, "editor")
    return ws.root


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[str]:
    with live_server(make_app(root)) as url:
        yield url


def _job_done(page: Any, name: str) -> None:
    """The job's page until it is done (werkstatt.js polls and reloads); axe on it."""
    page.wait_for_selector("p.done, div.error", timeout=180_000)
    assert page.locator("div.error").count() == 0, page.locator("div.error").inner_text()
    axe(page, f"e2e_{name}")
    page.screenshot(path=str(ARTIFACTS / f"werkstatt_e2e_{name}.png"), full_page=True)


def _painted(page: Any, indicator: str, layer: str) -> None:
    """The map shows ``indicator`` on ``layer``.  The server rebuilds its caches in the background
    after a job changed the store and answers from the old ones meanwhile: like a planner, reload
    the page every 20 s until the new indicator is there (at most three minutes)."""
    end, reload = time.monotonic() + 180, time.monotonic() + 20
    while time.monotonic() < end:
        got = page.evaluate("window.__atlasPainted || null")
        if got and got.get("ind") == indicator and got.get("layer") == layer:
            return
        if time.monotonic() > reload:
            page.reload()
            reload = time.monotonic() + 20
        time.sleep(0.05)
    raise AssertionError(f"Karte für {indicator} auf {layer} nicht gezeichnet")


def _zipped_kreise(tmp: Path) -> Path:
    """The BKG's VG5000 Kreise Shapefile as a planner gets it: its parts in one ZIP."""
    path = tmp / "VG5000_KRS.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part in sorted(VG5000.glob("VG5000_KRS.*")):
            z.write(part, part.name)
    return path


def _kreise_and_laender(page: Any, tmp: Path) -> None:
    """*Raumebenen*: upload the zipped Kreise, key ARS and name GEN, import; then Länder from the
    first two digits of the key."""
    axe(page, "e2e_raumebenen")
    page.set_input_files("#geo-file", str(_zipped_kreise(tmp)))
    page.click("form.geo-upload button[type=submit]")
    page.wait_for_selector("#preview-map[data-ready]", timeout=120_000)
    assert page.get_attribute("#preview-map", "data-ready") == "400"  # the Kreise on the preview map
    assert "400 Gebiete" in page.locator("main").inner_text()
    axe(page, "e2e_raumebenen_vorschau")
    page.fill("#g-layer", "kreis")
    page.fill("#g-lname", "Kreise")
    page.select_option("#g-key", "ARS")
    page.select_option("#g-name", "GEN")
    page.click("form.geo-import button[type=submit]")
    page.wait_for_selector("div.done", timeout=120_000)
    assert "importiert: 400 Gebiete" in page.locator("main").inner_text()
    axe(page, "e2e_raumebenen_importiert")
    page.select_option("#d-layer", "kreis")
    page.fill("#d-into", "land")
    page.fill("#d-prefix", "2")
    page.fill("#d-name", "Länder")
    page.click("form[action='/werkstatt/raumebenen/zusammenfassen'] button[type=submit]")
    _job_done(page, "laender")
    assert "Raumebene „land“ mit 16 Gebiet(en) gebildet" in page.locator("main").inner_text()


def _publisher_file(page: Any, tmp: Path) -> None:
    """*Daten*: the GENESIS table with one key mistyped (01099 for Flensburg 01001, as happens in
    hand-edited tables): see the unmatched key, fix it in the form, import."""
    upload = tmp / GENESIS.name
    upload.write_bytes(GENESIS.read_bytes().replace(b"\n01001;", b"\n01099;"))
    page.click("nav a:has-text('Daten')")
    axe(page, "e2e_daten")
    page.set_input_files("#file", str(upload))
    page.select_option("#layer-new", "kreis")
    page.click("form.upload button[type=submit]")
    page.wait_for_selector("#report-h")
    assert "399 von 400" in page.locator("table.keys").inner_text()
    assert "01099" in page.content()
    axe(page, "e2e_probelauf")
    page.fill("#map_key", "01099=01001")
    page.click("button:has-text('Erneut prüfen')")
    page.wait_for_selector("#report-h")
    assert "400 von 400" in page.locator("table.keys").inner_text()
    page.click("form.options button:has-text('Importieren')")
    page.wait_for_selector("p.done")
    axe(page, "e2e_importiert")


def _indicator(page: Any) -> None:
    """*Katalog*: the population as an indicator, checked live against the imported data."""
    page.click("nav a:has-text('Katalog')")
    axe(page, "e2e_katalog")
    page.fill("#k-id", "bevoelkerung")
    page.fill("#k-name", "Bevölkerungsstand")
    page.fill("#k-theme", "Bevölkerung")
    page.fill("#k-num", "bevoelkerungsstand")
    page.wait_for_selector("#check-result.ok", timeout=30_000)
    page.click("#indicator-form button[type=submit]")
    page.wait_for_selector("div.done")
    assert "bevoelkerung" in page.locator("table.catalog").first.inner_text()


def _compute_and_map(page: Any, server: str) -> None:
    """*Berechnen*, then the internal atlas: Flensburg as published (89.504 on 31.12.2018)."""
    page.click("nav a:has-text('Berechnen')")
    axe(page, "e2e_berechnen")
    page.click("button:has-text('Alle Indikatoren berechnen')")
    _job_done(page, "berechnet")
    assert "1 Indikatoren berechnet" in page.locator("main").inner_text()
    page.goto(server + "/#i=bevoelkerung&l=kreis&p=2018-12-31")
    _painted(page, "bevoelkerung", "kreis")
    assert "Bevölkerungsstand" in page.inner_text("#legend-title")
    page.click('[data-view="table"]')
    page.fill("#table-filter", "Flensburg")
    rows = [r.split("\t") for r in page.locator("#data-table tbody tr").all_inner_texts()]
    assert ["01001", "Flensburg"] in [r[:2] for r in rows], rows
    assert next(r[2] for r in rows if r[0] == "01001").startswith("89.504"), rows
    page.screenshot(path=str(ARTIFACTS / "werkstatt_e2e_atlas.png"))


def _profile_pdf(page: Any, server: str, tmp: Path) -> None:
    """*Berichte*: a Sozialraumprofil of Flensburg as PDF, with progress, downloaded."""
    page.goto(server + "/werkstatt/berichte")
    axe(page, "e2e_berichte")
    page.select_option("#profile-layer", "kreis")
    page.fill("#profile-area", "01001")
    page.select_option("#profile-fmt", "pdf")
    page.click("button:has-text('Sozialraumprofile erstellen')")
    _job_done(page, "profil")
    with page.expect_download() as dl:
        page.click("ul.files a")
    pdf = Path(dl.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    (tmp / "profil.pdf").write_bytes(pdf)
    assert shutil.which("pdftotext"), "pdftotext fehlt (poppler-utils, scripts/debian-packages.txt)"
    text = subprocess.run(
        ["pdftotext", str(tmp / "profil.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Bevölkerungsstand" in text and "Flensburg" in text


def _analysis(page: Any) -> None:
    """*Analysen*: hot spots of the indicator, opened in the atlas."""
    page.click("nav a:has-text('Analysen')")
    axe(page, "e2e_analysen")
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


def _publish(page: Any, server: str) -> None:
    """*Berichte und Veröffentlichen*: the static atlas built and downloaded as ZIP."""
    page.goto(server + "/werkstatt/berichte")
    page.click("button:has-text('Atlas bauen')")
    _job_done(page, "atlas")
    with page.expect_download() as dl:
        page.click("a:has-text('Atlas herunterladen (ZIP)')")
    names = zipfile.ZipFile(io.BytesIO(Path(dl.value.path()).read_bytes())).namelist()
    assert "index.html" in names and any("kreis" in n for n in names)
    assert any("land" in n for n in names)


def test_from_a_publisher_file_to_a_published_atlas_and_a_pdf_profile(
    server: str, root: Path, tmp_path: Path
) -> None:
    with signed_in_page(server, "/werkstatt/raumebenen", "planerin", PASSWORD) as (page, problems):
        _kreise_and_laender(page, tmp_path)
        _publisher_file(page, tmp_path)
        _indicator(page)
        _compute_and_map(page, server)
        _profile_pdf(page, server, tmp_path)
        _analysis(page)
        _publish(page, server)
    assert problems == []
    with Workspace.open(root, read_only=True) as ws:  # what the browser did is in the store
        assert {lay.layer_id for lay in ws.store.layers()} == {"kreis", "land"}
        assert [(i.id, i.factor) for i in ws.catalog().indicators] == [("bevoelkerung", 1.0)]
