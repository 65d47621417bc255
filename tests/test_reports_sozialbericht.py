"""The Sozialbericht in typst (issue #22, point 2) and its chapter on an area group (issue #19,
point 2), on the real Berlin demo: the chapters of the weasyprint report, the store's numbers,
suppressed cells as •, tagged PDF/UA-1; the CLI's ``--engine`` and ``--gruppe``."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planlabor.atlas.data import source_of
from planlabor.errors import InputError
from planlabor.io.export import format_number_de
from planlabor.reports import sozialbericht as sb
from planlabor.reports.bericht import group_chapter
from planlabor.reports.data import ReportData
from planlabor.reports.render import Layout

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils fehlt")

ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
INTERNAL = "kinder_unter_1"
SUPPRESSED_AT = "2020-12-31"  # the demo suppresses a few PLR's age shares at this date


@pytest.fixture(scope="module")
def data(berlin) -> ReportData:  # type: ignore[no-untyped-def]
    return ReportData(source_of(berlin))


def _flat(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", text)


def _suppressed_group(data: ReportData) -> dict[str, Any]:
    """Three areas of which one has a suppressed cell in a column of the group's area table."""
    every = data.areas("plr")["area_id"].astype(str).tolist()
    gc = group_chapter(data, {"name": "alle", "layer": "plr", "keys": every}, SUPPRESSED_AT)
    for k, cells in enumerate(gc.cells):
        if "•" in cells:
            hit = every[k]
            others = [a for a, c in zip(every, gc.cells, strict=True) if "•" not in c and "–" not in c][:2]
            return {"name": "Fokus Test", "layer": "plr", "keys": [hit, *others], "column": cells.index("•")}
    raise AssertionError("kein gesperrter Wert in der Demo")


def test_typst_sozialbericht_has_the_chapters_and_the_store_numbers_tagged(
    data: ReportData, berlin, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    b = sb.gather(data, Layout.of(berlin), "plr", "2024-12-31")
    out = sb.write(b, "pdf", tmp_path / "bericht.pdf", engine="typst")
    text = _flat(out)
    assert text.count("Sozialbericht") >= 1 and "Inhalt" in text and "Zusammenfassung" in text
    for k, ch in enumerate(b.chapters, start=1):  # every chapter with every section of the weasyprint one
        assert f"{k}. {ch.theme}" in text
        for s in ch.sections:
            assert s.name in text
    assert "Methodenanhang" in text and "Geheimhaltung" in text
    assert "Maßnahmen und Wirkung" in text and "Aktionsplan UN-BRK" in text and "450.000" not in text
    assert INTERNAL not in text and "Kinder unter 1 Jahr" not in text  # public report
    # numbers as in the store: the city value in the finding, the top area and its value
    city = berlin.store.query_df(
        "SELECT value FROM indicator_values WHERE layer_id = 'stadt' AND indicator_id = 'anteil_auslaender' "
        "AND period = '2024-12-31'"
    )["value"].iloc[0]
    assert f"in Berlin bei {format_number_de(float(city), 1)} %" in text
    sec = next(s for c in b.chapters for s in c.sections if s.indicator == "anteil_auslaender")
    a, n, v = sec.top[0]
    stored = berlin.store.query_df(
        "SELECT value FROM indicator_values WHERE layer_id = 'plr' AND indicator_id = 'anteil_auslaender' "
        "AND period = '2024-12-31' AND area_id = ?",
        [a],
    )["value"].iloc[0]
    layout = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout
    rows = [re.sub(r"\s+", " ", ln.strip()) for ln in layout.splitlines()]
    assert v == pytest.approx(float(stored)) and any(
        r.startswith(f"{n} ({a}) {format_number_de(v, 1)}") for r in rows
    )
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Tagged:\s+yes", info) and re.search(r"Title:\s+Sozialbericht", info)
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 20  # type: ignore[union-attr]
    raw = out.read_bytes()
    assert re.search(rb"pdfuaid:part(>|=\")1", raw) and re.search(rb"/Lang ?\(de", raw)
    assert b"/StructTreeRoot" in raw and b"/MarkInfo" in raw and b"/Alt" in raw
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "4",
            "-png",
            str(out),
            str(ARTIFACTS / "sozialbericht-typst"),
        ],
        check=True,
    )


def test_group_chapter_compares_published_cells_only(data: ReportData, berlin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    group = _suppressed_group(data)
    gc = group_chapter(data, group, SUPPRESSED_AT)
    assert [a for a, _ in gc.areas] == group["keys"] and gc.cells[0][group["column"]] == "•"
    row = gc.rows[group["column"]]
    # the suppressed cell's stored value counts nowhere: the group mean is that of the others
    stored = berlin.store.query_df(
        "SELECT area_id, value FROM indicator_values WHERE layer_id = 'plr' AND indicator_id = ? AND period = ?",
        [row.indicator, row.period],
    ).set_index("area_id")["value"]
    assert row.group_n == 2
    assert row.group_mean == pytest.approx(float(np.mean([stored[k] for k in group["keys"][1:]])))
    b = sb.gather(data, Layout.of(berlin), "plr", SUPPRESSED_AT, group=group)
    out = sb.write(b, "pdf", tmp_path / "gruppe.pdf")
    text = _flat(out)
    k = len(b.chapters) + 1
    assert f"{k}. Gebietsgruppe „Fokus Test“" in text and f"{k + 1}. Maßnahmen und Wirkung" in text
    assert "Gruppe und Stadt je Indikator" in text and "2 von 3" in text
    assert format_number_de(row.group_mean, row.decimals) in text
    first = gc.areas[0]
    assert f"{first[1]} ({first[0]})" in text and "• = gesperrt" in text
    html = sb.html(b)
    assert "Gebietsgruppe „Fokus Test“" in html and '<td class="num">•</td>' in html


def test_cli_engine_and_gruppe_options(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from planlabor.cli import cli

    runner = CliRunner()
    res = runner.invoke(cli, ["report", "sozialbericht", "--help"])
    assert res.exit_code == 0 and "--gruppe" in res.output and "--engine" in res.output
    out = tmp_path / "y.pdf"
    res = runner.invoke(
        cli, ["-C", str(tmp_path), "report", "sozialbericht", "--engine", "pdfkit", "--out", str(out)]
    )
    assert res.exit_code != 0 and "pdfkit" in res.output and not out.exists()
    with pytest.raises(InputError, match="pdfkit"):
        sb.write(None, "pdf", out, engine="pdfkit")  # type: ignore[arg-type]


def test_profile_cache_follows_the_store_version(tmp_path: Path) -> None:
    from planlabor.reports import cache

    class FileStore:
        path = str(tmp_path / "planlabor.duckdb")

        def generation(self) -> None:
            return None

    Path(FileStore.path).write_bytes(b"v1")
    cache.save(FileStore(), None, "lagekarten-x", {"paths": {"a": "M0 0Z"}})
    assert cache.load(FileStore(), None, "lagekarten-x") == {"paths": {"a": "M0 0Z"}}
    Path(FileStore.path).write_bytes(b"v2 changed")  # an import changes the store: the cache is void
    assert cache.load(FileStore(), None, "lagekarten-x") is None
    assert (tmp_path / ".planlabor-cache" / "lagekarten-x.json").exists()


def test_cached_location_maps_equal_fresh_ones(berlin) -> None:  # type: ignore[no-untyped-def]
    from planlabor.reports import cache
    from planlabor.reports.charts import CachedInsets, SvgInsets
    from planlabor.reports.render import ProfileBuilder

    folder = cache.folder_of(berlin.store, berlin.root)  # beside the DuckDB file, else in the workspace
    assert folder is not None
    shutil.rmtree(folder, ignore_errors=True)
    first = ProfileBuilder(ReportData(source_of(berlin)), Layout.of(berlin), "plr").svg_insets()
    again = ProfileBuilder(ReportData(source_of(berlin)), Layout.of(berlin), "plr").svg_insets()
    assert isinstance(first, SvgInsets) and isinstance(again, CachedInsets)
    for area in ("01100101", "08100101"):
        a, b = first.inset(area, "X"), again.inset(area, "X")
        assert a is not None and b is not None and a.svg == b.svg


def test_typst_sozialbericht_sets_nasty_names_as_text(nasty_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Names with markup, quotes and typst's own signs (#, $, *, _) come out as the text they are."""
    from tests.test_escaping import NASTY_NAMES

    b = sb.gather(ReportData(source_of(nasty_ws)), Layout.of(nasty_ws), "gebiet", min_residents=0)
    text = _flat(sb.write(b, "pdf", tmp_path / "nasty.pdf"))
    shown = [n for n in NASTY_NAMES[:4] if re.sub(r"\s+", " ", n) in text]
    assert shown, text[:2000]


def test_docx_sozialbericht_has_the_group_chapter(data: ReportData, berlin) -> None:  # type: ignore[no-untyped-def]
    import io

    from docx import Document

    from planlabor.reports.bericht import build_chapters
    from planlabor.reports.render import sozialbericht_docx

    group = _suppressed_group(data)
    gc = group_chapter(data, group, SUPPRESSED_AT)
    blob = sozialbericht_docx(data, Layout.of(berlin), "plr", SUPPRESSED_AT, group=group)
    doc = Document(io.BytesIO(blob))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    k = len(build_chapters(data, "plr", SUPPRESSED_AT)[1]) + 1
    assert f"{k}. Gebietsgruppe „Fokus Test“" in heads
    assert "Gruppe und Stadt je Indikator" in heads and "Die Gebiete der Gruppe" in heads
    planning = [h for h in heads if h.endswith("Maßnahmen und Wirkung")]
    assert planning in ([], [f"{k + 1}. Maßnahmen und Wirkung"])
    cells = [[c.text for c in row.cells] for tab in doc.tables for row in tab.rows]
    row = gc.rows[group["column"]]
    means = [c for c in cells if c[0].startswith(row.name)]
    assert any(c[2] == format_number_de(row.group_mean, row.decimals) and c[3] == "2 von 3" for c in means)
    first = gc.areas[0]
    assert any(c[0] == f"{first[1]} ({first[0]})" and "•" in c for c in cells)
    plain = sozialbericht_docx(data, Layout.of(berlin), "plr", SUPPRESSED_AT)
    assert "Gebietsgruppe" not in "".join(p.text for p in Document(io.BytesIO(plain)).paragraphs)
