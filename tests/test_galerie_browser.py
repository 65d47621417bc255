"""The gallery in Chromium (Playwright) from disk: search, the comparison page, axe-core.

Three municipalities define Kinderarmut differently (age limit, denominator, source); the
comparison page shows them side by side with the differing cells marked.  Screenshots land in
``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planlabor.exchange.dossier import export_position_paper
from planlabor.exchange.gallery import build_gallery
from planlabor.exchange.model import Description, Visitation, add_visitation
from tests.conftest import write
from tests.test_atlas_browser import ARGS, ARTIFACTS, CHROMIUM

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None and not Path(CHROMIUM).exists(),
    reason="Chromium fehlt: 'make test' installiert die Debian-Pakete chromium und chromium-driver",
)

DEFINITIONS = {
    # municipality: (numerator, denominator, source)
    "Aachen": ("sgb2_nef_unter_15", "einwohner_unter_15", "Bundesagentur für Arbeit"),
    "Bremen": ("sgb2_nef_unter_15", "einwohner_unter_15", "Bundesagentur für Arbeit"),
    "Chemnitz": ("sgb2_unter_18", "einwohner_unter_18", "Jobcenter Chemnitz"),
}


def _template(path: Path, num: str, den: str, source: str) -> Path:
    return write(
        path,
        f"""
[[indicator]]
id = "kinderarmut"
name = "Kinderarmut"
theme = "Familienarmut"
unit = "%"
numerator = ["{num}"]
denominator = ["{den}"]
factor = 100
min_count = 3
source = "{source}"
""",
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("galerie")
    for town, (num, den, source) in DEFINITIONS.items():
        tpl = _template(root / "quellen" / f"{town}.toml", num, den, source)
        desc = Description.model_validate(
            {
                "titel": f"Kinderarmut in {town}",
                "art": "positionspapier",
                "kommune": town,
                "raumtyp": "Großstadt",
                "zusammenfassung": f"So misst {town} Kinderarmut.",
                "empfehlung": [{"titel": "Definition", "indikatoren": ["kinderarmut"]}],
            }
        )
        export_position_paper(desc, [str(tpl)], root / "dossiers" / town.lower())
    from datetime import date

    add_visitation(
        root / "dossiers" / "aachen",
        Visitation(gutachter="K. Beispiel", datum=date(2025, 6, 30), bewertung={"methode": 4}),
    )
    build_gallery(root / "dossiers", root / "site")
    return root / "site"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _axe(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    res = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in res.response["violations"]]


def test_comparison_page_in_chromium_with_axe(browser, site: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((site / "vergleich.html").as_uri())
    table = page.locator("#begriff-kinderarmut").locator("xpath=..").locator("table")
    heads = table.locator("thead th").all_inner_texts()
    assert heads[0] == "Merkmal" and [h.split(":")[0] for h in heads[1:]] == ["Aachen", "Bremen", "Chemnitz"]
    rows = {r.locator("th").inner_text().split(" (")[0]: r for r in table.locator("tbody tr").all()}
    nenner = rows["Nenner"]
    assert nenner.locator("td.ab").count() == 1  # Chemnitz differs from the majority
    assert " ".join(nenner.locator("td.ab").text_content().split()) == "≠ abweichend: einwohner_unter_18"
    assert rows["Altersgrenzen"].locator("td").all_inner_texts()[:2] == ["unter 15", "unter 15"]
    assert rows["Quelle"].locator("td.ab").count() == 1 and rows["Faktor"].locator("td.ab").count() == 0
    assert "(unterschiedlich)" in nenner.locator("th").inner_text()
    assert "(unterschiedlich)" not in rows["Faktor"].locator("th").inner_text()
    # the difference is visible: a coloured cell, not only a class
    bg = nenner.locator("td.ab").evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg == "rgb(255, 241, 194)"
    page.screenshot(path=str(ARTIFACTS / "galerie_vergleich.png"), full_page=True)
    assert errors == []  # (axe-core itself reads the stylesheets, which file:// refuses: checked before)
    assert _axe(page) == []


def test_gallery_search_and_pages_from_disk(browser, site: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((site / "index.html").as_uri())
    assert page.inner_text("#treffer") == "3 Dossiers"
    page.fill("#q", "chemnitz jobcenter")  # full text: municipality and the source of a definition
    assert page.inner_text("#treffer") == "1 Dossier"
    assert page.locator("#karte-chemnitz").is_visible() and page.locator("#karte-aachen").is_hidden()
    page.fill("#q", "")
    page.select_option("#f-art", "positionspapier")
    assert page.inner_text("#treffer") == "3 Dossiers"
    assert page.locator("#f-land option").all_inner_texts() == ["alle", "Deutschland (3)"]
    page.fill("#q", "einwohner_unter_15")  # a variable of the definition
    assert page.inner_text("#treffer") == "2 Dossiers" and page.locator("#karte-chemnitz").is_hidden()
    page.fill("#q", "")
    page.screenshot(path=str(ARTIFACTS / "galerie_index.png"), full_page=True)
    assert errors == []
    assert _axe(page) == []
    page.click("text=Kinderarmut in Aachen")
    assert page.url.endswith("/dossiers/aachen/index.html")
    assert "Begutachtet von K. Beispiel am 30.06.2025" in page.inner_text("#h-visitation >> xpath=..")
    assert "planlabor template import aachen/" in page.inner_text("pre")
    assert _axe(page) == []
    page.goto((site / "planlabor.html").as_uri())
    assert "Welche Daten" in page.inner_text("main")
    assert _axe(page) == []
