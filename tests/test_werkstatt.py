"""The Werkstatt page *Daten* (issue 17): upload a real publisher file, read the dry-run report
as tables, import, revert — signed in, with CSRF on every form, in Chromium with axe-core."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from planlabor.app import audit
from planlabor.app.imports import import_log
from planlabor.app.users import add_user
from planlabor.areas import AreaImportOptions, dissolve_layer
from planlabor.workspace import Workspace
from tests.conftest import live_server
from tests.werkstatt_helpers import ARTIFACTS, CHROMIUM, axe, login, make_app, signed_in_page

DE = Path(__file__).resolve().parents[1] / "planlabor" / "demo" / "data" / "deutschland"
# the publisher's file as downloaded (../shared/data/publishers); the same bytes ship with the demo
SHARED = Path("/work/shared/data/publishers/genesis/12411-0015.csv")
GENESIS = SHARED if SHARED.is_file() else DE / "12411-0015.csv"
PASSWORD = "werkstatt-passwort-1"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = Workspace.init(tmp_path_factory.mktemp("werkstatt") / "ws", name="Kreise", crs="EPSG:25832")
    ws.import_areas(
        DE / "VG5000_KRS.shp", AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN")
    )
    dissolve_layer(ws.store, "kreis", "land", key_prefix=2)
    ws.close()
    add_user(ws.root, "planerin", PASSWORD, "admin")
    return ws.root


@pytest.fixture(scope="module")
def client(root: Path) -> Iterator[TestClient]:
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:
        yield c


def _observation_imports(root: Path) -> list[int]:
    return [e["import_id"] for e in import_log(root) if e["kind"] == "observations"]


def test_werkstatt_needs_a_session(root: Path) -> None:
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:
        r = c.get("/werkstatt/daten", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/werkstatt/daten"
        r = c.post("/werkstatt/daten/pruefen", files={"file": ("a.csv", b"x;y\n")}, follow_redirects=False)
        assert r.status_code == 303  # refused before the file is read


def test_every_form_needs_the_csrf_token(client: TestClient, root: Path) -> None:
    csrf = login(client, password=PASSWORD)
    page = client.get("/werkstatt/daten").text
    assert page.count('name="csrf"') >= 2 and csrf in page  # upload form and logout
    before = _observation_imports(root)
    for path, data in [
        ("/werkstatt/daten/pruefen", {"layer": "kreis"}),
        ("/werkstatt/daten/importieren", {"layer": "kreis", "upload": "x" * 32}),
        ("/werkstatt/daten/zuruecksetzen", {"import_id": "1"}),
    ]:
        assert client.post(path, data=data).status_code == 403
        assert client.post(path, data={**data, "csrf": "falsch"}).status_code == 403
    assert _observation_imports(root) == before


def test_page_has_no_inline_script_and_a_strict_csp(client: TestClient) -> None:
    login(client, password=PASSWORD)
    r = client.get("/werkstatt/daten")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", r.text) and " style=" not in r.text
    assert client.get("/werkstatt/static/werkstatt.js").status_code == 200
    assert client.get("/werkstatt/static/..%2Fdaten.py").status_code == 404


def test_upload_check_import_revert_by_form(client: TestClient, root: Path) -> None:
    csrf = login(client, password=PASSWORD)
    r = client.post(
        "/werkstatt/daten/pruefen",
        data={"csrf": csrf, "layer": "kreis"},
        files={"file": (GENESIS.name, GENESIS.read_bytes(), "text/csv")},
    )
    assert r.status_code == 200, r.text[:2000]
    assert "bevoelkerungsstand" in r.text and "400 von 400" in r.text
    token = re.search(r'name="upload" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    # a wrong option: the German error with what was expected, nothing imported
    before = _observation_imports(root)
    r = client.post(
        "/werkstatt/daten/importieren",
        data={"csrf": csrf, "upload": token, "layer": "kreis", "map_key": "01001"},
    )
    assert r.status_code == 422 and "hat nicht die Form A=B" in r.text and "Erwartet" in r.text
    assert _observation_imports(root) == before
    r = client.post(
        "/werkstatt/daten/importieren",
        data={"csrf": csrf, "upload": token, "layer": "kreis", "on_unmatched": "auto"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:2000]
    nr = _observation_imports(root)[-1]
    page = client.get(r.headers["location"]).text
    assert f"Import Nr. {nr} abgeschlossen" in page and GENESIS.name in page
    assert audit.entries(root, limit=1)[0]["user"] == "planerin"
    r = client.post("/werkstatt/daten/zuruecksetzen", data={"csrf": csrf, "import_id": str(nr)})
    assert r.status_code == 200 and f"aus Import Nr. {nr} sind wieder gültig" in r.text
    assert audit.entries(root, limit=1)[0]["action"] == "revert"


# ------------------------------------------------------------------ browser
@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[str]:
    with live_server(make_app(root)) as base:
        yield base


@pytest.mark.skipif(shutil.which("chromium") is None and not Path(CHROMIUM).exists(), reason="Chromium fehlt")
def test_planner_imports_a_publisher_file_in_the_browser(server: str, root: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import ARGS

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: blocked.append(f"{page.url}: {e}"))
        page.goto(server + "/werkstatt/daten")
        assert "/login?next=" in page.url  # not signed in: to the login, and back after it
        page.fill("#username", "planerin")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server + "/werkstatt/daten")
        assert page.locator("h1").inner_text() == "Daten importieren"
        axe(page, "daten")
        page.set_input_files("#file", str(GENESIS))
        assert "Gewählt: 12411-0015.csv" in page.locator("#drop-hint").inner_text()  # the script runs
        page.select_option("#layer-new", "kreis")
        page.click("form.upload button[type=submit]")
        page.wait_for_selector("#report-h")
        keys = page.locator("table.keys").inner_text()
        assert "400 von 400" in keys
        variables = page.locator("table.variables").inner_text()
        assert "bevoelkerungsstand" in variables
        page.screenshot(path=str(ARTIFACTS / "werkstatt_daten_probelauf.png"), full_page=True)
        axe(page, "probelauf")
        before = _observation_imports(root)
        page.click("form.options button:has-text('Importieren')")
        page.wait_for_selector("p.done")
        nr = _observation_imports(root)[-1]
        assert nr not in before
        assert f"Import Nr. {nr} abgeschlossen" in page.locator("p.done").inner_text()
        assert page.locator("table.log tbody tr").first.inner_text().startswith(str(nr))
        axe(page, "importiert")
        page.screenshot(path=str(ARTIFACTS / "werkstatt_daten_importiert.png"), full_page=True)
        page.click("nav a:has-text('Benutzer')")
        page.wait_for_selector("table.audit")
        assert "planerin" in page.locator("table.audit tbody tr").first.inner_text()
        axe(page, "benutzer")
        page.screenshot(path=str(ARTIFACTS / "werkstatt_benutzer.png"), full_page=True)
        page.click("nav a:has-text('Raumebenen')")
        page.wait_for_selector("table.layers")
        axe(page, "raumebenen")
        page.click("nav a:has-text('Berechnen')")
        axe(page, "berechnen")
        page.click("button:has-text('Alle Indikatoren berechnen')")
        page.wait_for_selector("text=Zurück zu Berechnen")
        page.wait_for_selector("p.done, div.error", timeout=60_000)  # the page reloads itself until then
        axe(page, "auftrag")
        page.screenshot(path=str(ARTIFACTS / "werkstatt_auftrag.png"), full_page=True)
        browser.close()
    assert blocked == []
    with Workspace.open(root, read_only=True) as ws:
        df = ws.store.observations(layer_id="kreis", variables=["bevoelkerungsstand"], periods=["2018-12-31"])
    assert float(df[df["area_id"] == "01001"]["value"].iloc[0]) == 89504.0  # Flensburg, as published


# -------------------------------------------------------------------- roles
def _client_as(root: Path, name: str, role: str) -> TestClient:
    from contextlib import suppress

    from planlabor.errors import InputError

    with suppress(InputError):  # exists from an earlier test
        add_user(root, name, PASSWORD, role)
    c = TestClient(make_app(root), base_url="http://127.0.0.1")
    token = c.get("/api/session").json()["csrf"]
    r = c.post("/login", data={"username": name, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    return c


def test_a_viewer_looks_but_cannot_import_revert_or_manage_users(root: Path) -> None:
    with _client_as(root, "leserin", "viewer") as c:
        csrf = c.get("/api/session").json()["csrf"]
        page = c.get("/werkstatt/daten").text
        assert "Importprotokoll" in page and "Wieder gültig machen" not in page
        assert "/werkstatt/benutzer" not in page  # not in her navigation
        r = c.post(
            "/werkstatt/daten/pruefen",
            data={"csrf": csrf, "layer": "kreis"},
            files={"file": (GENESIS.name, GENESIS.read_bytes(), "text/csv")},
        )
        assert r.status_code == 200 and "400 von 400" in r.text  # a dry run changes nothing
        assert ">Importieren</button>" not in r.text
        token = re.search(r'name="upload" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
        before = _observation_imports(root)
        r = c.post("/werkstatt/daten/importieren", data={"csrf": csrf, "upload": token, "layer": "kreis"})
        assert r.status_code == 403 and "nur ansehen" in r.text
        assert (
            c.post("/werkstatt/daten/zuruecksetzen", data={"csrf": csrf, "import_id": "1"}).status_code == 403
        )
        assert _observation_imports(root) == before
        assert c.get("/werkstatt/benutzer").status_code == 403


def test_only_an_admin_manages_users_and_every_change_is_recorded(root: Path) -> None:
    with _client_as(root, "redakteur", "editor") as c:
        csrf = c.get("/api/session").json()["csrf"]
        assert c.get("/werkstatt/benutzer").status_code == 403
        data = {"csrf": csrf, "name": "neu", "role": "viewer", "password": PASSWORD}
        assert c.post("/werkstatt/benutzer/anlegen", data=data).status_code == 403
    with _client_as(root, "chefin", "admin") as c:
        csrf = c.get("/api/session").json()["csrf"]
        r = c.post(
            "/werkstatt/benutzer/anlegen",
            data={"csrf": csrf, "name": "neu", "role": "viewer", "password": "kurz"},
        )
        assert r.status_code == 422 and "zu kurz" in r.text
        assert (
            c.post(
                "/werkstatt/benutzer/anlegen", data={"name": "neu", "role": "viewer", "password": PASSWORD}
            ).status_code
            == 403
        )
        r = c.post(
            "/werkstatt/benutzer/anlegen",
            data={"csrf": csrf, "name": "neu", "role": "viewer", "password": PASSWORD},
        )
        assert r.status_code == 200 and "Benutzer:in angelegt" in r.text and "viewer – nur ansehen" in r.text
        r = c.post("/werkstatt/benutzer/entfernen", data={"csrf": csrf, "name": "neu"})
        assert r.status_code == 200 and "entfernt" in r.text
        table = r.text[r.text.index('class="audit"') :]
        assert "chefin" in table and "Benutzer:in angelegt" in table and "Benutzer:in entfernt" in table
    got = [(e["user"], e["action"], e["detail"].get("name")) for e in audit.entries(root, limit=2)]
    assert got == [("chefin", "user remove", "neu"), ("chefin", "user add", "neu")]


# ------------------------------------------------------------ jobs: compute, atlas
CATALOG = """
[[indicator]]
id = "bevoelkerung"
name = "Bevölkerung"
theme = "Bevölkerung"
numerator = ["bevoelkerungsstand"]
decimals = 0
"""


def _wait(c: TestClient, url: str) -> str:
    for _ in range(600):
        r = c.get(url)
        if "data-job=" not in r.text:  # a running job's page follows it (werkstatt.js, <noscript> refresh)
            return r.text
        assert "<progress" in r.text  # a running job shows its state
        time.sleep(0.2)
    raise AssertionError("Auftrag nicht fertig")


def test_compute_and_atlas_run_as_jobs_whose_page_survives_a_reload(root: Path) -> None:
    from planlabor.app.imports import import_file

    if not _observation_imports(root):
        import_file(root, GENESIS, {"layer": "kreis"}, by="test")
    (root / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    with _client_as(root, "redakteur", "editor") as c:
        csrf = c.get("/api/session").json()["csrf"]
        assert c.post("/werkstatt/berechnen/compute", data={}).status_code == 403  # CSRF
        r = c.post("/werkstatt/berechnen/compute", data={"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303
        job = r.headers["location"]
        text = _wait(c, job)
        assert "1 Indikatoren berechnet" in text and "kreis" in text
        with TestClient(make_app(root), base_url="http://127.0.0.1") as other:  # another server, same state
            assert other.get(job, follow_redirects=False).status_code == 303  # needs a login …
        assert "1 Indikatoren berechnet" in c.get(job).text  # … the reload shows the result
        r = c.post("/werkstatt/berechnen/atlas", data={"csrf": csrf}, follow_redirects=False)
        text = _wait(c, r.headers["location"])
        assert "Atlas gebaut" in text and "1 Indikatoren" in text
        z = c.get("/werkstatt/berechnen/atlas.zip")
        assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
        import io
        import zipfile

        names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
        assert "index.html" in names
    with Workspace.open(root, read_only=True) as ws:
        df = ws.store.query_df(
            "SELECT count(*) AS n FROM indicator_values WHERE indicator_id = 'bevoelkerung'"
        )
    assert int(df["n"].iloc[0]) > 0
    assert [e["action"] for e in audit.entries(root, limit=2)] == ["atlas build", "compute"]


def test_a_failed_job_shows_the_german_error_and_changes_nothing(root: Path) -> None:
    try:
        with _client_as(root, "redakteur", "editor") as c:
            csrf = c.get("/api/session").json()["csrf"]
            (root / "catalog.toml").write_text("[[indicator]]\nid = 'kaputt'\n", encoding="utf-8")
            r = c.post("/werkstatt/berechnen/compute", data={"csrf": csrf}, follow_redirects=False)
            text = _wait(c, r.headers["location"])
            assert "Das hat nicht geklappt" in text and "Der Katalog ist ungültig" in text
            assert "Lösung:" in text and "unverändert" in text
    finally:
        (root / "catalog.toml").write_text(CATALOG, encoding="utf-8")


def test_build_a_layer_from_key_prefixes_in_the_browser_form(root: Path) -> None:
    with Workspace.open(root, read_only=True) as ws:
        expected = ws.store.areas("kreis")["area_id"].str[:3].nunique()
    with _client_as(root, "redakteur", "editor") as c:
        csrf = c.get("/api/session").json()["csrf"]
        page = c.get("/werkstatt/raumebenen").text
        assert "<code>kreis</code>" in page and "400" in page
        bad = {"csrf": csrf, "layer": "kreis", "into": "Regierungs Bezirk", "key_prefix": "3"}
        r = c.post("/werkstatt/raumebenen/zusammenfassen", data=bad)
        assert r.status_code == 422 and "nicht zulässig" in r.text
        good = {**bad, "into": "rb", "layer_name": "Regierungsbezirke"}
        r = c.post("/werkstatt/raumebenen/zusammenfassen", data=good, follow_redirects=False)
        text = _wait(c, r.headers["location"])
        assert f"Raumebene „rb“ mit {expected} Gebiet(en) gebildet" in text
        assert "<code>rb</code>" in c.get("/werkstatt/raumebenen").text
    assert audit.entries(root, limit=1)[0]["action"] == "areas dissolve"


@pytest.mark.slow
def _computed(root: Path) -> None:
    """Values and one computed indicator, whichever tests ran before (also alone or with -m slow)."""
    from planlabor.app import compute as app_compute
    from planlabor.app.imports import import_file
    from planlabor.werkstatt.jobs import Writer

    # in a writer process, like the Werkstatt: no writing connection beside the server's in this one
    writer = Writer()
    try:
        if not _observation_imports(root):
            writer.run(import_file, root, GENESIS, {"layer": "kreis"}, by="test")
        (root / "catalog.toml").write_text(CATALOG, encoding="utf-8")
        writer.run(app_compute.compute, root, by="test")
    finally:
        writer.close()


def test_a_profile_pdf_is_built_as_a_job_and_downloaded(root: Path) -> None:
    _computed(root)
    with _client_as(root, "redakteur", "editor") as c:
        csrf = c.get("/api/session").json()["csrf"]
        r = c.post(
            "/werkstatt/berechnen/profile",
            data={"csrf": csrf, "layer": "kreis", "area": "99999"},
            follow_redirects=False,
        )
        failed = _wait(c, r.headers["location"])
        assert "Das Gebiet &#39;99999&#39; gibt es in der Raumebene" in failed and "Lösung" in failed
        r = c.post(
            "/werkstatt/berechnen/profile",
            data={"csrf": csrf, "layer": "kreis", "area": "01001"},
            follow_redirects=False,
        )
        text = _wait(c, r.headers["location"])
        link = re.search(r'href="(/werkstatt/berichte/[^"]+\.pdf)"', text)
        assert link, text[-3000:]
        pdf = c.get(link.group(1))
        assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
        assert c.get("/werkstatt/berichte/..%2Fjobs").status_code == 404


# ----------------------------------------------------------- dossier (issue 20)
def test_a_dossier_is_described_in_the_form_and_exported_as_a_job(root: Path) -> None:
    """The description form of issue 20: German errors per field, the export as a job through the
    confidentiality audit, the dossier as ZIP; the form keeps what was entered."""
    import io
    import tomllib
    import zipfile

    _computed(root)
    with _client_as(root, "redakteur", "editor") as c:
        csrf = c.get("/api/session").json()["csrf"]
        page = c.get("/werkstatt/dossier")
        assert page.status_code == 200 and "Dossier für die Galerie" in page.text
        fields = {"titel": "Bevölkerung der Kreise", "kommune": "Musterkreis", "land": "DE", "jahr": "2024",
                  "themen": "Demografie, Monitoring", "ziel": "Überblick über die Kreise", "csrf": csrf}  # fmt: skip
        assert c.post("/werkstatt/dossier/export", data={**fields, "csrf": ""}).status_code == 403
        bad = c.post("/werkstatt/dossier/export", data={**fields, "land": "FR"})
        assert bad.status_code == 422 and "Die Dossierbeschreibung ist ungültig: land" in bad.text
        assert 'value="Bevölkerung der Kreise"' in bad.text  # what was typed stays
        r = c.post("/werkstatt/dossier/export", data=fields, follow_redirects=False)
        assert r.status_code == 303
        text = _wait(c, r.headers["location"])
        assert "Dossier exportiert" in text and "Geheimhaltungsprüfung: geprüft" in text, text
        z = c.get("/werkstatt/dossier/dossier.zip")
        assert z.status_code == 200
        files = zipfile.ZipFile(io.BytesIO(z.content))
        meta = tomllib.loads(files.read("dossier.toml").decode("utf-8"))
        assert meta["titel"] == "Bevölkerung der Kreise" and meta["themen"] == ["Demografie", "Monitoring"]
        assert meta["beschreibung"]["ziel"] == "Überblick über die Kreise"
        assert "vorlage.toml" in files.namelist()
        assert 'value="Musterkreis"' in c.get("/werkstatt/dossier").text  # the saved form fills it again
    assert audit.entries(root, limit=1)[0]["action"] == "dossier export"


@pytest.mark.skipif(shutil.which("chromium") is None and not Path(CHROMIUM).exists(), reason="Chromium fehlt")
def test_dossier_page_in_chromium_with_axe(server: str) -> None:
    with signed_in_page(server, "/werkstatt/dossier", password=PASSWORD) as (page, problems):
        assert page.locator("h1").inner_text() == "Dossier für die Galerie"
        axe(page, "dossier")
        page.screenshot(path=str(ARTIFACTS / "werkstatt_dossier.png"), full_page=True)
    assert problems == []
