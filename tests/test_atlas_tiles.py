"""Vector tiles from the server (issue 22, point 3): one binary tile per address with the build's
version, cached by browsers for a year (``immutable``), ETag/304 through FastPath, packed once;
unversioned or unknown tile addresses are not found, in German.

Berlin's 542 Planungsräume count as a large layer here (``LARGE_AREAS`` lowered), so the server
builds their tiles as it does for the 10,978 Gemeinden (tests/test_gemeindeatlas_browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from planlabor.atlas.data import source_of
from planlabor.atlas.server import create_app

pytest.importorskip("mapbox_vector_tile")
LAYER = "plr"


@pytest.fixture(scope="module")
def client(berlin) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    import planlabor.atlas.data as data
    import planlabor.atlas.large as large

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(data, "LARGE_AREAS", 100)
        mp.setattr(large, "LARGE_AREAS", 100)
        mp.setattr(data, "VECTOR_TILES", True)
        with TestClient(create_app(source_of(berlin))) as c:
            yield c


@pytest.fixture(scope="module")
def index(client: TestClient) -> dict[str, Any]:
    r = client.get(f"/api/atlas/tiles/{LAYER}")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"  # the entry point: asked again
    return r.json()  # type: ignore[no-any-return]


def _one_tile(index: dict[str, Any]) -> tuple[int, str]:
    z = index["minzoom"] + 2
    return z, index["tiles"][str(z)][0]


def test_tile_is_versioned_immutable_packed_once_and_answers_304(
    client: TestClient, index: dict[str, Any]
) -> None:
    import mapbox_vector_tile

    assert len(index["version"]) == 16 and index["n"] == 542
    z, xy = _one_tile(index)
    url = f"/api/atlas/tiles/{LAYER}/{index['version']}/{z}/{xy}"
    r = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert r.headers["content-encoding"] == "gzip" and r.headers["etag"]
    tile = mapbox_vector_tile.decode(r.content)  # the client unpacked it: one gzip layer, not two
    assert list(tile) == ["areas"]
    raw = client.get(url, headers={"Accept-Encoding": "identity"})
    assert raw.status_code == 200 and "content-encoding" not in raw.headers and raw.content == r.content
    # the same answer again from FastPath: 304 without a body for the ETag the browser holds
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["cache-control"] == "public, max-age=31536000, immutable"
    # geometry and the feature id only (position of the key in the values index plus one): no values
    keys = client.get(f"/api/atlas/values/{LAYER}").json()
    from planlabor.atlas.large import index_areas

    areas = index_areas(keys)
    for f in tile["areas"]["features"]:
        assert f["properties"] == {} and 1 <= f["id"] <= len(areas)


def test_unversioned_or_unknown_tiles_are_not_found_in_german(
    client: TestClient, index: dict[str, Any]
) -> None:
    z, xy = _one_tile(index)
    for url in (
        f"/api/atlas/tiles/{LAYER}/{z}",  # the unversioned form of earlier versions
        f"/api/atlas/tiles/{LAYER}/0123456789abcdef/{z}/{xy}",  # another build
        f"/api/atlas/tiles/{LAYER}/{index['version']}/12/0/0",  # beyond the prebuilt zooms
        f"/api/atlas/tiles/{LAYER}/{index['version']}/{z}/{2**z}/0",  # outside the world
        f"/api/atlas/tiles/gibtesnicht/{index['version']}/{z}/{xy}",
        f"/api/atlas/tiles/{LAYER}/{index['version']}/{z}/{xy}/x",
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "Not Found" not in r.text and r.json()["detail"], url  # the API's German form
    assert "Version" in client.get(f"/api/atlas/tiles/{LAYER}/{z}").json()["detail"]
    # a tile of the build's zoom where no Planungsraum lies: empty, not an error
    v = index["version"]
    empty = client.get(f"/api/atlas/tiles/{LAYER}/{v}/{z}/0/0")
    assert empty.status_code == 200 and empty.content == b""


def test_small_layers_have_no_tiles(client: TestClient) -> None:
    small = [lay["id"] for lay in client.get("/api/atlas/meta").json()["layers"] if not lay.get("large")]
    assert small and client.get(f"/api/atlas/tiles/{small[0]}").json() == {"tiles": None}
    v = "0123456789abcdef"
    assert client.get(f"/api/atlas/tiles/{small[0]}/{v}/5/17/10").status_code == 404
