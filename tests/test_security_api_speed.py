"""The server's fast answers stay correct (issue 18 point 4/6): the GeoJSON download from cached
geometry equals the exporter's file; FastPath answers repeats with an ETag (``304`` on
``If-None-Match``), page and static files from memory, OGC answers per address (each ``Host``
gets its own links), the OpenAPI description serialised once; a session cookie still bypasses it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from planlabor.atlas.data import source_of
from planlabor.atlas.server import create_app
from planlabor.io.export import ExportOptions, export
from planlabor.workspace import Workspace
from tests.attack import fill

Q = {"layer": "gebiet", "period": "2021-12-31", "format": "geojson"}


@pytest.fixture
def ws(grid_ws: Workspace, tmp_path: Path) -> Workspace:
    return fill(grid_ws, tmp_path)


@pytest.fixture
def client(ws: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(source_of(ws))) as c:
        yield c


def _coords(geom: Any) -> list[float]:
    if isinstance(geom, dict):
        return _coords(geom["coordinates"])
    if isinstance(geom, list):
        return [x for g in geom for x in _coords(g)]
    return [float(geom)]


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(a))
    return bool(a == b)


def test_geojson_download_equals_the_exporters_file(
    client: TestClient, ws: Workspace, tmp_path: Path
) -> None:
    ids = [i["id"] for i in client.get("/api/indicators").json()]
    marked = 0
    for iid in ids:
        got = client.get("/api/download", params={**Q, "indicator": iid})
        if got.status_code == 404:
            continue
        assert got.status_code == 200 and got.headers["content-type"] == "application/geo+json"
        out = tmp_path / f"{iid}.geojson"
        opts = ExportOptions(layer="gebiet", out=out, format="geojson", indicators=[iid],
                             periods=["2021-12-31"], public=True)  # fmt: skip
        src = source_of(ws)
        export(ws.store, src.catalog, src.rules, opts, {})
        want, have = json.loads(out.read_text(encoding="utf-8")), got.json()
        assert len(have["features"]) == len(want["features"]) == 4
        for h, w in zip(have["features"], want["features"], strict=True):
            assert h["properties"].keys() == w["properties"].keys(), iid
            for k, v in w["properties"].items():
                assert _close(h["properties"][k], v), (iid, k, h["properties"][k], v)
            hc, wc = _coords(h["geometry"]), _coords(w["geometry"])
            assert len(hc) == len(wc) and max(abs(x - y) for x, y in zip(hc, wc, strict=True)) < 1.5e-7
        marked += f"{iid}__status" in have["features"][0]["properties"]
    assert marked >= 1  # a suppressed indicator: its marks travel in <indicator>__status
    assert client.get("/api/download", params={**Q, "indicator": "gibt_es_nicht"}).status_code == 404


def test_fastpath_etag_304_and_static_files_from_memory(client: TestClient) -> None:
    for path in ("/", "/atlas.js", "/atlas.css", "/api/atlas/meta", "/api/openapi.json", "/ogc/collections"):
        first = client.get(path, headers={"Accept-Encoding": "gzip"})
        again = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == again.status_code == 200, path
        tag = again.headers["etag"]
        assert first.headers.get("etag") == tag and again.content == first.content, path
        assert "content-security-policy" in again.headers  # the security headers on fast answers too
        same = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
        assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == tag, path
        other = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": '"alt"'})
        assert other.status_code == 200 and other.content == first.content, path
    js = client.get("/atlas.js", headers={"Accept-Encoding": "gzip"})
    assert js.headers["content-encoding"] == "gzip" and "javascript" in js.headers["content-type"]
    plain = client.get("/atlas.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == js.content
    assert json.loads(client.get("/api/openapi.json").content) == client.app.openapi()  # type: ignore[attr-defined]


def test_ogc_answers_from_memory_keep_each_hosts_links(client: TestClient) -> None:
    for _ in range(2):  # the second round comes from FastPath
        for host in ("a.example", "b.example"):
            r = client.get("/ogc/collections", headers={"Host": host})
            links = [link["href"] for c in r.json()["collections"] for link in c["links"]]
            assert links and all(h.startswith(f"http://{host}/ogc") for h in links), host
            assert "x-planlabor-shareable" not in r.headers


def test_gzip_answer_is_the_plain_one_packed(client: TestClient) -> None:
    r = client.get(
        "/api/download", params={**Q, "indicator": "einwohner"}, headers={"Accept-Encoding": "gzip"}
    )
    raw = client.get(
        "/api/download", params={**Q, "indicator": "einwohner"}, headers={"Accept-Encoding": "x"}
    )
    assert r.headers["content-encoding"] == "gzip" and json.loads(raw.content)["features"]
    assert r.content == raw.content
