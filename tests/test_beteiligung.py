"""Beteiligung (issue 21): consultations, answers through the public endpoint (proof of work, rate
limits, flood on loopback), moderation before any text is public, counts as observations with
the minimum count and the confidentiality audit, stakeholder positions, the commands."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from planlabor.app import participation as part
from planlabor.atlas.access import LiveWorkspace
from planlabor.atlas.routes_beteiligung import Participation
from planlabor.atlas.server import create_app
from planlabor.errors import InputError, NotFoundError
from planlabor.participation.antispam import Challenges, RateLimiter, solve
from planlabor.participation.storage import FILE
from planlabor.workspace import Workspace
from tests.conftest import add_grid_areas, live_server

MARKER = "Geheimer-Unmoderierter-Text-4711"
TODAY = date.today()


def _values(w: Workspace) -> None:
    """Inhabitants and SGB II per area (A1 poorest, then A3, A2, A4)."""
    rows = [
        ("gebiet", a, v, "2024-12-31", x)
        for a, ew, sg in [("A1", 900, 300), ("A2", 800, 80), ("A3", 700, 150), ("A4", 600, 20)]
        for v, x in (("ew", ew), ("sgb2", sg))
    ]
    frame = pd.DataFrame(rows, columns=["layer_id", "area_id", "variable", "period", "value"])
    w.store.record_observations("test", "gebiet", frame, {})


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    from tests.conftest import GRID_CATALOG

    w = Workspace.init(tmp_path / "grid", name="Raster", catalog_text=GRID_CATALOG)
    add_grid_areas(w, tmp_path)
    _values(w)
    w.compute()
    w.close()
    yield w.root


def _open(root: Path, min_count: int = 3) -> Any:
    return part.open_consultation(
        root,
        "jugend",
        "Jugend fragt",
        "Was fehlt hier?",
        TODAY - timedelta(days=1),
        TODAY + timedelta(days=7),
        layer="gebiet",
        target="Jugendliche von 12 bis 21 Jahren",
        min_count=min_count,
        reference="sgb2_quote",
    )


def _answer(root: Path, area: str, cats: list[str], text: str = "") -> int:
    from planlabor.participation.storage import ParticipationStore

    with ParticipationStore(root) as st:
        return part.submit_answer(st, "jugend", area, cats, text)


def _app(root: Path, bits: int = 6, per_client: int = 1000) -> Any:
    live = LiveWorkspace(root)
    app = create_app(live.source(), live=live)
    state: Participation = app.state.beteiligung  # the server's own, with a small task for tests
    state.challenges = Challenges(bits=bits)
    state.answers = RateLimiter(per_client=per_client, total=100_000)
    return app


def _post(c: Any, body: dict[str, Any], cid: str = "jugend") -> Any:
    task = c.get(f"/api/beteiligung/{cid}/aufgabe").json()
    n = solve(task["challenge"], task["bits"])
    return c.post(
        f"/api/beteiligung/{cid}/antwort", json={**body, "aufgabe": task["challenge"], "loesung": n}
    )


# ------------------------------------------------------------------ model and use cases
def test_a_consultation_is_checked_and_opened_with_the_areas_of_its_layer(root: Path) -> None:
    c = _open(root)
    assert c.areas == {"A1": "Nord", "A2": "Ost", "A3": "Süd", "A4": "West"}
    assert list(c.categories)[:2] == ["spielplaetze", "treffpunkte"]
    assert (root / FILE).stat().st_mode & 0o077 == 0  # owner only
    with pytest.raises(InputError, match="gibt es schon"):
        _open(root)
    with pytest.raises(InputError, match="vor ihrem Beginn"):
        part.open_consultation(root, "x", "T", "F", "2026-03-31", "2026-03-01", layer="gebiet")
    with pytest.raises(InputError, match="ungültig"):
        part.open_consultation(root, "Böse Kennung", "T", "F", "2026-03-01", "2026-03-31")
    with pytest.raises(NotFoundError, match="Raumebene"):
        part.open_consultation(root, "y", "T", "F", "2026-03-01", "2026-03-31", layer="fehlt")
    with pytest.raises(InputError, match="Gebiet"):
        _answer(root, "ZZ", ["spielplaetze"])
    with pytest.raises(InputError, match="angebotenen"):
        _answer(root, "A1", ["erfunden"])
    with pytest.raises(InputError, match="höchstens 500"):
        _answer(root, "A1", ["sport"], "x" * 501)
    part.close_consultation(root, "jugend")
    with pytest.raises(InputError, match="keine Antworten"):
        _answer(root, "A1", ["sport"])


def test_counts_become_observations_small_counts_are_suppressed_and_the_audit_passes(root: Path) -> None:
    from planlabor.atlas.data import source_of
    from planlabor.confidentiality.audit import audit
    from planlabor.participation.results import public_counts

    c = _open(root, min_count=3)
    for _ in range(5):
        _answer(root, "A1", ["spielplaetze"])
    _answer(root, "A1", ["sport", "spielplaetze"])
    for _ in range(4):
        _answer(root, "A3", ["spielplaetze", "treffpunkte"])
    _answer(root, "A2", ["treffpunkte"])
    for _ in range(6):
        _answer(root, "A4", ["gruen"])
    spam = _answer(root, "A4", ["sport"], "Kaufen Sie jetzt!")
    part.moderate(root, "jugend", [spam], "ablehnen")
    r = part.evaluate(root, "jugend")
    assert (r.answers, r.rejected, r.areas) == (17, 1, 4)
    with Workspace.open(root, read_only=True) as w:
        obs = w.store.observations(
            layer_id="gebiet", variables=["beteiligung_jugend_spielplaetze", "beteiligung_jugend_sport"]
        )
        raw = {(a, v): x for a, v, x in zip(obs["area_id"], obs["variable"], obs["value"], strict=True)}
        assert (
            raw[("A1", "beteiligung_jugend_spielplaetze")] == 6
            and raw[("A3", "beteiligung_jugend_spielplaetze")] == 4
        )
        assert raw[("A1", "beteiligung_jugend_sport")] == 1  # kept in the store, never published
        assert raw[("A4", "beteiligung_jugend_sport")] == 0  # the rejected answer is not counted
        src = source_of(w)
        pc = public_counts(src, c)
        t = pc.table.set_index("area_id")
        assert t.loc["A1", "Spielplätze"] == 6 and t.loc["A4", "Grünflächen und Parks"] == 6
        assert t.loc["A1", "Sport- und Bewegungsflächen"] is None  # 1 < 3: suppressed
        assert t.loc["A2", "Antworten"] is None and t.loc["A2", "Treffpunkte für Jugendliche"] is None
        assert pc.suppressed >= 3
        # the whole public view, with the sums over the districts, gives none of them away
        rep = audit(w.store, w.catalog(), w.rules())
        assert rep.ok, rep.failures
        sens = rep.findings[rep.findings["sensitive"]]
        assert {"A1", "A2"} <= set(sens["area_id"])
    # "In k der n Gebiete mit dem höchsten Wert …": only over published counts
    assert r.sentence is not None and r.sentence.endswith("nennen die Befragten am häufigsten: Spielplätze.")
    assert r.sentence.startswith("In 2 der 4 Gebiete mit dem höchsten Wert „SGB-II-Quote“")
    assert "beteiligung/jugend.toml" in (root / "planlabor.toml").read_text(encoding="utf-8")
    part.evaluate(root, "jugend")  # again: one more import, the catalog listed once
    assert (root / "planlabor.toml").read_text(encoding="utf-8").count("beteiligung/jugend.toml") == 1


def test_positions_are_recorded_with_date_and_source_and_checked(root: Path) -> None:
    p = part.record_position(
        root,
        "Kita-Ausbau Nord",
        "AWO Kreisverband",
        "träger",
        "Unterstützt den Ausbau.",
        "12.03.2026",
        "Stellungnahme vom 12.03.2026",
    )
    assert (p.actor_type, p.stated_on) == ("Träger", date(2026, 3, 12))
    part.record_position(
        root,
        "Kita-Ausbau Nord",
        "Jugendparlament",
        "Jugendvertretung",
        "Will mehr Treffpunkte.",
        "2026-03-20",
        "Protokoll der Sitzung",
    )
    assert [x.actor for x in part.positions(root, "Kita-Ausbau Nord")] == [
        "AWO Kreisverband",
        "Jugendparlament",
    ]
    with pytest.raises(InputError, match="Art des Akteurs"):
        part.record_position(root, "T", "A", "Partei", "P", "2026-03-01", "Q")
    with pytest.raises(InputError, match="Quelle darf nicht leer"):
        part.record_position(root, "T", "A", "Verband", "P", "2026-03-01", " ")


# ------------------------------------------------------------------ the public endpoint
def test_no_unmoderated_text_reaches_any_public_output(root: Path, tmp_path: Path) -> None:
    from planlabor.app.publish import publish_atlas
    from planlabor.io.export import ExportOptions

    _open(root, min_count=1)
    with TestClient(_app(root), base_url="http://127.0.0.1") as c:
        running = c.get("/api/beteiligung").json()
        assert [b["id"] for b in running["befragungen"]] == ["jugend"] and "keine IP-Adresse" in running[
            "datenschutz"
        ]
        r = _post(c, {"gebiet": "A1", "kategorien": ["spielplaetze"], "text": MARKER})
        assert r.status_code == 201, r.text
        assert (
            _post(c, {"gebiet": "A2", "kategorien": ["sport"], "text": "Ein guter Text"}).status_code == 201
        )
        part.evaluate(root, "jugend")
        time.sleep(1.1)  # the server notices the changed workspace at most once a second
        c.get("/api/atlas/meta")
        for _ in range(100):
            if (
                not c.app.state.service._refreshing
                and "beteiligung_jugend_spielplaetze" in c.get("/api/indicators").text
            ):
                break
            time.sleep(0.1)
        pages = [
            "/api/beteiligung",
            "/api/beteiligung/jugend/stimmen",
            "/api/atlas/meta",
            "/api/atlas/values/gebiet",
            "/api/indicators",
            "/api/profile/gebiet/A1",
            "/beteiligung",
            "/api/download?layer=gebiet&indicator=beteiligung_jugend_spielplaetze&period="
            f"{(TODAY + timedelta(days=7)).isoformat()}&format=csv",
        ]
        bodies = {p: c.get(p) for p in pages}
        assert bodies["/api/profile/gebiet/A1"].status_code == 200
        assert (
            "beteiligung_jugend_spielplaetze" in bodies["/api/profile/gebiet/A1"].text
        )  # beside the indicators
        assert bodies[pages[-1]].status_code == 200
        assert all(MARKER not in b.text for b in bodies.values())
        assert c.get("/api/beteiligung/jugend/stimmen").json()["stimmen"] == []
        atlas = publish_atlas(root, tmp_path / "atlas")
        texts = [
            p.read_text(encoding="utf-8", errors="replace") for p in Path(atlas.out).rglob("*") if p.is_file()
        ]
        assert texts and not any(MARKER in t for t in texts)
        with Workspace.open(root, read_only=True) as w:
            out = tmp_path / "export.csv"
            w.export(ExportOptions(layer="gebiet", out=out, format="csv", public=True))
            assert MARKER not in out.read_text(encoding="utf-8")
        # approved: now (and only now) the text is shown, in the list of approved voices
        ids = [a.answer_id for a in part.answers(root, "jugend", with_text=True) if a.text == MARKER]
        part.moderate(root, "jugend", ids, "freigeben")
        assert c.get("/api/beteiligung/jugend/stimmen").json()["stimmen"] == [
            {"gebiet": "Nord", "text": MARKER}
        ]


def test_spam_without_work_forged_or_reused_tasks_and_robots_are_refused(root: Path) -> None:
    _open(root)
    with TestClient(_app(root, bits=8), base_url="http://127.0.0.1") as c:
        body = {"gebiet": "A1", "kategorien": ["sport"], "text": "Spam"}
        task = c.get("/api/beteiligung/jugend/aufgabe").json()
        n = solve(task["challenge"], task["bits"])
        bad = [
            ({**body}, "fehlt"),
            ({**body, "aufgabe": task["challenge"], "loesung": n + 1 if n else 1}, None),
            ({**body, "aufgabe": task["challenge"][:-4] + "0000", "loesung": n}, "ungültig"),
        ]
        for b, why in bad:
            r = c.post("/api/beteiligung/jugend/antwort", json=b)
            assert r.status_code == 403 and (why is None or why in r.json()["detail"])
        ok = {**body, "aufgabe": task["challenge"], "loesung": n}
        assert c.post("/api/beteiligung/jugend/antwort", json=ok).status_code == 201
        again = c.post("/api/beteiligung/jugend/antwort", json=ok)
        assert again.status_code == 403 and "schon verwendet" in again.json()["detail"]
        robot = _post(c, {**body, "webseite": "http://spam.example"})
        assert robot.status_code == 201  # the robot learns nothing …
        form = c.post("/api/beteiligung/jugend/antwort", data={"gebiet": "A1"})
        assert form.status_code == 415  # no cross-site form posts
        big = c.post(
            "/api/beteiligung/jugend/antwort",
            content=b"{" + b" " * 5000 + b"}",
            headers={"content-type": "application/json"},
        )
        assert big.status_code == 413
    assert len(part.answers(root, "jugend")) == 1  # … and only the solved one is kept
    expired = Challenges(bits=1, ttl=-1)
    t = expired.issue("jugend")
    assert "abgelaufen" in str(expired.check("jugend", str(t["challenge"]), solve(str(t["challenge"]), 1)))
    other = expired.issue("andere")
    assert expired.check("jugend", str(other["challenge"]), 0) == "Die Sicherheitsaufgabe ist ungültig."


def test_a_flood_on_loopback_gets_429_and_the_limiter_memory_stays_bounded(root: Path) -> None:
    _open(root)
    app = _app(root, bits=4, per_client=10)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=10) as c:
        task = c.get("/api/beteiligung/jugend/aufgabe").json()
        codes = []
        for _ in range(200):  # bounded: 200 posts from one client, each with a fresh task
            t = app.state.beteiligung.challenges.issue("jugend")
            n = solve(str(t["challenge"]), int(t["bits"]))
            body = {"gebiet": "A1", "kategorien": ["sport"], "aufgabe": t["challenge"], "loesung": n}
            codes.append(c.post("/api/beteiligung/jugend/antwort", json=body).status_code)
        assert task["bits"] == 4
        assert codes.count(201) == 10 and codes.count(429) == 190
        r = c.post("/api/beteiligung/jugend/antwort", json={})
        assert r.status_code == 429 and r.headers["retry-after"] == "600"
    assert len(part.answers(root, "jugend")) == 10
    limiter = RateLimiter(per_client=2, total=10**9, max_clients=500)
    for i in range(20_000):  # a flood from many addresses
        limiter.allow(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
    assert len(limiter) == 500
    assert all(len(k) == 12 for k in limiter._clients)  # keyed hashes, no addresses kept
    used = Challenges(bits=1, max_used=100)
    for _ in range(300):
        t = used.issue("jugend")
        assert used.check("jugend", str(t["challenge"]), solve(str(t["challenge"]), 1)) is None
    assert len(used) <= 100
    everyone = RateLimiter(per_client=100, total=50)
    assert sum(everyone.allow(f"c{i}") for i in range(80)) == 50  # the total bound holds for all


# ------------------------------------------------------------------ commands
def test_the_commands_from_opening_to_evaluation(root: Path) -> None:
    from planlabor.cli import cli

    run = CliRunner()

    def call(*args: str) -> str:
        r = run.invoke(cli, ["-C", str(root), "beteiligung", *args])
        assert r.exit_code == 0, r.output
        return r.output

    out = call(
        "oeffnen",
        "jugend",
        "--titel",
        "Jugend fragt",
        "--frage",
        "Was fehlt hier?",
        "--von",
        (TODAY - timedelta(days=1)).strftime("%d.%m.%Y"),
        "--bis",
        (TODAY + timedelta(days=3)).isoformat(),
        "--ebene",
        "gebiet",
        "--kategorien",
        "spielplaetze; sport=Sportplätze",
        "--mindestfallzahl",
        "2",
    )
    assert "4 Gebiete (gebiet), 2 Kategorien" in out
    a = _answer(root, "A1", ["sport"], "Mehr Basketballkörbe")
    _answer(root, "A1", ["sport"], "Werbung")
    assert "Mehr Basketballkörbe" in call("antworten", "jugend", "--zustand", "neu")
    assert "Freigegeben: 1, abgelehnt: 1" in call(
        "moderieren", "jugend", "--freigeben", str(a), "--ablehnen", str(a + 1)
    )
    assert "1 neu" not in call("liste") and "1 freigegeben, 1 abgelehnt" in call("liste")
    assert json.loads(call("liste", "--json"))[0]["antworten"]["abgelehnt"] == 1
    assert "1 Antworten in 4 Gebieten gezählt (1 abgelehnt" in call("auswerten", "jugend")
    call(
        "position",
        "--thema",
        "Kita 2030",
        "--akteur",
        "Stadtjugendring",
        "--art",
        "Verband",
        "--position",
        "Fordert Beteiligung.",
        "--datum",
        "01.02.2026",
        "--quelle",
        "Brief",
    )
    assert "Stadtjugendring (Verband, 01.02.2026)" in call("positionen", "--thema", "Kita 2030")
    assert "geschlossen" in call("schliessen", "jugend")
    bad = run.invoke(
        cli,
        [
            "-C",
            str(root),
            "beteiligung",
            "position",
            "--thema",
            "T",
            "--akteur",
            "A",
            "--art",
            "Partei",
            "--position",
            "P",
            "--datum",
            "1.1.2026",
            "--quelle",
            "Q",
        ],
    )
    assert bad.exit_code == 1 and "Träger, Verband, Jugendvertretung, Verwaltung" in bad.output


# ------------------------------------------------------------------ reports and the Werkstatt
def test_the_sozialbericht_shows_the_answers_beside_the_indicators(root: Path, tmp_path: Path) -> None:
    from planlabor.app.publish import sozialbericht

    _open(root, min_count=3)
    for area, n in (("A1", 4), ("A3", 3), ("A2", 1)):
        for _ in range(n):
            _answer(root, area, ["spielplaetze"], MARKER)
    part.evaluate(root, "jugend")
    html = Path(sozialbericht(root, tmp_path / "bericht.html", "html", "gebiet")).read_text(encoding="utf-8")
    assert "Beteiligung: Jugend fragt" in html  # a chapter like every theme, with its map and table
    assert "Stimmen der Befragten" in html
    # A2 (1 answer) is suppressed, and A1 with it (else the district's sum gives A2 away): the
    # sentence counts only what is published
    assert (
        "In 1 der 4 Gebiete mit dem höchsten Wert „SGB-II-Quote“ nennen die Befragten am häufigsten" in html
    )
    assert MARKER not in html  # texts are not part of the report


def test_the_werkstatt_page_needs_a_writer_role_and_the_csrf_token(root: Path) -> None:
    from planlabor.app.users import add_user

    _open(root)
    a = _answer(root, "A1", ["sport"], MARKER)
    add_user(root, "leser", "leser-passwort-123", "viewer")
    add_user(root, "planerin", "planerin-passwort-1", "editor")
    live = LiveWorkspace(root)

    def client(name: str, password: str) -> TestClient:
        c = TestClient(create_app(live.source(), internal=True, live=live), base_url="http://127.0.0.1")
        token = c.get("/api/session").json()["csrf"]
        r = c.post(
            "/login", data={"username": name, "password": password, "csrf": token}, follow_redirects=False
        )
        assert r.status_code == 303
        return c

    anon = TestClient(create_app(live.source(), internal=True, live=live), base_url="http://127.0.0.1")
    r = anon.get("/werkstatt/beteiligung/jugend", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with client("leser", "leser-passwort-123") as viewer:
        page = viewer.get("/werkstatt/beteiligung/jugend")
        assert page.status_code == 200 and MARKER in page.text and "Ausgewählte freigeben" not in page.text
        csrf = viewer.get("/api/session").json()["csrf"]
        r = viewer.post(
            "/werkstatt/beteiligung/jugend/moderieren",
            data={"csrf": csrf, "antwort": str(a), "entscheidung": "freigeben"},
        )
        assert r.status_code == 403
    with client("planerin", "planerin-passwort-1") as editor:
        r = editor.post(
            "/werkstatt/beteiligung/jugend/moderieren", data={"antwort": str(a), "entscheidung": "freigeben"}
        )
        assert r.status_code == 403  # no CSRF token
        csrf = editor.get("/api/session").json()["csrf"]
        r = editor.post(
            "/werkstatt/beteiligung/jugend/moderieren",
            data={"csrf": csrf, "antwort": str(a), "entscheidung": "freigeben"},
        )
        assert r.status_code == 200 and "freigegeben" in r.text
        bad = editor.post(
            "/werkstatt/beteiligung-position",
            data={
                "csrf": csrf,
                "thema": "T",
                "akteur": "A",
                "art": "Partei",
                "position": "P",
                "datum": "2026-01-01",
                "quelle": "Q",
            },
        )
        assert bad.status_code == 422 and "Art des Akteurs" in bad.text
        assert "Content-Security-Policy" in bad.headers and "<script>" not in bad.text
    assert [x.state for x in part.answers(root, "jugend")] == ["freigegeben"]


def test_a_task_from_one_server_process_is_accepted_by_another(root: Path) -> None:
    """``serve --workers 2``: each worker builds its own app; the signing key is shared."""
    _open(root)
    with (
        TestClient(_app(root, bits=6), base_url="http://127.0.0.1") as one,
        TestClient(_app(root, bits=6), base_url="http://127.0.0.1") as two,
    ):
        task = one.get("/api/beteiligung/jugend/aufgabe").json()
        n = solve(task["challenge"], task["bits"])
        body = {"gebiet": "A2", "kategorien": ["kultur"], "aufgabe": task["challenge"], "loesung": n}
        assert two.post("/api/beteiligung/jugend/antwort", json=body).status_code == 201
    assert [a.area_id for a in part.answers(root, "jugend")] == ["A2"]


def test_the_participation_file_and_its_journal_are_owner_only(tmp_path: Path) -> None:
    """Answers are personal opinions: the SQLite file and its WAL/SHM files stay the owner's."""
    import os
    import stat

    from planlabor.participation.storage import ParticipationStore

    old = os.umask(0o022)
    try:
        with ParticipationStore(tmp_path) as st:
            st.secret()  # writes: the WAL file exists now
            files = [p for p in tmp_path.iterdir() if p.name.startswith("beteiligung")]
            assert {p.suffix or p.name for p in files} >= {".sqlite"}
            assert any(p.name.endswith("-wal") for p in files)
            for p in files:
                assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    finally:
        os.umask(old)
