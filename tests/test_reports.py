"""Reports on the real Berlin demo: numbers from the store in HTML, PDF (pdftotext) and DOCX."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from planlabor.atlas.data import source_of
from planlabor.io.export import format_number_de
from planlabor.reports.data import ReportData
from planlabor.reports.methods import methods_html
from planlabor.reports.render import Layout, ProfileBuilder, write_profiles

AREA = "01100101"
INTERNAL = "kinder_unter_1"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def builder(berlin) -> ProfileBuilder:  # type: ignore[no-untyped-def]
    return ProfileBuilder(ReportData(source_of(berlin)), Layout.of(berlin), "plr")


def _store(ws, layer: str, indicator: str, period: str, area: str) -> float:  # type: ignore[no-untyped-def]
    df = ws.store.query_df(
        "SELECT value FROM indicator_values WHERE layer_id = ? AND indicator_id = ? AND period = ? AND area_id = ?",
        [layer, indicator, period, area],
    )
    return float(df["value"].iloc[0])


def test_profile_numbers_come_from_the_store(builder: ProfileBuilder, berlin) -> None:  # type: ignore[no-untyped-def]
    p = builder.data.profile("plr", AREA, "2024-12-31")
    figs = {f.indicator: f for _, fs in p.themes for f in fs}
    assert p.name == "Stülerstraße" and p.parent_name == "Tiergarten Süd" and p.city_name == "Berlin"
    f = figs["anteil_auslaender"]
    assert f.period == "2024-12-31"
    assert f.value == pytest.approx(_store(berlin, "plr", "anteil_auslaender", "2024-12-31", AREA))
    assert f.parent == pytest.approx(_store(berlin, "bzr", "anteil_auslaender", "2024-12-31", AREA[:6]))
    assert f.city == pytest.approx(_store(berlin, "stadt", "anteil_auslaender", "2024-12-31", "11"))
    vals = berlin.store.query_df(
        "SELECT value FROM indicator_values WHERE layer_id='plr' AND indicator_id='anteil_auslaender' "
        "AND period='2024-12-31' AND value IS NOT NULL"
    )["value"]
    assert f.rank == int((vals > f.value).sum()) + 1 and f.of == len(vals)
    q = vals.quantile([0.2, 0.4, 0.6, 0.8]).to_numpy()
    assert f.klasse == 1 + int((q < f.value).sum())  # quintile among the planning areas
    assert INTERNAL not in figs  # public by default
    internal = ProfileBuilder(ReportData(source_of(berlin), public=False), Layout.of(berlin), "plr")
    assert INTERNAL in {f.indicator for _, fs in internal.data.profile("plr", AREA).themes for f in fs}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils fehlt ('make system-deps')")
def test_profile_pdf_text_matches_the_store_and_renders(
    builder: ProfileBuilder, berlin, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "profil.pdf"
    write_profiles(builder, [AREA], "pdf", out, "2024-12-31")
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Sozialraumprofil Stülerstraße" in text
    v = _store(berlin, "plr", "anteil_auslaender", "2024-12-31", AREA)
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("Anteil Ausländer:innen (%)"))
    assert format_number_de(v, 1) in line and "31.12.2024" in line
    ew = _store(berlin, "plr", "einwohner", "2024-12-31", AREA)
    assert format_number_de(ew, 0) in text
    assert INTERNAL not in text and "Kinder unter 1 Jahr" not in text
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Tagged:\s+yes", info) and int(re.search(r"Pages:\s+(\d+)", info).group(1)) <= 3  # type: ignore[union-attr]
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(out), str(ARTIFACTS / "profil")], check=True)
    assert (ARTIFACTS / "profil-1.png").stat().st_size > 10_000


def test_profile_html_is_accessible(builder: ProfileBuilder, tmp_path: Path) -> None:
    out = tmp_path / "profil.html"
    write_profiles(builder, [AREA], "html", out, "2024-12-31")
    html = out.read_text(encoding="utf-8")
    assert '<html lang="de">' in html and "<h1" in html and 'scope="col"' in html and 'scope="row"' in html
    svgs = re.findall(r"<svg[^>]*>", html)
    assert svgs and all('role="img"' in s and "aria-label=" in s for s in svgs)
    assert "Liniendiagramm Anteil Ausländer:innen: Stülerstraße von" in html


def test_profile_docx_opens_with_python_docx(builder: ProfileBuilder, berlin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    r = write_profiles(builder, [AREA, "01100102"], "docx", tmp_path / "docx", "2024-12-31")
    assert len(r.files) == 2
    doc = Document(str(r.files[0]))
    assert doc.paragraphs[0].text == "Sozialraumprofil Stülerstraße"
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    v = _store(berlin, "plr", "anteil_auslaender", "2024-12-31", AREA)
    assert format_number_de(v, 1) in cells
    assert len(doc.inline_shapes) >= 2
    descr = [s._inline.docPr.get("descr") for s in doc.inline_shapes]
    assert all(descr) and descr[0].startswith("Lagekarte")


def test_many_profiles_in_parallel_and_errors(builder: ProfileBuilder, tmp_path: Path) -> None:
    ids = ["01100101", "01100102", "01100103", "01100104"]
    seen: list[int] = []
    # forked workers inherit the loaded numbers and never touch the database (it stays open here)
    r = write_profiles(
        builder, ids, "pdf", tmp_path / "viele", "2024-12-31", workers=2, progress=lambda n, t: seen.append(n)
    )
    assert sorted(p.name for p in r.files) == [f"sozialraumprofil_plr_{a}.pdf" for a in ids]
    assert seen[-1] == 4 and all(p.read_bytes()[:5] == b"%PDF-" for p in r.files)
    text = subprocess.run(
        ["pdftotext", str(r.files[1]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Sozialraumprofil Großer Tiergarten" in text
    from planlabor.errors import InputError, NotFoundError

    with pytest.raises(NotFoundError):
        builder.item("99999999")
    with pytest.raises(InputError):
        write_profiles(builder, ids, "docx", tmp_path / "x.docx")


def test_method_appendix_names_every_public_indicator(builder: ProfileBuilder) -> None:
    html = methods_html(builder.data, builder.layout)
    for ind in builder.data.indicators():
        assert f'id="ind-{ind.id}"' in html
    assert INTERNAL not in html
    assert "Fallzahlen unter 3" in html and "gegengesperrt" in html
    assert "Ausländer:innen / Einwohner:innen × 100" in html  # the fields' German names


def test_sozialbericht_findings_are_true_to_the_data(builder: ProfileBuilder, berlin) -> None:  # type: ignore[no-untyped-def]
    from planlabor.reports.bericht import build_chapters

    period, chapters = build_chapters(builder.data, "plr", "2024-12-31")
    assert period == "2024-12-31"
    assert [c.theme for c in chapters][:2] == ["Bevölkerung", "Migration und Integration"]
    sec = next(s for c in chapters for s in c.sections if s.indicator == "anteil_auslaender")
    q = berlin.store.query_df(
        "SELECT v.area_id, v.value, e.value AS ew FROM indicator_values v JOIN indicator_values e "
        "ON e.area_id = v.area_id AND e.layer_id = v.layer_id AND e.indicator_id = 'einwohner' AND e.period = v.period "
        "WHERE v.layer_id = 'plr' AND v.indicator_id = 'anteil_auslaender' AND v.period = '2024-12-31' AND v.value IS NOT NULL"
    )
    big = q[q["ew"] >= 300].sort_values("value", ascending=False)
    assert [a for a, _, _ in sec.top] == big["area_id"].head(5).tolist()
    assert sec.bottom[0][0] == big["area_id"].iloc[-1]
    city = _store(berlin, "stadt", "anteil_auslaender", "2024-12-31", "11")
    lead = sec.findings[0].text
    assert lead.startswith("Am 31.12.2024 lag „Anteil Ausländer:innen“ in Berlin bei ")
    assert format_number_de(city, 1) + " %" in lead and sec.top[0][1] in lead
    change = sec.findings[1]
    assert change.numbers["before"] == "2021-12-31"
    old = _store(berlin, "stadt", "anteil_auslaender", "2021-12-31", "11")
    verb = "stieg" if city > old else "sank"
    assert f"{verb} der Wert in Berlin um {format_number_de(abs(city - old), 1)} Prozentpunkte" in change.text
    before = berlin.store.query_df(
        "SELECT area_id, value FROM indicator_values WHERE layer_id = 'plr' AND indicator_id = 'anteil_auslaender' "
        "AND period = '2021-12-31'"
    ).set_index("area_id")["value"]
    diff = (big.set_index("area_id")["value"] - before).dropna()
    assert change.numbers["up"][0] == diff.idxmax() and change.numbers["down"][0] == diff.idxmin()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils fehlt ('make system-deps')")
def test_sozialbericht_pdf(builder: ProfileBuilder, berlin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from planlabor.reports.render import html_to_pdf, sozialbericht_html

    out = tmp_path / "sozialbericht.pdf"
    html = sozialbericht_html(builder.data, builder.layout, "plr", "2024-12-31")
    assert html.count("<img") >= 20 and all('alt="' in tag for tag in re.findall(r"<img[^>]*>", html))
    html_to_pdf(html, out)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Sozialbericht" in text and "Methodenanhang" in text and "Migration und Integration" in text
    city = _store(berlin, "stadt", "anteil_auslaender", "2024-12-31", "11")
    assert f"Berlin bei {format_number_de(city, 1)} %" in text.replace("\n", " ")
    assert INTERNAL not in text
    # the integrated report closes with the measures and their effect, and the action plan
    flat = re.sub(r"\s+", " ", text)
    assert "Maßnahmen und Wirkung" in flat and "Familienzentrum Gropiusstadt" in flat
    assert "Aktionsplan UN-BRK" in flat and "450.000" not in flat  # no budget in the public report
    subprocess.run(
        ["pdftoppm", "-r", "50", "-f", "1", "-l", "3", "-png", str(out), str(ARTIFACTS / "sozialbericht")],
        check=True,
    )


def test_jha_sheet_sums_the_kita_plan_and_opens_in_word(
    builder: ProfileBuilder, berlin, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    from planlabor.planning.kita import plan
    from planlabor.reports.render import html_to_pdf
    from planlabor.reports.sheet import kita_sheet, sheet_docx, sheet_html

    s = kita_sheet(builder.data, "plr", "2024-12-31", "bzr", None, 50.0, 95.0)
    p = plan(berlin.store, "plr", "2024-12-31", [50.0], 95.0, save=False)
    assert s.totals["fehlplaetze"] == pytest.approx(p.totals["fehlplaetze_u3_50"])
    assert s.totals["bedarf"] == pytest.approx(p.totals["bedarf_u3_50"])
    assert len(s.table) == 143 and s.table["fehlplaetze"].is_monotonic_decreasing
    assert s.findings[1].startswith(f"In {int((s.table['fehlplaetze'] > 0.5).sum())} von 143 Gebieten")
    top = s.table.iloc[0]
    assert f"am meisten in {top['name']}" in s.findings[1]
    html_to_pdf(sheet_html(s, builder.layout), tmp_path / "jha.pdf")
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "jha.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert (
        "Vorlage für den Jugendhilfeausschuss" in text
        and format_number_de(s.totals["fehlplaetze"], 0) in text
    )
    doc = Document(io.BytesIO(sheet_docx(s, builder.layout)))
    assert doc.tables[0].rows[1].cells[0].text == f"{top['name']} ({top['area_id']})"


def test_sozialbericht_docx_opens(builder: ProfileBuilder) -> None:
    from docx import Document

    from planlabor.reports.render import sozialbericht_docx

    doc = Document(io.BytesIO(sozialbericht_docx(builder.data, builder.layout, "plr", "2024-12-31")))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "1. Bevölkerung" in heads and any(h.startswith("Anteil Ausländer:innen") for h in heads)
    assert any(h.endswith("Maßnahmen und Wirkung") for h in heads)
    assert len(doc.inline_shapes) >= 10
    assert all(s._inline.docPr.get("descr", "").startswith("Karte ") for s in doc.inline_shapes)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils fehlt ('make system-deps')")
def test_fach_reports_as_pdf(berlin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The Fachthemen reports as PDF: every peer and value on the page (nothing cut off at the
    margin), the effect estimate in German notation, the action plan and Soll/Ist."""
    from datetime import date

    from planlabor.planning.actionplan import progress
    from planlabor.planning.controlling import kennzahlen, soll_ist
    from planlabor.planning.effects import latest_estimates
    from planlabor.planning.measures import get_measure, measures
    from planlabor.reports.aktionsplan import aktionsplan_html
    from planlabor.reports.controlling import controlling_html
    from planlabor.reports.render import Layout, html_to_pdf
    from planlabor.reports.vergleich import compare_region, vergleich_html
    from planlabor.reports.wirkung import wirkung_html

    layout, src = Layout.of(berlin), source_of(berlin)

    def text_of(html: str, name: str) -> str:
        out = tmp_path / f"{name}.pdf"
        html_to_pdf(html, out)
        subprocess.run(
            ["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(out), str(ARTIFACTS / name)],
            check=True,
        )
        return subprocess.run(
            ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout

    c = compare_region(src, "nuts3", "DE300", per_group=2)
    text = text_of(vergleich_html(c, layout), "vergleich")
    for a in c.peers.table["area_id"]:
        assert c.names[a].split(",")[0] in text
    last = c.rows[-1]  # the right-most column must be on the page for every area
    for a in c.peers.table["area_id"]:
        assert format_number_de(float(last["values"][a]), last["decimals"]) in text
    est = latest_estimates(berlin.store)["M01"]
    m = get_measure(berlin.store, "M01")
    text = text_of(
        wirkung_html(m, est, est["reading"], berlin.catalog().get(est["indicator"]), layout), "wirkung"
    )
    assert (
        format_number_de(abs(est["estimate"]), 1) + " Prozentpunkte" in text and "Grenzen der Aussage" in text
    )
    plan = progress(measures(berlin.store, "aktionsplan"), date(2025, 12, 31))
    text = text_of(aktionsplan_html(plan, src, layout), "aktionsplan")
    assert "AP-2.2" in text and "Stadtplanungsamt" in text and "überfällig" in text
    text = text_of(
        controlling_html(soll_ist(berlin.store), kennzahlen(berlin.store), layout, "Beispiel"), "controlling"
    )
    assert "in der Toleranz" in text and "12.824" in text


def test_public_profile_shows_suppressed_cells_as_the_sign(builder: ProfileBuilder, berlin) -> None:  # type: ignore[no-untyped-def]
    """Reports take their numbers from the one public-value function: a suppressed value is the
    sign, never its value (the audit of that function covers every report)."""
    from planlabor.confidentiality.pattern import suppression_status

    status = suppression_status(berlin.store, berlin.catalog(), berlin.rules())
    plr = status[(status["layer_id"] == "plr") & (status["period"] == "2020-12-31")]
    checked = 0
    for area, iid in zip(plr["area_id"], plr["indicator_id"], strict=True):
        p = builder.data.profile("plr", area, "2020-12-31")
        f = next(
            (f for _, fs in p.themes for f in fs if f.indicator == iid and f.period == "2020-12-31"), None
        )
        if f is None:
            continue
        assert f.value is None and f.flag == "gesperrt" and f.shown == "•"
        checked += 1
        if checked >= 3:
            break
    assert checked >= 1
