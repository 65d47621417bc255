"""Official names and levels of the D-A-CH area systems, built in.

Länder and Regierungsbezirke (incl. the statistical regions that keep a
Regierungsbezirk code), Austrian Bundesländer and Vienna's districts, Swiss
Kantone by number and abbreviation — from ``data/amtliche_gebiete.csv``.
Levels follow from the length of a German AGS/ARS (2 Land, 3
Regierungsbezirk, 5 Kreis, 8 Gemeinde, 9 Gemeindeverband, 12 Gemeinde) and of
an Austrian Gemeindekennziffer (1 Bundesland, 3 Bezirk, 5 Gemeinde).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

DE_LEVELS = {
    2: "land",
    3: "regierungsbezirk",
    5: "kreis",
    8: "gemeinde",
    9: "gemeindeverband",
    12: "gemeinde",
}
AT_LEVELS = {1: "bundesland", 3: "bezirk", 5: "gemeinde"}
LEVEL_NAMES = {
    "staat": ("Staat", "Staaten"),
    "land": ("Land", "Länder"),
    "regierungsbezirk": ("Regierungsbezirk", "Regierungsbezirke"),
    "kreis": ("Kreis", "Kreise"),
    "gemeindeverband": ("Gemeindeverband", "Gemeindeverbände"),
    "gemeinde": ("Gemeinde", "Gemeinden"),
    "bundesland": ("Bundesland", "Bundesländer"),
    "bezirk": ("Bezirk", "Bezirke"),
    "kanton": ("Kanton", "Kantone"),
}


@cache
def _table() -> dict[tuple[str, str], dict[str, str]]:
    text = resources.files("planlabor.areas").joinpath("data/amtliche_gebiete.csv").read_text("utf-8")
    out: dict[tuple[str, str], dict[str, str]] = {}
    for row in csv.DictReader(text.splitlines(), delimiter=";"):
        out.setdefault((row["system"], row["ebene"]), {})[row["schluessel"]] = row["name"]
    return out


def official_names(system: str, level: str) -> dict[str, str]:
    """Key → official name of one level (e.g. ``("de", "land")``)."""
    return dict(_table().get((system, level), {}))


def detect_system(keys: list[str]) -> str | None:
    """``de``, ``at`` or ``ch`` from the keys of a layer, or ``None`` when unclear."""
    digits = [k for k in keys if k.isdigit()]
    if not keys or len(digits) < 0.9 * len(keys):
        return None
    widths = {len(k) for k in digits}
    german = widths <= set(DE_LEVELS) and all(1 <= int(k[:2]) <= 16 for k in digits if len(k) >= 2)
    if german and (any(k.startswith("0") for k in digits) or widths & {8, 9, 12}):
        return "de"
    if widths <= {5} and all(k[0] != "0" for k in digits):
        return "at"
    if widths <= {1, 2, 3, 4}:
        return "ch"
    return None


def names_for_prefix(system: str | None, length: int) -> dict[str, str]:
    """Official names of the areas formed by the first ``length`` characters of the keys."""
    if system == "de":
        level = DE_LEVELS.get(length)
        return official_names("de", level) if level else {}
    if system == "at" and length == 1:
        return official_names("at", "bundesland")
    return {}


def level_label(system: str | None, length: int) -> tuple[str, str] | None:
    """(singular, plural) of the level formed by keys of this length."""
    level = (DE_LEVELS if system == "de" else AT_LEVELS if system == "at" else {}).get(length)
    return LEVEL_NAMES.get(level) if level else None


def finest_layer(layers: list[tuple[str, str | None, int, bool]]) -> str | None:
    """The finest layer of a workspace: no other layer's parent, most areas, with geometry first.

    ``layers`` are (layer_id, parent_layer, number of areas, has geometry).
    """
    parents = {p for _, p, _, _ in layers if p}
    leaves = [x for x in layers if x[0] not in parents] or layers
    if not leaves:
        return None
    return max(leaves, key=lambda x: (x[3], x[2]))[0]
