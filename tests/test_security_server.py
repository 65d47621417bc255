"""Attack suite, the server: security headers, injection and traversal requests, bounded cache and
request bodies, a bounded flood on loopback; CLI and server side by side (issue 15 points 1, 3, 4,
6; issue 16 point 3)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient

from planlabor.atlas.cache import ByteLRU, Entry
from planlabor.atlas.data import source_of
from planlabor.atlas.server import create_app
from planlabor.workspace import Workspace
from tests.attack import PASSWORD, fill, free_port, running, wait_http

EXE = Path(sys.executable).parent / "planlabor"


@pytest.fixture
def ws(grid_ws: Workspace, tmp_path: Path) -> Workspace:
    return fill(grid_ws, tmp_path)


@pytest.fixture
def client(ws: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(source_of(ws), internal=True)) as c:
        yield c


PATHS = [
    "/",
    "/login",
    "/api/session",
    "/api/atlas/meta",
    "/api/atlas/geo/gebiet",
    "/api/layers",
    "/api/indicators",
    "/api/values?layer=gebiet&indicator=einwohner&period=2021-12-31",
    "/api/download?layer=gebiet&indicator=einwohner&period=2021-12-31&format=csv",
    "/ogc/collections/gebiet/items",
    "/atlas.js",
    "/vendor/maplibre-gl/maplibre-gl.js",
    "/api/docs",
    "/gibt-es-nicht",
    "/api/values?layer=x",
]


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in PATHS:
        r = client.get(path)
        h = r.headers
        assert h["x-content-type-options"] == "nosniff", path
        assert h["x-frame-options"] == "DENY", path
        assert h["referrer-policy"] == "no-referrer", path
        csp = h["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "script-src 'self'" in csp, path


def test_pages_carry_no_inline_script(client: TestClient) -> None:
    import re

    for path in ("/", "/login", "/api/docs"):
        page = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert " on" + "load=" not in page and "javascript:" not in page


HOSTILE = [
    "/api/values?layer=gebiet&indicator=einwohner'%20OR%201=1--&period=2021-12-31",
    "/api/values?layer=gebiet;DROP%20TABLE%20areas&indicator=einwohner&period=2021-12-31",
    "/api/profile/gebiet/A1'%20UNION%20SELECT%20password_hash%20FROM%20users--",
    "/api/timeseries?layer=gebiet&indicator=einwohner&area=%00",
    "/api/indicators?theme=%27%3B--",
    "/api/atlas/geo/..%2F..%2Fplanlabor.toml",
    "/api/atlas/values/%2e%2e%2fatlas-auth.sqlite",
    "/vendor/../../planlabor.toml",
    "/vendor/..%2F..%2F..%2Fetc%2Fpasswd",
    "/vendor/%2e%2e/%2e%2e/atlas-auth.sqlite",
    "/basemap/../planlabor.duckdb",
    "/api/download?layer=gebiet&indicator=einwohner&period=../../etc/passwd&format=csv",
    "/api/download?layer=gebiet&indicator=einwohner&period=2021-12-31&format=../../x",
    "/ogc/collections/gebiet/items?bbox=1,2,3",
    "/ogc/collections/gebiet/items?limit=100000000",
    "/ogc/collections/gebiet/items?offset=-1",
    "/ogc/collections/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "/api/values?layer=" + "a" * 5000,
    "/login?fehler=%3Cscript%3Ealert(1)%3C/script%3E",
]


def test_injection_and_traversal_requests_are_refused_cleanly(client: TestClient, ws: Workspace) -> None:
    secret = (ws.root / "planlabor.toml").read_text(encoding="utf-8")
    for path in HOSTILE:
        r = client.get(path)
        assert r.status_code in (200, 400, 404, 405, 422), (path, r.status_code)
        body = r.text
        assert "Traceback" not in body and "duckdb" not in body.lower(), path
        assert "root:" not in body and secret[:40] not in body and "argon2" not in body, path
        assert "<script>alert" not in body, path
    r = client.get("/login?fehler=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "alert(1)" not in r.text  # the login page no longer echoes a message from the URL


def test_forms_are_bounded_and_need_their_length(ws: Workspace) -> None:
    with running(create_app(source_of(ws), internal=True)) as base:
        r = httpx.post(base + "/login", content=b"username=" + b"x" * 200_000)
        assert r.status_code == 413 and "zu groß" in r.json()["detail"]
        assert r.headers["x-frame-options"] == "DENY"

        def chunks() -> Iterator[bytes]:
            yield b"username=a&"
            yield b"password=b"

        r = httpx.post(base + "/login", content=chunks())
        assert r.status_code == 411


def test_cache_key_ignores_the_host_header_and_links_use_it(client: TestClient) -> None:
    svc = client.app.state.service  # type: ignore[attr-defined]
    client.get("/ogc/collections")
    n, size = len(svc.responses), svc.responses.bytes
    for i in range(300):
        r = client.get("/ogc/collections", headers={"Host": f"h{i}.example"})
        assert r.status_code == 200
        assert f"http://h{i}.example/ogc/collections/gebiet" in r.text
    r = client.get("/ogc/collections", headers={"Host": 'evil"},"x":"'})
    assert r.status_code in (200, 400)
    if r.status_code == 200:
        r.json()  # still valid JSON
    assert len(svc.responses) == n and svc.responses.bytes == size


def test_byte_cache_keeps_its_bound() -> None:
    cache = ByteLRU(100_000)
    for i in range(5000):
        cache.put(("k", i), Entry(os.urandom(200), b""))
        assert cache.bytes <= 100_000
    assert cache.get(("k", 4999)) is not None and cache.get(("k", 0)) is None
    cache.put("huge", Entry(b"x" * 60_000, b""))  # more than a quarter: not kept
    assert cache.get("huge") is None


def test_flood_of_distinct_requests_stays_bounded(ws: Workspace) -> None:
    """1,500 requests with invented parameters and hosts against a 1 MB cache: no errors, the
    cache stays under its bound, the server still answers."""
    from planlabor.config import ServerSection

    app = create_app(source_of(ws), settings=ServerSection(cache_mb=1))
    rnd = random.Random(15)
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as c:
        codes: dict[int, int] = {}
        for i in range(1500):
            kind = i % 3
            if kind == 0:
                url = f"/api/indicators?theme={rnd.getrandbits(64):x}"
            elif kind == 1:
                url = f"/api/profile/gebiet/A{rnd.randint(1, 4)}?period=20{rnd.randint(10, 30)}-12-31"
            else:
                url = f"/ogc/collections/gebiet/items?limit={rnd.randint(1, 9999)}"
            r = c.get(url, headers={"Host": f"x{i}.example"})
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
        assert set(codes) <= {200, 404}, codes
        assert app.state.service.responses.bytes <= 1 << 20
        assert c.get("/api/layers").status_code == 200


def _cli(
    root: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), "-C", str(root), *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.slow
def test_cli_and_server_side_by_side(ws: Workspace, tmp_path: Path) -> None:
    """While 'planlabor serve --internal' runs: read commands work, write commands go through
    (user remove ends the sessions at once, import and compute change what the server shows),
    and a store held by another writer gets a German sentence, never a raw lock error."""
    root = ws.root
    ws.close()
    assert _cli(root, "user", "add", "planerin", "--password-stdin", stdin=PASSWORD).returncode == 0
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [str(EXE), "-C", str(root), "serve", "--internal", "--port", str(port)], stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/api/layers")
        with httpx.Client(base_url=base) as c:
            token = c.get("/api/session").json()["csrf"]
            r = c.post("/login", data={"username": "planerin", "password": PASSWORD, "csrf": token})
            assert c.get("/api/session").json()["user"] == "planerin"
            assert "intern" in c.get("/api/atlas/meta").json()["indicators"]
            for read in (("status",), ("log",), ("user", "list")):
                r = _cli(root, *read)
                assert r.returncode == 0, (read, r.stderr)
            r = _cli(root, "user", "remove", "planerin")
            assert r.returncode == 0, r.stderr
            assert c.get("/api/session").json()["user"] is None  # at once, no restart
            assert "intern" not in c.get("/api/atlas/meta").json()["indicators"]
        before = httpx.get(base + "/api/values?layer=gebiet&indicator=einwohner&period=2021-12-31").json()
        csv = tmp_path / "neu.csv"
        csv.write_text(
            "id;ew;kinder;sgb2;publ;idx\nA1;1111;100;2;10;1\nA2;3000;600;300;20;1\n"
            "A3;1500;50;40;5;2\nA4;2000;100;60;7;1\n",
            encoding="utf-8",
        )
        r = _cli(root, "import", str(csv), "--layer", "gebiet", "--period", "2022-12-31")
        assert r.returncode == 0, r.stderr
        assert _cli(root, "compute").returncode == 0
        url = base + "/api/values?layer=gebiet&indicator=einwohner&period=2022-12-31"
        for _ in range(100):  # the server notices the change and rebuilds in the background
            r = httpx.get(url)
            if r.status_code == 200:
                break
            import time

            time.sleep(0.2)
        assert r.status_code == 200 and {v["area_id"]: v["value"] for v in r.json()["values"]}["A1"] == 1111
        assert (
            httpx.get(base + "/api/values?layer=gebiet&indicator=einwohner&period=2021-12-31").json()
            == before
        )
        # another writer holds the store: a German sentence, no raw DuckDB/PostgreSQL error
        with _writer_holding(root):
            r = _cli(root, "compute", env={"PLANLABOR_LOCK_WAIT": "1"})
            assert httpx.get(base + "/api/layers").status_code == 200  # the server answers from memory
        assert r.returncode == 1
        assert "wird gerade von" in r.stderr and "Lösung" in r.stderr, r.stderr
        assert (
            "IO Error" not in r.stderr and "Conflicting lock" not in r.stderr and "Traceback" not in r.stderr
        )
        assert _cli(root, "compute").returncode == 0  # and once it is free, it goes through
    finally:
        server.terminate()
        server.wait(20)
        log.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


@contextmanager
def _writer_holding(root: Path) -> Iterator[None]:
    """Another writer holds the workspace: on DuckDB a second process's connection to the file
    (its file lock), on PostgreSQL a writing transaction (the workspace's advisory lock)."""
    if os.environ.get("PLANLABOR_TEST_BACKEND") == "postgres":
        with Workspace.open(root) as ws, ws.store.transaction():
            yield
        return
    holder = duckdb.connect(str(root / "planlabor.duckdb"))
    try:
        yield
    finally:
        holder.close()


def test_slow_loris_connections_do_not_block_others(ws: Workspace) -> None:
    """300 connections that send half a request and then wait: a normal request still gets its
    answer (the server is asynchronous; idle connections cost no worker)."""
    import socket

    with running(create_app(source_of(ws))) as base:
        port = int(base.rsplit(":", 1)[1])
        idle = []
        try:
            for _ in range(300):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(b"GET /api/layers HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                idle.append(s)
            r = httpx.get(base + "/api/layers", timeout=10)
            assert r.status_code == 200
        finally:
            for s in idle:
                s.close()
