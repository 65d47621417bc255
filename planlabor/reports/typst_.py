"""Sozialraumprofile as tagged PDF/UA-1 with typst (issue #22, point 2).

typst (the PyPI package, a compiled Rust library) lays out a two-page profile in a few hundredths
of a second, where weasyprint needs 0.3–2 s; both produce tagged PDF. The template
``templates/profile.typ`` holds the layout; this module hands it the numbers, already formatted
in German, as JSON, and the charts as SVG files (all in memory, nothing written to disk).
typst refuses to write PDF/UA when something required is missing (a title, alternative texts),
so a PDF from here passes its own accessibility checks.

weasyprint stays as the other engine (``--engine weasyprint``): the same content from the HTML
template.
"""

from __future__ import annotations

import base64
import io
import json
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planlabor.errors import DependencyError

if TYPE_CHECKING:
    from planlabor.reports.render import Layout, ProfileItem

# one compiler per process (fonts scanned once). Never fork a process that compiled: typst's
# worker threads are not copied by fork, and the child would wait for them for ever
_COMPILER: dict[int, Any] = {}


def _compiler() -> Any:
    try:
        import typst
    except ImportError:  # pragma: no cover - typst is a dependency; the message is for broken installs
        raise DependencyError(
            "Das Paket 'typst' fehlt.",
            hint="Installieren Sie es ('pip install typst') oder nutzen Sie --engine weasyprint.",
        ) from None
    pid = os.getpid()
    if pid not in _COMPILER:
        _COMPILER.clear()
        _COMPILER[pid] = typst.Compiler()
    return _COMPILER[pid]


def _template() -> bytes:
    return resources.files("planlabor.reports").joinpath("templates", "profile.typ").read_bytes()


def _truncate(text: str, length: int) -> str:
    """As Jinja2's ``truncate`` filter (leeway 5, cut at a word, "..."), like the HTML template."""
    if len(text) <= length + 5:
        return text
    return text[: length - 3].rsplit(" ", 1)[0] + "..."


def _svg(svg: str) -> bytes:
    """The chart's SVG with the report font (SVG text has no font of its own in typst)."""
    return svg.replace("<svg ", '<svg font-family="DejaVu Sans" ', 1).encode("utf-8")


def _profile(item: ProfileItem, layout: Layout, k: int, files: dict[str, bytes]) -> dict[str, Any]:
    p = item.p
    sub = f"{p.layer_name} {p.area_id}" + "".join(f" · {s}" for s in (p.parent_name, p.city_name) if s)
    kpis = []
    for f in item.key:
        unit = f" {f.unit}" if f.value is not None and f.unit and f.unit not in ("Personen",) else ""
        note = [f"{p.city_name}: {f.fmt(f.city)}"] if f.city is not None and p.city_name else []
        note += [f"Rang {f.rank} von {f.of}"] if f.rank else []
        note += [f"Quintil {f.klasse}"] if f.klasse else []
        kpis.append({"name": f.name, "value": f.shown + unit, "note": " · ".join(note)})
    inset = None
    if item.inset is not None and getattr(item.inset, "svg", None):
        files[f"p{k}-lage.svg"] = _svg(item.inset.svg)  # type: ignore[union-attr]
        inset = {"file": f"p{k}-lage.svg", "alt": item.inset.alt}
    charts = []
    for j, c in enumerate(item.charts):
        if getattr(c, "svg", None):
            files[f"p{k}-c{j}.svg"] = _svg(c.svg)
            charts.append({"file": f"p{k}-c{j}.svg", "alt": c.alt, "caption": c.caption})
    columns = ["Indikator", "Stand", _truncate(p.name, 28)]
    columns += [_truncate(p.parent_name, 24)] if p.parent_name else []
    columns += [p.city_name] if p.city_name else []
    columns += ["Rang (Quintil)"]
    themes = []
    for theme, figs in p.themes:
        rows = []
        for f in figs:
            row = [f.name + (f" ({f.unit})" if f.unit else ""), f.period_de, f.shown]
            row += [f.fmt(f.parent)] if p.parent_name else []
            row += [f.fmt(f.city)] if p.city_name else []
            rank = f"{f.rank}/{f.of}" + (f" ({f.klasse})" if f.klasse else "") if f.rank else "–"
            rows.append([*row, rank])
        themes.append({"name": theme, "rows": rows})
    return {
        "title": f"{layout.profile_title} {p.name}",
        "sub": f"{sub} · {p.stand}",
        "kpis": kpis,
        "inset": inset,
        "charts": charts,
        "columns": columns,
        "themes": themes,
    }


def logo_file(layout: Layout, files: dict[str, bytes]) -> str | None:
    """The layout's logo (a data URI) as a file of ``files``; its name, or None without a logo."""
    if not layout.logo:
        return None
    head, _, b64 = layout.logo.partition(",")
    ext = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}.get(
        head.removeprefix("data:").split(";")[0], "png"
    )
    if ext == "svg":
        files["logo.svg"] = base64.b64decode(b64)
    else:
        files["logo.svg"] = raster_as_svg(base64.b64decode(b64), head.removeprefix("data:").split(";")[0])
    return "logo.svg"


def raster_as_svg(data: bytes, mime: str = "image/png") -> bytes:
    """A PNG or JPEG as an SVG holding it (typst-py takes only text files from memory)."""
    import struct

    if data[:8] == b"\x89PNG\r\n\x1a\n":
        w, h = struct.unpack(">II", data[16:24])
    else:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            w, h = img.size
    uri = f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {w} {h}" width="{w}" height="{h}"><image width="{w}" height="{h}" '
        f'xlink:href="{uri}"/></svg>'
    ).encode("ascii")


def profiles_typst(items: list[ProfileItem], layout: Layout) -> dict[str, bytes]:
    """The typst sources of ``items`` as one document: template, ``data.json`` and the charts."""
    from planlabor.reports.render import NOTE

    files: dict[str, bytes] = {}
    profiles = [_profile(item, layout, k, files) for k, item in enumerate(items)]
    logo = logo_file(layout, files)
    title = f"{layout.profile_title} {items[0].p.name}" if len(items) == 1 else f"{layout.profile_title}e"
    data = {
        "title": title,
        "organisation": layout.organisation or layout.title,
        "accent": layout.accent,
        "font": layout.font,
        "logo": logo,
        "note": NOTE,
        "profiles": profiles,
    }
    files["data.json"] = json.dumps(data, ensure_ascii=False).encode("utf-8")
    files["main"] = _template()
    return files


def typst_pdf(files: dict[str, bytes], target: Path | None = None) -> bytes:
    """Compile ``files`` (with ``main``) to tagged PDF/UA-1."""
    pdf = _compiler().compile(files, pdf_standards=["ua-1"])
    assert isinstance(pdf, bytes)
    if target is not None:
        target.write_bytes(pdf)
    return pdf


def profiles_pdf(items: list[ProfileItem], layout: Layout, target: Path | None = None) -> bytes:
    return typst_pdf(profiles_typst(items, layout), target)


def compile_job(args: tuple[dict[str, bytes], str]) -> str:
    """Worker of parallel profiles: compile one document to ``path``."""
    files, path = args
    typst_pdf(files, Path(path))
    return path
