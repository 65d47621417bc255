"""Answers as data: counts per area and category become observations ``beteiligung_<id>_<cat>``
of an import of their own, declared in a catalog file of the consultation (minimum count from the
consultation), so the confidentiality rules, the audit, the atlas, the profile and the reports
treat them like every other count.  Public figures are read back only through
:func:`planlabor.confidentiality.pattern.public_values`."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planlabor.errors import ConfigError
from planlabor.participation.model import Answer, Consultation

CATALOG_DIR = "beteiligung"  # beteiligung/<id>.toml in the workspace, listed in planlabor.toml


def counts_frame(c: Consultation, answers: list[Answer]) -> pd.DataFrame:
    """Observations: every area of the consultation × (categories + number of answers); areas
    without answers count 0.  Rejected answers do not count."""
    n: Counter[tuple[str, str]] = Counter()
    for a in answers:
        if a.state == "abgelehnt" or a.area_id not in c.areas:
            continue
        n[(a.area_id, "antworten")] += 1
        for cat in set(a.categories) & set(c.categories):
            n[(a.area_id, cat)] += 1
    rows = [
        (
            c.layer,
            area,
            c.variable(cat) if cat != "antworten" else c.total_variable,
            c.period,
            float(n[(area, cat)]),
        )
        for area in c.areas
        for cat in [*c.categories, "antworten"]
    ]
    return pd.DataFrame(rows, columns=["layer_id", "area_id", "variable", "period", "value"])


def _s(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def catalog_text(c: Consultation) -> str:
    """The catalog entries of the consultation's counts (one file per consultation)."""
    theme = f"Beteiligung: {c.title}"
    window = f"{c.opens:%d.%m.%Y} bis {c.closes:%d.%m.%Y}"
    source = f"Befragung {c.title} ({window}), planlabor Beteiligung; abgelehnte Antworten nicht gezählt"
    out = [f"# Befragung {c.id}: geschrieben von 'planlabor beteiligung auswerten' (nicht von Hand ändern)\n"]
    items = [*c.categories.items(), ("antworten", "Antworten insgesamt")]
    target = c.target or "alle"
    desc = f"Zahl der Antworten, in denen {{what}} wurde, auf die Frage: {c.question} Zielgruppe: {target}. "
    desc += "Mehrfachnennungen möglich."
    for cat, label in items:
        iid = c.variable(cat) if cat != "antworten" else c.total_variable
        what = f"„{label}“ gewählt" if cat != "antworten" else "Antworten"
        out.append(
            "[[indicator]]\n"
            f"id = {_s(iid)}\nname = {_s(label if cat == 'antworten' else 'Es fehlt: ' + label)}\n"
            f'short_name = {_s(label)}\ntheme = {_s(theme)}\nunit = "Nennungen"\nnumerator = [{_s(iid)}]\n'
            f"decimals = 0\nmin_count = {c.min_count}\n"
            f"description = {_s(desc.replace('{what}', what))}\n"
            f"source = {_s(source)}\n"
        )
    return "\n".join(out)


def write_catalog(root: Path, c: Consultation) -> Path:
    """Write ``beteiligung/<id>.toml`` and list it in ``planlabor.toml`` (once)."""
    from planlabor.config import CONFIG_NAME

    rel = f"{CATALOG_DIR}/{c.id}.toml"
    (root / CATALOG_DIR).mkdir(exist_ok=True)
    (root / rel).write_text(catalog_text(c), encoding="utf-8")
    cfg = root / CONFIG_NAME
    text = cfg.read_text(encoding="utf-8")
    m = re.search(r"^catalog\s*=\s*\[(.*?)\]", text, re.M | re.S)
    if m is None:
        raise ConfigError(
            "In planlabor.toml fehlt die Zeile 'catalog = [...]'.",
            file=str(cfg),
            hint=f'Fügen Sie catalog = ["catalog.toml", "{rel}"] ein und werten Sie erneut aus.',
        )
    if _s(rel) not in m.group(1):
        listed = m.group(1).strip().rstrip(",")
        new = f"catalog = [{listed + ', ' if listed else ''}{_s(rel)}]"
        cfg.write_text(text[: m.start()] + new + text[m.end() :], encoding="utf-8")
    return root / rel


# ---------------------------------------------------------------- public figures
@dataclass
class PublicCounts:
    """Published counts of one consultation: rows = areas, columns = category labels (None:
    suppressed), plus ``Antworten``; ``suppressed`` = number of suppressed cells."""

    consultation: Consultation
    table: pd.DataFrame  # area_id, name, <label>…, Antworten
    suppressed: int


def public_counts(src: Any, c: Consultation) -> PublicCounts:
    """The consultation's counts as they may be published (``src``: store, catalog, rules)."""
    from planlabor.confidentiality.pattern import public_values

    ids = [c.variable(k) for k in c.categories] + [c.total_variable]
    known = [i for i in ids if src.catalog.get(i) is not None]
    df = public_values(src.store, src.catalog, src.rules, c.layer, known, [c.period]) if known else None
    labels = {c.variable(k): v for k, v in c.categories.items()} | {c.total_variable: "Antworten"}
    table = pd.DataFrame({"area_id": list(c.areas), "name": list(c.areas.values())})
    suppressed = 0
    for iid in ids:
        col = labels[iid]
        if df is None or iid not in set(df["indicator_id"]):
            table[col] = None
            continue
        sel = df[df["indicator_id"] == iid].set_index("area_id")
        table[col] = table["area_id"].map(sel["value"]).astype(object).where(table["area_id"].isin(sel.index))
        suppressed += int(sel["suppressed"].notna().sum())
    table = table.astype(object).where(pd.notna(table), None)
    return PublicCounts(c, table, suppressed)


def top_category(row: Mapping[Any, Any], labels: list[str]) -> str | None:
    """The category named most often in a row of published counts (None: nothing published)."""
    vals = [(float(row[lab]), lab) for lab in labels if row.get(lab) is not None and row[lab] > 0]
    if not vals:
        return None
    return max(vals, key=lambda t: t[0])[1]


def reference_sentence(src: Any, pc: PublicCounts, top: int = 5) -> str | None:
    """'In 4 der 5 Gebiete mit dem höchsten Wert „Kinderarmut“ nennen die Befragten am häufigsten:
    Spielplätze.' — over published values only; None without a reference indicator."""
    from planlabor.confidentiality.pattern import public_values

    c = pc.consultation
    ref = src.catalog.get(c.reference or "")
    if ref is None:
        return None
    vals = public_values(src.store, src.catalog, src.rules, c.layer, [ref.id])
    vals = vals[vals["area_id"].isin(c.areas) & vals["value"].notna()]
    if vals.empty:
        return None
    latest = vals[vals["period"] == vals["period"].max()]
    areas = latest.sort_values(["value", "area_id"], ascending=[False, True])["area_id"].head(top).tolist()
    rows = pc.table.set_index("area_id").to_dict("index")
    labels = list(c.categories.values())
    tops = [t for t in (top_category(rows[a], labels) for a in areas) if t]
    what = f"mit dem höchsten Wert „{ref.name}“"
    if not tops:
        return (
            f"In den {len(areas)} Gebieten {what} sind zu wenige Antworten veröffentlicht "
            f"(Mindestfallzahl {c.min_count})."
        )
    label, k = Counter(tops).most_common(1)[0]
    return f"In {k} der {len(areas)} Gebiete {what} nennen die Befragten am häufigsten: {label}."
