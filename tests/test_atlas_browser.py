"""The atlas in a real browser: Debian's Chromium driven by Playwright, static build and server.

Screenshots land in ``test-artifacts/`` (kept by CI as the artifacts of the run).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planlabor.atlas.build import build_static
from planlabor.atlas.data import source_of
from tests.browser import ARGS, ARTIFACTS, CHROMIUM, chromium, painted, serving

__all__ = ["ARGS", "ARTIFACTS", "CHROMIUM", "_painted"]  # imported by other browser tests

AREA = "01100101"  # Stülerstraße, Mitte

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None and not Path(CHROMIUM).exists(),
    reason="Chromium fehlt: 'make test' installiert die Debian-Pakete chromium und chromium-driver",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def static_atlas(berlin, tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("atlas") / "atlas"
    build_static(source_of(berlin), out)
    return out


@pytest.fixture(scope="module")
def server(berlin) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from planlabor.atlas.server import create_app

    with serving(create_app(source_of(berlin))) as url:
        yield url


def _store(ws, layer: str, indicator: str, period: str, area: str) -> float:  # type: ignore[no-untyped-def]
    df = ws.store.query_df(
        "SELECT value FROM indicator_values WHERE layer_id = ? AND indicator_id = ? AND period = ? AND area_id = ?",
        [layer, indicator, period, area],
    )
    return float(df["value"].iloc[0])


def _de(v: float, decimals: int) -> str:
    s = f"{v:,.{decimals}f}"
    return s.replace(",", "X").replace(".", ",").replace("X", ".")


def _painted(page: Any, indicator: str, layer: str) -> dict:
    return painted(page, indicator, layer)


def _click_area(page: Any, berlin, layer: str, area: str) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import shapely

    a = berlin.store.areas(layer, geometry=True)
    row = a[a["area_id"] == area].iloc[0]
    pt = gpd.GeoSeries([shapely.from_wkb(row["geom"]).representative_point()], crs="EPSG:25833").to_crs(4326)[
        0
    ]
    xy = page.evaluate(
        f"(() => {{ const p = planlaborAtlas.map().project([{pt.x}, {pt.y}]); return [p.x, p.y]; }})()"
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def test_static_atlas_from_disk_theme_indicator_profile_download(browser, static_atlas, berlin) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((static_atlas / "index.html").as_uri())
    _painted(page, "einwohner", "plr")
    page.screenshot(path=str(ARTIFACTS / "atlas_start.png"))
    # "Wählen Sie ein Fachthema" → indicator
    page.select_option("#theme", "Migration und Integration")
    page.select_option("#indicator", "anteil_auslaender")
    page.select_option("#period", "2024-12-31")
    _painted(page, "anteil_auslaender", "plr")
    assert "Anteil Ausländer" in page.inner_text("#legend-title")
    assert "&i=anteil_auslaender" in page.url and "p=2024-12-31" in page.url
    # click the area on the map: its profile shows the store's numbers
    _click_area(page, berlin, "plr", AREA)
    page.wait_for_selector("#profile:not([hidden])")
    name = berlin.store.areas("plr").set_index("area_id").loc[AREA, "name"]
    assert page.inner_text("#profile-title") == name
    v = _store(berlin, "plr", "anteil_auslaender", "2024-12-31", AREA)
    assert page.inner_text("#profile-value") == f"{_de(v, 1)} %"
    ew = _store(berlin, "plr", "einwohner", "2024-12-31", AREA)
    row = page.locator('#profile-table tr[data-indicator="einwohner"] td').first
    assert row.inner_text() == _de(ew, 0)
    bezirk = _store(berlin, "bzr", "anteil_auslaender", "2024-12-31", AREA[:6])
    parent = page.locator('#profile-table tr[data-indicator="anteil_auslaender"] td').nth(1)
    assert parent.inner_text() == _de(bezirk, 1)
    assert "a=" + AREA in page.url
    page.screenshot(path=str(ARTIFACTS / "atlas_profile.png"))
    # download what is shown and compare with the store
    with page.expect_download() as dl:
        page.click("#dl-csv")
    text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=";") if r and not r[0].startswith("#")]
    data = {r[0].removeprefix('="').removesuffix('"'): r[2] for r in rows[1:]}  # keys as text formulas
    assert len(data) == 542
    assert float(data[AREA].replace(".", "").replace(",", ".")) == pytest.approx(v, abs=0.01)
    with page.expect_download() as dl2:
        page.click("#dl-geojson")
    geo = json.loads(Path(dl2.value.path()).read_text(encoding="utf-8"))
    assert geo["metadata"]["indicator"] == "anteil_auslaender" and len(geo["features"]) == 542
    with page.expect_download() as dl3:
        page.click("#dl-xlsx")
    import openpyxl

    assert dl3.value.suggested_filename == "anteil_auslaender_plr_2024-12-31.xlsx"
    xlsx = ARTIFACTS / dl3.value.suggested_filename
    dl3.value.save_as(xlsx)
    wb = openpyxl.load_workbook(xlsx)
    sheet = {r[0]: r[2] for r in wb["Werte"].iter_rows(min_row=2, values_only=True)}
    assert len(sheet) == 542 and sheet[AREA] == pytest.approx(v, abs=0.01)
    assert dict(wb["Metadaten"].iter_rows(values_only=True))["ID"] == "anteil_auslaender"
    # table view: sortable, searchable
    page.click('[data-view="table"]')
    page.fill("#table-filter", "Stüler")
    assert page.locator("#data-table tbody tr").count() == 1
    page.screenshot(path=str(ARTIFACTS / "atlas_table.png"))
    assert errors == []
    page.close()


def test_server_atlas_permalink_comparison_and_xlsx(browser, server, berlin) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    csp: list[str] = []  # the server's Content-Security-Policy must not block the atlas (MapLibre)
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    t0 = time.perf_counter()
    page.goto(server + "#t=Bevölkerung&i=einwohner&l=bezirk&p=2024-12-31&v=map")
    _painted(page, "einwohner", "bezirk")
    paint = time.perf_counter() - t0
    assert "Bezirke" in page.inner_text("#status")
    page.evaluate(f"planlaborAtlas.openProfile('{AREA[:2]}')")
    page.wait_for_selector("#profile:not([hidden])")
    page.click("#profile-compare")
    page.evaluate("planlaborAtlas.openProfile('02')")
    page.click("#profile-compare")
    page.click('[data-view="compare"]')
    head = page.locator("#compare-table thead th")
    assert head.count() == 3
    t1 = time.perf_counter()
    page.select_option("#indicator", "anteil_65_plus")
    _painted(page, "anteil_65_plus", "bezirk")
    switch = time.perf_counter() - t1
    with page.expect_download() as dl:
        page.click('[data-view="map"]')
        page.click("#dl-xlsx")
    assert Path(dl.value.path()).read_bytes()[:2] == b"PK"
    page.screenshot(path=str(ARTIFACTS / "atlas_server_bezirke.png"))
    assert not csp, csp
    (ARTIFACTS / "atlas_timings.json").write_text(json.dumps({"paint_s": paint, "switch_s": switch}))
    page.close()


def test_accessible_basics_and_small_screen(browser, static_atlas) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto((static_atlas / "index.html").as_uri() + "#lang=en")
    _painted(page, "einwohner", "plr")
    unlabeled = page.evaluate(
        """[...document.querySelectorAll('select, input')].filter(e =>
             !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id)"""
    )
    assert unlabeled == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    assert page.inner_text("label[for=theme]") == "Choose a theme"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.screenshot(path=str(ARTIFACTS / "atlas_360px.png"), full_page=True)
    page.close()


CONTRAST_JS = """() => {
  const parse = c => { const m = c.match(/[\\d.]+/g).map(Number); return m.length > 3 ? m : [...m, 1]; };
  const lum = rgb => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
                       return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]); };
  const bg = el => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
                     if (c[3] > 0.5) return c; } return [255, 255, 255, 1]; };
  const bad = [];
  for (const el of document.querySelectorAll('label, button, th, td, p, h1, h2, h3, span, figcaption, a, li, option')) {
    const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join('');
    const r = el.getBoundingClientRect();
    if (!text || r.width === 0 || r.height === 0) continue;
    const st = getComputedStyle(el), fg = parse(st.color), b = bg(el);
    const l1 = lum(fg), l2 = lum(b), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && +st.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) bad.push(text.slice(0, 30) + ' ' + ratio.toFixed(2));
  }
  return bad;
}"""


def test_text_contrast_meets_wcag_aa(browser, static_atlas, berlin) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto((static_atlas / "index.html").as_uri() + f"#a={AREA}")
    _painted(page, "einwohner", "plr")
    page.wait_for_selector("#profile:not([hidden])")
    assert page.evaluate(CONTRAST_JS) == []
    page.click('[data-view="table"]')
    assert page.evaluate(CONTRAST_JS) == []
    page.close()


def test_status_dynamics_matrix_view(browser, static_atlas, berlin) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(
        (static_atlas / "index.html").as_uri()
        + "#t=Bevölkerung&i=alterung_matrix&l=plr&p=2024-12-31&v=matrix"
    )
    page.wait_for_selector('#matrix-table button[data-cell="23"]')
    counts = berlin.store.query_df(
        "SELECT value, count(*) AS n FROM indicator_values WHERE indicator_id = 'alterung_matrix' "
        "AND layer_id = 'plr' AND period = '2024-12-31' AND value IS NOT NULL GROUP BY value"
    )
    expected = {str(int(v)): int(n) for v, n in zip(counts["value"], counts["n"], strict=True)}
    for code, n in expected.items():
        assert page.inner_text(f'#matrix-table button[data-cell="{code}"]') == str(n)
    page.click('#matrix-table button[data-cell="23"]')
    assert page.locator("#matrix-areas li").count() == expected["23"]
    page.screenshot(path=str(ARTIFACTS / "atlas_matrix.png"))
    page.close()


def test_peers_across_borders_and_measures(browser, static_atlas, berlin) -> None:  # type: ignore[no-untyped-def]
    """'Ähnliche Gebiete vergleichen' picks the same peers as 'planlabor compare --je-land 2';
    the profile of a measure area shows the measure with its effect estimate."""
    from planlabor.reports.vergleich import compare_region

    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(
        (static_atlas / "index.html").as_uri() + "#t=D-A-CH-Vergleich&i=dach_altenquotient&l=nuts3&p=2025"
    )
    _painted(page, "dach_altenquotient", "nuts3")
    page.evaluate("planlaborAtlas.openProfile('DE300')")
    page.wait_for_selector("#profile:not([hidden])")
    page.click("#profile-peers")
    page.wait_for_selector("#compare-table thead th")
    shown = page.evaluate("planlaborAtlas.state.compare")
    expected = (
        compare_region(source_of(berlin), "nuts3", "DE300", per_group=2).peers.table["area_id"].tolist()
    )
    assert shown == expected and shown[1] == "AT130"
    page.screenshot(path=str(ARTIFACTS / "atlas_dach_peers.png"))
    page.goto((static_atlas / "index.html").as_uri() + "#t=Bevölkerung&i=anteil_unter_6&l=plr&p=2024-12-31")
    _painted(page, "anteil_unter_6", "plr")
    page.evaluate("planlaborAtlas.openProfile('08301036')")
    page.wait_for_selector("#profile-measures li")
    text = page.inner_text("#profile-measures")
    assert "Familienzentrum Gropiusstadt" in text and "Konfidenzintervall" in text
    # the planning view: measures and the action plan (Soll/Ist only in the internal view)
    page.evaluate("planlaborAtlas.closeProfile && planlaborAtlas.closeProfile()")
    page.click('[data-view="planning"]')
    page.wait_for_selector("#planning table")
    planning = page.inner_text("#planning")
    assert "Aktionsplan UN-BRK" in planning and "Mobilität" in planning and "Controlling" not in planning
    page.screenshot(path=str(ARTIFACTS / "atlas_planning.png"))
    assert errors == []
    page.close()


def test_atlas_of_a_workspace_without_indicators_says_what_to_do(browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A new workspace with areas only: the atlas explains the next step instead of a script error."""
    from planlabor.areas import AreaImportOptions
    from planlabor.workspace import Workspace

    de = Path(__file__).resolve().parents[1] / "planlabor" / "demo" / "data" / "deutschland"
    ws = Workspace.init(tmp_path / "ws", name="Kreise", crs="EPSG:25832")
    ws.import_areas(
        de / "VG5000_KRS.shp", AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN")
    )
    build_static(source_of(ws), tmp_path / "atlas")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((tmp_path / "atlas" / "index.html").as_uri())
    page.wait_for_function("document.getElementById('status').textContent.length > 0")
    assert "planlabor compute" in page.locator("#status").inner_text()
    assert errors == []
    page.close()
