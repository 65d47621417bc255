"""A starter catalog from the imported variables: a new workspace is never a dead end.

For every imported variable without an indicator: a count (summed up the
hierarchy) where the file says it counts (unit "Anzahl", whole numbers), the
value as published where it is a rate, share or mean; and for counts that
belong to a total of the same table ("Insgesamt") the share of that total.
Labels and units come from what the file stated (``variable_info``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import tomli_w

from planlabor.catalog.model import Catalog
from planlabor.io.headers import slug
from planlabor.store import Store

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_TOTAL = re.compile(r"(?i)(^|_|\s)(insgesamt|gesamt|total|zusammen|e_e)$")


@dataclass
class Suggestion:
    id: str
    name: str
    kind: str  # "anzahl", "quote", "wert"
    fields: dict[str, object]
    reason: str


def suggest(store: Store, catalog: Catalog) -> list[Suggestion]:
    """Indicator suggestions for the variables no indicator uses yet."""
    info = store.variable_info()
    stats = _value_stats(store)
    used = _used_variables(catalog)
    known = set(catalog.ids())
    out: list[Suggestion] = []
    rows: dict[str, object] = {str(r.variable): r for r in info.itertuples(index=False)}
    for var in sorted(set(stats.index)):
        if var in used:
            continue
        r = rows.get(var)
        label = _text(r, "label") or var
        unit = _text(r, "unit")
        kind = _text(r, "kind") or _kind_from_values(stats.loc[var])
        source = _text(r, "source") or ""
        out.append(_one(var, label, unit, kind, source))
    out += _shares(out, rows)
    return [s for s in out if s.id not in known]


def _one(var: str, label: str, unit: str | None, kind: str, source: str) -> Suggestion:
    """A count (summed up the hierarchy) or a value taken over as published; ids valid for the catalog."""
    sid = var if _ID.match(var) else slug(var)
    base: dict[str, object] = {"theme": "Importierte Daten", "source": source}
    if kind == "anzahl":
        fields: dict[str, object] = {**base, "unit": unit or "Anzahl", "numerator": [var]}
        return Suggestion(sid, label, "anzahl", fields, "Zählwert (wird über die Ebenen summiert)")
    fields = {**base, "unit": unit or "", "variable": var, "decimals": 2}
    return Suggestion(
        sid, label, "wert", fields, "Quote, Anteil oder Mittelwert, wie veröffentlicht (nicht summierbar)"
    )


def _text(row: object, field: str) -> str | None:
    """A text field of a ``variable_info`` row; missing values (None, NaN) are None."""
    value = getattr(row, field, None) if row is not None else None
    return value if isinstance(value, str) and value else None


def _shares(counts: list[Suggestion], rows: dict[str, object]) -> list[Suggestion]:
    """Shares of a total of the same table: ``svb_…_ohne_berufsabschluss`` / ``svb_…_insgesamt``."""
    totals = [s for s in counts if s.kind == "anzahl" and _TOTAL.search(s.id)]
    out: list[Suggestion] = []
    for total in totals:
        stem = _TOTAL.sub("", total.id)
        for s in counts:
            if s.kind != "anzahl" or s is total or not s.id.startswith(stem) or _TOTAL.search(s.id):
                continue
            sid = f"anteil_{s.id}"[:64]
            num, den = _var(s), _var(total)
            out.append(
                Suggestion(
                    sid,
                    f"Anteil {s.name} an {total.name}",
                    "quote",
                    {
                        "theme": "Importierte Daten",
                        "unit": "%",
                        "numerator": [num],
                        "denominator": [den],
                        "factor": 100,
                        "source": s.fields.get("source", ""),
                    },
                    f"Anteil an {total.id} (Gesamtzahl derselben Tabelle)",
                )
            )
    return out


def _var(s: Suggestion) -> str:
    numerator = s.fields.get("numerator")
    return str(numerator[0]) if isinstance(numerator, list) and numerator else s.id


def _value_stats(store: Store) -> pd.DataFrame:
    return store.query_df(
        """SELECT variable, count(value) AS n, min(value) AS lo,
                  bool_and(value IS NULL OR value = round(value)) AS whole
           FROM observations WHERE superseded_by IS NULL GROUP BY variable"""
    ).set_index("variable")


def _kind_from_values(row: pd.Series) -> str:
    return "anzahl" if bool(row["whole"]) and (row["lo"] is None or row["lo"] >= 0) else "wert"


def _used_variables(catalog: Catalog) -> set[str]:
    used: set[str] = set()
    for d in catalog.indicators:
        used.update(d.numerator)
        used.update(d.denominator)
        if d.variable:
            used.add(d.variable)
    return used


def apply(path: Path, items: list[Suggestion]) -> None:
    """Append the suggestions to a catalog file, but only if the result is a valid catalog."""
    from planlabor.catalog.model import _parse

    text = path.read_text(encoding="utf-8").rstrip() + "\n\n" + to_toml(items)
    _parse(text, str(path))  # raises ConfigError, nothing written
    path.write_text(text, encoding="utf-8")


def to_toml(items: list[Suggestion]) -> str:
    """The suggestions as catalog TOML (``[[indicator]]`` tables), commented with the reason."""
    parts = [
        "# Vorschlag aus den importierten Variablen (planlabor catalog suggest). Prüfen und anpassen:\n"
        "# Polarität, Thema und Mindestfallzahl (min_count) kennt nur die Fachplanung.\n"
    ]
    for s in items:
        table = {
            "indicator": [
                {"id": s.id, "name": s.name, **{k: v for k, v in s.fields.items() if v not in ("", None)}}
            ]
        }
        parts.append(f"\n# {s.reason}\n" + tomli_w.dumps(table))
    return "".join(parts)
