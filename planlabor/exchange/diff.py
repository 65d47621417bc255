"""Versions of a method template: what changed from A to B, and a changelog entry.

``planlabor template diff A B`` compares two templates (files, shipped names or dossiers):
indicators, index definitions, variables and the report layout, field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from planlabor.catalog.exchange import read_template

FIELD_NAMES = {
    "name": "Name",
    "numerator": "Zähler",
    "denominator": "Nenner",
    "factor": "Faktor",
    "variable": "Variable",
    "weight": "Gewicht",
    "unit": "Einheit",
    "source": "Quelle",
    "description": "Beschreibung",
    "min_count": "Mindestfallzahl",
    "polarity": "Polarität",
    "public": "öffentlich",
    "decimals": "Nachkommastellen",
    "theme": "Thema",
    "short_name": "Kurzname",
    "harmonisation": "Harmonisierung",
}


@dataclass
class Change:
    kind: str  # Indikator, Index, Variable, Berichtslayout
    id: str
    what: str  # neu, entfernt, geändert
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)


@dataclass
class TemplateDiff:
    a: str
    b: str
    version_a: str
    version_b: str
    changes: list[Change] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.changes

    def count(self, what: str) -> int:
        return sum(1 for c in self.changes if c.what == what)


def _by_id(items: list[Any]) -> dict[str, dict[str, Any]]:
    return {i.id: i.model_dump(exclude={"derived_from", "preset", "spec"}) for i in items}


def _compare(kind: str, a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> list[Change]:
    out = [Change(kind, k, "neu") for k in b if k not in a]
    out += [Change(kind, k, "entfernt") for k in a if k not in b]
    for k in a:
        if k in b and a[k] != b[k]:
            keys = list(dict.fromkeys([*a[k], *b[k]]))
            fields = [(f, a[k].get(f), b[k].get(f)) for f in keys if a[k].get(f) != b[k].get(f)]
            out.append(Change(kind, k, "geändert", fields))
    return out


def diff_templates(a: str | Path, b: str | Path) -> TemplateDiff:
    """Field-by-field differences between two templates."""
    ha, ca = read_template(a)
    hb, cb = read_template(b)
    res = TemplateDiff(str(a), str(b), str(ha.get("version", "")), str(hb.get("version", "")))
    res.changes += _compare("Indikator", _by_id(ca.indicators), _by_id(cb.indicators))
    res.changes += _compare("Index", _by_id(ca.indices), _by_id(cb.indices))
    res.changes += _compare("Variable", _by_id(ca.data_items), _by_id(cb.data_items))
    la, lb = ha.get("_report") or {}, hb.get("_report") or {}
    if la != lb:
        res.changes += _compare("Berichtslayout", {"report": la}, {"report": lb})
    return res


def _value(v: Any) -> str:
    if v is None or v == "" or v == []:
        return "—"
    if isinstance(v, list):
        return ", ".join(map(str, v))
    if isinstance(v, dict):
        return "{…}"
    return str(v)


def render_diff(d: TemplateDiff) -> list[str]:
    """The differences as lines for people (German)."""
    head = f"Vorlage {d.a} (Version {d.version_a}) → {d.b} (Version {d.version_b})"
    if d.same:
        return [head, "  keine Unterschiede"]
    lines = [
        head,
        f"  {d.count('neu')} neu, {d.count('entfernt')} entfernt, {d.count('geändert')} geändert",
    ]
    for c in d.changes:
        sign = {"neu": "+", "entfernt": "-", "geändert": "~"}[c.what]
        lines.append(f"{sign} {c.kind} {c.id}: {c.what}")
        for name, old, new in c.fields:
            label = FIELD_NAMES.get(name, name)
            lines.append(f"    {label}: {_value(old)} → {_value(new)}")
    return lines


def changelog_entry(d: TemplateDiff, when: date | None = None) -> str:
    """A Markdown section for ``CHANGELOG.md`` of a template."""
    when = when or date.today()
    out = [f"## Version {d.version_b} ({when.isoformat()})", ""]
    groups = {"neu": "Neu", "geändert": "Geändert", "entfernt": "Entfernt"}
    for what, title in groups.items():
        items = [c for c in d.changes if c.what == what]
        if not items:
            continue
        out.append(f"### {title}")
        for c in items:
            detail = "; ".join(f"{FIELD_NAMES.get(n, n)}: {_value(o)} → {_value(v)}" for n, o, v in c.fields)
            out.append(f"- {c.kind} `{c.id}`" + (f" ({detail})" if detail else ""))
        out.append("")
    if d.same:
        out += ["Keine Änderungen an Definitionen.", ""]
    return "\n".join(out)


def append_changelog(path: Path, d: TemplateDiff) -> Path:
    """Put the entry for ``d`` on top of the changelog (newest first)."""
    head = "# Änderungen der Vorlage\n\n"
    old = path.read_text(encoding="utf-8") if path.exists() else head
    body = old[len(head) :] if old.startswith(head) else old
    path.write_text(head + changelog_entry(d) + "\n" + body, encoding="utf-8")
    return path
