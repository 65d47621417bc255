"""What a planner's eye caught in the reports, each checked in the text a reader sees."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from planlabor.atlas.data import source_of
from planlabor.reports.data import ReportData
from planlabor.reports.methods import methods_html
from planlabor.reports.render import Layout, ProfileBuilder, sozialbericht_html, write_profiles

pytestmark = pytest.mark.slow


def _text(html: str) -> str:
    import html as h

    return re.sub(r"\s+", " ", h.unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture(scope="module")
def report(berlin) -> str:  # type: ignore[no-untyped-def]
    return sozialbericht_html(ReportData(source_of(berlin)), Layout.of(berlin), "plr")


def test_sozialbericht_cover_note_and_summary(report: str) -> None:
    text = _text(report)
    assert "ohne Gebiete unter 300 Einwohner:innen" in text  # the number was missing
    cover = text.split("Inhalt")[0]
    # the cover states the date the chapters show, not a newer one
    m = re.search(r"Datenstand (\d\d\.\d\d\.\d{4})", cover)
    assert m, cover
    chapter_dates = re.findall(r"Am (\d\d\.\d\d\.\d{4}) lag", text)
    assert m.group(1) == max(set(chapter_dates), key=chapter_dates.count)
    summary = text.split("Zusammenfassung")[2].split("1. Bevölkerung")[0]
    for theme in ("Bevölkerung", "Migration und Integration"):
        assert theme in summary
    assert "Prozentpunkte" in summary and "am höchsten in" in summary


def test_class_limits_do_not_overlap(report: str) -> None:
    alts = re.findall(r'alt="Karte[^"]*"', report)
    assert alts
    from planlabor.reports.charts import class_labels

    labels = class_labels([4.46, 5.0, 5.4], 1)
    assert labels == ["4,5 bis 5,0", "über 5,0 bis 5,4"]


def test_method_appendix_formulas_in_german_with_parentheses(berlin) -> None:  # type: ignore[no-untyped-def]
    text = _text(methods_html(ReportData(source_of(berlin)), Layout.of(berlin)))
    assert (
        "(Einwohner:innen unter 6 Jahren + Einwohner:innen von 6 bis unter 15 Jahren + "
        "Einwohner:innen von 15 bis unter 18 Jahren) / Einwohner:innen × 100" in text
    )
    assert "inhabitants_age" not in text


def test_profile_pdf_shows_every_column_and_the_dates_of_its_values(berlin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    b = ProfileBuilder(ReportData(source_of(berlin)), Layout.of(berlin), "plr")
    out = tmp_path / "p.pdf"
    write_profiles(b, ["01100313"], "pdf", out, workers=1)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout
    assert "Rang (Quintil)" in text or ("Rang" in text and "(Quintil)" in text)
    assert "Planungsraum 01100313" in text and "Planungsräume 01100313" not in text
    head = text.split("Bevölkerung")[0]
    dates = re.findall(r"\d\d\.\d\d\.\d{4}", text.split("Indikator", 1)[1])
    if len(set(dates)) > 1:
        assert "Werte vom" in head  # never one "Stand" over older values
    assert not re.search(r"\d/\d{3} ?\(\d?$", text, re.M)  # a rank cut at the page edge
    assert "-0,0" not in text
