"""Issue 19, point 2 in Chromium: spatial selection in the static atlas of the Berlin demo –
a rectangle and a polygon drawn by clicks on the map, the keyboard alternative (pick areas by
name from a list), map, table and charts following the selection, and a compact, bounded
permalink (keys, a bitset for many areas, the drawn shape) that restores all of it."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import Point, Polygon, shape

from planlabor.atlas.data import geo_payload, source_of
from tests import test_atlas_browser as _tab
from tests.test_atlas_analysis import _axe, _open, _wait
from tests.test_atlas_browser import ARTIFACTS, _painted

browser, static_atlas = _tab.browser, _tab.static_atlas  # shared fixtures
IND, P = "anteil_auslaender", "2024-12-31"
TRIANGLE = ((13.385, 52.497), (13.40, 52.53), (13.415, 52.497))


def _centroids(berlin) -> dict[str, Point]:  # type: ignore[no-untyped-def]
    """The centroid of each area's outer ring with the most corners (what the atlas tests)."""
    out = {}
    for f in geo_payload(source_of(berlin), "plr")["features"]:
        g = shape(f["geometry"])
        rings = [g.exterior] if g.geom_type == "Polygon" else [p.exterior for p in g.geoms]
        ring = max(rings, key=lambda r: len(r.coords))
        out[f["properties"]["id"]] = Polygon(ring).centroid
    return out


def _click_lonlat(page: Any, lon: float, lat: float) -> None:
    xy = page.evaluate(
        f"(() => {{ const p = planlaborAtlas.map().project([{lon}, {lat}]); return [p.x, p.y]; }})()"
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])


def _rectangle(page: Any, cents: dict[str, Any]) -> list[str]:
    """A rectangle from two corners selects the areas whose centroid lies inside."""
    lo, hi = (13.37, 52.505), (13.43, 52.525)
    page.click("#sd-rect")
    assert page.get_attribute("#sd-rect", "aria-pressed") == "true"
    _click_lonlat(page, *lo)
    _click_lonlat(page, *hi)
    got = _wait(page, "window.__atlasDrawn && window.__atlasDrawn.areas")
    # the clicks land on pixels: the rectangle the atlas drew, in its own rounded corners
    poly = page.evaluate("location.hash").split("pg=")[1].split("&")[0]
    corners = [tuple(map(float, c.split("~"))) for c in poly.split(",")]
    assert len(corners) == 4 and abs(corners[0][0] - lo[0]) < 1e-3 and abs(corners[2][1] - hi[1]) < 1e-3
    rect = Polygon(corners)
    want = sorted(a for a, c in cents.items() if rect.contains(c))
    assert sorted(got) == want and 3 <= len(want) <= 40, (got, want)
    assert page.inner_text("#sd-status").startswith(f"{len(want)} Gebiete")
    assert "sel=" in page.url  # few areas: their keys
    return want


def _map_table_and_charts_follow(page: Any, cents: dict[str, Any], want: list[str]) -> None:
    page.check("#sel-only")
    assert page.inner_text("#filter-count").startswith(f"{len(want)} von 542")
    outside = next(a for a in cents if a not in want)
    assert page.evaluate(f"planlaborAtlas.areaState('{outside}').out") is True
    page.click('[data-view="table"]')
    assert page.locator("#data-table tbody tr").count() == len(want)
    page.click('[data-view="charts"]')
    page.click('[data-chart="ranking"]')
    page.wait_for_selector("#chart-figure svg")
    assert page.locator("#chart-figure svg [data-area]").count() == len(want)
    page.click('[data-view="map"]')


def _pick_by_name(page: Any, berlin: Any, cents: dict[str, Any], want: list[str]) -> None:
    """Keyboard alternative: pick an area by its name, Enter adds it; an unknown name is said."""
    extra = next(a for a in cents if a not in want)
    name = berlin.store.areas("plr").set_index("area_id").loc[extra, "name"]
    page.focus("#sp-input")
    page.keyboard.type(f"{name} ({extra})")
    page.keyboard.press("Enter")
    _wait(page, f"planlaborAnalysis.state.sel.indexOf('{extra}') >= 0")
    assert page.inner_text("#filter-count").startswith(f"{len(want) + 1} von 542")
    page.fill("#sp-input", "Gibt es nicht")
    page.click("#sp-add")
    assert "Kein Gebiet" in page.inner_text("#sd-status")


def _polygon(page: Any, cents: dict[str, Any], want: list[str]) -> None:
    """A polygon by clicks, closed with Enter; Escape stops without a change."""
    page.click("#sd-draw")
    for lon, lat in TRIANGLE:
        _click_lonlat(page, lon, lat)
    page.keyboard.press("Escape")
    assert page.evaluate("planlaborAnalysis.state.sel.length") == len(want) + 1
    page.evaluate("window.__atlasDrawn = null")
    page.click("#sd-draw")
    for lon, lat in TRIANGLE:
        _click_lonlat(page, lon, lat)
    page.keyboard.press("Enter")
    tri = _wait(page, "window.__atlasDrawn && window.__atlasDrawn.areas")
    sel = page.evaluate("planlaborAnalysis.state.sel")
    assert set(tri) <= set(sel) and set(want) <= set(sel) and len(tri) >= 1
    drawn = [tuple(map(float, c.split("~"))) for c in page.url.split("pg=")[1].split("&")[0].split(",")]
    assert len(drawn) == 3 and sorted(tri) == sorted(
        a for a, c in cents.items() if Polygon(drawn).contains(c)
    )


def _bitset_permalinks(browser: Any, static_atlas: Any, page: Any, cents: dict[str, Any]) -> list[Any]:
    """Many areas: the permalink holds a bitset (one character per six areas), restored exactly;
    returns the errors of the reopened pages."""
    page.uncheck("#sel-only")
    page.click("#sel-filtered")  # no filter: every area
    assert page.evaluate("planlaborAnalysis.state.sel.length") == 542
    url = page.url
    assert "sb=" in url and "sel=" not in url and len(url.split("#", 1)[1]) < 400
    page.check("#sel-only")
    page2, errors2 = _open(browser, static_atlas, "#" + page.url.split("#", 1)[1])
    _painted(page2, IND, "plr")
    _wait(page2, "planlaborAnalysis.state.sel.length === 542")
    assert page2.inner_text("#filter-count").startswith("542 von 542")
    _wait(page2, "planlaborAtlas.map().getSource('sel-draw') !== undefined")  # the drawn shape
    page2.close()
    keep = sorted(cents)[::7]  # a part of the areas
    page.evaluate(f"planlaborAnalysis.state.sel = {keep!r}; planlaborAnalysis.apply()")
    page3, errors3 = _open(browser, static_atlas, "#" + page.url.split("#", 1)[1])
    _painted(page3, IND, "plr")
    _wait(page3, f"planlaborAnalysis.state.sel.length === {len(keep)}")
    assert sorted(page3.evaluate("planlaborAnalysis.state.sel")) == keep
    assert page3.inner_text("#filter-count").startswith(f"{len(keep)} von 542")
    page3.close()
    return [*errors2, *errors3]


def test_draw_pick_and_compact_permalink(browser, static_atlas, berlin) -> None:  # type: ignore[no-untyped-def]
    cents = _centroids(berlin)
    page, errors = _open(browser, static_atlas, f"#t=Migration und Integration&i={IND}&l=plr&p={P}&v=map")
    _painted(page, IND, "plr")
    page.evaluate("planlaborAtlas.map().jumpTo({center: [13.40, 52.515], zoom: 12})")
    want = _rectangle(page, cents)
    _map_table_and_charts_follow(page, cents, want)
    _pick_by_name(page, berlin, cents, want)
    _polygon(page, cents, want)
    page.screenshot(path=str(ARTIFACTS / "atlas_selection_drawn.png"))
    _axe(page, "selection_drawn")
    reopened = _bitset_permalinks(browser, static_atlas, page, cents)
    assert errors == [] and reopened == []
    page.close()


def test_shapely_agrees_on_the_ring_centroid() -> None:
    """The atlas's centroid formula (shoelace) is the planar centroid shapely computes."""
    ring = [(0, 0), (4, 0), (4, 1), (1, 1), (1, 3), (0, 3)]
    c = Polygon(ring).centroid
    assert shapely.equals_exact(c, Point(c.x, c.y), 1e-12)
