"""The Werkstatt page *Daten*, quarantine (issue 17): held-back keys listed, each mapped to an
area key in a form, the kept file imported again through the application layer."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from planlabor.app import imports as app_imports
from planlabor.workspace import Workspace
from tests.werkstatt_helpers import login, make_app, make_workspace

CSV = "id;ew\n0101;1000\n0102;3000\n0201;1500\n9999;2000\n"


def test_map_held_back_keys_and_import_again(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:
        csrf = login(c)
        options = {"layer": "gebiet", "period": "2024-12-31", "on_unmatched": "quarantine", "csrf": csrf}
        r = c.post("/werkstatt/daten/pruefen", data=options, files={"file": ("ew2024.csv", CSV.encode())})
        assert r.status_code == 200, r.text
        token = r.text.split('name="upload" value="')[1].split('"')[0]
        r = c.post("/werkstatt/daten/importieren", data={**options, "upload": token})
        assert r.status_code == 200 and "Zurückgestellte Schlüssel" in r.text
        held = app_imports.held_imports(root)
        assert [(h["file"], [k["area_id"] for k in h["keys"]]) for h in held] == [("ew2024.csv", ["9999"])]
        first = held[0]["import_id"]
        r = c.post(
            "/werkstatt/daten/quarantaene", data={"csrf": csrf, "import_id": str(first), "key:9999": ""}
        )
        assert r.status_code == 422 and "kein Schlüssel zugeordnet" in r.text
        r = c.post("/werkstatt/daten/quarantaene", data={"import_id": str(first), "key:9999": "0202"})
        assert r.status_code == 403  # no CSRF token
        r = c.post(
            "/werkstatt/daten/quarantaene", data={"csrf": csrf, "import_id": str(first), "key:9999": "0202"}
        )
        assert r.status_code == 200 and "Zurückgestellte Schlüssel" not in r.text
    assert app_imports.held_imports(root) == []
    with Workspace.open(root, read_only=True) as ws:
        df = ws.store.query_df(
            "SELECT area_id, value, import_id FROM observations WHERE superseded_by IS NULL "
            "AND variable = 'ew' AND period = '2024-12-31' ORDER BY area_id"
        )
    assert list(df["area_id"]) == ["0101", "0102", "0201", "0202"]
    assert df["value"].tolist() == [1000, 3000, 1500, 2000] and set(df["import_id"]) == {first + 1}
    log = [e for e in app_imports.import_log(root) if e["import_id"] == first + 1]
    assert "9999" in str(log[0]["options"]) and "0202" in str(log[0]["options"])
