"""Attack suite, sessions and logins: server-side sessions that end at once, a throttle that holds
in parallel, no shared connection across threads (issue 15, points 1 and 2)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from planlabor.atlas.auth import Throttle, add_user, remove_user, set_password
from planlabor.atlas.data import source_of
from planlabor.atlas.server import create_app
from planlabor.atlas.sessions import AuthStore
from planlabor.config import ServerSection
from planlabor.workspace import Workspace
from tests.attack import INTERNAL, PASSWORD, fill, running


@pytest.fixture
def ws(grid_ws: Workspace, tmp_path: Path) -> Workspace:
    fill(grid_ws, tmp_path)
    add_user(grid_ws.auth(), "planerin", PASSWORD)
    return grid_ws


def _login(c: httpx.Client | TestClient, name: str = "planerin", password: str = PASSWORD) -> httpx.Response:
    token = c.get("/api/session").json()["csrf"]
    return c.post(
        "/login", data={"username": name, "password": password, "csrf": token}, follow_redirects=False
    )


def _sees_internal(c: httpx.Client | TestClient, cookie: str | None = None) -> bool:
    cookies = {"planlabor_session": cookie} if cookie else None
    return INTERNAL in c.get("/api/atlas/meta", cookies=cookies).json()["indicators"]


def test_logout_ends_the_session_on_the_server(ws: Workspace) -> None:
    with TestClient(create_app(source_of(ws), internal=True)) as c:
        assert _login(c).status_code == 303
        cookie = c.cookies["planlabor_session"]
        assert _sees_internal(c)
        csrf = c.get("/api/session").json()["csrf"]
        assert c.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    with TestClient(create_app(source_of(ws), internal=True)) as thief:  # replays the old cookie
        thief.cookies.set("planlabor_session", cookie)
        assert thief.get("/api/session").json()["user"] is None
        assert not _sees_internal(thief)


def test_user_remove_and_new_password_end_sessions_at_once(ws: Workspace) -> None:
    other = AuthStore(ws.auth().path)  # what 'planlabor user …' in another process opens
    add_user(other, "zweite", PASSWORD)
    app = create_app(source_of(ws), internal=True)
    with TestClient(app) as a, TestClient(app) as b:
        assert _login(a).status_code == 303 and _login(b, "zweite").status_code == 303
        assert _sees_internal(a) and _sees_internal(b)
        remove_user(other, "planerin")
        assert a.get("/api/session").json()["user"] is None and not _sees_internal(a)
        set_password(other, "zweite", "ein-ganz-neues-passwort")
        assert not _sees_internal(b)
        assert _login(b, "zweite").status_code == 401  # the old password is gone too
        assert _login(b, "zweite", "ein-ganz-neues-passwort").status_code == 303
        assert _sees_internal(b)
    other.close()


def test_session_lifetime_and_idle_timeout_come_from_the_config(ws: Workspace) -> None:
    idle = ServerSection(idle_minutes=0.5 / 60)  # half a second without requests
    with TestClient(create_app(source_of(ws), internal=True, settings=idle)) as c:
        assert _login(c).status_code == 303 and _sees_internal(c)
        time.sleep(0.8)
        assert not _sees_internal(c)
    short = ServerSection(session_hours=0.5 / 3600)
    with TestClient(create_app(source_of(ws), internal=True, settings=short)) as c:
        assert _login(c).status_code == 303 and _sees_internal(c)
        time.sleep(0.8)
        assert not _sees_internal(c)
    assert ServerSection().session_hours == 8 and ServerSection().idle_minutes == 60


def test_a_forged_or_old_style_cookie_opens_nothing(ws: Workspace) -> None:
    with TestClient(create_app(source_of(ws), internal=True)) as c:
        for forged in (
            "x",
            "A" * 5000,
            "eyJ1c2VyIjogInBsYW5lcmluIiwgInJvbGUiOiAiaW50ZXJuIn0=.abc.def",
            "'--",
        ):
            c.cookies.set("planlabor_session", forged)
            assert c.get("/api/session").json()["user"] is None
            assert not _sees_internal(c)


def test_parallel_wrong_passwords_are_throttled_without_errors(ws: Workspace) -> None:
    """20 parallel wrong logins for one name: at most three are checked, none fails with 500
    (the old server shared one DuckDB connection across threads and answered 500)."""
    app = create_app(source_of(ws), internal=True)
    app.state.login.throttle = Throttle(first=60)  # a slow machine must not let a 4th through later
    with running(app) as base:

        def attempt(i: int) -> int:
            with httpx.Client(base_url=base, timeout=120) as c:  # argon2 on a busy machine
                return _login(c, "planerin", f"falsch-{i}-xxxxxxx").status_code

        with ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(attempt, range(20)))
        assert 500 not in codes
        assert codes.count(401) <= 3 and codes.count(429) >= 17, codes


def test_parallel_right_logins_all_succeed(ws: Workspace) -> None:
    names = [f"person{i}" for i in range(6)]
    for n in names:
        add_user(ws.auth(), n, PASSWORD)
    with running(create_app(source_of(ws), internal=True)) as base:

        def attempt(name: str) -> int:
            with httpx.Client(base_url=base, timeout=120) as c:  # argon2 on a busy machine
                return _login(c, name).status_code

        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(attempt, names)) == [303] * 6
    assert ws.auth().count_sessions() == 6


def test_throttle_is_bounded_in_memory_and_forgets() -> None:
    t = Throttle(max_keys=1000, forget=0.05)
    for i in range(5000):
        t.fail(f"ip:10.0.{i // 250}.{i % 250}")
    assert len(t.failures) <= 1000
    t.fail("user:x")
    time.sleep(0.06)
    t.fail("user:y")  # a later attempt sweeps out quiet keys whose delay is over
    assert "user:x" not in t.failures and len(t.failures) == 1


def test_throttle_counts_attempts_before_the_check() -> None:
    t = Throttle(free=3)
    assert [t.attempt("u") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert t.attempt("u") > 0  # the fourth waits although no failure was reported yet
    t.success("u")
    assert t.attempt("u") == 0.0


def test_the_auth_file_is_owner_only_and_keeps_no_tokens(ws: Workspace) -> None:
    with TestClient(create_app(source_of(ws), internal=True)) as c:
        _login(c)
        token = c.cookies["planlabor_session"]
    path = ws.auth().path
    assert path.stat().st_mode & 0o077 == 0
    assert token.encode() not in path.read_bytes()
    assert ws.root.stat().st_mode & 0o077 == 0  # the workspace folder too
