"""Issue 19, point 2: named area groups – application layer, command line, REST API of the
internal view (CSRF, roles) and the profile report of a group, on the small Neukölln workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from planlabor.app.groups import delete_group, list_groups, save_group
from planlabor.errors import InputError, NotFoundError
from planlabor.workspace import Workspace
from tests import test_network_cli as _net
from tests.conftest import write

nk = _net.nk  # shared fixture: 3 × 3 areas "block" N00 … N22 with Kitas and a street network
run = _net.run


def test_save_list_delete_and_bad_input_changes_nothing(nk: Path) -> None:
    g = save_group(nk, "Nord", "block", ["N20", "N21", "N21", " N22 "], by="planerin")
    assert g["keys"] == ["N20", "N21", "N22"] and g["areas"] == 3 and g["created_by"] == "planerin"
    before = list_groups(nk)
    with pytest.raises(InputError, match="gibt es schon"):
        save_group(nk, "Nord", "block", ["N00"])
    with pytest.raises(InputError, match="2 Gebietsschlüssel gibt es auf der Ebene 'block' nicht: X1, X2"):
        save_group(nk, "Süd", "block", ["N00", "X1", "X2"])
    with pytest.raises(NotFoundError, match="Raumebene 'plr' gibt es nicht"):
        save_group(nk, "Süd", "plr", ["N00"])
    with pytest.raises(InputError, match="kein Gebiet"):
        save_group(nk, "Süd", "block", [])
    with pytest.raises(InputError, match="nicht zulässig") as err:
        save_group(nk, "<script>", "block", ["N00"])
    assert "Lösung" in err.value.render()
    assert list_groups(nk) == before  # nothing changed by the refused calls
    g2 = save_group(nk, "Nord", "block", ["N00"], replace=True)
    assert g2["keys"] == ["N00"]
    assert delete_group(nk, "Nord")["name"] == "Nord"
    assert list_groups(nk) == []
    with pytest.raises(NotFoundError, match="Gebietsgruppe 'Nord' gibt es nicht"):
        delete_group(nk, "Nord")


def test_cli_gruppe_and_profile_report(nk: Path, tmp_path: Path) -> None:
    with (nk / "catalog.toml").open("a", encoding="utf-8") as f:
        f.write('\n[[indicator]]\nid = "kinder_g"\nname = "Kinder"\ntheme = "Kita"\nnumerator = ["kinder"]\n')
    assert run(nk, "compute")[0] == 0
    code, out = run(nk, "gruppe", "anlegen", "Mitte", "--layer", "block", "--area", "N11", "--area", "N12")
    assert code == 0 and "Gebietsgruppe 'Mitte' gespeichert: 2 Gebiete (block)" in out, out
    # the selection file the atlas downloads ("Auswahl als Gebietsgruppe (CSV)")
    atlas_csv = '# Gebietsgruppe: Ecke\n# Raumebene: Block\nGruppe;Schluessel;Name\n"Ecke";"N00";"Block N00"\n"Ecke";"N01";"B"\n'
    csv = write(tmp_path / "auswahl.csv", atlas_csv)
    code, out = run(nk, "gruppe", "anlegen", "Ecke", "--layer", "block", "--datei", str(csv))
    assert code == 0 and "2 Gebiete" in out, out
    code, out = run(nk, "gruppe", "anlegen", "Ecke", "--layer", "block", "--area", "N99")
    assert code == 1 and "N99" in out and "'block' nicht" in out, out
    code, out = run(nk, "gruppe", "liste")
    assert code == 0 and "Ecke: 2 Gebiete (block)" in out and "Mitte: 2 Gebiete (block)" in out, out
    code, out = run(nk, "gruppe", "liste", "--json")
    assert [g["keys"] for g in json.loads(out)] == [["N00", "N01"], ["N11", "N12"]]
    # the report: one profile per area of the group, on the group's layer
    code, out = run(
        nk, "report", "profile", "--gruppe", "Mitte", "--format", "html", "--out", str(tmp_path / "p")
    )
    assert code == 0 and "2 Datei(en)" in out, out
    names = sorted(p.name for p in (tmp_path / "p").iterdir())
    assert len(names) == 2 and all(("N11" in n or "N12" in n) for n in names), names
    code, out = run(
        nk, "report", "profile", "--gruppe", "Gibtsnicht", "--format", "html", "--out", str(tmp_path / "q")
    )
    assert code == 1 and "Gebietsgruppe 'Gibtsnicht' gibt es nicht" in out and "Mitte" in out, out
    # the group against the city: means of the areas' published values
    code, out = run(nk, "gruppe", "vergleich", "Mitte", "--out", str(tmp_path / "v.csv"))
    assert code == 0 and "Gebietsgruppe 'Mitte' (2 Gebiete, block)" in out, out
    # kinder per block: 10 … 90 in the order N00 … N22; N11 = 50, N12 = 60; all nine: mean 50
    assert "Kinder (2024-12-31): Gruppe 55,00 (Median 55,00, n = 2), Stadt 50,00 (Median 50,00, n = 9)" in out
    assert "group_mean" in (tmp_path / "v.csv").read_text(encoding="utf-8-sig")
    for name in ("Mitte", "Ecke"):
        assert run(nk, "gruppe", "loeschen", name)[0] == 0
    assert run(nk, "gruppe", "liste")[1].strip() == "Keine Gebietsgruppen gespeichert."


def test_api_internal_only_with_csrf_and_roles(nk: Path) -> None:
    from planlabor.atlas.access import LiveWorkspace
    from planlabor.atlas.auth import add_user
    from planlabor.atlas.server import create_app

    with Workspace.open(nk) as ws:
        add_user(ws.auth(), "gruppe_ed", _net.PASSWORD, "editor")
        add_user(ws.auth(), "gruppe_view", _net.PASSWORD, "viewer")
    live = LiveWorkspace(nk)
    app = create_app(live.source(), internal=True, live=live)
    with TestClient(app) as c:
        assert c.get("/api/gruppen").status_code == 403  # public view
        assert (
            c.post("/api/gruppen", json={"name": "A", "raumebene": "block", "gebiete": ["N00"]}).status_code
            == 403
        )

        def login(user: str) -> str:
            token = c.get("/api/session").json()["csrf"]
            data = {"username": user, "password": _net.PASSWORD, "csrf": token}
            assert c.post("/login", data=data, follow_redirects=False).status_code == 303
            return str(c.get("/api/session").json()["csrf"])

        csrf = login("gruppe_ed")
        body = {"name": "Nord-Neukölln", "raumebene": "block", "gebiete": ["N20", "N21"]}
        assert c.post("/api/gruppen", json=body).status_code == 403  # no CSRF token
        r = c.post("/api/gruppen", json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201 and r.json()["created_by"] == "gruppe_ed", r.text
        r = c.post("/api/gruppen", json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 422 and "gibt es schon" in r.json()["detail"]
        bad = {**body, "name": "X", "gebiete": ["N20", "ZZ"]}
        r = c.post("/api/gruppen", json=bad, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 422 and "ZZ" in r.json()["detail"]
        got = c.get("/api/gruppen", params={"raumebene": "block"}).json()
        assert [(g["name"], g["keys"]) for g in got] == [("Nord-Neukölln", ["N20", "N21"])]
        assert run(nk, "gruppe", "liste")[1].startswith("Nord-Neukölln: 2 Gebiete")  # the same store
        c.cookies.clear()
        csrf = login("gruppe_view")
        r = c.delete("/api/gruppen/Nord-Neukölln", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 403 and "Rolle" in r.json()["detail"]
        c.cookies.clear()
        csrf = login("gruppe_ed")
        assert c.delete("/api/gruppen/Nord-Neukölln", headers={"X-CSRF-Token": csrf}).status_code == 200
        assert c.get("/api/gruppen").json() == []
