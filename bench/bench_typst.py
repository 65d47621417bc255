"""typst against weasyprint on the content of a real Sozialraumprofil (issue #22, point 2).

The weasyprint side is planlabor's real template (``profiles_html`` → ``html_to_pdf``, tagged PDF).
The typst side is a plain typst document with the same numbers (title, key figures, one table per
theme, the two series charts and the location map as SVG), compiled in memory by the PyPI package
``typst`` with tags (``pdf_tags=True``). It is not a port of the template's styling: a first
figure for the decision, not the decision. Both warm (one render first), 5 renders each, same run.

Run: ``.venv/bin/python bench/run.py typst`` (needs ``pip install typst``; builds the Berlin demo).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def _esc(s: str) -> str:
    return "".join("\\" + c if c in '\\#*_`$<>@[]"' else c for c in s)


def typst_source(item: Any) -> tuple[str, dict[str, bytes]]:
    p = item.p
    files: dict[str, bytes] = {}
    out = [
        '#set page(paper: "a4", margin: 15mm)',
        '#set text(lang: "de", size: 9pt)',
        '#set document(title: "Profil")',
    ]
    out.append(f"= Sozialraumprofil {_esc(p.name)}")
    out.append(f"{_esc(p.layer_name)} {_esc(p.area_id)} · Stand {_esc(p.period)}")
    for i, chart in enumerate([item.inset, *item.charts]):
        svg = getattr(chart, "svg", None)
        if svg:
            files[f"c{i}.svg"] = svg.encode()
            out.append(f'#image("c{i}.svg", width: 45%, alt: "{_esc(chart.alt)}")')
    for theme, figs in p.themes:
        out.append(f"== {_esc(theme)}")
        cells = ["table.header([*Indikator*], [*Stand*], [*Wert*], [*Obergebiet*], [*Stadt*], [*Rang*])"]
        for f in figs:
            row = [f.name, f.period_de, f.shown, f.fmt(f.parent), f.fmt(f.city), f"{f.rank or '–'}/{f.of}"]
            cells.append(", ".join(f"[{_esc(str(c))}]" for c in row))
        out.append("#table(columns: (3fr, 1fr, 1fr, 1fr, 1fr, 1fr),\n" + ",\n".join(cells) + ")")
    return "\n".join(out), files


def main() -> dict[str, float]:
    import typst

    from planlabor.atlas.data import source_of
    from planlabor.demo import build_demo
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout, ProfileBuilder, html_to_pdf, profiles_html
    from planlabor.workspace import Workspace

    tmp = Path(tempfile.mkdtemp())
    try:
        ws_dir = (
            Path(os.environ["PLANLABOR_BENCH_WS"]) if "PLANLABOR_BENCH_WS" in os.environ else tmp / "demo"
        )
        if not ws_dir.exists():
            build_demo(ws_dir, exports=False)
        with Workspace.open(ws_dir, read_only=True) as ws:
            b = ProfileBuilder(ReportData(source_of(ws)), Layout.of(ws), "plr")
            item = b.item("01100101")
            html = profiles_html([item], Layout.of(ws))
            src, files = typst_source(item)
            for name, data in files.items():
                (tmp / name).write_bytes(data)
            (tmp / "p.typ").write_text(src, encoding="utf-8")
            html_to_pdf(html)
            typst.compile(str(tmp / "p.typ"), root=str(tmp), pdf_tags=True)
            tw, tt = [], []
            for _ in range(5):
                t = time.perf_counter()
                html_to_pdf(html)
                tw.append(time.perf_counter() - t)
                t = time.perf_counter()
                pdf = typst.compile(str(tmp / "p.typ"), root=str(tmp), pdf_tags=True)
                tt.append(time.perf_counter() - t)
            assert pdf and pdf[:4] == b"%PDF"
            ratios = sorted(a / c for a, c in zip(tw, tt, strict=True))
            print(
                f"Profil 01100101 als getaggtes PDF (Last {os.getloadavg()[0]:.1f}): weasyprint (echte Vorlage) "
                f"{min(tw):.3f}–{max(tw):.3f} s, typst (gleiche Zahlen, schlichte Vorlage) {min(tt):.3f}–{max(tt):.3f} s "
                f"→ typst {ratios[0]:.0f}–{ratios[-1]:.0f}× schneller je Lauf"
            )
            return {"typst_s": statistics.median(tt), "weasyprint_s": statistics.median(tw)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
