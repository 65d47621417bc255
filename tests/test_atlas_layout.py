"""What a planner's eye catches in the atlas, checked in Chromium at 1280 and 1920 px: headers
and numbers never broken inside a word, singular names for one area, search on Enter, counts
that agree, German dates, a favicon, no ranks for class codes, readable time-series axes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planlabor.atlas.data import source_of
from planlabor.atlas.server import create_app
from tests.conftest import live_server
from tests.test_atlas_browser import ARGS, ARTIFACTS, CHROMIUM, _painted

pytestmark = pytest.mark.slow
AREA = "01100313"  # Alexanderplatzviertel's neighbour in Mitte: parent Bezirksregion Alexanderplatz


@pytest.fixture(scope="module")
def base(berlin) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with live_server(create_app(source_of(berlin))) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


BROKEN_CELLS = """() => {
  // a cell whose text is one word (or one number) but is laid out on more than one line
  const out = [];
  document.querySelectorAll('#profile-table thead th, #profile-table td.num, #data-table td.num').forEach(c => {
    const text = c.innerText.trim();
    if (!text || (/\\s/.test(text) && !/^[\\d.,\\s–•%/()-]+$/.test(text))) return;
    const r = document.createRange(); r.selectNodeContents(c);
    const lines = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top)));
    if (lines.size > 1 || c.scrollWidth > c.clientWidth + 1) out.push(text);
  });
  return out;
}"""


@pytest.mark.parametrize("width", [1280, 1920])
def test_profile_layout_and_wording(browser, base: str, berlin, width: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": width, "height": 900})
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{base}/#t=Bevölkerung&i=einwohner&l=plr&p=2024-12-31&a={AREA}")
    _painted(page, "einwohner", "plr")
    page.wait_for_selector("#profile:not([hidden])")
    sub = page.inner_text("#profile-sub")
    assert sub.startswith(f"Planungsraum {AREA}") and "Bezirksregion: " in sub, sub  # one area: singular
    assert "Planungsräume" not in sub and "Bezirksregionen" not in sub
    assert page.evaluate(BROKEN_CELLS) == []  # no "Oberg ebiet", no "3.769.9 62"
    # every column inside the profile pane: nothing cut at the right edge
    fits = page.evaluate(
        "(() => { const t = document.querySelector('#profile-table'), p = document.querySelector('#profile');"
        " const tr = t.getBoundingClientRect(), pr = p.getBoundingClientRect();"
        " return [tr.right <= pr.right + 0.5, t.scrollWidth <= t.parentElement.clientWidth + 1]; })()"
    )
    assert fits == [True, True], fits
    # class and matrix codes have no rank
    for row in page.locator("#profile-table tbody tr[data-indicator]").all():
        ind = row.get_attribute("data-indicator") or ""
        if ind.endswith(("_klasse", "_matrix")) or ind.startswith("typ"):
            assert row.locator("td").nth(3).inner_text() == "–", ind
    # the time series: every y label inside the chart, the area's count not squashed by the city
    svg = page.locator("#profile-series svg")
    labels = svg.locator("text").all()
    box = svg.bounding_box()
    assert box is not None
    for t in labels:
        b = t.bounding_box()
        assert b is not None and b["x"] >= box["x"] - 0.5, t.inner_text()
    assert svg.locator("path").count() == 1  # einwohner is a count: only the area's line
    foot = page.inner_text("#foot-text")
    assert "Stand " in foot and "-" not in foot.split("Stand ")[1][:10]  # 30.11.2026, not 2026-11-30
    status = page.inner_text("#status")
    assert "542 Gebiete" in status, status
    page.screenshot(path=str(ARTIFACTS / f"atlas_profile_{width}.png"), full_page=False)
    assert not [u for u in failed if "favicon" in u], failed


def test_search_opens_a_profile_on_enter_with_part_of_a_name(browser, base: str, berlin) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/#t=Bevölkerung&i=einwohner&l=plr&p=2024-12-31")
    _painted(page, "einwohner", "plr")
    page.fill("#search", "stülerstr")
    page.press("#search", "Enter")
    page.wait_for_selector("#profile:not([hidden])")
    assert page.inner_text("#profile-title") == "Stülerstraße"
    page.fill("#search", "01100102")
    page.press("#search", "Enter")
    page.wait_for_function("document.querySelector('#profile-sub').innerText.includes('01100102')")
    r = page.request.get(f"{base}/favicon.svg")
    assert r.status == 200 and b"<svg" in r.body()
