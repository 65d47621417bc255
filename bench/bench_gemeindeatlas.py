"""Benchmark of issue 22, point 3: the atlas at Gemeinde scale.

Targets: the Gemeinde layer of the Deutschland demo (10,978 areas) paints in ≤ 2 s from disk
(static atlas, ``file://``) and from the server, switches the indicator in ≤ 300 ms and transfers
≤ 3 MB before the first paint; the Berlin static atlas (542 PLR) stays ≤ 2 MB packed.

Measured in headless Chromium (Debian's, driven by Playwright), three page loads per case, median
and spread: *paint* from navigation until MapLibre reports the map idle with the layer coloured;
*switch* from choosing the other indicator until the map is idle again (both taken in the page:
``performance.now()`` against ``__atlasPainted.t``); *bytes* of every resource
requested before the paint (``file://``: the files' sizes; server: bytes on the wire, gzip).  The
peer in the same run is the previous form of the same page: the large layer in pieces with its
overview as GeoJSON instead of prebuilt vector tiles (``VECTOR_TILES`` off, as up to the fifth
session); ``PLANLABOR_BENCH_SINGLE=1`` adds the form before the pieces (one ``values_<layer>`` file
with all indicators and periods, ``LARGE_AREAS`` raised above the layer's size).

The page's time marks (``performance.mark``, ms since navigation, median) are printed per case:
``data`` values there, ``rendered`` states set, ``indexed`` the map source's metadata is there
(GeoJSON: indexed by geojson-vt in the worker), ``tilereq``/``tiledata`` the first vector tile asked
for / its zoom's tiles loaded, ``tile`` the first tile laid out, ``idle`` the map painted.  The bytes before the
paint include the likely switch targets a large layer loads while MapLibre works (``likelyNext``).

For the Gemeinden each page load also zooms to zoom 9 at Hannover (the detailed GeoJSON replaces the
tiles), waits, and zooms back out to the overview: printed are the ms until the map is drawn again,
which source it then draws (tiles: ``vector``; up to the sixth session it stayed ``geojson``) and an
indicator switch there.  Bytes on the server count the page's own requests (resource timing of the
window: the tiles the atlas fetches ahead); MapLibre's requests from its workers then come from the
browser cache and are not counted.

The demos are built into a temporary folder first (not measured).  An existing Deutschland demo
can be given as ``PLANLABOR_BENCH_DE=/pfad/zur/demo`` (built with this version: it must contain the
re-based IRIS values), an existing Berlin demo as ``PLANLABOR_BENCH_BERLIN``; ``PLANLABOR_BENCH_ONLY=berlin`` measures Berlin alone.
Run: ``.venv/bin/python bench/run.py gemeindeatlas``.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from bench.bench_atlas import ARGS

BYTES_JS = """() => performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
  .filter(e => e.startTime <= window.__atlasPainted.t).reduce((a, e) => a + (e.transferSize || 0), 0)"""
STATIC_JS = """() => [...document.querySelectorAll('script[src]:not([src^="data/"]), link[rel=stylesheet]')]
  .map(e => e.getAttribute('src') || e.getAttribute('href'))"""


def _bytes(page: Any, url: str) -> int:
    """Server: bytes on the wire up to the paint (resource timing).  ``file://`` (no resource
    timing for scripts): sizes of the page, its scripts and styles and the data scripts of the
    payloads requested up to the paint (``__atlasPainted.loaded``)."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return int(page.evaluate(BYTES_JS))
    root = Path(unquote(parsed.path)).parent
    names = [*page.evaluate(STATIC_JS), "index.html"]
    names += [f"data/{n.replace('/', '_', 1)}.js" for n in page.evaluate("__atlasPainted.loaded")]
    return sum((root / n).stat().st_size for n in names)


def _wait(page: Any, layer: str, ind: str, timeout: float = 180) -> float:
    """``__atlasPainted.t`` (ms since navigation) once the layer shows ``ind``; polled from here,
    as ``wait_for_function`` evaluates text with ``eval``, which the server's CSP forbids."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = page.evaluate("window.__atlasPainted || null")
        if got and got.get("layer") == layer and got.get("ind") == ind:
            return float(got["t"])
        time.sleep(0.02)
    raise TimeoutError(f"Karte für {ind} auf {layer} nicht gezeichnet")


MARKS_JS = """() => Object.fromEntries(performance.getEntriesByType('mark')
  .filter(m => m.name.startsWith('planlabor-') && m.startTime <= window.__atlasPainted.t)
  .map(m => [m.name.slice(10), m.startTime]))"""
MARKS = (
    "meta",
    "index",
    "geo",
    "decoded",
    "mapload",
    "data",
    "rendered",
    "indexed",
    "tilereq",
    "tiledata",
    "tile",
    "idle",
)


ZOOM_JS = """async ([zoom, center]) => {
  const m = planlaborAtlas.map(), before = m.getCenter(), z0 = m.getZoom();
  const settled = () => new Promise(r => { const f = () => (m.loaded() ? r() : setTimeout(f, 20)); setTimeout(f, 20); });
  m.jumpTo({center: center, zoom: zoom});
  const fine = m.getZoom() >= 8;
  for (let i = 0; i < 1500 && (fine && m.getSource('areas').type !== 'geojson'); i++) await settled();
  await settled();
  const t = performance.now();
  m.jumpTo({center: before, zoom: z0});
  await settled();
  return [performance.now() - t, m.getSource('areas').type];
}"""


def _zoom_out(page: Any, layer: str, ind: str) -> tuple[float, str, float]:
    """ms from zooming out of the detailed GeoJSON (zoom 9 at Hannover) back to the overview until
    the map is drawn, the source then drawn (tiles: ``vector``), and ms of a switch back to ``ind``
    on that source."""
    ms, kind = page.evaluate(ZOOM_JS, [9, [9.74, 52.37]])
    t1 = page.evaluate(
        """([ind, layer]) => { const t = performance.now(), m = planlaborAtlas.meta().indicators[ind];
             location.hash = 't=' + encodeURIComponent(m.theme) + '&i=' + ind + '&l=' + layer; return t; }""",
        [ind, layer],
    )
    return float(ms), str(kind), _wait(page, layer, ind) - t1


def _one(
    browser: Any, url: str, layer: str, ind: str, other: str, zoom: bool = False
) -> tuple[float, float, int, dict[str, float], tuple[float, str, float] | None]:
    """Seconds from navigation to the painted map, seconds for the indicator switch, bytes, the
    page's time marks up to the paint (ms since navigation: where the time goes) and with ``zoom``
    the zoom out of the detailed GeoJSON (:func:`_zoom_out`)."""
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(url)
    paint = _wait(page, layer, ind) / 1000
    size = _bytes(page, url)
    marks = page.evaluate(MARKS_JS)
    # the other indicator on the same layer, as the permalink says it (a theme's first indicator may
    # live on another layer, so two clicks in the form could land elsewhere)
    t1 = page.evaluate(
        """([ind, layer]) => { const t = performance.now(), m = planlaborAtlas.meta().indicators[ind];
             location.hash = 't=' + encodeURIComponent(m.theme) + '&i=' + ind + '&l=' + layer; return t; }""",
        [other, layer],
    )
    switch = (_wait(page, layer, other) - t1) / 1000
    out = _zoom_out(page, layer, ind) if zoom else None
    page.close()
    return paint, switch, size, marks, out


def _serve(src: Any) -> tuple[Any, threading.Thread, str]:
    import uvicorn

    from planlabor.atlas.server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(src), host="127.0.0.1", port=port, log_level="error"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    while not srv.started:
        time.sleep(0.05)
    return srv, th, f"http://127.0.0.1:{port}/"


def _spread(xs: list[float]) -> str:
    return f"{min(xs):.2f}–{max(xs):.2f}"


def measure(
    root: Path, tmp: Path, case: tuple[str, str, str, str], forms: list[tuple[str, int, bool]], browser: Any
) -> None:
    """Paint, switch and bytes for the static atlas and the server, new form and old form."""
    import planlabor.atlas.data as data
    import planlabor.atlas.large as large
    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of
    from planlabor.workspace import Workspace

    layer, ind, other, label = case
    with Workspace.open(root, read_only=True) as ws:
        src = source_of(ws)
        period = ws.store.query_df(
            "SELECT max(period) p FROM indicator_values WHERE layer_id=? AND indicator_id=? AND value IS NOT NULL",
            [layer, ind],
        ).iloc[0]["p"]
        frag = f"#i={ind}&l={layer}&p={period}"
        for form, limit, tiles in forms:
            data.LARGE_AREAS = large.LARGE_AREAS = limit
            data.VECTOR_TILES = tiles
            out = tmp / f"atlas-{label}-{limit}-{tiles}"
            t = time.perf_counter()
            rep = build_static(src, out)
            build_s = time.perf_counter() - t
            srv, th, base = _serve(src)
            try:
                _one(browser, base + frag, layer, ind, other)  # warm the server's cache once
                for where, url in (
                    ("Festplatte", (out / "index.html").as_uri() + frag),
                    ("Server", base + frag),
                ):
                    runs = [_one(browser, url, layer, ind, other, zoom=layer == "gemeinde") for _ in range(3)]
                    paint = [r[0] for r in runs]
                    sw = [r[1] * 1000 for r in runs]
                    mb = [r[2] / 1e6 for r in runs]
                    marks = {k: statistics.median(r[3].get(k, float("nan")) for r in runs) for k in MARKS}
                    print("  Zeitmarken bis zur ersten Karte (Median, ms): "
                          + ", ".join(f"{k} {v:.0f}" for k, v in marks.items() if v == v))  # fmt: skip
                    print(
                        f"{label}, {form}, {where}: erste Karte {statistics.median(paint):.2f} s "
                        f"({_spread(paint)}; Ziel ≤ 2 s), Indikatorwechsel {statistics.median(sw):.0f} ms "
                        f"({min(sw):.0f}–{max(sw):.0f}; Ziel ≤ 300 ms), vor der ersten Karte übertragen "
                        f"{statistics.median(mb):.2f} MB (Ziel ≤ 3 MB; Festplatte angestrebt ≤ 2,2 MB)"
                    )
                    outs = [r[4] for r in runs if r[4] is not None]
                    if outs:
                        ms, sw2 = [o[0] for o in outs], [o[2] for o in outs]
                        print(
                            f"{label}, {form}, {where}: aus Zoom 9 (genaues GeoJSON) zurück zur Übersicht "
                            f"{statistics.median(ms):.0f} ms ({min(ms):.0f}–{max(ms):.0f}), danach gezeichnet: "
                            + "/".join(sorted({o[1] for o in outs}))
                            + f", Indikatorwechsel dort {statistics.median(sw2):.0f} ms ({min(sw2):.0f}–{max(sw2):.0f})"
                        )
            finally:
                srv.should_exit = True
                th.join(10)
                data.LARGE_AREAS = large.LARGE_AREAS = 2000
                data.VECTOR_TILES = True
            print(
                f"{label}, {form}: statischer Atlas {rep.zipped_bytes / 1e6:.2f} MB gepackt, "
                f"{rep.bytes / 1e6:.1f} MB auf der Platte, gebaut in {build_s:.1f} s"
            )


def main() -> None:
    from playwright.sync_api import sync_playwright

    from planlabor.demo import build_demo
    from planlabor.demo.deutschland import build_demo_de

    tmp = Path(tempfile.mkdtemp())
    try:
        de = Path(os.environ["PLANLABOR_BENCH_DE"]) if os.environ.get("PLANLABOR_BENCH_DE") else tmp / "de"
        if not de.exists():
            build_demo_de(de)
        be = (
            Path(os.environ["PLANLABOR_BENCH_BERLIN"])
            if os.environ.get("PLANLABOR_BENCH_BERLIN")
            else tmp / "be"
        )
        if not be.exists():
            build_demo(be, exports=False)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            case = ("gemeinde", "am_einkommensteuer_je_ew", "einwohner_zensus", "Gemeinden")
            if os.environ.get("PLANLABOR_BENCH_ONLY") != "berlin":
                forms = [("Vektorkacheln", 2000, True), ("GeoJSON in Teilen (bisher)", 2000, False)]
                if os.environ.get("PLANLABOR_BENCH_SINGLE"):  # the form before the pieces (slow: ~11 MB)
                    forms.append(("eine Datei", 10**9, False))
                measure(de, tmp, case, forms, browser)
            case = ("plr", "einwohner", "anteil_auslaender", "Berlin PLR")
            measure(
                be, tmp, case, [("eine Datei (wie bisher)", 2000, True), ("in Teilen", 100, True)], browser
            )
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
