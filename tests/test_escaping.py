"""Names with quotes, angle brackets and ampersands stay text in every output: HTML, SVG, DOCX
and the atlas (issue: three report modules put names into aria-label unescaped)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from planlabor.atlas.build import build_static, index_html
from planlabor.atlas.data import source_of
from planlabor.atlas.server import create_app
from planlabor.reports.data import ReportData
from planlabor.reports.render import (
    Layout,
    ProfileBuilder,
    profile_docx,
    profiles_html,
    sozialbericht_docx,
    sozialbericht_html,
)
from planlabor.workspace import Workspace
from tests.conftest import NASTY_NAMES

EVIL = 'Nord "Süd" <script>alert(1)</script> & O\'Brien'


def _svgs_parse(html: str) -> list[ET.Element]:
    """Every inline SVG must be well-formed XML (an unescaped quote or < breaks it)."""
    out = []
    for chunk in re.findall(r"<svg.*?</svg>", html, re.S):
        out.append(ET.fromstring(chunk))
    return out


def test_profile_and_report_html_escape_names(nasty_ws: Workspace) -> None:
    b = ProfileBuilder(ReportData(source_of(nasty_ws)), Layout.of(nasty_ws), "gebiet")
    import html as h

    for area, name in zip(["0101", "0102", "0201", "0202"], NASTY_NAMES[:4], strict=True):
        page = profiles_html([b.item(area)], b.layout)
        body = page.split("<body", 1)[1]
        assert "<Tag>" not in body and "<b>&amp;" not in body
        assert name in h.unescape(re.sub(r"<[^>]+>", " ", body))  # shown as text
        svgs = _svgs_parse(page)
        assert svgs, "the profile has charts or an inset"
    report = sozialbericht_html(
        ReportData(source_of(nasty_ws)), Layout.of(nasty_ws), "gebiet", min_residents=0
    )
    body = report.split("<body", 1)[1]
    assert "<Tag>" not in body and "&lt;Tag&gt;" in body
    assert "<Test>" not in report and "&lt;Test&gt;" in report
    _svgs_parse(report)


def test_svg_of_comparison_effect_and_action_plan_escape(nasty_ws: Workspace) -> None:
    from planlabor.reports.vergleich import _dots_svg
    from planlabor.reports.wirkung import event_svg

    svg = _dots_svg({"name": EVIL, "values": pd.Series({"a": 1.0, "b": 2.0})}, ["a", "b"], "a")
    assert ET.fromstring(svg).get("aria-label").startswith(EVIL)
    ev = [{"period": "2022-12-31", "rel": -1, "coef": 0.1, "low": -0.2, "high": 0.3},
          {"period": "2023-12-31", "rel": 0, "coef": 0.5, "low": 0.1, "high": 0.9}]  # fmt: skip
    svg = event_svg(ev, "%", 1, EVIL)
    assert ET.fromstring(svg).get("aria-label").startswith(EVIL)
    import datetime as dt

    from planlabor.planning.actionplan import progress
    from planlabor.planning.measures import Measure
    from planlabor.reports.aktionsplan import aktionsplan_html

    m = Measure(measure_id="A1", name=EVIL, kind="aktionsplan", field_of_action=EVIL, status="umgesetzt",
                deadline=dt.date(2030, 1, 1))  # fmt: skip
    html = aktionsplan_html(progress([m]), source_of(nasty_ws), Layout.of(nasty_ws))
    assert "<script>alert(1)</script>" not in html
    for s in _svgs_parse(html):
        assert "<script>" not in ET.tostring(s, encoding="unicode")


def test_docx_keeps_names_as_text(nasty_ws: Workspace) -> None:
    b = ProfileBuilder(ReportData(source_of(nasty_ws)), Layout.of(nasty_ws), "gebiet")
    for raw in (
        profile_docx(b.item("0102", png=True), b.layout),
        sozialbericht_docx(ReportData(source_of(nasty_ws)), Layout.of(nasty_ws), "gebiet", min_residents=0),
    ):
        z = zipfile.ZipFile(io.BytesIO(raw))
        doc = z.read("word/document.xml").decode("utf-8")
        ET.fromstring(doc)  # well-formed
        text = "".join(ET.fromstring(doc).itertext())
        assert "+Plus & <Tag>" in text
        core = z.read("docProps/core.xml").decode("utf-8")
        assert "python-docx" not in core and "2013-12-23" not in core


def test_atlas_escapes_title_and_serves_names_as_data(nasty_ws: Workspace, tmp_path: Path) -> None:
    page = index_html('Stadt "A&B" <Test>', "static")
    assert "<Test>" not in page and "&lt;Test&gt;" in page
    build_static(source_of(nasty_ws), tmp_path / "atlas")
    data = (tmp_path / "atlas" / "data" / "geo_gebiet.js").read_text(encoding="utf-8")
    assert "+Plus & <Tag>" in data  # JSON in a script file, not HTML
    with TestClient(create_app(source_of(nasty_ws))) as c:
        csv = c.get(
            "/api/download", params={"layer": "gebiet", "indicator": "einwohner", "period": "2023-12-31"}
        )
        text = csv.content.decode("utf-8-sig")
        assert "'=cmd|' /C calc'!A0" in text and ";=cmd" not in text and "\n=cmd" not in text
        assert "'@SUMME(1)" in text and "'-Minus" in text


def test_controlling_report_escapes_product_and_contract_names(nasty_ws: Workspace) -> None:
    from planlabor.reports.controlling import controlling_html

    table = pd.DataFrame(
        [{"produkt": EVIL, "bezeichnung": EVIL, "kennzahl": "faelle", "zeitraum": "2023-12-31", "soll": 10.0,
          "ist": 12.0, "abweichung_prozent": 20.0, "vorjahr": 11.0, "ampel": "rot", "trend": "↑",
          "trend_besser": False, "kontrakt": EVIL}]
    )  # fmt: skip
    kz = pd.DataFrame(
        [{"product": EVIL, "period": "2023-12-31", "kosten": 1000.0, "faelle": 12.0, "kosten_je_fall": 83.3}]
    )
    html = controlling_html(table, kz, Layout.of(nasty_ws), note=EVIL)
    body = html.split("<body", 1)[1]
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert body.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 5  # note, product, label, contract, heading
