"""Benchmark of issue 19, point 5 (atlas part): chart and filter interaction until the map and the
chart are repainted, ≤ 200 ms on the 542 Planungsräume of the Berlin demo and ≤ 500 ms on the
10,978 Gemeinden of the Deutschland demo, in headless Chromium (Debian's, driven by Playwright)
on the static atlas from disk.

Measured inside the page from the user's action (a changed filter value, a chart button) until
MapLibre reports the map idle again after the repaint (filters) or the next animation frame after
the chart is drawn (charts); median of 5 per action. The demos are built into a temporary folder
first (not measured).  Run: ``.venv/bin/python bench/run.py atlas_analysis``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.bench_atlas import ARGS, painted_when

FILTER_JS = """([id, value]) => new Promise(res => {
  const m = planlaborAtlas.map(), inp = document.getElementById(id), t0 = performance.now();
  inp.value = String(value); inp.dispatchEvent(new Event('input'));
  m.once('idle', () => res(performance.now() - t0)); m.triggerRepaint();
})"""
SELECT_JS = """(k) => new Promise(res => {
  const m = planlaborAtlas.map(), S = planlaborAnalysis.state, t0 = performance.now();
  S.sel = planlaborAtlas.values[planlaborAtlas.state.layer].areas.filter((a, i) => i % k === 0); S.selOnly = true;
  planlaborAnalysis.apply();
  m.once('idle', () => res(performance.now() - t0)); m.triggerRepaint();
})"""
CHART_JS = """(kind) => new Promise(res => {
  const t0 = performance.now(); document.querySelector('[data-chart="' + kind + '"]').click();
  requestAnimationFrame(() => res(performance.now() - t0));
})"""


def _measure(browser: Any, url: str, layer: str) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)
    painted_when(page, lambda p: p.get("layer") == layer)
    ind = page.evaluate("planlaborAtlas.state.ind")
    vals = sorted(
        v
        for v in page.evaluate(f"planlaborAtlas.series('{layer}', '{ind}', planlaborAtlas.state.period)")
        if v is not None
    )
    page.select_option("#f-ind-0", ind)
    out: dict[str, float] = {}
    runs = [page.evaluate(FILTER_JS, ["f-min-0", vals[len(vals) * k // 10]]) for k in (2, 4, 6, 8, 3)]
    out["filter"] = statistics.median(runs)
    page.select_option("#f-ind-0", "")
    runs = [page.evaluate(SELECT_JS, k) for k in (2, 3, 5, 7, 4)]  # a selection, only it shown
    out["selection"] = statistics.median(runs)
    page.evaluate(
        "planlaborAnalysis.state.selOnly = false; planlaborAnalysis.state.sel = []; planlaborAnalysis.apply()"
    )
    page.click('[data-view="charts"]')
    for kind in ("histogram", "scatter", "ranking", "change"):
        runs = [page.evaluate(CHART_JS, k) for k in [kind, "histogram"] * 5][::2]
        out[kind] = statistics.median(runs)
    page.close()
    return out


def main() -> None:
    """Both demos; with the environment variable ``BENCH_ATLAS_ONLY=berlin`` only Berlin, and with
    ``BENCH_ATLAS_BERLIN=FOLDER`` an already built Berlin demo workspace instead of a new one."""
    only_berlin = os.environ.get("BENCH_ATLAS_ONLY") == "berlin"
    berlin = os.environ.get("BENCH_ATLAS_BERLIN")
    from playwright.sync_api import sync_playwright

    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of
    from planlabor.demo import build_demo
    from planlabor.demo.deutschland import build_demo_de
    from planlabor.workspace import Workspace

    tmp = Path(tempfile.mkdtemp())
    try:
        cases = []
        # existing demos (built with this version) may be named: PLANLABOR_BENCH_BERLIN (or
        # BENCH_ATLAS_BERLIN), PLANLABOR_BENCH_DE; BENCH_ATLAS_ONLY=berlin skips the Gemeinden
        be = Path(os.environ.get("PLANLABOR_BENCH_BERLIN") or berlin or tmp / "berlin")
        de = Path(os.environ.get("PLANLABOR_BENCH_DE") or tmp / "de")
        if not be.exists():
            build_demo(be, exports=False)
        runs = [("Berlin, 542 Planungsräume", be, "plr", 200)]
        if not only_berlin:
            if not de.exists():
                build_demo_de(de)
            runs.append(("Deutschland, 10.978 Gemeinden", de, "gemeinde", 500))
        for name, root, layer, target in runs:
            with Workspace.open(root, read_only=True) as ws:
                build_static(source_of(ws), tmp / f"atlas-{root.name}")
                ind = ws.store.query_df(
                    "SELECT indicator_id, max(period) AS p, count(*) AS n FROM indicator_values WHERE layer_id = ? "
                    "AND value IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1",
                    [layer],
                ).iloc[0]
            frag = f"#i={ind['indicator_id']}&l={layer}&p={ind['p']}"
            cases.append((name, (tmp / f"atlas-{root.name}" / "index.html").as_uri() + frag, layer, target))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            for name, url, layer, target in cases:
                r = _measure(browser, url, layer)
                for action, ms in r.items():
                    print(
                        f"{name}: {action} bis neu gezeichnet {ms:.0f} ms (Ziel ≤ {target} ms, Verhältnis {ms / target:.2f})"
                    )
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
