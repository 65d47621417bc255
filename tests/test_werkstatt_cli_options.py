"""What the Werkstatt sets, the command line sets too (issue 17): theme scopes with
``planlabor user add/set --thema`` (the same use case as the page *Benutzer*), and the retention
of the audit log, sessions and Werkstatt files as ``planlabor serve`` options."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from planlabor.app import audit
from planlabor.app.users import themes_of
from planlabor.atlas.sessions import AUTH_FILE
from planlabor.cli import cli
from tests.test_werkstatt_katalog import FORM
from tests.werkstatt_helpers import PASSWORD, login, make_app, make_workspace


def _run(root: Path, *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, ["-C", str(root), *args], input=stdin)


def test_user_add_and_set_themes_like_the_benutzer_page(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    res = _run(root, "user", "add", "jugendamt", "--role", "editor", "--thema", "Jugendhilfe",
               "--password-stdin", stdin=PASSWORD)  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "Fachthemen: Jugendhilfe" in res.output
    assert themes_of(root, "jugendamt") == ["Jugendhilfe"]
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:  # the scope holds in the Werkstatt
        csrf = login(c, "jugendamt")
        r = c.post("/werkstatt/katalog/indikator", data={**FORM, "theme": "Arbeit", "csrf": csrf})
        assert r.status_code == 403 and "nur Jugendhilfe" in r.text
    res = _run(root, "user", "set", "jugendamt", "--thema", "Jugendhilfe", "--thema", "Bildung")
    assert res.exit_code == 0 and themes_of(root, "jugendamt") == ["Jugendhilfe", "Bildung"]
    assert "Fachthemen: Jugendhilfe, Bildung" in _run(root, "user", "list").output
    res = _run(root, "user", "set", "jugendamt", "--alle-themen")
    assert res.exit_code == 0 and "alle Fachthemen" in res.output and themes_of(root, "jugendamt") is None
    actions = [(e["action"], e["detail"].get("themes")) for e in audit.entries(root, limit=3)]
    assert actions[0] == ("user themes", "alle") and actions[1] == ("user themes", ["Jugendhilfe", "Bildung"])


def test_user_set_refuses_unclear_or_unknown(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    res = _run(root, "user", "set", "leserin")
    assert res.exit_code != 0 and "--alle-themen" in res.output
    res = _run(root, "user", "set", "leserin", "--thema", "Arbeit", "--alle-themen")
    assert res.exit_code != 0
    res = _run(root, "user", "set", "niemand", "--thema", "Arbeit")
    assert res.exit_code != 0 and "'niemand' gibt es nicht" in res.output
    assert themes_of(root, "leserin") is None


def _age(root: Path, days: int) -> None:
    """Date every audit entry back by ``days`` days (as if written then)."""
    at = (
        (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    )
    con = sqlite3.connect(root / AUTH_FILE)
    with con:
        con.execute("UPDATE audit SET at = ?", (at,))
    con.close()


def test_audit_prune_keeps_the_newer_entries_and_records_itself(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    audit.record(root, "planerin", "import", import_id=1)
    _age(root, 40)
    audit.record(root, "planerin", "import", import_id=2)
    assert audit.prune(root, 30) == 3  # the two users added and import 1
    got = [(e["action"], e["detail"]) for e in audit.entries(root)]
    assert got == [("audit prune", {"days": 30, "removed": 3}), ("import", {"import_id": 2})]
    assert audit.prune(root, 30) == 0
    with pytest.raises(ValueError):
        audit.prune(root, 0)


def test_serve_options_reach_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    root = make_workspace(tmp_path)
    _age(root, 400)
    apps: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: apps.append(app))
    res = _run(root, "serve", "--internal", "--port", "0", "--aufbewahrung", "365", "--sitzung-stunden", "4",
               "--dateien-stunden", "48")  # fmt: skip
    assert res.exit_code == 0, res.output
    shop, login_ = apps[0].state.werkstatt, apps[0].state.login
    assert (shop.audit_days, shop.keep_hours, login_.lifetime) == (365, 48.0, 4 * 3600)
    assert [e["action"] for e in audit.entries(root)] == ["audit prune"]  # swept at start
    apps.clear()
    assert _run(root, "serve", "--internal", "--port", "0").exit_code == 0  # without: planlabor.toml
    shop, login_ = apps[0].state.werkstatt, apps[0].state.login
    assert (shop.audit_days, shop.keep_hours, login_.lifetime) == (None, 24.0, 8 * 3600)
    res = _run(root, "serve", "--aufbewahrung", "0")
    assert res.exit_code != 0 and "--aufbewahrung" in res.output
