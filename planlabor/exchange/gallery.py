"""The static gallery: one folder of HTML pages over a folder of dossiers.

``build_gallery(DOSSIERS, site)`` copies every dossier into ``site/dossiers/<id>/`` and writes
``index.html`` (lists by theme, country, area type, method and kind with full-text search in
the browser), one page per dossier, ``vergleich.html`` (indicator definitions and report
structures side by side, differences marked) and ``planlabor.html`` (the starter checklist).
The search index is a script file (``suche.js``), so the site works from disk (``file://``)
and on any web server, without network and without inline script.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from planlabor.errors import NotFoundError, WorkspaceError
from planlabor.exchange.compare import indicator_tables, report_table
from planlabor.exchange.dossier import template_doc
from planlabor.exchange.model import (
    COUNTRIES,
    CRITERIA,
    KINDS,
    RATINGS,
    SECTIONS,
    Dossier,
    read_dossier,
)

MARKER = ".planlabor-galerie"
# the page's policy (a <meta> tag, since the site is also opened from disk): no inline script
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass
class GalleryReport:
    out: Path
    dossiers: int
    comparisons: int
    files: int
    bytes: int
    seconds: float


def find_dossiers(src: Path) -> list[Path]:
    """Dossier folders in ``src`` (one level deep, or ``src`` itself)."""
    if not src.is_dir():
        raise NotFoundError(f"Den Ordner {src} gibt es nicht.", file=src)
    found = [p.parent for p in sorted(src.glob("*/dossier.toml"))]
    if (src / "dossier.toml").is_file():
        found.insert(0, src)
    if not found:
        raise NotFoundError(
            f"Im Ordner {src} liegt kein Dossier (Unterordner mit dossier.toml).",
            file=src,
            hint="Dossiers schreibt 'planlabor dossier export --out ORDNER/NAME'.",
        )
    return found


def _id(folder: Path, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-") or "dossier"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _env() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder = Path(str(resources.files("planlabor.exchange").joinpath("templates")))
    return Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["j2", "html"]))


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise WorkspaceError(
                f"Der Ordner {out} ist nicht leer und keine früher gebaute Galerie.",
                hint="Wählen Sie mit --out einen neuen oder leeren Ordner.",
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("planlabor galerie\n", encoding="utf-8")


def _de_date(value: Any) -> str:
    return value.strftime("%d.%m.%Y") if hasattr(value, "strftime") else str(value)


def _view(did: str, d: Dossier, tpl: dict[str, Any]) -> dict[str, Any]:
    """What the pages show of one dossier."""
    inds = tpl.get("indicator", [])
    return {
        "id": did,
        "folder": did,
        "titel": d.titel,
        "art_name": KINDS.get(d.art, d.art),
        "kommune": d.kommune,
        "land_name": COUNTRIES.get(d.land, d.land),
        "raumtyp": d.raumtyp,
        "jahr": d.jahr,
        "themen": d.themen,
        "methoden": d.methoden,
        "zusammenfassung": d.zusammenfassung,
        "sections": [(SECTIONS[k], d.beschreibung[k]) for k in SECTIONS if d.beschreibung.get(k)],
        "empfehlung": d.empfehlung,
        "kontakt": d.kontakt,
        "lizenz": d.lizenz,
        "geheimhaltung": d.geheimhaltung.get("hinweis", "—"),
        "files": d.inhalt,
        "visitationen": len(d.visitation),
        "visitation": [
            {
                "gutachter": v.gutachter,
                "institution": v.institution,
                "datum_de": _de_date(v.datum),
                "fazit": v.fazit,
                "rows": [
                    (
                        label,
                        f"{v.bewertung[k]} ({RATINGS[v.bewertung[k]]})" if k in v.bewertung else "—",
                        v.kommentar.get(k, ""),
                    )
                    for k, label in CRITERIA.items()
                ],
            }
            for v in d.visitation
        ],
        "indicators": [
            {
                "id": i["id"],
                "name": i.get("name", ""),
                "numerator": " + ".join(i.get("numerator", [])) or i.get("variable", "") or "—",
                "denominator": " + ".join(i.get("denominator", [])) or "—",
                "unit": i.get("unit", ""),
                "source": i.get("source", ""),
            }
            for i in inds
        ],
    }


def _search_entry(view: dict[str, Any], d: Dossier, tpl: dict[str, Any]) -> dict[str, Any]:
    parts = [d.titel, d.kommune, view["land_name"], d.raumtyp, d.zusammenfassung, view["art_name"]]
    parts += d.themen + d.methoden + list(d.beschreibung.values())
    parts += [f"{r.titel} {r.text}" for r in d.empfehlung]
    parts += [f"{v.gutachter} {v.fazit} {' '.join(v.kommentar.values())}" for v in d.visitation]
    for ind in tpl.get("indicator", []):
        parts += [ind["id"], ind.get("name", ""), ind.get("description", ""), ind.get("source", "")]
        parts += list(ind.get("numerator", [])) + list(ind.get("denominator", []))
    facets = {
        "thema": d.themen,
        "land": [d.land],
        "raumtyp": [d.raumtyp] if d.raumtyp else [],
        "methode": d.methoden,
        "art": [d.art],
    }
    return {"id": view["id"], "text": " ".join(p for p in parts if p), "facets": facets}


def _facets(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spec = [
        ("thema", "Thema", {}),
        ("land", "Land", COUNTRIES),
        ("raumtyp", "Raumtyp", {}),
        ("methode", "Methode", {}),
        ("art", "Art", KINDS),
    ]
    out = []
    for key, label, names in spec:
        counts: dict[str, int] = {}
        for e in entries:
            for v in e["facets"][key]:
                counts[v] = counts.get(v, 0) + 1
        out.append({"key": key, "label": label, "names": names, "values": sorted(counts.items())})
    return out


def build_gallery(
    src: str | Path, out: str | Path, checklist_templates: list[str] | None = None
) -> GalleryReport:
    """Build the static gallery of the dossiers in ``src`` into ``out``."""
    from planlabor import __version__
    from planlabor.exchange.starter import STARTER_TEMPLATES, starter_sections

    start = time.perf_counter()
    src, out = Path(src), Path(out)
    folders = find_dossiers(src)
    _prepare(out)
    taken: set[str] = set()
    loaded: list[tuple[str, Dossier, dict[str, Any]]] = []
    for folder in folders:
        d = read_dossier(folder)
        did = _id(folder, taken)
        shutil.copytree(folder, out / "dossiers" / did)
        loaded.append((did, d, template_doc(d)))
    loaded.sort(key=lambda x: (x[1].art != "projekt", x[1].titel.lower()))
    env = _env()
    common = {
        "csp": CSP,
        "software": f"planlabor {__version__}",
        "built": datetime.now().strftime("%d.%m.%Y"),
    }
    views = [_view(did, d, tpl) for did, d, tpl in loaded]
    entries = [_search_entry(v, d, tpl) for v, (_, d, tpl) in zip(views, loaded, strict=True)]
    by_theme: dict[str, list[dict[str, Any]]] = {}
    for v in views:
        for theme in v["themen"]:
            by_theme.setdefault(theme, []).append(v)

    def page(name: str, target: Path, **kw: Any) -> None:
        target.write_text(env.get_template(name).render(**common, **kw), encoding="utf-8")

    page("index.html.j2", out / "index.html", title="Dossiers", page="index", root="", dossiers=views,
         facets=_facets(entries), by_theme=sorted(by_theme.items()))  # fmt: skip
    for v in views:
        page("dossier.html.j2", out / "dossiers" / v["id"] / "index.html", title=v["titel"], page="dossier",
             root="../../", d=v)  # fmt: skip
    tables = indicator_tables(loaded)
    page("vergleich.html.j2", out / "vergleich.html", title="Definitionen vergleichen", page="vergleich",
         root="", tables=tables, report=report_table(loaded))  # fmt: skip
    names = checklist_templates or STARTER_TEMPLATES
    page("planlabor.html.j2", out / "planlabor.html", title="Planlabor-Checkliste", page="planlabor", root="",
         sections=starter_sections(names), templates=names)  # fmt: skip
    (out / "suche.js").write_text(
        "window.planlaborSuche = " + json.dumps(entries, ensure_ascii=False) + ";\n", encoding="utf-8"
    )
    static = Path(str(resources.files("planlabor.exchange").joinpath("static")))
    for name in ("galerie.css", "galerie.js"):
        shutil.copy2(static / name, out / name)
    files = [p for p in out.rglob("*") if p.is_file()]
    return GalleryReport(
        out=out,
        dossiers=len(loaded),
        comparisons=len(tables),
        files=len(files),
        bytes=sum(p.stat().st_size for p in files),
        seconds=time.perf_counter() - start,
    )
