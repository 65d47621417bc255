"""Internal atlas view: users with argon2 hashes, sessions, CSRF, throttled logins."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from planlabor.atlas.auth import Throttle, add_user, list_users, remove_user, verify
from planlabor.atlas.data import source_of
from planlabor.atlas.server import create_app
from planlabor.errors import InputError

INTERNAL = "kinder_unter_1"
PASSWORD = "sehr-geheim-2026"


@pytest.fixture(scope="module")
def app(berlin, tmp_path_factory):  # type: ignore[no-untyped-def]
    if "planerin" not in {u["name"] for u in list_users(berlin.auth())}:
        add_user(berlin.auth(), "planerin", PASSWORD, "intern")
    return create_app(source_of(berlin), internal=True)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


def _csrf(client: TestClient) -> str:
    return str(client.get("/api/session").json()["csrf"])


def _login(client: TestClient, name: str = "planerin", password: str = PASSWORD, ip: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/login", data={"username": name, "password": password, "csrf": _csrf(client)}, follow_redirects=False
    )


def test_users_are_stored_with_argon2_and_validated(berlin) -> None:  # type: ignore[no-untyped-def]
    auth = berlin.auth()
    add_user(auth, "pruefer", "lang-genug-123", "admin")
    found = auth.user("pruefer")
    assert found is not None
    assert found[0].startswith("$argon2id$") and "lang-genug-123" not in found[0]
    assert verify(auth, "pruefer", "lang-genug-123") == "admin"
    assert verify(auth, "pruefer", "falsch-falsch") is None
    assert verify(auth, "niemand", "lang-genug-123") is None
    with pytest.raises(InputError, match="zu kurz"):
        add_user(auth, "kurz", "abc")
    with pytest.raises(InputError, match="Rolle"):
        add_user(auth, "rolle", "lang-genug-123", "gott")
    with pytest.raises(InputError, match="schon"):
        add_user(auth, "pruefer", "lang-genug-123")
    remove_user(auth, "pruefer")
    assert "pruefer" not in {u["name"] for u in list_users(auth)}
    # the store holds no password hashes (users live in the owner-only auth file)
    assert not berlin.store.has_table("users")
    assert oct(auth.path.stat().st_mode & 0o777) == "0o600"


def test_public_until_login_internal_after_and_public_again_after_logout(client: TestClient) -> None:
    s = client.get("/api/session").json()
    assert s["internal_mode"] is True and s["user"] is None and len(s["csrf"]) > 20
    assert INTERNAL not in client.get("/api/atlas/meta").text
    r = _login(client)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "planlabor_session=" in cookie
    assert client.get("/api/session").json()["user"] == "planerin"
    assert INTERNAL in client.get("/api/atlas/meta").json()["indicators"]
    vals = client.get("/api/atlas/values/plr").json()
    assert INTERNAL in vals["indicators"]
    assert not any(
        f == "gesperrt" for c in vals["indicators"][INTERNAL].values() for f in c.get("f", {}).values()
    )
    # another visitor at the same time still gets the public view
    with TestClient(client.app) as other:
        assert INTERNAL not in other.get("/api/atlas/meta").text
        assert INTERNAL not in other.get("/api/indicators").text
    r = client.post(
        "/logout", data={"csrf": client.get("/api/session").json()["csrf"]}, follow_redirects=False
    )
    assert r.status_code == 303
    assert INTERNAL not in client.get("/api/atlas/meta").text


def test_csrf_and_origin_are_checked(client: TestClient) -> None:
    r = client.post("/login", data={"username": "planerin", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = client.post(
        "/login",
        data={"username": "planerin", "password": PASSWORD, "csrf": _csrf(client)},
        headers={"Origin": "https://boese.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert client.post("/logout", data={"csrf": "x"}).status_code == 403


def test_brute_force_is_slowed(app, berlin, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import types

    from planlabor.atlas import auth

    # the throttle's clock stands still: a slow machine must not let the 1-s delay pass
    monkeypatch.setattr(auth, "time", types.SimpleNamespace(monotonic=lambda: 1000.0))
    with TestClient(create_app(source_of(berlin), internal=True)) as c:  # its own throttle
        codes = [_login(c, "planerin", f"falsch-{i}-xxxxxx").status_code for i in range(3)]
        assert codes == [401, 401, 401]
        r = _login(c)  # even the right password waits now
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert "Fehlversuche" in r.text


def test_throttle_grows_exponentially_and_resets() -> None:
    t = Throttle(free=2, cap=10)
    t.fail("a")
    assert t.wait("a") <= 0
    t.fail("a")
    assert 0.5 < t.wait("a") <= 1
    t.fail("a")
    assert 1.5 < t.wait("a") <= 2
    for _ in range(10):
        t.fail("a")
    assert t.wait("a") <= 10
    t.success("a")
    assert t.wait("a") <= 0


def test_login_page_is_german_and_carries_the_token(client: TestClient) -> None:
    page = client.get("/login").text
    assert "Benutzername" in page and "Passwort" in page
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token and token.group(1) == client.get("/api/session").json()["csrf"]


def test_public_server_has_no_login(berlin) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(source_of(berlin))) as c:
        assert c.get("/api/session").json()["internal_mode"] is False
        assert c.get("/login").status_code == 404
        assert c.post("/login", data={"username": "planerin", "password": PASSWORD}).status_code in (404, 405)
