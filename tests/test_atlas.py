"""Atlas payloads, static build and API on the real Berlin demo: correct, public, safe."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from planlabor.atlas.build import build_static
from planlabor.atlas.data import geo_payload, meta_payload, source_of, values_payload
from planlabor.atlas.server import create_app

INTERNAL = "kinder_unter_1"  # public = false in the Berlin starter catalog


@pytest.fixture(scope="module")
def client(berlin) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(source_of(berlin))) as c:
        yield c


def _store_value(ws, layer: str, indicator: str, period: str, area: str) -> float | None:  # type: ignore[no-untyped-def]
    df = ws.store.query_df(
        "SELECT value FROM indicator_values WHERE layer_id = ? AND indicator_id = ? AND period = ? AND area_id = ?",
        [layer, indicator, period, area],
    )
    return None if df.empty or df["value"].isna().all() else float(df["value"].iloc[0])


def test_meta_lists_only_public_indicators_with_their_layers(berlin) -> None:  # type: ignore[no-untyped-def]
    src = source_of(berlin)
    meta = meta_payload(src, public=True)
    assert INTERNAL not in meta["indicators"]
    assert INTERNAL in meta_payload(src, public=False)["indicators"]
    assert meta["layers"][0]["id"] == "plr" and {lay["id"] for lay in meta["layers"]} >= {
        "plr",
        "bzr",
        "stadt",
    }
    assert meta["themes"][0]["name"] == "Bevölkerung"
    ew = meta["indicators"]["einwohner"]
    assert "2024-12-31" in ew["layers"]["plr"] and ew["decimals"] == 0
    assert meta["periods"]["2024-12-31"] == "31.12.2024"
    assert meta["flags"]["gesperrt"]["sign"] == "•"
    (mx,) = meta["matrices"]
    assert mx["id"] == "alterung_matrix" and mx["rows"]["indicator"] == "alterung_status_klasse"
    assert [c[1] for c in mx["cols"]["classes"]] == ["verjüngend", "stabil", "alternd"]


def test_values_payload_matches_the_store_and_suppresses(berlin) -> None:  # type: ignore[no-untyped-def]
    src = source_of(berlin)
    vals = values_payload(src, "plr", public=True)
    assert len(vals["areas"]) == 542 and vals["areas"] == sorted(vals["areas"])
    assert INTERNAL not in vals["indicators"]
    i = vals["areas"].index("01100101")
    got = vals["indicators"]["anteil_auslaender"]["2024-12-31"]["v"][i]
    assert got == pytest.approx(
        _store_value(berlin, "plr", "anteil_auslaender", "2024-12-31", "01100101"), abs=1e-3
    )
    # the public view blanks suppressed cells and flags them; the internal view keeps the values
    suppressed = [
        (iid, p, int(k))
        for iid, by_p in vals["indicators"].items()
        for p, cell in by_p.items()
        for k, f in cell.get("f", {}).items()
        if f == "gesperrt"
    ]
    assert suppressed, "the demo has small counts that must be suppressed"
    iid, p, k = suppressed[0]
    assert vals["indicators"][iid][p]["v"][k] is None
    internal = values_payload(src, "plr", public=False)
    assert internal["indicators"][iid][p]["v"][k] is not None


def test_geo_payload_is_wgs84_simplified_and_rounded(berlin) -> None:  # type: ignore[no-untyped-def]
    geo = geo_payload(source_of(berlin), "bezirk")
    assert len(geo["features"]) == 12
    xs = [c[0] for f in geo["features"] for ring in _rings(f["geometry"]) for c in ring]
    assert 13.0 < min(xs) < max(xs) < 13.8
    assert all(round(x, 5) == x for x in xs[:500])


def _rings(geom: dict) -> list:
    if geom["type"] == "Polygon":
        return list(geom["coordinates"])
    return [r for poly in geom["coordinates"] for r in poly]


def test_static_build_is_public_small_and_complete(berlin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = build_static(source_of(berlin), tmp_path / "atlas")
    out = tmp_path / "atlas"
    assert (out / "index.html").read_text(encoding="utf-8").count(
        '<meta name="planlabor-mode" content="static">'
    ) == 1
    assert (out / "vendor" / "maplibre-gl" / "maplibre-gl.js").stat().st_size > 500_000
    assert r.zipped_bytes < 2_000_000, r.zipped_bytes
    for f in out.rglob("*"):
        if f.is_file() and f.suffix in (".js", ".html", ".json", ".txt") and "vendor" not in f.parts:
            assert INTERNAL not in f.read_text(encoding="utf-8"), f
    text = (out / "data" / "values_plr.js").read_text(encoding="utf-8")
    assert text.startswith('planlaborData("values/plr",')
    payload = json.loads(text[len('planlaborData("values/plr",') : -3])
    assert len(payload["areas"]) == 542
    # a second build into the same folder replaces it; a foreign folder is refused
    build_static(source_of(berlin), out)
    (tmp_path / "fremd").mkdir()
    (tmp_path / "fremd" / "x.txt").write_text("x")
    with pytest.raises(Exception, match="nicht leer"):
        build_static(source_of(berlin), tmp_path / "fremd")


def test_api_endpoints_answer_with_store_values(client: TestClient, berlin) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/").status_code == 200 and 'content="server"' in client.get("/").text
    assert client.get("/vendor/maplibre-gl/maplibre-gl.js").status_code == 200
    layers = client.get("/api/layers").json()
    assert layers[0]["id"] == "plr" and layers[0]["areas"] == 542
    inds = client.get("/api/indicators").json()
    assert {i["id"] for i in inds} >= {"einwohner", "anteil_auslaender"} and INTERNAL not in {
        i["id"] for i in inds
    }
    r = client.get(
        "/api/values", params={"layer": "bezirk", "indicator": "einwohner", "period": "2024-12-31"}
    )
    assert r.status_code == 200
    values = {v["area_id"]: v["value"] for v in r.json()["values"]}
    assert len(values) == 12 and sum(values.values()) == pytest.approx(3_897_145)
    ts = client.get(
        "/api/timeseries", params={"layer": "stadt", "indicator": "einwohner", "area": "11"}
    ).json()
    assert [s["period"] for s in ts["series"]][:2] == ["2019-12-31", "2020-06-30"]
    prof = client.get("/api/profile/plr/01100101", params={"period": "2024-12-31"}).json()
    by = {i["indicator"]: i for i in prof["indicators"]}
    assert by["einwohner"]["value"] == _store_value(berlin, "plr", "einwohner", "2024-12-31", "01100101")
    assert INTERNAL not in by
    gz = client.get("/api/atlas/values/plr", headers={"Accept-Encoding": "gzip"})
    assert gz.status_code == 200 and len(gz.json()["areas"]) == 542


def test_downloads_are_exactly_what_is_shown(client: TestClient) -> None:
    q = {"layer": "bezirk", "indicator": "anteil_auslaender", "period": "2024-12-31"}
    csv = client.get("/api/download", params={**q, "format": "csv"})
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    assert csv.content.decode("utf-8-sig").count("\n") >= 13
    xlsx = client.get("/api/download", params={**q, "format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    geo = client.get("/api/download", params={**q, "format": "geojson"}).json()
    assert len(geo["features"]) == 12
    internal = client.get("/api/download", params={**q, "indicator": INTERNAL, "format": "csv"})
    assert internal.status_code == 404


def test_ogc_api_features(client: TestClient) -> None:
    assert "conformance" in {link["rel"] for link in client.get("/ogc").json()["links"]}
    assert "core" in client.get("/ogc/conformance").json()["conformsTo"][0]
    cols = client.get("/ogc/collections").json()["collections"]
    assert "plr" in {c["id"] for c in cols}
    items = client.get("/ogc/collections/bezirk/items", params={"period": "2024-12-31"}).json()
    assert items["numberMatched"] == 12 and items["features"][0]["properties"]["einwohner"] > 0
    assert INTERNAL not in items["features"][0]["properties"]
    page = client.get("/ogc/collections/plr/items", params={"limit": 10, "offset": 5}).json()
    assert page["numberReturned"] == 10
    mitte = client.get("/ogc/collections/bezirk/items", params={"bbox": "13.36,52.51,13.38,52.52"}).json()
    assert 1 <= mitte["numberMatched"] < 12 and "01" in {f["id"] for f in mitte["features"]}
    assert client.get("/ogc/collections/bezirk/items", params={"bbox": "14,53,13,52"}).status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/atlas/values/plr2",
        "/api/atlas/geo/..%2F..%2Fetc%2Fpasswd",
        "/vendor/../../../../etc/passwd",
        "/vendor/%2e%2e/%2e%2e/pyproject.toml",
        "/api/indicators/" + INTERNAL,
        "/api/profile/plr/99999999",
        "/ogc/collections/nix/items",
    ],
)
def test_unknown_and_traversal_paths_are_4xx(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert 400 <= r.status_code < 500, (path, r.status_code)
    assert "root:" not in r.text and "[project]" not in r.text


@pytest.mark.parametrize(
    "params",
    [
        {"layer": "plr", "indicator": "einwohner"},
        {"layer": "plr", "indicator": "einwohner", "period": "gestern"},
        {"layer": "plr'; DROP TABLE observations; --", "indicator": "einwohner", "period": "2024-12-31"},
        {"layer": "plr", "indicator": INTERNAL, "period": "2024-12-31"},
    ],
)
def test_malformed_parameters_get_a_clear_4xx(client: TestClient, params: dict) -> None:
    r = client.get("/api/values", params=params)
    assert 400 <= r.status_code < 500
    assert r.json()["detail"]


def test_internal_indicator_absent_from_every_public_response(client: TestClient) -> None:
    paths = ["/api/atlas/meta", "/api/layers", "/api/indicators", "/ogc/collections/plr/items?limit=10000"]
    paths += [f"/api/atlas/values/{lay}" for lay in ("plr", "bzr", "pgr", "bezirk", "stadt")]
    for p in paths:
        assert INTERNAL not in client.get(p).text, p


def test_values_round_only_beyond_display_precision(berlin) -> None:  # type: ignore[no-untyped-def]
    vals = values_payload(source_of(berlin), "stadt", public=True)
    v = vals["indicators"]["anteil_auslaender"]["2024-12-31"]["v"][0]
    exact = _store_value(berlin, "stadt", "anteil_auslaender", "2024-12-31", "11")
    assert exact is not None and math.isclose(v, exact, abs_tol=0.0005)


def test_optional_local_basemap(berlin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from PIL import Image

    from planlabor.atlas.data import basemap_info

    assert basemap_info(tmp_path) is None
    tile = tmp_path / "basemap" / "0" / "0"
    tile.mkdir(parents=True)
    Image.new("RGB", (256, 256), (200, 210, 220)).save(tile / "0.png")
    (tmp_path / "basemap" / "attribution.txt").write_text("© Testkarte\n", encoding="utf-8")
    info = basemap_info(tmp_path)
    assert info == {
        "tiles": "basemap/{z}/{x}/{y}.png",
        "minzoom": 0,
        "maxzoom": 0,
        "attribution": "© Testkarte",
    }
    src = replace(source_of(berlin), root=tmp_path)
    with TestClient(create_app(src)) as c:
        assert c.get("/api/atlas/meta").json()["basemap"]["attribution"] == "© Testkarte"
        r = c.get("/basemap/0/0/0.png")
        assert r.status_code == 200 and r.content[:4] == b"\x89PNG"
    build_static(src, tmp_path / "atlas")
    assert (tmp_path / "atlas" / "basemap" / "0" / "0" / "0.png").exists()
