"""Shared helpers of the browser tests (Debian's Chromium driven by Playwright): the launch
arguments, a server on a free port, waiting for the painted map, bytes loaded before it.

Used by ``test_atlas_browser.py``, ``test_gemeindeatlas_browser.py`` and the atlas benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium for one test module (screenshots go to ``ARTIFACTS``)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served on a free local port (:func:`tests.conftest.live_server`); yields the base URL
    with ``/``."""
    from tests.conftest import live_server

    with live_server(app) as base:
        yield base + "/"


def painted(page: Any, indicator: str, layer: str, timeout: float = 30) -> dict[str, Any]:
    """``window.__atlasPainted`` once the map shows ``indicator`` on ``layer``.  Polled from here:
    ``wait_for_function`` evaluates its text with ``eval``, which the server's CSP forbids."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = page.evaluate("window.__atlasPainted || null")
        if got and got.get("ind") == indicator and got.get("layer") == layer:
            return got  # type: ignore[no-any-return]
        time.sleep(0.02)
    raise AssertionError(f"Karte für {indicator} auf {layer} nicht gezeichnet")


STATIC_JS = """() => [...document.querySelectorAll('script[src]:not([src^="data/"]), link[rel=stylesheet]')]
  .map(e => e.getAttribute('src') || e.getAttribute('href'))"""


def loaded_bytes(page: Any, root: Path) -> int:
    """Static atlas from disk (no resource timing for ``file://`` scripts): sizes of the page, its
    scripts and styles and the data scripts of the payloads requested up to the first paint
    (``__atlasPainted.loaded``)."""
    names = [*page.evaluate(STATIC_JS), "index.html"]
    names += [f"data/{n.replace('/', '_', 1)}.js" for n in page.evaluate("__atlasPainted.loaded")]
    return sum((root / n).stat().st_size for n in names)
