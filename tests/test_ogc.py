"""OGC API – Features (Part 1 Core, Part 2 CRS) on the Berlin demo, as the standard asks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from planlabor.atlas.data import source_of
from planlabor.atlas.server import create_app

INTERNAL = "kinder_unter_1"
ITEMS = "/ogc/collections/plr/items"
EPSG25833 = "http://www.opengis.net/def/crs/EPSG/0/25833"


@pytest.fixture(scope="module")
def client(berlin) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(source_of(berlin))) as c:
        yield c


def _links(doc: dict, rel: str) -> list[str]:
    return [lk["href"] for lk in doc["links"] if lk["rel"] == rel]


def test_paging_follows_next_links_to_every_area(client: TestClient) -> None:
    url: str | None = f"{ITEMS}?limit=100"
    ids: list[str] = []
    pages = 0
    while url:
        page = client.get(url).json()
        assert page["numberMatched"] == 542 and page["numberReturned"] == len(page["features"])
        ids += [f["id"] for f in page["features"]]
        nxt = _links(page, "next")
        url = nxt[0].replace("http://testserver", "") if nxt else None
        pages += 1
    assert pages == 6 and len(ids) == len(set(ids)) == 542
    last = client.get(f"{ITEMS}?limit=100&offset=500").json()
    assert last["numberReturned"] == 42 and not _links(last, "next") and _links(last, "prev")


def test_item_by_id_and_unknown_item(client: TestClient) -> None:
    f = client.get(f"{ITEMS}/01100101").json()
    assert f["id"] == "01100101" and f["properties"]["area_name"] == "Stülerstraße"
    assert f["geometry"]["type"] == "MultiPolygon"
    r = client.get(f"{ITEMS}/99999999")
    assert r.status_code == 404 and r.json()["code"] == "NotFound"
    for url in ("/ogc/collections/statement/items", "/ogc/collections/statement"):
        r = client.get(url)  # an unknown collection: an OGC exception, as the OpenAPI says
        assert r.status_code == 404 and r.json()["code"] and r.json()["description"]


def test_collection_extent_covers_the_whole_layer_and_lists_crs(client: TestClient) -> None:
    col = client.get("/ogc/collections/plr").json()
    (bbox,) = col["extent"]["spatial"]["bbox"]
    assert bbox[0] < 13.1 and bbox[2] > 13.75 and bbox[1] < 52.35 and bbox[3] > 52.67  # all of Berlin
    assert col["extent"]["temporal"]["interval"][0][0].startswith("2019-12-31")
    assert EPSG25833 in col["crs"] and col["storageCrs"] == EPSG25833
    assert col["itemType"] == "feature" and col["title"] == "Planungsräume"
    rels = {lk["rel"] for lk in col["links"]}
    assert {"items", "describedBy", "http://www.opengis.net/def/rel/ogc/1.0/queryables"} <= rels
    assert not [lk for lk in col["links"] if lk["type"] == "text/html"]  # no page loading internet scripts


def test_bbox_selects_by_geometry(client: TestClient) -> None:
    mitte = client.get("/ogc/collections/bezirk/items", params={"bbox": "13.36,52.51,13.38,52.52"}).json()
    assert [f["id"] for f in mitte["features"]] == ["01"]
    plr = client.get(ITEMS, params={"bbox": "13.36,52.51,13.40,52.53", "limit": 5}).json()
    assert plr["numberMatched"] == 12 and plr["numberReturned"] == 5 and _links(plr, "next")
    assert client.get(ITEMS, params={"bbox": "14,53,13"}).status_code == 400


def test_datetime_chooses_the_period(client: TestClient, berlin) -> None:  # type: ignore[no-untyped-def]
    def einwohner(**params: str) -> tuple[str, float]:
        f = client.get(f"{ITEMS}", params={"limit": 1, **params}).json()["features"][0]
        return f["properties"]["period"], f["properties"]["einwohner"]

    store = berlin.store.query_df(
        "SELECT period, value FROM indicator_values WHERE layer_id='plr' AND indicator_id='einwohner' "
        "AND area_id='01100101' AND period IN ('2022-12-31', '2024-12-31')"
    )
    want = dict(zip(store["period"], store["value"], strict=True))
    assert einwohner(datetime="2022-12-31") == ("2022-12-31", pytest.approx(want["2022-12-31"]))
    assert einwohner(datetime="2024-01-01/2024-12-31")[0] == "2024-12-31"
    assert einwohner()[0] == "2024-12-31"  # default: the newest well-filled period
    assert client.get(ITEMS, params={"datetime": "2025-06-01"}).json()["numberMatched"] == 0  # no period
    assert client.get(ITEMS, params={"datetime": "1990-01-01"}).status_code == 400  # outside the extent
    assert client.get(ITEMS, params={"datetime": "kein-datum"}).status_code == 400


@pytest.mark.parametrize("params", [{"foo": "1"}, {"periode": "2024"}, {"f": "html"}, {"limit": "x"}])
def test_unknown_or_bad_parameters_are_400(client: TestClient, params: dict) -> None:
    r = client.get(ITEMS, params=params)
    assert r.status_code == 400 and r.json()["code"] == "InvalidParameterValue", r.text


def test_crs_parameter_gives_utm_coordinates(client: TestClient) -> None:
    r = client.get(f"{ITEMS}/01100101", params={"crs": EPSG25833})
    assert r.headers["content-crs"] == f"<{EPSG25833}>"
    x, y = r.json()["geometry"]["coordinates"][0][0][0]
    assert 370_000 < x < 420_000 and 5_800_000 < y < 5_840_000
    lat, lon = client.get(
        f"{ITEMS}/01100101", params={"crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}
    ).json()["geometry"]["coordinates"][0][0][0]
    assert 52 < lat < 53 and 13 < lon < 14  # EPSG:4326 is latitude first
    assert client.get(ITEMS, params={"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}).status_code == 400


def test_queryables_schema_and_status_columns(client: TestClient) -> None:
    q = client.get("/ogc/collections/plr/queryables").json()["properties"]
    assert q["einwohner"]["type"] == "number" and q["period"]["x-ogc-role"] == "primary-instant"
    schema = client.get("/ogc/collections/plr/feature-schema").json()
    props = schema["properties"]["properties"]["properties"]
    assert props["area_id"]["type"] == "string" and props["einwohner"]["type"] == "number"
    status = [k for k in props if k.endswith("__status")]
    assert status, "suppressed values need their status column"
    page = client.get(ITEMS, params={"limit": 542, "datetime": "2020-12-31"}).json()
    assert all(set(status) <= set(f["properties"]) for f in page["features"])  # every column everywhere
    flagged = [
        (p, c) for p in (f["properties"] for f in page["features"]) for c in status if p[c] == "gesperrt"
    ]
    assert flagged and all(p[c.removesuffix("__status")] is None for p, c in flagged)
    eq = client.get(ITEMS, params={"parent_id": "011001"}).json()
    assert eq["numberMatched"] == 4 and {f["properties"]["parent_id"] for f in eq["features"]} == {"011001"}


def test_public_ogc_has_no_internal_indicator_and_no_suppressed_number(client: TestClient, berlin) -> None:  # type: ignore[no-untyped-def]
    from planlabor.atlas.data import values_frame

    text = client.get(ITEMS, params={"limit": 1000, "datetime": "2024-12-31"}).text
    assert INTERNAL not in text
    internal = values_frame(source_of(berlin), "plr", public=False)
    public = values_frame(source_of(berlin), "plr", public=True)
    hidden = public[public["flag"] == "gesperrt"].merge(
        internal, on=["area_id", "indicator_id", "period"], suffixes=("", "_raw")
    )
    # cells without an internal value may be marked too (the pattern covers whole groups)
    hidden = hidden[(hidden["period"] == "2020-12-31") & hidden["value_raw"].notna()]
    assert len(hidden) >= 10
    feats = {
        f["id"]: f["properties"]
        for f in client.get(ITEMS, params={"limit": 1000, "datetime": "2020-12-31"}).json()["features"]
    }
    for r in hidden.itertuples():
        assert feats[r.area_id][r.indicator_id] is None


def test_ogc_answers_are_cached_bytes_independent_of_the_host(client: TestClient) -> None:
    svc = client.app.state.service  # type: ignore[attr-defined]
    a = client.get(ITEMS, params={"limit": 10, "offset": 20})
    n = len(svc.responses)
    b = client.get(ITEMS, params={"limit": 10, "offset": 20}, headers={"Host": "atlas.example"})
    assert len(svc.responses) == n  # same entry for another host name
    # the filled-in answers per address live in their own bounded cache
    assert len(client.app.state.ogc.rendered) >= 2  # type: ignore[attr-defined]
    assert a.json()["features"] == b.json()["features"]
    nxt = _links(b.json(), "next")[0]
    assert nxt.startswith("http://atlas.example/ogc/collections/plr/items?") and "offset=30" in nxt
