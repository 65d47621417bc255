"""Files as German Excel, LibreOffice and QGIS read them: converted with headless LibreOffice
(and GDAL 3.6, the generation of QGIS 3.22) and read back."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import openpyxl
import pytest

from planlabor.io.export import ExportOptions
from planlabor.workspace import Workspace
from tests.conftest import LIBREOFFICE_DE_CSV, NASTY_NAMES, soffice_convert

pytestmark = pytest.mark.slow


def _cells(xlsx: Path) -> list[tuple]:
    wb = openpyxl.load_workbook(xlsx, data_only=True)
    return list(wb.worksheets[0].iter_rows(values_only=True))


def test_german_csv_keeps_keys_dates_numbers_and_defuses_formulas(
    nasty_ws: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "gebiete.csv"
    nasty_ws.export(ExportOptions(layer="gebiet", out=out, format="csv", csv_style="excel-de", public=True))
    rows = _cells(soffice_convert(out, "xlsx", tmp_path, LIBREOFFICE_DE_CSV))
    head, data = rows[0], rows[1:]
    assert head[:3] == ("Gebiet", "Name", "Zeitraum")
    assert {r[0] for r in data} == {"0101", "0102", "0201", "0202"}  # text, leading zeros kept
    assert {r[2] for r in data} == {dt.datetime(2022, 12, 31), dt.datetime(2023, 12, 31)}  # dates
    ew = head.index("Einwohner:innen")
    assert {r[ew] for r in data if r[0] == "0102"} == {3000, 3050}  # numbers
    names = {r[1] for r in data}
    for n in NASTY_NAMES[:4]:  # shown as text with the apostrophe, never evaluated
        assert ("'" + n if n[0] in "=+-@" else n) in names
    idx = head.index("Veröffentlichter Index")
    assert {r[idx] for r in data if r[0] == "0102"} == {-0.5}  # negative numbers stay numbers


def test_machine_csv_defuses_formulas_too(nasty_ws: Workspace, tmp_path: Path) -> None:
    import pandas as pd

    out = tmp_path / "m.csv"
    nasty_ws.export(ExportOptions(layer="gebiet", out=out, format="csv"))
    df = pd.read_csv(out, dtype={"area_id": str})
    assert set(df["area_name"]) >= {"'=cmd|' /C calc'!A0", "'@SUMME(1)"}
    assert (df["index_publ"] < 0).any()


def test_xlsx_dates_and_print_setup(nasty_ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "g.xlsx"
    nasty_ws.export(ExportOptions(layer="gebiet", out=out, format="xlsx", public=True))
    wb = openpyxl.load_workbook(out)
    ws = wb["Daten"]
    assert ws["C2"].is_date and ws["C2"].value == dt.datetime(2022, 12, 31)
    assert ws["A2"].value == "0101" and ws["A2"].data_type == "s"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # 1 = default
    assert ws.page_setup.fitToHeight == 0 and ws.print_title_rows == "$1:$1"
    # LibreOffice prints it as one page wide with the header repeated: the PDF has every column
    pdf = soffice_convert(out, "pdf", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    first = text.split("\f")[0]
    assert "Gebiet" in first and "Veröffentlichter" in first and "Index" in first and "@SUMME(1)" in first
    assert "-0.5" in first or "-0,5" in first  # the last column is on the first page


def test_geopackage_is_typed_and_reads_without_warning_in_gdal_36(
    nasty_ws: Workspace, tmp_path: Path
) -> None:
    import warnings

    out = tmp_path / "g.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no PerformanceWarning or other noise from the export
        nasty_ws.export(ExportOptions(layer="gebiet", out=out, format="gpkg", periods=["2023-12-31"]))
    r = subprocess.run(["ogrinfo", "-so", str(out), "gebiet"], capture_output=True, text=True)
    assert r.returncode == 0 and "Warning" not in r.stderr and "partially" not in r.stderr, r.stderr
    assert "period: DateTime" in r.stdout and "area_id: String" in r.stdout and "einwohner: Real" in r.stdout


def test_geojson_values_are_rounded(nasty_ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "g.geojson"
    nasty_ws.export(ExportOptions(layer="gebiet", out=out, format="geojson", periods=["2023-12-31"]))
    text = out.read_text(encoding="utf-8")
    geo = json.loads(text)
    v = geo["features"][0]["properties"]["anteil_kinder"]
    assert v == round(v, 3)  # one decimal shown, rounded two places beyond
    x = geo["features"][0]["geometry"]["coordinates"][0][0][0]
    assert len(str(x).split(".")[1]) <= 7


def test_docx_is_german_with_real_properties_and_repeating_headers(
    nasty_ws: Workspace, tmp_path: Path
) -> None:
    import io
    import zipfile

    from docx import Document

    from planlabor.atlas.data import source_of
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout, ProfileBuilder, profile_docx, sozialbericht_docx

    layout = Layout.of(nasty_ws)
    b = ProfileBuilder(ReportData(source_of(nasty_ws)), layout, "gebiet")
    raw = sozialbericht_docx(ReportData(source_of(nasty_ws)), layout, "gebiet", min_residents=0)
    for data in (raw, profile_docx(b.item("0102", png=True), layout)):
        z = zipfile.ZipFile(io.BytesIO(data))
        styles = z.read("word/styles.xml").decode("utf-8")
        assert 'w:val="de-DE"' in styles and "en-US" not in styles
        doc = Document(io.BytesIO(data))
        props = doc.core_properties
        assert (
            props.author == 'Stadt "A&B" <Test>'
            and props.title
            and "python-docx" not in (props.comments or "")
        )
        assert props.created.date() == dt.date.today() and props.language == "de-DE"
        headers = [t for t in doc.tables if t.rows[0]._tr.trPr is not None]
        assert headers and all(
            t.rows[0]._tr.trPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader")
            is not None
            for t in headers
        )
    path = tmp_path / "bericht.docx"
    path.write_bytes(raw)
    pdf = soffice_convert(path, "pdf", tmp_path)  # Writer opens it
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Sozialbericht" in text and "+Plus & <Tag>" in text


def test_chart_axis_labels_are_short_and_few() -> None:
    from planlabor.reports.charts import time_ticks

    half_years = [f"{y}-{md}" for y in range(2019, 2025) for md in ("06-30", "12-31")][1:]
    ticks, labels = time_ticks(half_years)
    assert len(ticks) <= 5 and ticks[0] == 0 and ticks[-1] == len(half_years) - 1
    assert labels[0] == "2019" and labels[-1] == "2024" and all(len(x) <= 7 for x in labels)


def test_static_atlas_csv_opens_safely_in_libreoffice(nasty_ws: Workspace, tmp_path: Path) -> None:
    """The CSV the browser builds in the static atlas: keys stay text, formulas stay text."""
    from playwright.sync_api import sync_playwright

    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of
    from tests.test_atlas_browser import ARGS, CHROMIUM, _painted

    build_static(source_of(nasty_ws), tmp_path / "atlas")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = b.new_page(accept_downloads=True)
        page.goto((tmp_path / "atlas" / "index.html").as_uri() + "#i=einwohner&l=gebiet&p=2023-12-31")
        _painted(page, "einwohner", "gebiet")
        with page.expect_download() as dl:
            page.click("#dl-csv")
        csv = tmp_path / "atlas.csv"
        dl.value.save_as(csv)
        b.close()
    rows = [r for r in _cells(soffice_convert(csv, "xlsx", tmp_path, LIBREOFFICE_DE_CSV)) if r[0] and r[1]]
    data = {r[0]: r for r in rows if not str(r[0]).startswith("#") and r[0] != "Schluessel"}
    assert set(data) == {"0101", "0102", "0201", "0202"}  # text with leading zeros
    assert data["0101"][1] == "'=cmd|' /C calc'!A0" and data["0202"][1] == "'@SUMME(1)"
    assert data["0102"][2] == 3050  # the value is a number
