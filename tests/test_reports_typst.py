"""Sozialraumprofile with typst (issue #22): tagged PDF/UA-1 with the same numbers as the
weasyprint PDF, on the real Berlin demo; the CLI's ``--engine`` chooses."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from planlabor.atlas.data import source_of
from planlabor.cli import cli
from planlabor.io.export import format_number_de
from planlabor.reports.data import ReportData
from planlabor.reports.render import Layout, ProfileBuilder, write_profiles

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils fehlt")

AREA = "01100101"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def builder(berlin) -> ProfileBuilder:  # type: ignore[no-untyped-def]
    return ProfileBuilder(ReportData(source_of(berlin)), Layout.of(berlin), "plr")


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _rows(text: str) -> list[str]:
    """The lines of -layout text with single spaces (cells of a table row on one line)."""
    return [" " + re.sub(r"\s+", " ", ln.strip()) for ln in text.splitlines() if ln.strip()]


def test_typst_profile_is_tagged_pdf_ua_with_the_store_numbers(
    builder: ProfileBuilder, berlin, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "profil.pdf"
    write_profiles(builder, [AREA], "pdf", out, "2024-12-31", engine="typst")
    text = _text(out)
    assert "Sozialraumprofil Stülerstraße" in text and "Planungsraum 01100101" in text
    v = berlin.store.query_df(
        "SELECT value FROM indicator_values WHERE layer_id='plr' AND indicator_id='anteil_auslaender' "
        "AND period='2024-12-31' AND area_id=?",
        [AREA],
    )["value"].iloc[0]
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("Anteil Ausländer:innen (%)"))
    assert format_number_de(float(v), 1) in line and "31.12.2024" in line
    assert "kinder_unter_1" not in text and "Kinder unter 1 Jahr" not in text  # public version
    assert "Rang (Quintil)" in text and "Seite 1 von" in text
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Tagged:\s+yes", info) and "Title:           Sozialraumprofil Stülerstraße" in info
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) <= 3  # type: ignore[union-attr]
    raw = out.read_bytes()
    # PDF/UA-1 identification, document language, structure tree with table headers and alt texts
    assert re.search(rb"pdfuaid:part(>|=\")1", raw) and re.search(rb"/Lang ?\(de", raw)
    assert b"/StructTreeRoot" in raw and b"/MarkInfo" in raw
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(out), str(ARTIFACTS / "profil-typst")], check=True)
    assert (ARTIFACTS / "profil-typst-1.png").stat().st_size > 10_000


def test_typst_and_weasyprint_show_the_same_table_rows(builder: ProfileBuilder, tmp_path: Path) -> None:
    a, b = tmp_path / "typst.pdf", tmp_path / "weasy.pdf"
    write_profiles(builder, ["01100313"], "pdf", a, "2024-12-31", engine="typst")
    write_profiles(builder, ["01100313"], "pdf", b, "2024-12-31", engine="weasyprint")
    item = builder.item("01100313", "2024-12-31")
    p = item.p
    rows = {"typst": _rows(_text(a)), "weasyprint": _rows(_text(b))}
    n = 0
    for _, figs in p.themes:
        for f in figs:
            rank = f"{f.rank}/{f.of}" + (f" ({f.klasse})" if f.klasse else "") if f.rank else "–"
            tail = (f.period_de, f.shown, *([f.fmt(f.parent)] if p.parent_name else []), f.fmt(f.city), rank)
            for engine, found in rows.items():  # the same cells in the same order in both PDFs
                assert any(r.endswith(" " + " ".join(tail)) for r in found), f"{engine}: {f.name} {tail}"
            n += 1
    assert n >= 30


def test_cli_profile_engine_choice(nasty_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = str(nasty_ws.root)
    nasty_ws.close()  # the command opens the workspace itself
    makers = {"typst": "Creator: +Typst", "weasyprint": "Producer: +WeasyPrint"}
    for engine, maker in makers.items():
        out = tmp_path / f"{engine}.pdf"
        args = ["-C", root, "report", "profile", "--area", "0102", "--engine", engine, "--out", str(out)]
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0, r.output
        assert "Sozialraumprofil" in _text(out)
        info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
        assert re.search(maker, info) and re.search(r"Tagged:\s+yes", info)
    r = CliRunner().invoke(
        cli, ["-C", root, "report", "profile", "--area", AREA, "--engine", "tex", "--out", "x.pdf"]
    )
    assert r.exit_code != 0 and "'tex'" in r.output


def test_one_profile_from_the_cli_loads_only_what_it_needs(nasty_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue #22: one profile from the CLI (a new process) loads no progress bar (rich), no
    process pool, no second PDF engine, no charting or GIS library beyond the location map's
    (shapely and Pillow, only while the map cache is built) – each cost the command a tenth of
    a second or more. The PDF is written all the same."""
    import sys

    root = str(nasty_ws.root)
    nasty_ws.close()  # the command opens the workspace itself
    heavy = (
        "rich", "concurrent.futures.process", "multiprocessing", "weasyprint", "jinja2", "matplotlib",
        "geopandas", "pyproj", "scipy", "highspy", "docx", "fastapi", "openpyxl",
    )  # fmt: skip
    code = (
        "import atexit, sys; heavy = sys.argv.pop(1).split(','); "
        "atexit.register(lambda: print('geladen:', sorted(m for m in heavy if m in sys.modules))); "
        "sys.argv[0] = 'planlabor'; from planlabor.cli import main; main()"
    )
    for run in ("ohne Cache", "mit Cache"):
        out = tmp_path / f"{run}.pdf"
        args = ["-C", root, "report", "profile", "--area", "0102", "--out", str(out)]
        r = subprocess.run(
            [sys.executable, "-c", code, ",".join(heavy), *args], capture_output=True, text=True
        )
        assert r.returncode == 0, r.stderr
        assert "geladen: []" in r.stdout, (run, r.stdout)
        assert "Sozialraumprofil" in _text(out)


def test_all_profiles_in_parallel_with_typst(builder: ProfileBuilder, tmp_path: Path) -> None:
    ids = ["01100101", "01100102", "01100103", "01100104"]
    r = write_profiles(builder, ids, "pdf", tmp_path / "viele", "2024-12-31", workers=2, engine="typst")
    assert sorted(p.name for p in r.files) == [f"sozialraumprofil_plr_{a}.pdf" for a in ids]
    assert "Sozialraumprofil Großer Tiergarten" in _text(r.files[1])


def test_typst_prints_names_that_break_markup_as_text(nasty_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Names with quotes, <, &, #, $ and brackets arrive as data (JSON), never as typst markup."""
    from tests.conftest import NASTY_NAMES

    b = ProfileBuilder(ReportData(source_of(nasty_ws)), Layout.of(nasty_ws), "gebiet")
    r = write_profiles(b, ["0101", "0102"], "pdf", tmp_path / "p", workers=1, engine="typst")
    flat = re.sub(r"\s+", " ", _text(r.files[1]))
    assert f"Sozialraumprofil {NASTY_NAMES[1]}" in flat
    info = subprocess.run(["pdfinfo", str(r.files[1])], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Tagged:\s+yes", info)
