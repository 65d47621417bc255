"""Use cases of publishing: the static public atlas and the reports (Sozialbericht,
committee sheet, methods annex) as files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planlabor.app import Where, opened
from planlabor.app.audit import record


@dataclass
class AtlasOutcome:
    """Where the atlas is, how big (bytes, packed bytes, files), what it holds, how long it took."""

    out: Path
    files: int
    bytes: int
    zipped_bytes: int
    layers: list[str]
    indicators: int
    seconds: float


def publish_atlas(where: Where, out: str | Path, by: str | None = None) -> AtlasOutcome:
    """Build the static public atlas into ``out`` (public indicators, small counts suppressed)."""
    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of

    with opened(where, read_only=True) as ws:
        r = build_static(source_of(ws), Path(out))
    res = AtlasOutcome(Path(r.out), r.files, r.bytes, r.zipped_bytes, list(r.layers), r.indicators, r.seconds)
    record(where, by, "atlas build", out=str(res.out), indicators=res.indicators)
    return res


def _write(path: Path, fmt: str, html: str | None = None, blob: bytes | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if blob is not None:
        path.write_bytes(blob)
    elif fmt == "html":
        path.write_text(html or "", encoding="utf-8")
    else:
        from planlabor.reports.render import html_to_pdf

        html_to_pdf(html or "", path)
    return path


def sozialbericht(
    where: Where,
    out: str | Path,
    fmt: str = "pdf",
    layer: str | None = None,
    period: str | None = None,
    min_residents: int = 300,
    internal: bool = False,
    by: str | None = None,
) -> Path:
    """The integrated Sozialbericht as ``fmt`` (pdf, html, docx) in ``out``."""
    from planlabor.atlas.data import source_of
    from planlabor.io.periods import parse_period_option
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout

    with opened(where, read_only=True) as ws:
        layer = layer or ws.finest_layer()
        p = parse_period_option(period, stichtag=True) if period else None
        data = ReportData(source_of(ws), public=not internal)
        if fmt == "docx":
            from planlabor.reports.render import sozialbericht_docx

            path = _write(
                Path(out), fmt, blob=sozialbericht_docx(data, Layout.of(ws), layer, p, min_residents)
            )
        else:
            from planlabor.reports.render import sozialbericht_html

            path = _write(Path(out), fmt, sozialbericht_html(data, Layout.of(ws), layer, p, min_residents))
    record(where, by, "report sozialbericht", out=str(path), internal=internal)
    return path


@dataclass
class SheetOutcome:
    path: Path
    findings: list[str]


def committee_sheet(where: Where, out: str | Path, period: str, **kw: Any) -> SheetOutcome:
    """The Kita sheet for the youth-welfare committee (``layer``, ``level``, ``scenario``,
    ``u3``, ``ue3``, ``fmt`` as in ``planlabor report sheet``)."""
    from planlabor.atlas.data import source_of
    from planlabor.io.periods import parse_period_option
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout
    from planlabor.reports.sheet import kita_sheet, sheet_docx, sheet_html

    fmt = kw.get("fmt", "pdf")
    with opened(where, read_only=True) as ws:
        layer = kw.get("layer") or ws.finest_layer()
        layout = Layout.of(ws)
        p = parse_period_option(period, stichtag=True)
        sheet = kita_sheet(
            ReportData(source_of(ws)), layer, p, kw.get("level"), kw.get("scenario"),
            kw.get("u3", 50.0), kw.get("ue3", 95.0),
        )  # fmt: skip
        if fmt == "docx":
            path = _write(Path(out), fmt, blob=sheet_docx(sheet, layout))
        else:
            path = _write(Path(out), fmt, sheet_html(sheet, layout))
    record(where, kw.get("by"), "report sheet", out=str(path))
    return SheetOutcome(path, list(sheet.findings))


def methods_annex(where: Where, out: str | Path, fmt: str = "pdf", internal: bool = False) -> Path:
    """The methods annex: definition, computation, source and date of every indicator."""
    from planlabor.atlas.data import source_of
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout, methods_html

    with opened(where, read_only=True) as ws:
        html = methods_html(ReportData(source_of(ws), public=not internal), Layout.of(ws))
    return _write(Path(out), fmt, html)


@dataclass
class ProfilesOutcome:
    files: list[Path]
    seconds: float
    per_file: float


def profiles(
    where: Where,
    out: str | Path,
    area_ids: list[str],
    layer: str | None = None,
    period: str | None = None,
    fmt: str = "pdf",
    internal: bool = False,
    workers: int = 1,
    progress: Any = None,
    by: str | None = None,
    engine: str = "typst",
) -> ProfilesOutcome:
    """Sozialraumprofile of ``area_ids`` (all areas of the layer: ``["*"]``) into ``out`` (a
    folder, or one file); ``progress(done, total)`` is called as they are written; PDFs from
    ``engine`` (typst or weasyprint)."""
    from planlabor.atlas.data import source_of
    from planlabor.errors import InputError
    from planlabor.io.periods import parse_period_option
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout, ProfileBuilder, write_profiles

    with opened(where, read_only=True) as ws:
        layer = layer or ws.finest_layer()
        ids = list(area_ids)
        if ids == ["*"]:
            ids = ws.store.areas(layer)["area_id"].astype(str).tolist()
        if not ids:
            raise InputError("Geben Sie ein Gebiet an.", column="--area", expected="einen Gebietsschlüssel")
        known = set(ws.store.areas(layer)["area_id"].astype(str))
        unknown = [a for a in ids if a not in known]
        if unknown:
            raise InputError(
                f"Das Gebiet {unknown[0]!r} gibt es in der Raumebene {layer!r} nicht.",
                column="--area",
                hint="Die Schlüssel zeigt der Atlas oder 'planlabor areas list'.",
            )
        builder = ProfileBuilder(ReportData(source_of(ws), public=not internal), Layout.of(ws), layer)
        p = parse_period_option(period, stichtag=True) if period else None
        r = write_profiles(builder, ids, fmt, Path(out), p, workers, progress, engine)
    record(where, by, "report profile", layer=layer, areas=len(ids), internal=internal)
    return ProfilesOutcome(list(r.files), r.seconds, r.per_file)
