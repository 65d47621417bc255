"""Use cases of publishing: the static public atlas and the reports (Sozialbericht,
committee sheet, methods annex) as files."""

from __future__ import annotations

from collections.abc import Callable
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


def _tell(progress: Any, step: int, total: int, label: str) -> None:
    if progress is not None:
        progress(step, total, label)


def publish_atlas(where: Where, out: str | Path, by: str | None = None, progress: Any = None) -> AtlasOutcome:
    """Build the static public atlas into ``out`` (public indicators, small counts suppressed);
    ``progress(step, total, label)`` hears of each step."""
    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of

    _tell(progress, 0, 2, "Öffentliche Werte werden gesperrt und geschrieben")
    with opened(where, read_only=True) as ws:
        r = build_static(source_of(ws), Path(out))
    _tell(progress, 2, 2, "Atlas gebaut")
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
    progress: Any = None,
    engine: str = "typst",
    group: str | None = None,
) -> Path:
    """The integrated Sozialbericht as ``fmt`` (pdf, html, docx) in ``out``; PDFs from ``engine``
    (typst, or weasyprint from the HTML); ``group`` adds the chapter comparing the stored area
    group of that name with the city; ``progress(step, total, label)`` hears of each step."""
    from planlabor.atlas.data import source_of
    from planlabor.io.periods import parse_period_option
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout

    _tell(progress, 0, 3, "Daten werden gelesen")
    with opened(where, read_only=True) as ws:
        layer = layer or ws.finest_layer()
        p = parse_period_option(period, stichtag=True) if period else None
        data = ReportData(source_of(ws), public=not internal)
        stored = None
        if group:
            from planlabor.app.groups import stored_group

            stored = stored_group(ws.store, group)
        _tell(progress, 1, 3, "Bericht wird gesetzt" + (" und als PDF geschrieben" if fmt == "pdf" else ""))
        if fmt == "docx":
            from planlabor.reports.render import sozialbericht_docx

            path = _write(
                Path(out), fmt, blob=sozialbericht_docx(data, Layout.of(ws), layer, p, min_residents, stored)
            )
        else:
            from planlabor.reports import sozialbericht as sb

            b = sb.gather(data, Layout.of(ws), layer, p, min_residents, stored)
            path = sb.write(b, fmt, Path(out), engine)
    _tell(progress, 3, 3, "Sozialbericht geschrieben")
    record(where, by, "report sozialbericht", out=str(path), internal=internal, engine=engine, group=group)
    return path


@dataclass
class SheetOutcome:
    path: Path
    findings: list[str]


def committee_sheet(where: Where, out: str | Path, period: str, **kw: Any) -> SheetOutcome:
    """The Kita sheet for the youth-welfare committee (``layer``, ``level``, ``scenario``,
    ``u3``, ``ue3``, ``fmt`` as in ``planlabor report sheet``); with ``consultation`` and/or
    ``subject`` also the answers by area and the stakeholders' positions (issue 21)."""
    from planlabor.atlas.data import source_of
    from planlabor.io.periods import parse_period_option
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout
    from planlabor.reports.sheet import kita_sheet, sheet_docx, sheet_html

    fmt = kw.get("fmt", "pdf")
    progress = kw.get("progress")
    _tell(progress, 0, 3, "Daten werden gelesen")
    with opened(where, read_only=True) as ws:
        layer = kw.get("layer") or ws.finest_layer()
        layout = Layout.of(ws)
        p = parse_period_option(period, stichtag=True)
        sheet = kita_sheet(
            ReportData(source_of(ws)), layer, p, kw.get("level"), kw.get("scenario"),
            kw.get("u3", 50.0), kw.get("ue3", 95.0),
        )  # fmt: skip
        _tell(progress, 2, 3, "Blatt wird gesetzt")
        if kw.get("consultation") or kw.get("subject"):  # issue 21: answers and positions beside it
            from planlabor.reports.sheet import add_participation

            add_participation(
                sheet, ReportData(source_of(ws)), ws.root, kw.get("consultation"), kw.get("subject")
            )
        if fmt == "docx":
            path = _write(Path(out), fmt, blob=sheet_docx(sheet, layout))
        else:
            path = _write(Path(out), fmt, sheet_html(sheet, layout))
    _tell(progress, 3, 3, "Ausschussblatt geschrieben")
    record(where, kw.get("by"), "report sheet", out=str(path))
    return SheetOutcome(path, list(sheet.findings) + (list(sheet.voices.findings) if sheet.voices else []))


def methods_annex(where: Where, out: str | Path, fmt: str = "pdf", internal: bool = False) -> Path:
    """The methods annex: definition, computation, source and date of every indicator."""
    from planlabor.atlas.data import source_of
    from planlabor.reports.data import ReportData
    from planlabor.reports.methods import methods_html
    from planlabor.reports.render import Layout

    with opened(where, read_only=True) as ws:
        html = methods_html(ReportData(source_of(ws), public=not internal), Layout.of(ws))
    return _write(Path(out), fmt, html)


class _ProfileStep:
    """``progress(done, total)`` of the profile writer as a labelled step."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress

    def __call__(self, done: int, total: int) -> None:
        self.progress(done, total, f"Profil {done} von {total} geschrieben")


def _profile_step(progress: Any) -> Any:
    return _ProfileStep(progress) if progress is not None else None


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
        all_ids = ws.store.areas(layer)["area_id"].astype(str).tolist()
        ids = all_ids if list(area_ids) == ["*"] else list(area_ids)
        if not ids:
            raise InputError("Geben Sie ein Gebiet an.", column="--area", expected="einen Gebietsschlüssel")
        known = set(all_ids)
        unknown = [a for a in ids if a not in known]
        if unknown:
            raise InputError(
                f"Das Gebiet {unknown[0]!r} gibt es in der Raumebene {layer!r} nicht.",
                column="--area",
                hint="Die Schlüssel zeigt der Atlas oder 'planlabor areas list'.",
            )
        builder = ProfileBuilder(ReportData(source_of(ws), public=not internal), Layout.of(ws), layer)
        p = parse_period_option(period, stichtag=True) if period else None
        _tell(progress, 0, len(ids), f"{len(ids)} Profil(e) werden geschrieben")
        r = write_profiles(builder, ids, fmt, Path(out), p, workers, _profile_step(progress), engine)
    record(where, by, "report profile", layer=layer, areas=len(ids), internal=internal)
    return ProfilesOutcome(list(r.files), r.seconds, r.per_file)


@dataclass
class PublicIndicator:
    id: str
    name: str
    theme: str
    layers: dict[str, int]  # layer → values shown in the public atlas
    suppressed: dict[str, int]  # layer → values withheld (small counts, secondary suppression)


@dataclass
class PublicView:
    """What the public atlas would show if published now: the public indicators with their shown
    and suppressed values per layer, and the indicators that stay internal (names only)."""

    title: str
    layers: list[str]
    indicators: list[PublicIndicator]
    internal: list[str]
    suppressed_total: int


def public_view(where: Where) -> PublicView:
    """The preview of publication, computed like the public atlas (:func:`values_frame` with
    suppression); no value leaves this function, only counts."""
    from planlabor.atlas.data import meta_payload, source_of, values_frame

    with opened(where, read_only=True) as ws:
        src = source_of(ws)
        meta = meta_payload(src, public=True)
        return public_view_of(meta, lambda layer: values_frame(src, layer, public=True), src.catalog)


def public_view_of(meta: dict[str, Any], frame: Callable[[str], Any], catalog: Any) -> PublicView:
    """The preview from the public atlas's ``meta`` payload, its values per layer (``frame``:
    layer → the suppressed values frame) and the catalog — without opening the store, so the
    server answers it from the public atlas's caches (:meth:`AtlasService.frame`) while a job
    writes (the Werkstatt page *Berichte*)."""
    layers = [lay["id"] for lay in meta["layers"]]
    shown: dict[str, dict[str, int]] = {}
    hidden: dict[str, dict[str, int]] = {}
    for layer in layers:
        df = frame(layer)
        withheld = df["flag"].eq("gesperrt")
        for iid, n in df[df["value"].notna()].groupby("indicator_id").size().items():
            shown.setdefault(str(iid), {})[layer] = int(n)
        for iid, n in df[withheld].groupby("indicator_id").size().items():
            hidden.setdefault(str(iid), {})[layer] = int(n)
    internal = [i.name for i in catalog.all_indicators() if not i.public]
    items = [
        PublicIndicator(iid, m["name"], m["theme"], shown.get(iid, {}), hidden.get(iid, {}))
        for iid, m in meta["indicators"].items()
    ]
    total = sum(sum(i.suppressed.values()) for i in items)
    return PublicView(meta["title"], layers, items, internal, total)
