"""The atlas at Gemeinde scale (issue 22, point 3): 10,978 Gemeinden of the VG5000 in Chromium.

The workspace is the Gemeinde part of the Deutschland demo, built with the demo's own steps
(VG5000 areas, Zensus 2011 grid population, IRIS income tax of the Gemeindeverbände re-based onto
the Gemeinden): a large layer, loaded in pieces (:mod:`planlabor.atlas.large`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planlabor.atlas.build import build_static
from planlabor.atlas.data import dumps, source_of, values_payload
from planlabor.atlas.large import geo_levels, index_areas, values_parts
from tests.browser import ARTIFACTS, CHROMIUM, chromium, loaded_bytes, painted, serving

IND, POP = "am_einkommensteuer_je_ew", "einwohner_zensus"
HANNOVER = "032410001001"  # Hannover (VG5000 name)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium fehlt (Debian-Paket chromium)"),
]


@pytest.fixture(scope="module")
def gemeinden(tmp_path_factory) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from planlabor.catalog.model import template_text
    from planlabor.demo.deutschland import _areas, _import, _rebase_to_gemeinden, _suggest
    from planlabor.workspace import Workspace

    root = tmp_path_factory.mktemp("gemeinden") / "ws"
    ws = Workspace.init(root, name="Gemeinden", municipality="Deutschland", crs="EPSG:25832",
                        catalog_text=template_text("armut"))  # fmt: skip
    _areas(ws)
    _import(ws, "IRIS_Einkommenssteuer_Gemeindeverbaende_2022.csv", "gemeindeverband", {})
    _import(ws, "continuous_Einwohner.parquet", "gemeinde", {"Einwohner": "einwohner_zensus"})
    _rebase_to_gemeinden(ws)
    _suggest(ws)
    ws.compute()
    ws.close()
    ws = Workspace.open(root, read_only=True)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def atlas(gemeinden, tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("gematlas") / "atlas"
    build_static(source_of(gemeinden), out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _store(ws: Any, ind: str, period: str) -> dict[str, float]:
    df = ws.store.indicator_values("gemeinde", [ind], [period])
    return {str(a): float(v) for a, v in zip(df["area_id"], df["value"], strict=True) if v == v}


def _painted(page: Any, ind: str) -> None:
    painted(page, ind, "gemeinde", timeout=180)


def _shown(page: Any, ind: str, period: str, ids: list[str]) -> dict[str, Any]:
    return page.evaluate(  # type: ignore[no-any-return]
        """([ind, period, ids]) => Object.fromEntries(ids.map(id => [id,
             planlaborAtlas.cell('gemeinde', ind, period, planlaborAtlas.areaIndex('gemeinde', id))]))""",
        [ind, period, ids],
    )


def test_large_layer_payloads_are_pieces_that_add_up_to_the_single_file(gemeinden) -> None:  # type: ignore[no-untyped-def]
    src = source_of(gemeinden)
    full = values_payload(src, "gemeinde")
    parts = values_parts(src, "gemeinde")
    index = parts.pop("values/gemeinde")
    assert index_areas(index) == full["areas"] and len(full["areas"]) == 10978 and index["indicators"] == {}
    # written compactly (front-coded keys, joined names, parents as the length of the key's start)
    assert index["an"].split("|") == full["names"] and "areas" not in index and "names" not in index
    parents = [
        p if not isinstance(p, int) else k[:p] for k, p in zip(full["areas"], index["ap"], strict=True)
    ]
    assert parents == full["parents"] and len(dumps(index)) < 250_000
    assert len(index["parts"][IND]) == 25 and index["parts"][POP] == ["2011-05-09"]
    for name, part in parts.items():
        cell = full["indicators"][part["indicator"]][part["period"]]
        assert part["v"] == cell["v"], name
        # the shared flag sent once: expanding it gives the single file's flags again
        flags = {str(i): part["fd"] for i, v in enumerate(part["v"]) if v is not None} if "fd" in part else {}
        flags = {k: f for k, f in (flags | part.get("f", {})).items() if f}
        assert flags == cell.get("f", {}), name
    assert parts[f"values/gemeinde/{IND}/2022"]["fd"] == "geschaetzt"
    geo = geo_levels(src, "gemeinde")
    coarse, fine = geo["geo/gemeinde"], geo["geofine/gemeinde"]
    assert coarse["n"] == fine["n"] == 10978 and len(coarse["g"]) == 10978
    assert len(dumps(coarse)) < 0.6 * len(dumps(fine)) and len(dumps(coarse)) < 900_000
    # the first point of Hannover decodes to a point on the VG5000 boundary (coarse: within 1e-4°)
    i = full["areas"].index(HANNOVER)
    x, y = coarse["g"][i][0][0][0] / coarse["q"], coarse["g"][i][0][0][1] / coarse["q"]
    assert 9.6 < x < 9.95 and 52.3 < y < 52.5


def test_gemeinde_atlas_from_disk_paints_switches_and_shows_the_stores_values(
    browser, atlas, gemeinden
) -> None:  # type: ignore[no-untyped-def]
    data = atlas / "data"
    assert (data / "values_gemeinde.js").stat().st_size < 600_000  # keys, names, parents only
    assert (data / "values_gemeinde" / IND / "2022.js").exists() and (data / "geofine_gemeinde.js").exists()
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(atlas.joinpath("index.html").as_uri() + f"#i={IND}&l=gemeinde&p=2022")
    _painted(page, IND)
    # before the first paint: geometry (coarse) and one indicator × period, not the other 25 parts
    loaded = page.evaluate("[...document.querySelectorAll('script[src]')].map(s => s.getAttribute('src'))")
    parts = [s for s in loaded if s.startswith("data/values_gemeinde/")]
    assert parts[:1] == [f"data/values_gemeinde/{IND}/2022.js"]
    assert loaded_bytes(page, atlas) <= 3_000_000
    want = _store(gemeinden, IND, "2022")
    ids = [HANNOVER, "091620000000", "010010000000", "160770052052"]
    shown = _shown(page, IND, "2022", ids)
    for a in ids:
        if a in want:
            assert shown[a]["v"] == pytest.approx(want[a], abs=0.01) and shown[a]["f"] == "geschaetzt"
    n_colored = page.evaluate("planlaborAtlas.classes().cls.filter(c => c >= 0).length")
    assert n_colored == len(want)
    # the map's fill expression gives Hannover the colour of its class (value from the store)
    got = page.evaluate(
        f"""() => {{ const A = planlaborAtlas, c = A.classes(), i = A.areaIndex('gemeinde', '{HANNOVER}');
             return [A.areaState('{HANNOVER}').color, c.colors[c.cls[i]], A.noData]; }}"""
    )
    assert got[0] == got[1] != got[2]
    page.screenshot(path=str(ARTIFACTS / "atlas_gemeinden.png"))
    # switch the indicator (another theme): painted again with the Zensus population
    theme = page.evaluate(f"planlaborAtlas.meta().indicators['{POP}'].theme")
    if page.evaluate("planlaborAtlas.state.theme") != theme:
        page.select_option("#theme", theme)
    page.select_option("#indicator", POP)
    _painted(page, POP)
    pop = _store(gemeinden, POP, "2011-05-09")
    shown = _shown(page, POP, "2011-05-09", [HANNOVER])
    assert shown[HANNOVER]["v"] == pytest.approx(pop[HANNOVER]) and shown[HANNOVER]["f"] is None
    assert (
        page.locator("#legend-title")
        .inner_text()
        .startswith(page.evaluate(f"planlaborAtlas.meta().indicators['{POP}'].name"))
    )
    # zoomed in beyond the prebuilt tiles: the detailed GeoJSON replaces them, coloured again
    assert page.evaluate("planlaborAtlas.map().getSource('areas').type") == "vector"
    page.evaluate("planlaborAtlas.map().jumpTo({center: [9.74, 52.37], zoom: 9})")
    page.wait_for_function("planlaborAtlas.map().getSource('areas').type === 'geojson'", timeout=60000)
    assert page.evaluate("planlaborAtlas.geo('gemeinde').features.length") == 10978
    got = page.evaluate(
        f"""() => {{ const A = planlaborAtlas, c = A.classes(), i = A.areaIndex('gemeinde', '{HANNOVER}');
             return [A.areaState('{HANNOVER}').color, c.colors[c.cls[i]]]; }}"""
    )
    assert got[0] == got[1]
    assert errors == []
    page.close()


def _colour_ok(page: Any, area: str) -> bool:
    """The map holds the colour of the area's class (its value from the store) for ``area``."""
    got = page.evaluate(
        f"""() => {{ const A = planlaborAtlas, c = A.classes(), i = A.areaIndex('gemeinde', '{area}');
             return [A.areaState('{area}').color, c.colors[c.cls[i]]]; }}"""
    )
    return bool(got[0] == got[1] and got[0])


def _click_hannover(page: Any) -> None:
    pt = page.evaluate(
        "(() => { const p = planlaborAtlas.map().project([9.735, 52.375]); return [p.x, p.y]; })()"
    )
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + pt[0], box["y"] + pt[1])  # hover: the tooltip names the area
    page.wait_for_selector("#tooltip:not([hidden])", timeout=30000)
    assert "Hannover" in page.locator("#tooltip").inner_text()
    page.mouse.click(box["x"] + pt[0], box["y"] + pt[1])
    page.wait_for_function(
        "document.querySelector('#profile-title').textContent === 'Hannover'", timeout=60000
    )


def _source_drawn(page: Any, kind: str) -> None:
    page.wait_for_function(
        f"""(() => {{ const m = planlaborAtlas.map(), s = m.getSource('areas');
             return s && s.type === '{kind}' && m.loaded() && m.querySourceFeatures('areas',
               s.type === 'vector' ? {{sourceLayer: 'areas'}} : {{}}).length > 100; }})()""",
        timeout=90000,
    )


def test_zoom_in_past_the_tiles_and_out_again_draws_the_tiles_with_the_same_state(
    browser, atlas, gemeinden
) -> None:  # type: ignore[no-untyped-def]
    """Beyond the prebuilt zooms the detailed GeoJSON, zoomed out again the tiles (not the slow
    GeoJSON): colours, selection, hover, legend and table view survive both ways."""
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(atlas.joinpath("index.html").as_uri() + f"#i={IND}&l=gemeinde&p=2022")
    _painted(page, IND)
    legend = page.locator("#legend-title").inner_text()
    want = _store(gemeinden, IND, "2022")[HANNOVER]
    for zoom, kind in ((9, "geojson"), (6, "vector"), (9.5, "geojson"), (5.5, "vector")):
        page.evaluate(f"planlaborAtlas.map().jumpTo({{center: [9.74, 52.37], zoom: {zoom}}})")
        _source_drawn(page, kind)
        assert _colour_ok(page, HANNOVER) and _colour_ok(page, "091620000000"), (zoom, kind)
        _click_hannover(page)  # the click finds the area's key from the tile's id or the GeoJSON's key
        shown = page.locator("#profile-value").inner_text().split(" ")[0]
        assert float(shown.replace(".", "").replace(",", ".")) == pytest.approx(want, abs=1), (zoom, kind)
        assert page.evaluate(f"planlaborAtlas.areaState('{HANNOVER}').sel") is True, (zoom, kind)
        assert page.locator("#legend-title").inner_text() == legend
    # the table view (keyboard users) still lists Hannover with the store's value (profile closed:
    # with an open profile the atlas loads every indicator and period of the layer first)
    page.click("#profile-close")
    page.click('[data-view="table"]')
    page.wait_for_selector("#table-filter", state="visible", timeout=90000)
    page.fill("#table-filter", "Hannover")
    row = page.locator("#data-table tbody tr", has_text=HANNOVER).first.inner_text()
    assert f"{want:,.0f}".replace(",", ".") in row or f"{want:.0f}" in row.replace(".", "")
    page.screenshot(path=str(ARTIFACTS / "atlas_gemeinden_zoom_out.png"))
    assert errors == []
    page.close()


def test_gemeinde_profile_and_charts_load_every_period_on_demand(browser, atlas, gemeinden) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(atlas.joinpath("index.html").as_uri() + f"#i={IND}&l=gemeinde&p=2022&a={HANNOVER}")
    _painted(page, IND)
    page.wait_for_selector("#profile:not([hidden])")
    series = page.evaluate(
        f"""() => planlaborAtlas.meta().indicators['{IND}'].layers.gemeinde.map(p =>
             planlaborAtlas.cell('gemeinde', '{IND}', p, planlaborAtlas.areaIndex('gemeinde', '{HANNOVER}')).v)"""
    )
    want = gemeinden.store.indicator_values("gemeinde", [IND], None)
    want = want[want["area_id"] == HANNOVER].sort_values("period")["value"].tolist()
    assert len(series) == 25 and series == pytest.approx(want, abs=0.01)
    assert page.locator("#profile-title").inner_text() == "Hannover"
    # scatter (second indicator) and change (second period) have data on this layer
    page.click('[data-view="charts"]')
    for kind in ("scatter", "change"):
        page.click(f'[data-chart="{kind}"]')
        page.wait_for_function("document.querySelector('#view-charts svg') !== null", timeout=30000)
    n = page.evaluate(
        f"planlaborAtlas.series('gemeinde', '{POP}', '2011-05-09').filter(v => v !== null).length"
    )
    assert n == len(_store(gemeinden, POP, "2011-05-09"))
    page.close()


def test_gemeinde_atlas_from_the_server_loads_the_same_pieces(browser, gemeinden) -> None:  # type: ignore[no-untyped-def]
    from planlabor.atlas.server import create_app

    with serving(create_app(source_of(gemeinden))) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        urls: list[str] = []
        page.on("request", lambda r: urls.append(r.url))
        page.goto(f"{base}#i={IND}&l=gemeinde&p=2021")
        _painted(page, IND)
        api = [u.split("/api/atlas/", 1)[1] for u in urls if "/api/atlas/" in u]
        assert f"values/gemeinde/{IND}/2021" in api and "tiles/gemeinde" in api and "geo/gemeinde" not in api
        # single binary tiles under their build's version, cached by the browser for a year
        version = page.request.get(f"{base}api/atlas/tiles/gemeinde").json()["version"]
        tiles = [u for u in api if u.startswith("tiles/gemeinde/")]
        assert tiles and all(u.startswith(f"tiles/gemeinde/{version}/") for u in tiles)
        r = page.request.get(f"{base}api/atlas/{tiles[0]}")
        assert r.ok and r.headers["cache-control"] == "public, max-age=31536000, immutable"
        # the likeliest switch target (the previous period) was asked for before the map was idle
        assert f"values/gemeinde/{IND}/2020" in page.evaluate("__atlasPainted.loaded")
        shown = _shown(page, IND, "2021", [HANNOVER])
        want = _store(gemeinden, IND, "2021")
        assert shown[HANNOVER]["v"] == pytest.approx(want[HANNOVER], abs=0.01)
        r = page.request.get(f"{base}api/atlas/values/gemeinde/{IND}/1998")
        assert r.ok and len(r.json()["v"]) == 10978 and r.json()["fd"] == "geschaetzt"
        assert page.request.get(f"{base}api/atlas/values/gemeinde/{IND}/1990").status == 404
        assert (
            page.request.get(f"{base}api/atlas/tiles/gemeinde/12").status == 404
        )  # beyond the prebuilt zooms
        assert page.request.get(f"{base}api/atlas/tiles/kreis").json() == {"tiles": None}  # small: GeoJSON
        page.close()


def test_confidentiality_check_reads_every_part_of_a_large_layer(atlas, gemeinden) -> None:  # type: ignore[no-untyped-def]
    """'geheimhaltung pruefen --ausgabe atlas' sees the pieces too, with the keys of the index."""
    from planlabor.confidentiality.outputs import output_files, read_cells

    data = atlas / "data"
    files = output_files([atlas])
    assert data / "values_gemeinde" / IND / "1998.js" in files
    cells = list(read_cells(data / "values_gemeinde" / IND / "2022.js", gemeinden.catalog()))
    assert len(cells) == 10978 and {(c.layer_id, c.indicator_id, c.period) for c in cells} == {
        ("gemeinde", IND, "2022")
    }
    want = _store(gemeinden, IND, "2022")
    assert {c.area_id for c in cells if c.has_value} == set(want)


def test_gemeinde_tiles_carry_only_geometry_and_the_area_keys(atlas, gemeinden) -> None:  # type: ignore[no-untyped-def]
    """The prebuilt vector tiles (planlabor.atlas.tiles): every Gemeinde in the overview zoom, its
    feature keyed by the area key the feature states use, no values."""
    import base64
    import gzip
    import json

    import mapbox_vector_tile

    from planlabor.atlas.tiles import MAX_ZOOM, MIN_ZOOM, tile_of

    def payload(path: Path) -> Any:
        text = path.read_text(encoding="utf-8")
        return json.loads(json.loads(text[text.index("JSON.parse(") + 11 : -4]))

    index = payload(atlas / "data" / "tiles_gemeinde.js")
    assert (index["minzoom"], index["maxzoom"], index["n"]) == (MIN_ZOOM, MAX_ZOOM, 10978)
    w, s_, e, n = index["bounds"]
    assert 5.8 < w < 6.0 and 47.2 < s_ < 47.3 and 15.0 < e < 15.1 and 55.0 < n < 55.1
    keys = index_areas(values_parts(source_of(gemeinden), "gemeinde")["values/gemeinde"])
    z5 = payload(atlas / "data" / "tiles_gemeinde" / "5.js")
    assert z5["gz"] is True
    seen: set[str] = set()
    for xy, b64 in z5["t"].items():
        tile = mapbox_vector_tile.decode(gzip.decompress(base64.b64decode(b64)))  # packed once
        assert list(tile) == ["areas"], xy
        for f in tile["areas"]["features"]:
            assert f["properties"] == {}, xy  # geometry and id only: values never enter a tile
            seen.add(keys[f["id"] - 1])  # the id: position of the key in the values index plus one
    assert seen == set(keys)
    x, y = tile_of(9.74, 52.37, 5)  # Hannover
    assert f"{x}/{y}" in index["tiles"]["5"]


def test_gemeinde_layer_paints_from_tiles_and_a_click_shows_the_stores_value(
    browser, atlas, gemeinden
) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(atlas.joinpath("index.html").as_uri() + f"#i={IND}&l=gemeinde&p=2022")
    _painted(page, IND)
    # the overview comes from the prebuilt tiles: no GeoJSON source, no GeoJSON loaded
    sources = page.evaluate(
        "() => { const st = planlaborAtlas.map().getStyle(); return Object.values(st.sources).map(s => s.type); }"
    )
    assert sources == ["vector"]
    loaded = page.evaluate("[...document.querySelectorAll('script[src]')].map(s => s.getAttribute('src'))")
    assert "data/tiles_gemeinde.js" in loaded and not [s for s in loaded if s.startswith("data/geo")]
    assert [s for s in loaded if s.startswith("data/tiles_gemeinde/")]
    page.wait_for_function(
        "planlaborAtlas.map().querySourceFeatures('areas', {sourceLayer: 'areas'}).length > 5000",
        timeout=60000,
    )
    # a click on Hannover opens its profile with the store's value
    pt = page.evaluate(
        "(() => { const p = planlaborAtlas.map().project([9.735, 52.375]); return [p.x, p.y]; })()"
    )
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + pt[0], box["y"] + pt[1])
    page.wait_for_selector("#profile:not([hidden])", timeout=60000)
    assert page.locator("#profile-title").inner_text() == "Hannover"
    want = _store(gemeinden, IND, "2022")[HANNOVER]
    shown = page.locator("#profile-value").inner_text()
    assert shown.split(" ")[0] == f"{want:,.0f}".replace(",", ".") or float(
        shown.split(" ")[0].replace(".", "").replace(",", ".")
    ) == pytest.approx(want, abs=0.01)
    assert page.evaluate(f"planlaborAtlas.areaState('{HANNOVER}').sel") is True
    page.screenshot(path=str(ARTIFACTS / "atlas_gemeinden_tiles.png"))
    assert errors == []
    page.close()
