"""Side-by-side comparison of indicator definitions and report structures across dossiers.

Indicators of different dossiers are compared under one *concept* (Kinderarmut, Altersarmut, …):
the dossier's own ``[begriffe]`` table names it explicitly, otherwise the rules below recognise
it from the indicator's ID, name and variables.  Each row (numerator, denominator, source, age
limits, …) marks the cells that differ from the most common entry of the row.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from planlabor.exchange.model import Dossier

_SGB = r"sgb[ _-]?(ii|2)\b|sgb2|transfer|leistungsbe|armut|grundsicherung|nef"
_CHILD = r"\bu1[58]\b|_u1[58]|unter[ _-]?1[58]|kinderarmut"
CONCEPTS: list[tuple[str, list[str], list[str]]] = [
    # concept, patterns that must all match (core text), patterns that must not match
    ("Kinderarmut", [_SGB, _CHILD], []),
    ("Altersarmut", [r"altersarmut|grundsicherung[ _-]?(im[ _-]?)?alter|grundsicherung_alter"], []),
    ("Jugendarbeitslosigkeit", [r"jugendarbeitslos|arbeitslos.*(u25|unter[ _-]?25)"], []),
    ("Langzeitarbeitslosigkeit", [r"langzeitarbeitslos"], []),
    ("Arbeitslosigkeit", [r"arbeitslos"], [r"jugend|u25|unter[ _-]?25|langzeit"]),
    ("SGB-II-Quote", [r"sgb[ _-]?ii[ _-]?quote|sgb2[ _-]?quote|sgb-ii-quote"], [_CHILD, r"xii|u25|ausl"]),
    ("Alleinerziehende", [r"alleinerziehend"], []),
    ("Ausländeranteil", [r"ausl(ae|ä)nder"], [r"transfer|sgb|veränderung|veraenderung|nicht-eu|nicht_eu"]),
]
ROWS = [
    ("name", "Name"),
    ("numerator", "Zähler"),
    ("denominator", "Nenner"),
    ("factor", "Faktor"),
    ("unit", "Einheit"),
    ("ages", "Altersgrenzen"),
    ("source", "Quelle"),
    ("min_count", "Mindestfallzahl"),
    ("polarity", "Polarität"),
    ("description", "Beschreibung"),
]


@dataclass
class Row:
    label: str
    cells: list[str]
    differs: list[bool]

    @property
    def uniform(self) -> bool:
        return not any(self.differs)


@dataclass
class Table:
    title: str
    anchor: str
    columns: list[tuple[str, str]]  # (dossier ID, heading)
    rows: list[Row] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(1 for r in self.rows if not r.uniform)


def _core(ind: dict[str, Any]) -> str:
    parts = [
        ind.get("id", ""),
        ind.get("name", ""),
        ind.get("short_name", "") or "",
        ind.get("variable") or "",
    ]
    parts += list(ind.get("numerator", [])) + list(ind.get("denominator", []))
    return " ".join(str(p) for p in parts).lower()


def concept_of(ind: dict[str, Any], explicit: dict[str, str] | None = None) -> str | None:
    """The compared concept of one indicator definition (``None``: not compared)."""
    if explicit and ind.get("id") in explicit:
        return explicit[ind["id"]]
    text = _core(ind)
    for name, must, must_not in CONCEPTS:
        if all(re.search(p, text) for p in must) and not any(re.search(p, text) for p in must_not):
            return name
    return None


_AGE_PATTERNS = [
    (r"(\d{1,2})[_ -]?bis[_ -]?(?:unter[_ -]?)?(\d{1,2})", "{0} bis unter {1}"),
    (r"(?:\bu|_u|unter[_ -]?)(\d{1,2})(?!\d)", "unter {0}"),
    (r"(\d{1,2})[_ ]?(?:plus|\+|und älter|und_aelter)|\bab[_ ](\d{1,2})", "ab {0}"),
]


def age_limits(ind: dict[str, Any]) -> str:
    """Age limits named in the definition's variables and name, e.g. ``unter 15``."""
    text = " ".join([ind.get("name", ""), *ind.get("numerator", []), *ind.get("denominator", [])])
    text = text.lower()
    found: list[str] = []
    for pattern, form in _AGE_PATTERNS:
        for m in re.finditer(pattern, text):
            groups = [g for g in m.groups() if g]
            found.append(form.format(*groups))
            text = text.replace(m.group(0), " ")
    return ", ".join(dict.fromkeys(found))


def _label(var: str, items: dict[str, dict[str, Any]]) -> str:
    item = items.get(var)
    return f"{var} ({item['name']})" if item and item.get("name") else var


def _cell(key: str, ind: dict[str, Any], items: dict[str, dict[str, Any]]) -> str:
    if key == "ages":
        return age_limits(ind)
    if key in ("numerator", "denominator"):
        vars_ = ind.get(key) or ([ind["variable"]] if key == "numerator" and ind.get("variable") else [])
        return " + ".join(_label(v, items) for v in vars_) if vars_ else "—"
    if key == "factor":
        return "—" if ind.get("variable") else f"{float(ind.get('factor', 1)):g}".replace(".", ",")
    value = ind.get(key)
    return "—" if value in (None, "", []) else str(value)


def mark_differences(cells: list[str]) -> list[bool]:
    """True where a cell differs from the most common entry of its row."""
    if len(set(cells)) <= 1:
        return [False] * len(cells)
    common, n = Counter(cells).most_common(1)[0]
    if n == 1:  # no majority: every cell is its own definition
        return [True] * len(cells)
    return [c != common for c in cells]


def _heading(d: Dossier) -> str:
    return f"{d.kommune}: {d.titel}" if d.kommune else d.titel


def indicator_tables(dossiers: list[tuple[str, Dossier, dict[str, Any]]]) -> list[Table]:
    """One table per concept that at least two dossiers define (dossier ID, dossier, template)."""
    by_concept: dict[str, list[tuple[str, str, dict[str, Any], dict[str, dict[str, Any]]]]] = {}
    for did, d, tpl in dossiers:
        items = {v["id"]: v for v in tpl.get("variable", [])}
        seen: set[str] = set()
        for ind in tpl.get("indicator", []):
            concept = concept_of(ind, d.begriffe)
            if concept and concept not in seen:
                seen.add(concept)
                by_concept.setdefault(concept, []).append((did, _heading(d), ind, items))
    tables = []
    order = [c[0] for c in CONCEPTS]
    for concept in sorted(by_concept, key=lambda c: (order.index(c) if c in order else 99, c)):
        entries = by_concept[concept]
        if len(entries) < 2:
            continue
        plain = concept.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
        t = Table(concept, "begriff-" + re.sub(r"[^a-z0-9]+", "-", plain).strip("-"), [])
        t.columns = [(did, f"{head} ({ind['id']})") for did, head, ind, _ in entries]
        for key, label in ROWS:
            cells = [_cell(key, ind, items) for _, _, ind, items in entries]
            t.rows.append(Row(label, cells, mark_differences(cells)))
        tables.append(t)
    return tables


def report_table(dossiers: list[tuple[str, Dossier, dict[str, Any]]]) -> Table:
    """Report structures: titles, chapters (the Sozialbericht has one per theme), key figures.

    Compares the project dossiers (or, with fewer than two, every dossier but position papers).
    """
    projects = [x for x in dossiers if x[1].art == "projekt"]
    dossiers = projects if len(projects) >= 2 else [x for x in dossiers if x[1].art != "positionspapier"]
    t = Table("Berichtsstruktur", "berichtsstruktur", [(did, _heading(d)) for did, d, _ in dossiers])
    layouts = [tpl.get("report", {}) for _, _, tpl in dossiers]
    chapters = [list(tpl.get("themes", [])) or list(d.themen) for _, d, tpl in dossiers]
    rows: list[tuple[str, list[str]]] = [
        ("Berichtstitel", [lay.get("report_title", "Sozialbericht") for lay in layouts]),
        ("Profiltitel", [lay.get("profile_title", "Sozialraumprofil") for lay in layouts]),
        ("Anzahl Kapitel", [str(len(c)) for c in chapters]),
    ]
    for theme in dict.fromkeys(x for c in chapters for x in c):
        rows.append(
            (f"Kapitel „{theme}“", [f"Kapitel {c.index(theme) + 1}" if theme in c else "—" for c in chapters])
        )
    rows.append(
        ("Kennzahlen im Profil", [", ".join(lay.get("key_indicators", [])) or "—" for lay in layouts])
    )
    rows.append(
        ("Indizes", [", ".join(i["id"] for i in tpl.get("index", [])) or "—" for _, _, tpl in dossiers])
    )
    t.rows = [Row(label, cells, mark_differences(cells)) for label, cells in rows]
    return t
