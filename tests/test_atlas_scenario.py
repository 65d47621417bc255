"""Issue 19, scenario mode in the atlas: a signed-in planner places a planned Kita on the map of
the internal view and sees the change of coverage per area – the same areas and figures as the
library function :func:`planlabor.network.scenario` (Chromium, live server, Neukölln extract)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planlabor.workspace import Workspace
from tests import test_atlas_browser as _tab
from tests import test_network_cli as _net
from tests.test_atlas_browser import ARTIFACTS

browser, nk = _tab.browser, _net.nk  # shared fixtures
LON, LAT = 13.4409, 52.4717  # the planned site of the API test


@pytest.fixture(scope="module")
def internal_server(nk: Path) -> Iterator[str]:
    import uvicorn

    from planlabor.atlas.access import LiveWorkspace
    from planlabor.atlas.auth import add_user
    from planlabor.atlas.server import create_app

    with (nk / "catalog.toml").open("a", encoding="utf-8") as f:
        f.write(
            '\n[[indicator]]\nid = "kinder_n"\nname = "Kinder"\ntheme = "Kita"\nnumerator = ["kinder"]\ndecimals = 0\n'
        )
    assert _net.run(nk, "compute")[0] == 0
    with Workspace.open(nk) as ws:
        add_user(ws.auth(), "planerin2", _net.PASSWORD, "intern")
    live = LiveWorkspace(nk)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app(live.source(), internal=True, live=live),
            host="127.0.0.1",
            port=port,
            log_level="error",
        )
    )
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    th.join(5)


def _wait(page: Any, js: str, timeout: float = 30) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = page.evaluate(js)
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"nicht erreicht: {js}")


def test_scenario_on_the_map_matches_the_library(browser, internal_server, nk) -> None:  # type: ignore[no-untyped-def]
    from planlabor.network import PlannedFacility, network_backend, scenario

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(internal_server)
    assert page.locator("#scenario").is_hidden()  # not signed in: no scenario
    page.goto(internal_server + "login")
    page.fill("#username", "planerin2")
    page.fill("#password", _net.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(internal_server)
    page.goto(internal_server + "#i=kinder_n&l=block&p=2024-12-31")
    page.wait_for_selector("#scenario:not([hidden])")
    _wait(page, "window.__atlasPainted || null")
    page.fill("#sc-demand", "kinder")
    page.fill("#sc-period", "2024-12-31")
    page.select_option("#sc-profile", "fuss")
    page.fill("#sc-reach", "6")
    # the site by a click on the map
    page.click("#sc-pick")
    xy = page.evaluate(
        f"(() => {{ const p = planlaborAtlas.map().project([{LON}, {LAT}]); return [p.x, p.y]; }})()"
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])
    assert abs(float(page.input_value("#sc-lon")) - LON) < 2e-4
    assert page.locator("#profile").is_hidden()  # the click placed the site, it did not open a profile
    page.click("#sc-run")
    got = _wait(page, "window.__atlasScenario || null")
    lon, lat = float(page.input_value("#sc-lon")), float(page.input_value("#sc-lat"))
    with Workspace.open(nk) as ws:
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True).transform(lon, lat)
        r = scenario(
            ws.store, "block", "kita", "kinder", "2024-12-31", [PlannedFacility(x, y, 50, "geplant")],
            6, None, "gaussian", network_backend(ws.store, "fuss", "min"), None,
        )  # fmt: skip
        want = sorted(r.changed["area_id"].astype(str))
    assert sorted(got["changed"]) == want and 0 < len(want) < 9
    assert page.locator("#scen-table tbody tr").count() == len(want)
    assert page.evaluate("planlaborAtlas.map().getSource('plan-iso') !== undefined")
    page.screenshot(path=str(ARTIFACTS / "atlas_scenario.png"))
    from axe_playwright_python.sync_playwright import Axe

    bad = [v["id"] for v in Axe().run(page).response["violations"]]
    assert bad == [], bad
    page.click("#sc-clear")
    assert page.locator("#scen-table").count() == 0
    assert errors == []
    page.close()
