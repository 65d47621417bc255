"""Issue 19, points 1–3 in a real browser: charts, filters and selection, facilities on the map.

Chromium via Playwright on the static (public) atlas of the Berlin demo and on the server; every
figure a chart or filter shows is checked against the public values the atlas receives (so nothing
suppressed can enter a chart), and axe-core checks each view.  Timings of the filter repaint land
in ``test-artifacts/atlas_analysis_timings.json`` (no timing assertions).
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planlabor.atlas.data import AtlasSource, meta_payload, source_of, values_payload
from planlabor.atlas.facilities import facilities_payload, facility_areas_payload
from tests import test_atlas_browser as _tab
from tests.test_atlas_browser import AREA, ARTIFACTS, _click_area, _de, _painted

browser, static_atlas, server = _tab.browser, _tab.static_atlas, _tab.server  # shared fixtures

IND, X, P, P0 = "anteil_auslaender", "anteil_65_plus", "2024-12-31", "2021-12-31"


def _public(berlin, layer: str = "plr") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return values_payload(source_of(berlin), layer, public=True)


def _vals(pub: dict[str, Any], ind: str, period: str) -> list[float | None]:
    return pub["indicators"][ind][period]["v"]  # type: ignore[no-any-return]


def _wait(page: Any, js: str, timeout: float = 20) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = page.evaluate(js)
        if got:
            return got
        time.sleep(0.03)
    raise AssertionError(f"nicht erreicht: {js}")


def _axe(page: Any, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    res = Axe().run(page)
    bad = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in res.response["violations"]]
    (ARTIFACTS / f"axe_{name}.json").write_text(json.dumps(bad, indent=1), encoding="utf-8")
    assert bad == [], bad


def _open(browser, static_atlas, hash_: str) -> tuple[Any, list[str]]:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((static_atlas / "index.html").as_uri() + hash_)
    return page, errors


def _r2(x: list[float | None], y: list[float | None], ok: list[bool] | None = None) -> tuple[float, int]:
    pairs = [
        (a, b)
        for i, (a, b) in enumerate(zip(x, y, strict=True))
        if a is not None and b is not None and (ok is None or ok[i])
    ]
    xs, ys = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    return float(np.corrcoef(xs, ys)[0, 1] ** 2), len(pairs)


def _change_and_downloads(page: Any, pub: dict[str, Any], y: list[Any], i: int) -> None:
    """Change between two periods as diverging bars and map; the chart shown as SVG, PNG, CSV, XLSX."""
    page.click('[data-chart="change"]')
    page.select_option("#chart-p0", P0)
    y0 = _vals(pub, IND, P0)
    change = {r[0]: r[4] for r in page.evaluate("planlaborCharts.last().rows")}
    assert change[AREA] == pytest.approx(y[i] - y0[i], abs=1e-6)
    assert len(change) == sum(a is not None and b is not None for a, b in zip(y, y0, strict=True))
    page.check("#chart-changemap")
    assert page.inner_text("#legend-title").startswith("Veränderung")
    assert "cm=1" in page.url and f"p0={P0}" in page.url
    page.screenshot(path=str(ARTIFACTS / "atlas_chart_change.png"), full_page=True)
    _axe(page, "chart_change")
    with page.expect_download() as d1:
        page.click("#ch-svg")
    assert Path(d1.value.path()).read_text(encoding="utf-8").startswith("<?xml")
    with page.expect_download() as d2:
        page.click("#ch-png")
    assert Path(d2.value.path()).read_bytes()[:4] == b"\x89PNG"
    with page.expect_download() as d3:
        page.click("#ch-csv")
    text = Path(d3.value.path()).read_text(encoding="utf-8-sig")
    data = [r for r in csv.reader(io.StringIO(text), delimiter=";") if r and not r[0].startswith("#")]
    assert len(data) - 1 == len(change)
    with page.expect_download() as d4:
        page.click("#ch-xlsx")
    import openpyxl

    xlsx = ARTIFACTS / d4.value.suggested_filename
    d4.value.save_as(xlsx)
    sheet = list(openpyxl.load_workbook(xlsx)["Daten"].iter_rows(values_only=True))
    assert len(sheet) - 1 == len(change)
    assert {r[0]: r[4] for r in sheet[1:]}[AREA] == pytest.approx(change[AREA])


def _permalink_restores_filters(browser: Any, static_atlas: Any, url: str, want: int, n: int) -> list[Any]:
    """The permalink restores filters and chart; returns the errors of the reopened page."""
    assert "f=anteil_auslaender~30~,einwohner~5000~20000" in url
    page2, errors2 = _open(browser, static_atlas, "#" + url.split("#", 1)[1])
    _painted(page2, IND, "plr")
    page2.wait_for_selector("#chart-figure svg")
    assert page2.input_value("#f-min-0") == "30" and page2.input_value("#f-max-1") == "20000"
    assert page2.inner_text("#filter-count").startswith(f"{want} von 542")
    assert f"n = {n}" in page2.inner_text("#chart-title")
    page2.close()
    return errors2


def _typology_filter(page: Any, pub: dict[str, Any]) -> None:
    """One type of the k-means typology of the demo as filter; counted and in the permalink."""
    page.uncheck("#f-cls-4")
    page.uncheck("#f-cls-5")
    page.select_option("#f-typ-ind", "typ_kontext")
    typ = pub["indicators"]["typ_kontext"]
    tp = max(p for p in typ if p <= P)
    codes = [v for v in typ[tp]["v"] if v is not None]
    code = sorted({str(int(c)) if float(c).is_integer() else str(c) for c in codes})[0]
    page.select_option("#f-typ", code)
    n_typ = sum(1 for c in codes if str(int(c) if float(c).is_integer() else c) == code)
    assert page.inner_text("#filter-count").startswith(f"{n_typ} von 542")
    assert "ty=typ_kontext~" in page.url


def test_charts_show_the_public_values(browser, static_atlas, berlin) -> None:  # type: ignore[no-untyped-def]
    """Histogram with the class breaks, scatter with regression line and r², ranking with the mean
    and the selected area, radar against the city, change between two periods as bars and map."""
    pub = _public(berlin)
    y, x = _vals(pub, IND, P), _vals(pub, X, P)
    page, errors = _open(browser, static_atlas, f"#t=Migration und Integration&i={IND}&l=plr&p={P}&v=charts")
    _painted(page, IND, "plr")
    page.wait_for_selector("#chart-figure svg")
    # histogram: every shown area in exactly one bar; the class breaks drawn as lines
    heights = page.evaluate("planlaborCharts.last().rows.map(r => r[2])")
    assert sum(heights) == sum(v is not None for v in y)
    assert page.locator("#chart-figure line.class-break").count() >= 3
    _axe(page, "chart_histogram")
    # scatter: r² as numpy computes it from the same public values, hover names the area
    page.click('[data-chart="scatter"]')
    page.select_option("#chart-x", X)
    r2, n = _r2(x, y)
    title = page.inner_text("#chart-title")
    assert f"r² = {_de(r2, 2)}" in title and f"n = {n}" in title
    assert page.locator("#chart-figure line.regression").count() == 1
    page.locator(f'#chart-figure circle[data-area="{AREA}"]').hover()
    name = pub["names"][pub["areas"].index(AREA)]
    assert name in page.inner_text("#chart-cursor")
    page.locator(f'#chart-figure circle[data-area="{AREA}"]').click(force=True)
    page.wait_for_selector("#profile:not([hidden])")
    assert page.inner_text("#profile-title") == name
    _axe(page, "chart_scatter")
    # ranking: bars in order, the selected area marked, the mean of the shown areas
    page.click('[data-chart="ranking"]')
    rows = page.evaluate("planlaborCharts.last().rows")
    present = [v for v in y if v is not None]
    assert len(rows) == len(present) and rows[0][3] == max(present)
    assert page.evaluate("planlaborCharts.last().mean") == pytest.approx(float(np.mean(present)))
    assert page.locator(f'#chart-figure rect[data-area="{AREA}"]').get_attribute("fill") == "#b34700"
    # keyboard: the chart takes focus, arrows move, Enter opens the area
    page.focus("#chart-figure .chart-frame")
    page.keyboard.press("Home")
    assert page.inner_text("#chart-cursor").startswith("1. ")
    page.keyboard.press("Enter")
    top = rows[0][1]
    _wait(page, f"planlaborAtlas.state.area === '{top}'")
    # radar of the area against the city: z-scores of the theme's indicators
    page.evaluate(f"planlaborAtlas.openProfile('{AREA}')")
    page.click('[data-chart="radar"]')
    radar = page.evaluate("planlaborCharts.last().rows")
    i = pub["areas"].index(AREA)
    got = {r[0]: r[1] for r in radar}
    arr = np.array([v for v in y if v is not None])
    assert got["Anteil Ausländer:innen"] == pytest.approx((y[i] - arr.mean()) / arr.std())
    assert page.locator("#chart-figure polygon").count() >= 1
    _axe(page, "chart_radar")
    _change_and_downloads(page, pub, y, i)
    assert errors == []
    page.close()


def test_filters_selection_and_permalink(browser, static_atlas, berlin) -> None:  # type: ignore[no-untyped-def]
    """Value ranges on up to three indicators, classes, a picked selection; map, table and charts
    follow; the permalink restores all of it."""
    pub = _public(berlin)
    y, ew = _vals(pub, IND, P), _vals(pub, "einwohner", P)
    page, errors = _open(browser, static_atlas, f"#t=Migration und Integration&i={IND}&l=plr&p={P}&v=table")
    _painted(page, IND, "plr")
    page.select_option("#f-ind-0", IND)
    page.fill("#f-min-0", "30")
    page.dispatch_event("#f-min-0", "change")
    page.select_option("#f-ind-1", "einwohner")
    page.fill("#f-min-1", "5000")
    page.fill("#f-max-1", "20000")
    page.dispatch_event("#f-max-1", "change")
    ok = [
        a is not None and b is not None and a >= 30 and 5000 <= b <= 20000 for a, b in zip(y, ew, strict=True)
    ]
    want = sum(ok)
    assert 0 < want < 542
    assert page.inner_text("#filter-count").startswith(f"{want} von 542")
    assert page.locator("#data-table tbody tr").count() == want
    outside = pub["areas"][ok.index(False)]
    state = page.evaluate(f"planlaborAtlas.areaState('{outside}')")
    assert state["out"] is True
    timings = {"filter_ms_542": page.evaluate("window.__atlasFiltered.ms")}
    # charts follow the filters
    page.click('[data-view="charts"]')
    page.click('[data-chart="scatter"]')
    page.select_option("#chart-x", X)
    r2, n = _r2(_vals(pub, X, P), y, ok)
    assert f"r² = {_de(r2, 2)}" in page.inner_text("#chart-title") and f"n = {n}" in page.inner_text(
        "#chart-title"
    )
    errors2 = _permalink_restores_filters(browser, static_atlas, page.url, want, n)
    # spatial selection: shift-click on the map, only the selection, class filter
    page.click('[data-view="map"]')
    page.select_option("#f-ind-0", "")
    page.select_option("#f-ind-1", "")
    page.keyboard.down("Shift")
    _click_area(page, berlin, "plr", AREA)
    page.keyboard.up("Shift")
    _wait(page, f"planlaborAnalysis.state.sel.indexOf('{AREA}') >= 0")
    assert f"sel={AREA}" in page.url
    assert page.evaluate(f"planlaborAtlas.areaState('{AREA}').sel") is True
    page.check("#sel-only")
    assert page.inner_text("#filter-count").startswith("1 von 542")
    page.uncheck("#sel-only")
    page.check("#f-cls-5")
    classes = page.evaluate("planlaborAtlas.classes().cls")
    assert page.inner_text("#filter-count").startswith(f"{sum(c == 4 for c in classes)} von 542")
    t0 = time.perf_counter()
    page.check("#f-cls-4")
    _wait(page, "window.__atlasFiltered && true")
    timings["class_filter_roundtrip_s"] = time.perf_counter() - t0
    timings["class_filter_ms_542"] = page.evaluate("window.__atlasFiltered.ms")
    _typology_filter(page, pub)
    page.screenshot(path=str(ARTIFACTS / "atlas_filters.png"))
    _axe(page, "filters_map")
    with page.expect_download() as dl:
        page.once("dialog", lambda d: d.accept("Innenstadt"))
        page.click("#sel-csv")
    group = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert f'"Innenstadt";"{AREA}"' in group
    (ARTIFACTS / "atlas_analysis_timings.json").write_text(json.dumps(timings), encoding="utf-8")
    assert errors == [] and errors2 == []
    page.close()


def test_facilities_on_the_map_with_counts(browser, static_atlas, berlin) -> None:  # type: ignore[no-untyped-def]
    kitas = int(
        berlin.store.query_df("SELECT count(*) AS n FROM facilities WHERE facility_type = 'kita'")["n"][0]
    )
    here = berlin.store.query_df(
        "SELECT value FROM observations WHERE variable = 'kita_anzahl' AND layer_id = 'plr' AND area_id = ?",
        [AREA],
    )["value"].iloc[-1]
    page, errors = _open(browser, static_atlas, f"#t=Bevölkerung&i=anteil_unter_6&l=plr&p={P}")
    _painted(page, "anteil_unter_6", "plr")
    page.check("#fac-kita")
    got = _wait(page, "window.__atlasFacilities || null")
    assert got["shown"] == kitas
    assert "fac=kita" in page.url
    assert page.evaluate("planlaborAtlas.map().getLayer('fac-cluster') !== undefined")
    page.evaluate(f"planlaborAtlas.openProfile('{AREA}')")
    page.wait_for_selector("#profile-facilities li")
    assert page.inner_text("#profile-facilities li b") == f"Kitas: {int(here)}"
    page.screenshot(path=str(ARTIFACTS / "atlas_facilities.png"))
    page.click('[data-view="table"]')
    page.fill("#table-filter", "Stüler")
    assert page.locator("#data-table thead th").last.inner_text() == "Kitas"
    assert page.locator("#data-table tbody tr td").last.inner_text() == str(int(here))
    _axe(page, "facilities")
    assert errors == []
    page.close()


def test_internal_facility_types_never_public(berlin) -> None:  # type: ignore[no-untyped-def]
    src = source_of(berlin)
    hidden = AtlasSource(**{**src.__dict__, "internal_facilities": ("kita",)})
    assert facilities_payload(hidden, public=True)["features"] == []
    assert facility_areas_payload(hidden, "plr", public=True)["areas"] == []
    assert [t["id"] for t in meta_payload(hidden, public=True)["facility_types"]] == []
    internal = facilities_payload(hidden, public=False)["features"]
    assert len(internal) > 2000 and {f["properties"]["type"] for f in internal} == {"kita"}
    assert meta_payload(hidden, public=False)["facility_types"][0]["internal"] is True
    where = facility_areas_payload(src, "plr", public=True)["areas"]
    assert len(where) == len(internal) and sum(a is not None for a in where) > 2000
    kita = internal[0]["properties"]
    assert kita["name"] not in kita["attributes"].values()  # id, name, places not repeated


def test_server_serves_facilities(server) -> None:  # type: ignore[no-untyped-def]
    import httpx

    r = httpx.get(server + "api/atlas/facilities")
    assert r.status_code == 200 and r.json()["features"][0]["properties"]["type"] == "kita"
    where = httpx.get(server + "api/atlas/facility_areas/plr").json()["areas"]
    assert len(where) == len(r.json()["features"])
    assert httpx.get(server + "api/atlas/facility_areas/gibtsnicht").status_code == 404
    for name in ("atlas-analysis.js", "atlas-charts.js", "atlas-scenario.js", "atlas-selection.js"):
        assert httpx.get(server + name).status_code == 200
