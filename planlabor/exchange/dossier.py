"""Export a project dossier from a workspace, only through the public-value path.

What enters a dossier: the method template (definitions, never values), the description the
planner wrote, the public report (``ReportData(public=True)``, the same path as
``planlabor report sozialbericht``) and the static public atlas (``build_static``, the same path as
``planlabor atlas build``).  No function here reads the store's values itself.  When the
confidentiality audit of issue 14 (``planlabor.confidentiality.audit``) is installed, the
finished folder is audited cell by cell and the export fails on a finding.
"""

from __future__ import annotations

import importlib
import shutil
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from planlabor.errors import InputError, WorkspaceError
from planlabor.exchange.model import (
    ATLAS_DIR,
    DOSSIER_FILE,
    REPORT_FILE,
    TEMPLATE_FILE,
    Description,
    Dossier,
    dossier_file,
    is_dossier,
    read_dossier,
    write_dossier,
)


@dataclass
class DossierReport:
    out: Path
    files: int = 0
    bytes: int = 0
    indicators: int = 0
    parts: list[str] = field(default_factory=list)
    audit: str = ""


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        if not is_dossier(out):
            raise WorkspaceError(
                f"Der Ordner {out} ist nicht leer und kein Dossier.",
                hint="Wählen Sie mit --out einen neuen oder leeren Ordner.",
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _software() -> str:
    from planlabor import __version__

    return f"planlabor {__version__}"


def _finish(d: Dossier, out: Path, indicators: int) -> DossierReport:
    d.erstellt = datetime.now().replace(microsecond=0).isoformat()
    d.software = _software()
    write_dossier(d, out)
    files = [p for p in out.rglob("*") if p.is_file()]
    return DossierReport(
        out=out,
        files=len(files),
        bytes=sum(p.stat().st_size for p in files),
        indicators=indicators,
        parts=sorted(d.inhalt),
        audit=d.geheimhaltung.get("ergebnis", ""),
    )


def export_dossier(
    ws: Any,
    out: str | Path,
    description: Description,
    report: bool | Path = True,
    atlas: bool = True,
    version: str = "1.0",
    report_layer: str | None = None,
) -> DossierReport:
    """Pack the workspace's method, the description and its public outputs into ``out``.

    ``report``: ``True`` renders the public Sozialbericht as PDF, a path copies an already
    rendered public PDF, ``False`` leaves it out; ``report_layer`` is the layer of its maps
    (default: the finest).
    """
    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of

    out = Path(out)
    _prepare(out)
    d = Dossier.model_validate(description.model_dump())
    catalog = ws.catalog()
    if not d.themen:
        d.themen = list(catalog.themes) or sorted({i.theme for i in catalog.indicators})
    if not d.methoden:
        d.methoden = _methods(catalog)
    if not d.kommune:
        d.kommune = ws.config.workspace.municipality or ws.config.workspace.name
    ws.export_template(out / TEMPLATE_FILE, name=d.titel, version=version, description=d.zusammenfassung)
    d.inhalt["vorlage"] = TEMPLATE_FILE
    if report is not False:
        _report(ws, out / REPORT_FILE, report if isinstance(report, Path) else None, report_layer)
        d.inhalt["bericht"] = REPORT_FILE
    if atlas:
        build_static(source_of(ws), out / ATLAS_DIR)
        d.inhalt["atlas"] = f"{ATLAS_DIR}/index.html"
    d.geheimhaltung = audit_folder(ws, out)
    return _finish(d, out, len(catalog.indicators))


def _methods(catalog: Any) -> list[str]:
    methods = ["Indikatorenkatalog"]
    for ref in catalog.indices:
        methods.append(f"Index ({ref.preset})" if ref.preset else "Index (eigenes Verfahren)")
    return list(dict.fromkeys(methods))


def _report(ws: Any, target: Path, existing: Path | None, layer: str | None) -> None:
    if existing is not None:
        if not existing.is_file():
            raise InputError(f"Der Bericht {existing} fehlt.", file=existing)
        shutil.copy2(existing, target)
        return
    from planlabor.atlas.data import source_of
    from planlabor.reports import sozialbericht
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout

    data = ReportData(source_of(ws), public=True)
    report = sozialbericht.gather(data, Layout.of(ws), layer or ws.finest_layer())
    sozialbericht.write(report, "pdf", target)  # typst, tagged PDF/UA-1


def audit_folder(ws: Any, folder: Path) -> dict[str, str]:
    """Run the confidentiality audit (issue 14) on the folder if it is installed."""
    try:
        mod = importlib.import_module("planlabor.confidentiality.audit")
    except ImportError:
        return {
            "ergebnis": "öffentlicher Pfad",
            "hinweis": "Werte nur aus dem öffentlichen Pfad (Sperrung kleiner Fallzahlen); "
            "die Prüfung 'geheimhaltung pruefen' ist in dieser Version nicht installiert.",
        }
    rep = mod.audit(ws.store, ws.catalog(), ws.rules(), [folder])
    if not rep.ok:
        shutil.rmtree(folder)
        raise WorkspaceError(
            "Die Geheimhaltungsprüfung hat im Dossier offengelegte Werte gefunden; "
            "das Dossier wurde nicht geschrieben.",
            hint="planlabor geheimhaltung pruefen zeigt die Zellen.",
        )
    return {"ergebnis": "geprüft", "hinweis": "planlabor geheimhaltung pruefen: keine Offenlegung"}


def export_position_paper(
    description: Description, sources: list[str], out: str | Path, version: str = "1.0"
) -> DossierReport:
    """A position paper: recommendations with the indicator definitions they recommend.

    ``sources``: template or catalog files, shipped template names or dossiers that hold the recommended
    indicators; only those (and the variables they need) enter ``vorlage.toml``, so the
    recommendation is adopted with ``planlabor template import``.
    """
    out = Path(out)
    wanted = [i for rec in description.empfehlung for i in rec.indikatoren]
    if description.art != "positionspapier" or not wanted:
        raise InputError(
            'Ein Positionspapier braucht art = "positionspapier" und [[empfehlung]] mit indikatoren.',
            hint="Siehe 'planlabor dossier beschreibung'.",
        )
    found: dict[str, Any] = {}
    items: dict[str, Any] = {}
    for src in sources:
        cat = _source_catalog(src)
        for ind in cat.indicators:
            if ind.id in wanted and ind.id not in found:
                found[ind.id] = ind
        items.update({v.id: v for v in cat.data_items})
    missing = [i for i in wanted if i not in found]
    if missing:
        raise InputError(
            f"Diese empfohlenen Indikatoren stehen in keiner Quelle: {', '.join(missing)}.",
            hint="Geben Sie mit --quelle die Vorlage an, die sie definiert.",
        )
    _prepare(out)
    inds = [found[i] for i in dict.fromkeys(wanted)]
    used = {v for ind in inds for v in ind.variables()}
    doc = {
        "template": {
            "format": "planlabor-vorlage",
            "format_version": 1,
            "name": description.titel,
            "version": version,
            "workspace": description.kommune or "Positionspapier",
            "created": datetime.now().replace(microsecond=0).isoformat(),
            "software": _software(),
            "description": description.zusammenfassung,
        },
        "themes": list(dict.fromkeys(i.theme for i in inds)),
        "indicator": [i.model_dump(exclude={"derived_from"}, exclude_none=True) for i in inds],
        "variable": [items[v].model_dump() for v in sorted(used) if v in items],
    }
    (out / TEMPLATE_FILE).write_text(tomli_w.dumps(doc), encoding="utf-8")
    d = Dossier.model_validate(description.model_dump())
    d.themen = d.themen or list(doc["themes"])
    d.methoden = d.methoden or ["Empfehlung"]
    d.inhalt["vorlage"] = TEMPLATE_FILE
    d.geheimhaltung = {"ergebnis": "keine Werte", "hinweis": "nur Definitionen, keine Daten"}
    return _finish(d, out, len(inds))


def _source_catalog(source: str) -> Any:
    """A template, shipped template, dossier or plain catalog file (catalog.toml)."""
    from planlabor.catalog.exchange import read_template
    from planlabor.catalog.model import load_catalog_files

    p = Path(source)
    if p.is_file() and p.suffix == ".toml" and "template" not in tomllib.loads(p.read_text("utf-8")):
        return load_catalog_files([p])
    return read_template(source)[1]


def template_of(source: str | Path) -> Path | None:
    """The template file of a dossier folder (or its dossier.toml); ``None`` for anything else."""
    p = Path(source)
    if not (p.is_dir() or p.name == DOSSIER_FILE) or not is_dossier(p):
        return None
    d = read_dossier(p)
    path = dossier_file(p).parent / d.inhalt.get("vorlage", TEMPLATE_FILE)
    if not path.is_file():
        raise InputError("Das Dossier enthält keine Vorlage (vorlage.toml).", file=dossier_file(p))
    return path


def template_doc(d: Dossier) -> dict[str, Any]:
    """The raw TOML of a dossier's template (empty if it has none)."""
    path = Path(d.ordner) / d.inhalt.get("vorlage", TEMPLATE_FILE)
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
