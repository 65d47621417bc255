"""The "Planlabor" checklist: what a municipality starting a monitoring needs.

Which data (from the data-request checklists of the chosen theme templates), which spatial
layers, which indicators, which report; shown in the gallery (``planlabor.html``) and printed or
written by ``planlabor galerie checkliste``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STARTER_TEMPLATES = ["familienarmut", "arbeit", "armut"]

LAYERS = [
    "Gesamtstadt bzw. Kreis als oberste Ebene (Vergleichswert jeder Karte und jedes Profils)",
    "Stadtteile oder Bezirke als Berichtsebene (Kapitel und Rangfolgen)",
    "Kleinräumige Ebene (Planungsräume, statistische Bezirke, Grätzl) mit meist 2.000 bis "
    "10.000 Einwohner:innen: Geometrien als Shapefile/GeoPackage mit Schlüsseln "
    "(planlabor areas import)",
    "Zuordnung der Ebenen zueinander (planlabor areas link) und, bei Gebietsreformen, eine "
    "Umschlüsselung (planlabor areas crosswalk)",
]
REPORT = [
    "Sozialbericht mit einem Kapitel je Fachthema (planlabor report sozialbericht)",
    "Sozialraumprofile je Gebiet (planlabor report profile)",
    "Öffentlicher Sozialatlas als statischer Ordner (planlabor atlas build)",
    "Methodenanhang mit allen Definitionen (planlabor report methods)",
    "Ein Dossier des Vorhabens für die Galerie (planlabor dossier export)",
]
RULES = [
    "Mindestfallzahl für die Veröffentlichung festlegen (Geheimhaltung, planlabor.toml)",
    "Datenlieferungen vereinbaren: Stichtag, Lieferweg, Ansprechperson je Datenhalter",
    "Beteiligte benennen: Fachämter, Jobcenter, Jugendamt, Träger, Politik",
    "Wirkung messen: Maßnahmen mit Beginn und Gebiet erfassen (planlabor massnahme import)",
]


def starter_sections(templates: list[str] | None = None) -> list[dict[str, Any]]:
    """The checklist as sections (title, items) for the theme templates ``templates``."""
    from planlabor.catalog.checklist import checklist
    from planlabor.catalog.exchange import read_template

    names = templates or STARTER_TEMPLATES
    data: dict[str, str] = {}
    indicators: list[str] = []
    for name in names:
        header, cat = read_template(name)
        for rec in checklist(cat).to_dict("records"):
            who = rec["Datenhalter"] or "Datenhalter klären"
            data.setdefault(rec["Variable"], f"{rec['Bezeichnung'] or rec['Variable']} – {who}")
        indicators += [f"{i.name} ({header.get('name', name)}: {i.id})" for i in cat.indicators]
    return [
        {"title": "Welche Daten", "items": list(data.values())},
        {"title": "Welche Raumebenen", "items": LAYERS},
        {"title": "Welche Indikatoren", "items": indicators},
        {"title": "Welcher Bericht", "items": REPORT},
        {"title": "Regeln und Beteiligung", "items": RULES},
    ]


def write_starter(out: Path, templates: list[str] | None = None) -> Path:
    """The checklist as Markdown (``.md``) or plain text."""
    lines = ["# Planlabor: Checkliste für den Start eines Monitorings", ""]
    for n, sec in enumerate(starter_sections(templates), 1):
        lines += [f"## {n}. {sec['title']}", ""] + [f"- [ ] {item}" for item in sec["items"]] + [""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    return out
