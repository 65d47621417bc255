"""Render reports to HTML, PDF (weasyprint, tagged PDF/UA) and DOCX (python-docx).

One Jinja2 template per report kind (``templates/``), styled by ``report.css`` with the
workspace's colour, logo and wording (``[report]`` in ``planlabor.toml``).  PDFs for many areas
are rendered in parallel processes; the numbers are gathered once in the parent process.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from planlabor.errors import DependencyError, InputError
from planlabor.io.periods import format_period_de
from planlabor.reports.charts import (
    CachedInsets,
    Chart,
    MapRenderer,
    SvgChart,
    SvgInsets,
    series_chart,
    series_svg,
)
from planlabor.reports.data import Figure, ProfileData, ReportData

FORMATS = ("html", "pdf", "docx")
PDF_ENGINES = ("typst", "weasyprint")
FOCUS_MAX = 8  # up to this many profiles load only the periods they show (ReportData.focus)
NOTE = (
    "Alle Zahlen aus dem Datenspeicher von planlabor. • = gesperrt (Geheimhaltung: kleine Fallzahlen "
    "und Gegensperrung), – = kein Wert, x = nicht sinnvoll. Rang 1 = höchster Wert. Definitionen und "
    "Quellen im Methodenanhang."
)


@dataclass
class Layout:
    title: str
    accent: str = "#004f9f"
    font: str = "DejaVu Sans"
    organisation: str = ""
    logo: str | None = None  # data URI
    profile_title: str = "Sozialraumprofil"
    report_title: str = "Sozialbericht"
    key_indicators: list[str] = field(default_factory=list)
    series_indicators: list[str] = field(default_factory=list)

    @staticmethod
    def of(ws: Any) -> Layout:
        r = ws.config.report
        logo = None
        if r.logo:
            path = Path(ws.root) / r.logo
            if not path.exists():
                raise InputError(
                    f"Das Logo {r.logo!r} gibt es nicht.", file=path, column="[report] logo",
                    hint="Pfad relativ zum Arbeitsbereich angeben oder den Eintrag entfernen.",
                )  # fmt: skip
            mime = mimetypes.guess_type(path.name)[0] or "image/png"
            logo = f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
        return Layout(
            ws.config.workspace.name, r.accent, r.font, r.organisation, logo, r.profile_title, r.report_title,
            list(r.key_indicators), list(r.series_indicators),
        )  # fmt: skip


def _env() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder = Path(str(resources.files("planlabor.reports").joinpath("templates")))
    env = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html", "j2"]))
    env.globals["period_de"] = format_period_de
    return env


def render_page(template: str, layout: Layout, title: str, **values: Any) -> str:
    """A report page from ``template`` with the shared head: title, the layout's CSS, the
    workspace and the date of the report (``today``, unless the caller gives a Stand)."""
    from datetime import date

    values.setdefault("today", date.today().strftime("%d.%m.%Y"))
    return str(
        _env().get_template(template).render(title=title, css=_css(layout), workspace=layout.title, **values)
    )


def _css(layout: Layout) -> str:
    from jinja2 import Template

    folder = Path(str(resources.files("planlabor.reports").joinpath("templates")))
    return Template((folder / "report.css").read_text(encoding="utf-8")).render(
        accent=layout.accent, font=layout.font
    )


@dataclass
class ProfileItem:
    p: ProfileData
    key: list[Figure]
    inset: Chart | SvgChart | None
    charts: list[Any]


class ProfileBuilder:
    """Gathers numbers and charts of Sozialraumprofile (one data load for all areas)."""

    def __init__(self, data: ReportData, layout: Layout, layer: str) -> None:
        self.data = data
        self.layout = layout
        self.layer = layer
        self._maps: MapRenderer | None = None
        self._svg: SvgInsets | CachedInsets | None = None

    def _geoms(self) -> tuple[Any, list[str]]:
        import geopandas as gpd
        import shapely

        areas = self.data.src.store.areas(self.layer, geometry=True)
        lay = self.data.src.store.layer(self.layer)
        g = gpd.GeoSeries(shapely.from_wkb(areas["geom"].to_numpy()), crs=lay.crs if lay else None)
        return g, areas["area_id"].astype(str).tolist()

    def maps(self) -> MapRenderer:
        if self._maps is None:
            g, ids = self._geoms()
            self._maps = MapRenderer(g.simplify(20, preserve_topology=False), ids)
        return self._maps

    def svg_insets(self) -> SvgInsets | CachedInsets:
        """The location maps, from the workspace's cache when the store has not changed since
        (or changed without touching this layer's areas: see :mod:`planlabor.reports.cache`)."""
        if self._svg is None:
            from planlabor.reports import cache

            store, root, name = self.data.src.store, self.data.src.root, f"lagekarten-{self.layer}"
            parts = cache.load(store, root, name)
            if parts is not None:
                self._svg = CachedInsets(parts)
                return self._svg
            areas = store.areas(self.layer, geometry=True)
            ids = areas["area_id"].astype(str).tolist()
            key = cache.fingerprint(ids, areas["geom"])
            parts = cache.load_same_geometry(store, root, name, key)
            if parts is not None:
                self._svg = CachedInsets(parts)
            else:
                import shapely

                fresh = SvgInsets(shapely.from_wkb(areas["geom"].to_numpy()), ids)
                cache.save(store, root, name, fresh.parts(), key)
                self._svg = fresh
        return self._svg

    def warm(self, area_id: str, period: str | None = None, engine: str = "weasyprint") -> None:
        """Load numbers, areas, maps and fonts (before forking worker processes).

        typst is never started here: its compiler (threads) must not be inherited over a fork."""
        for layer in [self.layer, *self.data.chain(self.layer)]:
            self.data.index(layer)
            self.data.areas(layer)
        self.svg_insets()
        if engine == "weasyprint":  # fonts and CSS set up once, inherited by the forked workers
            html_to_pdf(profiles_html([self.item(area_id, period)], self.layout))

    def item(self, area_id: str, period: str | None = None, png: bool = False) -> ProfileItem:
        """Numbers and charts of one profile; ``png`` renders charts as images (for DOCX)."""
        p = self.data.profile(self.layer, area_id, period)
        p.themes = [(t, [f for f in figs if f.unit not in HIDDEN_UNITS]) for t, figs in p.themes]
        figs = [f for _, fs in p.themes for f in fs]
        by_id = {f.indicator: f for f in figs}
        wanted = self.layout.key_indicators or [f.indicator for f in figs[:6]]
        key = [by_id[i] for i in wanted if i in by_id][:6]
        series_ids = self.layout.series_indicators or _default_series(p)
        areas = self.data.areas_by_id(self.layer)
        parent_id = areas.loc[area_id, "parent_id"] if area_id in areas.index else None
        chain = self.data.chain(self.layer)
        city = self.data.areas(chain[-1]) if chain else None
        city_id = str(city["area_id"].iloc[0]) if city is not None and len(city) == 1 else None
        charts: list[Any] = []
        self.data.prefetch_series(self.layer, [i for i in series_ids[:2] if i in by_id])
        for iid in series_ids[:2]:
            f = by_id.get(iid)
            if f is None:
                continue
            is_count = f.unit in COUNT_UNITS  # a count of the area is not comparable with the city's
            labels = (p.name, None if is_count else p.parent_name, None if is_count else p.city_name)
            s = self.data.series(
                self.layer, area_id, iid, parent_id if isinstance(parent_id, str) else None, city_id
            )
            c: Chart | SvgChart | None
            if png:
                c = series_chart(s, f.name, f.unit, f.decimals, labels)
            else:
                c = series_svg(s, f.name, f.unit, f.decimals, labels)
            if c is not None:
                charts.append(c)
        inset: Any
        if png:
            inset = self.maps().inset(area_id, p.name) if area_id in self.maps().pos else None
        else:
            inset = self.svg_insets().inset(area_id, p.name)
        return ProfileItem(p, key, inset, charts)


HIDDEN_UNITS = ("Klasse", "Code")
COUNT_UNITS = (
    "Personen",
    "Plätze",
    "Einrichtungen",
    "Wohnungen",
    "Fälle",
)  # index classes and matrix codes: shown in the atlas, not in tables


def _default_series(p: ProfileData) -> list[str]:
    """First count of the first theme and the first rate of the next theme with a series."""
    out = []
    for _, figs in p.themes:
        for f in figs:
            if f.unit in ("%", "je 100") or f.indicator in ("einwohner",):
                out.append(f.indicator)
                break
        if len(out) == 2:
            break
    return out


def profiles_html(items: list[ProfileItem], layout: Layout) -> str:
    tpl = _env().get_template("profile.html.j2")
    title = f"{layout.profile_title} {items[0].p.name}" if len(items) == 1 else f"{layout.profile_title}e"
    return str(
        tpl.render(
            profiles=items,
            css=_css(layout),
            title=title,
            logo=layout.logo,
            org=layout.organisation,
            wording={"profile_title": layout.profile_title, "note": NOTE},
        )
    )


def html_to_pdf(html: str, target: Path | None = None) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as e:  # Pango missing
        raise DependencyError(
            f"weasyprint findet die Systembibliotheken nicht ({e}).",
            hint="Installieren Sie libpango-1.0-0, libpangoft2-1.0-0 und libharfbuzz-subset0 "
            "('make system-deps').",
        ) from None
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    assert pdf is not None
    if target is not None:
        target.write_bytes(pdf)
    return pdf


_WORKER: dict[str, Any] = {}


def profiles_pdf(
    items: list[ProfileItem], layout: Layout, target: Path | None = None, engine: str = "typst"
) -> bytes:
    """Profiles as one tagged PDF (PDF/UA-1) with ``engine`` (typst, or weasyprint from the HTML)."""
    if engine == "typst":
        from planlabor.reports import typst_

        return typst_.profiles_pdf(items, layout, target)
    if engine != "weasyprint":
        raise InputError(
            f"Unbekannte PDF-Erzeugung {engine!r}.", column="--engine", expected="typst | weasyprint"
        )
    return html_to_pdf(profiles_html(items, layout), target)


def _pdf_job(args: tuple[str, str | None, str, str]) -> str:
    area_id, period, path, engine = args
    builder: ProfileBuilder = _WORKER["builder"]
    profiles_pdf([builder.item(area_id, period)], builder.layout, Path(path), engine)
    return path


def _typst_parallel(
    builder: ProfileBuilder,
    jobs: list[tuple[str, str | None, str, str]],
    workers: int,
    progress: Callable[[int, int], None] | None,
) -> list[Path]:
    """typst profiles: forked processes gather numbers and charts (they inherit the loaded data
    and never run typst), fresh processes (spawn) compile them as they come. Not typst in forked
    processes: typst's threads do not survive a fork, such a child would wait for ever."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # here: one profile needs no processes

    from planlabor.reports import typst_

    builder.warm(jobs[0][0], jobs[0][1], "typst")
    _WORKER["builder"] = builder
    fork, spawn = multiprocessing.get_context("fork"), multiprocessing.get_context("spawn")
    out = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=fork) as gather:
        sources = gather.map(_typst_source_job, jobs, chunksize=8)
        with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as setters:
            futures = [setters.submit(typst_.compile_job, src) for src in sources]
            for n, fut in enumerate(futures, start=1):
                out.append(Path(fut.result()))
                if progress:
                    progress(n, len(jobs))
    return out


def _typst_source_job(args: tuple[str, str | None, str, str]) -> tuple[dict[str, bytes], str]:
    from planlabor.reports import typst_

    area_id, period, path, _ = args
    builder: ProfileBuilder = _WORKER["builder"]
    return typst_.profiles_typst([builder.item(area_id, period)], builder.layout), path


def profile_docx(item: ProfileItem, layout: Layout) -> bytes:
    from docx.shared import Mm, Pt

    from planlabor.reports.docx_ import new_document, table, to_bytes

    doc = new_document(layout, f"{layout.profile_title} {item.p.name}", item.p.layer_name)
    doc.styles["Normal"].font.name = "DejaVu Sans"
    doc.styles["Normal"].font.size = Pt(9)
    p = item.p
    doc.add_heading(f"{layout.profile_title} {p.name}", level=1)
    doc.add_paragraph(
        f"{p.layer_name} {p.area_id}" + (f" · {p.parent_name}" if p.parent_name else "")
        + (f" · {p.city_name}" if p.city_name else "") + f" · {p.stand}"
    )  # fmt: skip
    t = doc.add_table(rows=1, cols=len(item.key))
    t.style = "Table Grid"
    for cell, f in zip(t.rows[0].cells, item.key, strict=True):
        cell.text = f"{f.name}\n{f.shown}" + (f" {f.unit}" if f.value is not None and f.unit else "")
    if isinstance(item.inset, Chart):
        doc.add_picture(io.BytesIO(item.inset.png), width=Mm(45))
        _alt(doc, item.inset.alt)
    for c in item.charts:
        if not isinstance(c, Chart):
            continue
        doc.add_picture(io.BytesIO(c.png), width=Mm(110))
        _alt(doc, c.alt)
    for theme, figs in p.themes:
        doc.add_heading(theme, level=2)
        cols = (
            ["Indikator", "Stand", p.name]
            + ([p.parent_name] if p.parent_name else [])
            + [p.city_name or "Gesamt", "Rang"]
        )
        tab = table(doc, cols)
        for f in figs:
            row = [f"{f.name}" + (f" ({f.unit})" if f.unit else ""), f.period_de, f.shown]
            row += [f.fmt(f.parent)] if p.parent_name else []
            row += [f.fmt(f.city), f"{f.rank}/{f.of}" if f.rank else "–"]
            for cell, text in zip(tab.add_row().cells, row, strict=True):
                cell.text = text
    doc.add_paragraph(NOTE)
    return to_bytes(doc)


def _alt(doc: Any, text: str) -> None:
    """Alternative text on the last inline picture (docPr/@descr), read by screen readers."""
    inline = doc.inline_shapes[-1]._inline
    inline.docPr.set("descr", text)


@dataclass
class WriteReport:
    files: list[Path]
    seconds: float
    per_file: float


def write_profiles(
    builder: ProfileBuilder,
    area_ids: list[str],
    fmt: str,
    out: Path,
    period: str | None = None,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
    engine: str = "typst",
) -> WriteReport:
    """One file per area into ``out`` (a folder) – or one file if ``out`` has the format's suffix
    and there is one area (or HTML/PDF combining all areas into one document). PDFs come from
    ``engine``: typst (default, fast) or weasyprint (from the HTML template)."""
    if fmt not in FORMATS:
        raise InputError(f"Unbekanntes Format {fmt!r}.", column="--format", expected=" | ".join(FORMATS))
    if engine not in PDF_ENGINES:
        raise InputError(
            f"Unbekannte PDF-Erzeugung {engine!r}.", column="--engine", expected=" | ".join(PDF_ENGINES)
        )
    start = time.perf_counter()
    single = out.suffix.lower() == f".{fmt}"
    if single and fmt == "docx" and len(area_ids) > 1:
        raise InputError(
            "DOCX gibt es je Gebiet als eigene Datei.", column="--out", hint="Geben Sie einen Ordner an."
        )
    (out.parent if single else out).mkdir(parents=True, exist_ok=True)
    if len(area_ids) <= FOCUS_MAX:  # a few profiles: load only the periods they show
        builder.data.focus(builder.layer, period)
    files: list[Path] = []
    jobs: list[tuple[str, str | None, str, str]] = []
    items: list[ProfileItem] = []
    for n, aid in enumerate(area_ids, start=1):
        if single and fmt in ("html", "pdf"):
            items.append(builder.item(aid, period))
        else:
            path = out / f"{builder.layout.profile_title.lower()}_{builder.layer}_{aid}.{fmt}"
            if fmt == "html":
                path.write_text(profiles_html([builder.item(aid, period)], builder.layout), encoding="utf-8")
                files.append(path)
            elif fmt == "docx":
                path.write_bytes(profile_docx(builder.item(aid, period, png=True), builder.layout))
                files.append(path)
            else:
                jobs.append((aid, period, str(path), engine))
        if progress and fmt != "pdf":
            progress(n, len(area_ids))
    if single:
        if fmt == "html":
            out.write_text(profiles_html(items, builder.layout), encoding="utf-8")
        else:
            profiles_pdf(items, builder.layout, out, engine)
        files.append(out)
    elif jobs and engine == "typst" and workers > 1 and len(jobs) > 1:
        files += _typst_parallel(builder, jobs, workers, progress)
    elif jobs:
        if workers > 1 and len(jobs) > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # load everything once here, then fork: the workers inherit numbers, maps and fonts
            # and never touch the database
            builder.warm(jobs[0][0], period, engine)
            _WORKER["builder"] = builder
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                for n, done in enumerate(pool.map(_pdf_job, jobs, chunksize=8), start=1):
                    files.append(Path(done))
                    if progress:
                        progress(n, len(jobs))
        else:
            _WORKER["builder"] = builder
            for n, job in enumerate(jobs, start=1):
                files.append(Path(_pdf_job(job)))
                if progress:
                    progress(n, len(jobs))
    seconds = time.perf_counter() - start
    return WriteReport(files, seconds, seconds / max(len(area_ids), 1))


def sozialbericht_html(
    data: ReportData, layout: Layout, layer: str, period: str | None = None, min_residents: int = 300
) -> str:
    """The integrated Sozialbericht as one HTML document (maps as PNG, everything inline)."""
    from planlabor.reports import sozialbericht

    return sozialbericht.html(sozialbericht.gather(data, layout, layer, period, min_residents))


def _participation_chapter(data: ReportData) -> list[dict[str, Any]]:
    """Per evaluated consultation (issue 21) the sentences over its published counts."""
    from planlabor.participation.results import public_counts, reference_sentence, top_category
    from planlabor.participation.storage import FILE, ParticipationStore

    root = data.src.root
    if root is None or not (Path(root) / FILE).is_file():
        return []
    with ParticipationStore(root) as st:
        items = [c for c in st.consultations() if data.src.catalog.get(c.total_variable) is not None]
    out = []
    for c in items:
        pc = public_counts(data.src, c)
        labels = list(c.categories.values())
        tops = [t for t in (top_category(r, labels) for r in pc.table.to_dict("records")) if t]
        findings = [
            f"{c.question} Befragung „{c.title}“ ({c.target or 'alle'}, "
            f"{c.opens:%d.%m.%Y} bis {c.closes:%d.%m.%Y})."
        ]
        if tops:
            label = max(set(tops), key=tops.count)
            findings.append(
                f"In {tops.count(label)} von {len(tops)} Gebieten mit veröffentlichten Antworten "
                f"am häufigsten genannt: {label}."
            )
        sentence = reference_sentence(data.src, pc)
        if sentence:
            findings.append(sentence)
        out.append({"title": c.title, "findings": findings})
    return out


def _planning_chapter(data: ReportData) -> dict[str, Any] | None:
    """Measures with the reading of their newest effect estimate, and the action plan's state
    (only items marked public in the public report; budgets only internally)."""
    from planlabor.io.export import format_number_de
    from planlabor.planning.actionplan import progress
    from planlabor.planning.effects import latest_estimates
    from planlabor.planning.measures import measures

    store = data.src.store
    items = measures(store, "massnahme", public_only=data.public)
    plan = measures(store, "aktionsplan", public_only=data.public)
    if not items and not plan:
        return None
    effects = latest_estimates(store)
    rows = []
    for m in items:
        e = effects.get(m.measure_id)
        target = data.src.catalog.get(m.target_indicator or "")
        rows.append(
            {
                "m": m,
                "target": target.name if target else (m.target_indicator or "–"),
                "when": " – ".join(d.strftime("%d.%m.%Y") for d in (m.start_date, m.end_date) if d),
                "budget": None if data.public or not m.budget else format_number_de(m.budget, 0) + " €",
                "reading": e["reading"] if e else None,
            }
        )
    p = progress(plan) if plan else None
    return {"measures": rows, "plan": p, "share": format_number_de(p.share_done * 100, 0) if p else ""}


def sozialbericht_docx(
    data: ReportData,
    layout: Layout,
    layer: str,
    period: str | None = None,
    min_residents: int = 300,
    group: dict[str, Any] | None = None,
) -> bytes:
    """The integrated report as an editable Word document: same chapters, maps, findings, tables
    (and, with a stored area ``group``, its chapter as in the PDF)."""
    from docx.shared import Mm

    from planlabor.io.export import format_number_de
    from planlabor.reports.bericht import build_chapters, data_stand, summary
    from planlabor.reports.docx_ import group_chapter_docx, new_document, table, to_bytes

    builder = ProfileBuilder(data, layout, layer)
    period, chapters = build_chapters(data, layer, period, maps=builder.maps(), min_residents=min_residents)
    lay = data.src.store.layer(layer)
    layer_name = (lay.name if lay else layer) or layer
    doc = new_document(layout, layout.report_title, f"{layout.title} · {layer_name}")
    doc.add_heading(layout.report_title, level=0)
    doc.add_paragraph(
        f"{layout.title}{' · ' + layout.organisation if layout.organisation else ''} · "
        f"{data_stand(chapters)} · {layer_name}"
    )
    doc.add_paragraph(
        NOTE + f" Rangfolgen und Veränderungen ohne Gebiete unter {format_number_de(min_residents, 0)} "
        "Einwohner:innen (deren Quoten schwanken stark); die Karten zeigen alle Gebiete."
    )
    doc.add_heading("Zusammenfassung", level=1)
    for theme, sentences in summary(chapters):
        doc.add_heading(theme, level=2)
        for text in sentences:
            doc.add_paragraph(text, style="List Bullet")
    for k, ch in enumerate(chapters, start=1):
        doc.add_heading(f"{k}. {ch.theme}", level=1)
        for s in ch.sections:
            doc.add_heading(f"{s.name}" + (f" ({s.unit})" if s.unit else ""), level=2)
            for f in s.findings:
                doc.add_paragraph(f.text)
            if s.map is not None:
                doc.add_picture(io.BytesIO(s.map.png), width=Mm(150))
                _alt(doc, s.map.alt)
            tab = table(doc, ["Höchste Werte", "Wert", "Niedrigste Werte", "Wert"])
            for (a1, n1, v1), (a2, n2, v2) in zip(s.top, s.bottom, strict=False):
                row = [
                    f"{n1} ({a1})",
                    format_number_de(v1, s.decimals),
                    f"{n2} ({a2})",
                    format_number_de(v2, s.decimals),
                ]
                for cell, text in zip(tab.add_row().cells, row, strict=True):
                    cell.text = text
            doc.add_paragraph(f"{s.description} Quelle: {s.source or '–'}")
    if group:
        from planlabor.reports.bericht import group_chapter

        group_chapter_docx(doc, group_chapter(data, group, period).typst(len(chapters) + 1))
    planning = _planning_chapter(data)
    if planning:
        doc.add_heading(f"{len(chapters) + (2 if group else 1)}. Maßnahmen und Wirkung", level=1)
        for r in planning["measures"]:
            doc.add_heading(r["m"].name, level=2)
            doc.add_paragraph(f"{r['m'].theme or 'ohne Fachthema'} · {r['when']} · Ziel: {r['target']}")
            if r["reading"]:
                doc.add_paragraph(r["reading"]["statement"])
                doc.add_paragraph(f"{r['reading']['verdict']} {r['reading']['pretrend']}")
        if planning["plan"]:
            p = planning["plan"]
            doc.add_heading("Aktionsplan UN-BRK", level=2)
            doc.add_paragraph(
                f"{len(p.items)} Maßnahmen, {planning['share']} % umgesetzt, {len(p.overdue)} überfällig."
            )
    return to_bytes(doc)
