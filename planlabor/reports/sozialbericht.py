"""The integrated Sozialbericht in its two PDF engines (issue #22, point 2).

:func:`gather` collects everything the report shows once (chapters with maps and findings, the
summary, measures, participation, the method appendix and, with ``--gruppe``, the chapter
comparing an area group with the city); :func:`html` lays it out with the Jinja template for
weasyprint (and the HTML/DOCX outputs), :func:`typst_files` hands the same content, formatted in
German, to ``templates/sozialbericht.typ``. typst writes tagged PDF/UA-1 in a fraction of the
time weasyprint needs for its ~40 pages (figures in ``docs/benchmarks.md``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from planlabor.io.export import format_number_de
from planlabor.io.periods import format_period_de
from planlabor.reports.bericht import (
    Chapter,
    GroupChapter,
    build_chapters,
    data_stand,
    group_chapter,
    summary,
)
from planlabor.reports.data import ReportData
from planlabor.reports.methods import methods_data
from planlabor.reports.render import (
    NOTE,
    Layout,
    ProfileBuilder,
    _css,
    _env,
    _participation_chapter,
    _planning_chapter,
)


@dataclass
class Bericht:
    """The content of one Sozialbericht, independent of the engine."""

    layout: Layout
    layer_name: str
    period: str
    chapters: list[Chapter]
    summary: list[tuple[str, list[str]]]
    stand: str
    min_residents: int
    planning: dict[str, Any] | None
    participation: list[dict[str, Any]]
    rule: str
    methods: list[tuple[str, list[dict[str, Any]]]]
    group: GroupChapter | None = None


def gather(
    data: ReportData,
    layout: Layout,
    layer: str,
    period: str | None = None,
    min_residents: int = 300,
    group: dict[str, Any] | None = None,
) -> Bericht:
    """Everything the report shows; ``group`` is a stored area group (``app.groups``)."""
    builder = ProfileBuilder(data, layout, layer)
    period, chapters = build_chapters(data, layer, period, maps=builder.maps(), min_residents=min_residents)
    lay = data.src.store.layer(layer)
    rule, methods = methods_data(data)
    return Bericht(
        layout, (lay.name if lay else layer) or layer, period, chapters, summary(chapters),
        data_stand(chapters), min_residents, _planning_chapter(data), _participation_chapter(data),
        rule, methods, group_chapter(data, group, period) if group else None,
    )  # fmt: skip


def html(b: Bericht) -> str:
    """The report as one HTML document for weasyprint (maps as PNG, everything inline)."""
    methods = _env().get_template("methods.html.j2").render(
        title="Methodenanhang", css="", workspace=b.layout.title, rule=b.rule, themes=b.methods,
        today=_today(),
    )  # fmt: skip
    body = methods.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
    return str(
        _env()
        .get_template("sozialbericht.html.j2")
        .render(
            title=b.layout.report_title,
            css=_css(b.layout),
            workspace=b.layout.title,
            org=b.layout.organisation,
            logo=b.layout.logo,
            period=b.period,
            layer_name=b.layer_name,
            chapters=b.chapters,
            note=NOTE,
            methods=body,
            fmt=format_number_de,
            planning=b.planning,
            min_residents=format_number_de(b.min_residents, 0),
            stand=b.stand,
            summary=b.summary,
            participation=b.participation,
            group=b.group,
        )
    )


def _today() -> str:
    from datetime import date

    return date.today().strftime("%d.%m.%Y")


def _chapters(b: Bericht, files: dict[str, bytes]) -> list[dict[str, Any]]:
    from planlabor.reports.typst_ import raster_as_svg

    out = []
    for k, ch in enumerate(b.chapters, start=1):
        sections = []
        for s in ch.sections:
            fig = None
            if s.map is not None:
                files[f"karte-{s.indicator}.svg"] = raster_as_svg(s.map.png)
                caption = f"{s.name}, {b.layer_name}, {format_period_de(s.period)}; Klassen: Quantile"
                fig = {"file": f"karte-{s.indicator}.svg", "alt": s.map.alt, "caption": caption}

            def rows(items: list[tuple[str, str, float]], d: int = s.decimals) -> list[list[str]]:
                return [[f"{n} ({a})", format_number_de(v, d)] for a, n, v in items]

            sections.append(
                {
                    "title": s.name + (f" ({s.unit})" if s.unit else ""),
                    "findings": [f.text for f in s.findings],
                    "map": fig,
                    "top": rows(s.top),
                    "bottom": rows(s.bottom),
                    "note": f"{s.description} Quelle: {s.source or '–'}".strip(),
                }
            )
        out.append({"title": f"{k}. {ch.theme}", "sections": sections})
    return out


def _planning(b: Bericht) -> dict[str, Any] | None:
    if not b.planning:
        return None
    measures = []
    for r in b.planning["measures"]:
        m = r["m"]
        line = (
            f"{m.theme or 'ohne Fachthema'} · {r['when'] or 'ohne Laufzeit'} · {len(m.areas)} Gebiete "
            f"({m.layer_id}) · Ziel: {r['target']}" + (f" · Budget {r['budget']}" if r["budget"] else "")
        )
        reading = r["reading"]
        texts = (
            [reading["statement"], f"{reading['verdict']} {reading['pretrend']}"]
            if reading
            else [f"Noch keine Wirkungsanalyse ('planlabor wirkung {m.measure_id}')."]
        )
        measures.append({"title": m.name, "line": line, "description": m.description or "", "texts": texts})
    plan = b.planning["plan"]
    table = None
    if plan:
        table = {
            "text": f"{len(plan.items)} Maßnahmen, {b.planning['share']} % umgesetzt, "
            f"{len(plan.overdue)} überfällig (Stand {plan.on.strftime('%d.%m.%Y')}).",
            "rows": [
                [str(f["handlungsfeld"]), str(f["umgesetzt"]), str(f["gesamt"]), str(f["ueberfaellig"])]
                for f in plan.by_field.to_dict("records")
            ],
        }
    return {
        "title": f"{len(b.chapters) + (2 if b.group else 1)}. Maßnahmen und Wirkung",
        "measures": measures,
        "plan": table,
    }


def _methods(b: Bericht) -> list[dict[str, Any]]:
    out = []
    for theme, inds in b.methods:
        items = []
        for i in inds:
            lines = [
                i["description"] or i["name"],
                f"Berechnung: {i['formula']}",
                f"Quelle: {i['source'] or '–'}",
            ]
            lines += [f"Harmonisierung: {i['harmonisation']}"] if i["harmonisation"] else []
            lines += [f"Stand der Daten: {i['periods'] or '–'}"]
            lines += ["intern – nicht in öffentlichen Ausgaben"] if not i["public"] else []
            term = f"{i['name']} ({i['id']}" + (f", {i['unit']}" if i["unit"] else "") + ")"
            items.append({"term": term, "lines": lines})
        out.append({"theme": theme, "items": items})
    return out


def typst_files(b: Bericht) -> dict[str, bytes]:
    """The typst sources: template, ``data.json`` (all text formatted in German), maps and logo."""
    from planlabor.reports.typst_ import logo_file

    files: dict[str, bytes] = {}
    lay = b.layout
    data = {
        "title": lay.report_title,
        "organisation": lay.organisation or lay.title,
        "accent": lay.accent,
        "font": lay.font,
        "logo": logo_file(lay, files),
        "sub": " · ".join(x for x in (lay.title, lay.organisation, b.stand, b.layer_name) if x),
        "note": f"{NOTE} Rangfolgen und Veränderungen ohne Gebiete unter "
        f"{format_number_de(b.min_residents, 0)} Einwohner:innen (deren Quoten schwanken stark); die "
        "Karten zeigen alle Gebiete.",
        "layer_name": b.layer_name,
        "summary": [{"theme": t, "items": s} for t, s in b.summary],
        "chapters": _chapters(b, files),
        "group": b.group.typst(len(b.chapters) + 1) if b.group else None,
        "planning": _planning(b),
        "participation": b.participation,
        "methods": {
            "sub": f"{lay.title} · erstellt am {_today()} mit planlabor",
            "rule": b.rule,
            "themes": _methods(b),
        },
    }
    files["data.json"] = json.dumps(data, ensure_ascii=False).encode("utf-8")
    files["main"] = (
        resources.files("planlabor.reports").joinpath("templates", "sozialbericht.typ").read_bytes()
    )
    return files


def write(b: Bericht, fmt: str, out: Path, engine: str = "typst") -> Path:
    """``b`` as ``fmt`` (html or pdf) into ``out``; PDFs from ``engine`` (typst or weasyprint)."""
    from planlabor.errors import InputError
    from planlabor.reports.render import PDF_ENGINES, html_to_pdf

    if engine not in PDF_ENGINES:
        raise InputError(
            f"Unbekannte PDF-Erzeugung {engine!r}.", column="--engine", expected=" | ".join(PDF_ENGINES)
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        out.write_text(html(b), encoding="utf-8")
    elif engine == "typst":
        from planlabor.reports.typst_ import typst_pdf

        typst_pdf(typst_files(b), out)
    else:
        html_to_pdf(html(b), out)
    return out
