"""Theme scopes (issue 17): an editor limited to her themes (the Jugendamt edits Jugendhilfe only)
changes neither indicators nor imports of another theme; only an admin sets the themes."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from planlabor.app import audit
from planlabor.app import catalog as app_catalog
from planlabor.app.users import themes_of
from tests.test_werkstatt_katalog import FORM
from tests.werkstatt_helpers import PASSWORD, login, make_app, make_workspace


def _upload_import(c: TestClient, csrf: str, csv: str) -> int:
    options = {"layer": "gebiet", "period": "2024-12-31", "csrf": csrf}
    r = c.post("/werkstatt/daten/pruefen", data=options, files={"file": ("werte.csv", csv.encode())})
    assert r.status_code == 200, r.text
    token = r.text.split('name="upload" value="')[1].split('"')[0]
    r = c.post("/werkstatt/daten/importieren", data={**options, "upload": token}, follow_redirects=False)
    return r.status_code


def test_an_editor_of_one_theme_cannot_touch_another(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    app_catalog.save_indicator(root, {**FORM, "id": "quote_sgb2", "theme": "Arbeit", "numerator": "sgb2"})
    app_catalog.save_indicator(root, FORM)  # anteil_kinder, Jugendhilfe
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:  # the admin sets up the Jugendamt
        csrf = login(c)
        r = c.post(
            "/werkstatt/benutzer/anlegen",
            data={
                "csrf": csrf,
                "name": "jugendamt",
                "role": "editor",
                "password": PASSWORD,
                "themes": "Jugendhilfe",
            },
        )
        assert r.status_code == 200 and "Jugendhilfe" in r.text
    assert themes_of(root, "jugendamt") == ["Jugendhilfe"] and themes_of(root, "planerin") is None
    before = (root / "catalog.toml").read_bytes()
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:
        csrf = login(c, "jugendamt")
        r = c.post(
            "/werkstatt/katalog/indikator", data={**FORM, "id": "neu_arbeit", "theme": "Arbeit", "csrf": csrf}
        )
        assert r.status_code == 403 and "Fachthema Arbeit" in r.text and "nur Jugendhilfe" in r.text
        r = c.post(  # moving an Arbeit indicator into her own theme is touching Arbeit too
            "/werkstatt/katalog/indikator",
            data={**FORM, "id": "quote_sgb2", "numerator": "sgb2", "theme": "Jugendhilfe", "csrf": csrf},
        )
        assert r.status_code == 403
        r = c.post("/werkstatt/katalog/vorlage", data={"vorlage": "armut", "csrf": csrf})
        assert r.status_code == 403
        assert (root / "catalog.toml").read_bytes() == before
        assert _upload_import(c, csrf, "id;sgb2\n0101;5\n0102;300\n0201;40\n0202;60\n") == 403
        assert _upload_import(c, csrf, "id;kinder\n0101;110\n0102;610\n0201;55\n0202;105\n") == 303
        r = c.post("/werkstatt/katalog/indikator", data={**FORM, "name": "Kinder (Jugendamt)", "csrf": csrf})
        assert r.status_code == 200 and "ist im Katalog gespeichert" in r.text
        assert (
            c.post("/werkstatt/benutzer/fachthemen", data={"csrf": csrf, "name": "jugendamt"}).status_code
            == 403
        )
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:  # the admin lifts the limit
        csrf = login(c)
        r = c.post("/werkstatt/benutzer/fachthemen", data={"csrf": csrf, "name": "jugendamt", "themes": ""})
        assert r.status_code == 200 and "Fachthemen gespeichert" in r.text
    assert themes_of(root, "jugendamt") is None
    done = [(e["user"], e["action"], e["detail"].get("name")) for e in audit.entries(root)]
    assert ("planerin", "user themes", "jugendamt") in done
    assert ("jugendamt", "catalog", None) in [(u, a, None) for u, a, _ in done]
