"""Seed content of the gallery: dossiers from the two demos, the theme templates and an
example position paper, so a new user sees a real gallery at once (``make demo``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from planlabor.exchange.dossier import DossierReport, _finish, _prepare, export_dossier, export_position_paper
from planlabor.exchange.model import (
    TEMPLATE_FILE,
    Description,
    Dossier,
    add_visitation,
    read_description,
    read_visitation,
)

THEME_LABELS = {
    "familienarmut": "Familienarmut",
    "wohnen": "Wohnen",
    "bildung": "Bildung",
    "integration": "Migration und Integration",
    "inklusion": "Inklusion",
    "jugendhilfe": "Jugendhilfe",
    "arbeit": "Arbeit",
    "armut": "Armut und Reichtum",
    "dach": "D-A-CH-Vergleich",
}


def seed_file(name: str) -> Path:
    return Path(str(resources.files("planlabor.exchange").joinpath(f"seed/{name}")))


def template_dossier(name: str, out: Path) -> DossierReport:
    """A dossier of a shipped theme template (kind ``vorlage``): its definitions, no data."""
    from planlabor import __version__
    from planlabor.catalog.exchange import SHIPPED, read_template

    text = resources.files("planlabor.catalog").joinpath(f"templates/{name}.toml").read_text("utf-8")
    _, cat = read_template(name)
    _prepare(out)
    header = {
        "template": {
            "format": "planlabor-vorlage",
            "format_version": 1,
            "name": f"Fachvorlage {THEME_LABELS.get(name, name)}",
            "version": f"planlabor {__version__}",
            "workspace": "planlabor",
            "created": datetime.now().replace(microsecond=0).isoformat(),
            "software": f"planlabor {__version__}",
            "description": SHIPPED[name],
        }
    }
    (out / TEMPLATE_FILE).write_text(text.rstrip("\n") + "\n\n" + tomli_w.dumps(header), encoding="utf-8")
    desc = Description(
        titel=f"Fachvorlage {THEME_LABELS.get(name, name)}",
        art="vorlage",
        kommune="planlabor",
        land="DE",
        raumtyp="alle" if name != "dach" else "NUTS 3/2 (D-A-CH)",
        themen=list(cat.themes),
        methoden=["Indikatorenkatalog"] + (["Datenanforderung"] if cat.data_items else []),
        zusammenfassung=SHIPPED[name],
        beschreibung={
            "vorgehen": f"{len(cat.indicators)} Indikatordefinitionen mit Quellen; "
            f"{len(cat.data_items)} beschriebene Variablen für die Datenanforderung "
            f"(planlabor template checklist {name})."
        },
        lizenz="wie planlabor (Definitionen nach amtlichen Quellen, im Katalog genannt)",
    )
    d = Dossier.model_validate(desc.model_dump())
    d.inhalt["vorlage"] = TEMPLATE_FILE
    d.geheimhaltung = {"ergebnis": "keine Werte", "hinweis": "nur Definitionen, keine Daten"}
    return _finish(d, out, len(cat.indicators))


def build_seed(
    out: Path,
    berlin: Path | None = None,
    deutschland: Path | None = None,
    themes: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[DossierReport]:
    """Write the seed dossiers into ``out`` (one sub-folder each)."""
    from planlabor.catalog.exchange import THEME_SETS

    say = progress or (lambda _m: None)
    out.mkdir(parents=True, exist_ok=True)
    reports: list[DossierReport] = []
    if berlin is not None:
        say("Dossier der Berlin-Demo …")
        pdf = berlin / "exporte" / "berichte" / "sozialbericht.pdf"
        reports.append(
            _from_demo(berlin, out / "berlin-sozialmonitoring", "berlin.toml", pdf if pdf.exists() else True)
        )
        add_visitation(out / "berlin-sozialmonitoring", read_visitation(seed_file("visitation_berlin.toml")))
    if deutschland is not None:
        say("Dossier der Deutschland-Demo …")
        reports.append(_from_demo(deutschland, out / "deutschland-kreise", "deutschland.toml", True, "kreis"))
    for name in themes if themes is not None else [*THEME_SETS, "dach"]:
        reports.append(template_dossier(name, out / f"vorlage-{name}"))
    paper = read_description(seed_file("positionspapier_kinderarmut.toml"))
    reports.append(export_position_paper(paper, ["familienarmut"], out / "positionspapier-kinderarmut"))
    return reports


def _from_demo(root: Path, out: Path, seed: str, report: Any, layer: str | None = None) -> DossierReport:
    from planlabor.workspace import Workspace

    with Workspace.open(root, read_only=True) as ws:
        return export_dossier(ws, out, read_description(seed_file(seed)), report=report, report_layer=layer)


def demo_gallery(root: Path, region: str = "berlin") -> Any:
    """The gallery beside a demo's atlas: ``root/galerie`` from the dossiers in
    ``root/galerie-dossiers`` (this demo, the theme templates, the example position paper)."""
    from planlabor.exchange.gallery import build_gallery

    dossiers = root / "galerie-dossiers"
    if dossiers.exists():
        import shutil

        shutil.rmtree(dossiers)
    if region == "deutschland":
        build_seed(dossiers, deutschland=root)
    else:
        build_seed(dossiers, berlin=root)
    return build_gallery(dossiers, root / "galerie")
