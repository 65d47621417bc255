"""Area keys of Germany, Austria and Switzerland as publishers write them, matched to a layer.

The same area appears under many spellings: an AGS with or without its
leading zero (Excel), with trailing zeros (``01001000`` for the Kreis
``01001``), BFS Gemeindenummern as number or text (``1``, ``0001``,
``......0001``), Statistik Austria codes with a prefix (``B00-9``), Vienna's
districts as ``90100``, ``91301``, ``1130`` or ``13``, and areas by name.
:class:`KeyMatcher` tries these forms in a fixed order against the keys of the
workspace's layers and records *how* each key was matched, so the dry run can
show it.  Official names (Länder, Regierungsbezirke, Bundesländer, Kantone)
and levels from key lengths are built in (:mod:`planlabor.areas.official`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

_QUOTES = re.compile(r'^[\'"]+|[\'"]+$')
_CODE_PREFIX = re.compile(r"^[A-Za-z]+\d*[-_](\d+)$")
_WIEN_5 = re.compile(r"^9(\d\d)0[01]$")  # 90100 (Stadt Wien OGD), 91301 (Statistik Austria)
_WIEN_4 = re.compile(r"^1(\d\d)0$")  # 1130 (Stadt Wien WFS DISTRICT_CODE)
_NAME_SUFFIX = re.compile(
    r",\s*(kreisfreie stadt|landkreis|kreis|stadt|landeshauptstadt|hansestadt|universitätsstadt|"
    r"wissenschaftsstadt|stadtkreis|krfr\. stadt)\b.*$",
    re.I,
)


def clean_key(text: str | None) -> str:
    """A key cell without quotes, spaces, spreadsheet ``.0`` or BFS indentation dots."""
    if text is None:
        return ""
    if isinstance(text, str) and text.isalnum():  # the common case: nothing to clean
        return text
    t = _QUOTES.sub("", str(text).strip()).strip()
    t = t.replace("\u00a0", "").replace(" ", "") if t.replace(" ", "").isdigit() else t
    if t.endswith(".0") and t[:-2].isdigit():
        t = t[:-2]
    return t.lstrip(".")


def name_key(text: str | None) -> str:
    """A name as compared across publishers: case, accents, spaces and type suffix ignored."""
    if not text:
        return ""
    t = text.strip().lstrip(".->").strip()
    t = t.casefold().replace("ß", "ss")
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode()
    t = re.sub(r"\s+", " ", t)
    return t.strip(" .,;")


def short_name_key(text: str | None) -> str:
    """``name_key`` without the type suffix (``Flensburg, Stadt`` → ``flensburg``)."""
    if not text:
        return ""
    return name_key(_NAME_SUFFIX.sub("", text.strip()))


_FILL_WORDS = {"a", "am", "an", "b", "bei", "d", "dem", "den", "der", "i", "im", "in", "o", "ob", "v", "vor"}
_SHORT_FORMS = {"st": "sankt", "opf": "oberpfalz", "oldb": "oldenburg", "obb": "oberbayern"}


def loose_name_key(text: str | None) -> str:
    """A name without type suffix, fill words and brackets, with the official short forms written
    out: ``Weiden i.d.OPf.`` and ``Weiden in der Oberpfalz`` both give ``weiden oberpfalz``."""
    words = re.split(r"[^a-z0-9]+", short_name_key(text))
    return " ".join(_SHORT_FORMS.get(w, w) for w in words if w and w not in _FILL_WORDS)


def _wien(key: str) -> str | None:
    for pattern in (_WIEN_5, _WIEN_4):
        m = pattern.match(key)
        if m and 1 <= int(m.group(1)) <= 23:
            return str(int(m.group(1)))
    if key.isdigit() and len(key) <= 2 and 1 <= int(key) <= 23:
        return str(int(key))
    return None


def _lstrip_zeros(key: str) -> str | None:
    return key.lstrip("0") or "0" if key.isdigit() else None


def _code_suffix(key: str) -> str | None:
    m = _CODE_PREFIX.match(key)
    return m.group(1) if m else None


def _suffix_digits(key: str) -> str | None:
    s = _code_suffix(key)
    return _lstrip_zeros(s) if s else None


def _all_keys(fn: Callable[[str], str | None]) -> Callable[[list[str]], bool]:
    return lambda keys: 0 < len(keys) <= 40 and all(fn(k) is not None for k in keys)


# Forms tried after an exact match, in this order: (name, form of a layer key, form of a file key,
# whether the form applies to a layer at all).
FORMS: list[
    tuple[str, Callable[[str], str | None], Callable[[str], str | None], Callable[[list[str]], bool]]
] = [
    ("ohne führende Nullen", _lstrip_zeros, _lstrip_zeros, lambda keys: True),
    ("Code ohne Präfix", _lstrip_zeros, _suffix_digits, lambda keys: True),
    ("Wiener Bezirkskennziffer", _wien, _wien, _all_keys(_wien)),
]


@dataclass
class Match:
    layer_id: str
    area_id: str
    how: str  # "Schlüssel", "ohne führende Nullen", "gekürzt (Nullen am Ende)", "Name", …


@dataclass
class LayerKeys:
    """The keys and names of one layer, indexed in every comparable form."""

    layer_id: str
    keys: list[str]
    names: dict[str, str | None]
    exact: set[str] = field(init=False)
    forms: dict[str, dict[str, str | None]] = field(init=False)  # form → comparable → key (None: ambiguous)
    by_name: dict[str, list[str]] = field(init=False)
    widths: set[int] = field(init=False)
    ags: dict[str, str] = field(init=False)  # 8-digit AGS → 12-digit ARS of a Gemeinde layer
    official: dict[str, str] = field(init=False)  # official code of a sibling system → key (ZH → 1)

    def __post_init__(self) -> None:
        self.exact = set(self.keys)
        self.widths = {len(k) for k in self.keys}
        self.ags = {k[:5] + k[9:]: k for k in self.keys if len(k) == 12 and k.isdigit()}
        self.official = official_codes(self.keys)
        self.forms = {}
        for form, layer_fn, _, applies in FORMS:
            index: dict[str, str | None] = {}
            if applies(self.keys):
                for k in self.keys:
                    c = layer_fn(k)
                    if c is not None:
                        index[c] = None if c in index and index[c] != k else k
            self.forms[form] = index
        self.by_name = defaultdict(list)
        for k, n in self.names.items():
            for nk in {name_key(n), short_name_key(n), loose_name_key(n)}:
                if nk and k not in self.by_name[nk]:
                    self.by_name[nk].append(k)

    def match_key(self, key: str) -> tuple[str, str] | None:
        """(area_id, how) for a cleaned key, or ``None``."""
        if key in self.exact:
            return key, "Schlüssel"
        if key.isdigit() and len(self.widths) == 1:
            (w,) = self.widths
            if len(key) < w and key.zfill(w) in self.exact:
                return key.zfill(w), "führende Nullen ergänzt"
            if len(key) > w and set(key[w:]) == {"0"} and key[:w] in self.exact:
                return key[:w], "gekürzt (Nullen am Ende)"
        if len(key) == 8 and key in self.ags:
            return self.ags[key], "AGS zum ARS"
        if key in self.official:
            return self.official[key], "amtliches Kürzel"
        for form, _, file_fn, _ in FORMS:
            c = file_fn(key)
            hit = self.forms[form].get(c) if c is not None else None
            if hit:
                return hit, form
        return None

    def match_name(self, name: str) -> list[str]:
        """Keys of the areas with this name (several: ambiguous); "Bern / Berne" tries each part;
        "Mühldorf am Inn" finds "Mühldorf a.Inn", "Sankt Wendel" finds "St. Wendel"."""
        for part in [name, *name.split(" / ")]:
            hits = (
                self.by_name.get(name_key(part))
                or self.by_name.get(short_name_key(part))
                or self.by_name.get(loose_name_key(part))
            )
            if hits:
                return _by_kreis_type(part, list(hits))
        return []


_CITY = re.compile(r"(?i)(kreisfreie stadt|krfr\.? stadt|stadtkreis|,\s*stadt\b|\(stadt\)|\bsk\b)")
_RURAL = re.compile(r"(?i)(landkreis|,\s*kreis\b|\(kreis\)|\(lk\)|\blk\b)")


def _by_kreis_type(name: str, hits: list[str]) -> list[str]:
    """A German city and its Landkreis of the same name ("Osnabrück, kreisfreie Stadt" and
    "Osnabrück, Landkreis"): the AGS numbers the kreisfreie Städte of a Regierungsbezirk before
    its Landkreise, so the type in the name picks the smaller or the larger key."""
    if len(hits) != 2 or not all(len(h) == 5 and h.isdigit() and h[:3] == hits[0][:3] for h in hits):
        return hits
    if _CITY.search(name):
        return [min(hits)]
    if _RURAL.search(name):
        return [max(hits)]
    return hits


class KeyMatcher:
    """Matches the keys (and names) of a file against a target layer and the other layers."""

    def __init__(self, layers: Iterable[LayerKeys], target: str) -> None:
        self.layers = {lk.layer_id: lk for lk in layers}
        self.target = target

    def match(self, key: str, name: str | None = None) -> Match | None:
        """The area of the target layer this row belongs to, or of another layer (other level)."""
        k = clean_key(key)
        lk = self.layers[self.target]
        if k:
            hit = lk.match_key(k)
            if hit:
                return Match(self.target, hit[0], hit[1])
        elif name:
            found = lk.match_name(name)
            if len(found) == 1:
                return Match(self.target, found[0], "Name")
        return self.other_level(k, name)

    def other_level(self, key: str, name: str | None) -> Match | None:
        """Rows of other levels go to the layer whose keys are prefixes of the target's keys."""
        target_keys = self.layers[self.target].keys
        for layer_id, lk in self.layers.items():
            if layer_id == self.target:
                continue
            if key:
                hit = lk.match_key(key)
                if hit and (len(lk.keys) == 1 or related_keys(hit[0], target_keys)):
                    return Match(layer_id, hit[0], "andere Ebene")
            elif name:
                found = lk.match_name(name)
                if len(found) == 1 and len(lk.keys) == 1:  # Deutschland, Schweiz: the single top area
                    return Match(layer_id, found[0], "andere Ebene (Name)")
        return None

    def ambiguous_names(self, name: str) -> list[str]:
        return self.layers[self.target].match_name(name)

    def match_rate(self, keys: list[str], names: list[str | None] | None = None) -> float:
        """Share of distinct keys that match the target layer (to choose among columns)."""
        distinct = {clean_key(k) for k in keys if k}
        if not distinct and names:
            found = {n for n in names if n and self.layers[self.target].match_name(n)}
            return len(found) / max(1, len({n for n in names if n}))
        lk = self.layers[self.target]
        return sum(lk.match_key(k) is not None for k in distinct) / max(1, len(distinct))


def official_codes(keys: list[str]) -> dict[str, str]:
    """Codes of sibling official systems → the layer's keys (Kanton ``ZH`` ↔ ``1``, ``AT13`` ↔ ``9``)."""
    from planlabor.areas.official import official_names

    families = {
        "ch": ["kanton", "kanton_kuerzel"],
        "at": ["bundesland", "nuts2"],
    }
    keyset = set(keys)
    for system, levels in families.items():
        tables = {lvl: official_names(system, lvl) for lvl in levels}
        for lvl, table in tables.items():
            if keyset and keyset <= set(table):
                by_name = {name_key(n): k for k, n in table.items()}
                out: dict[str, str] = {}
                for other, t2 in tables.items():
                    if other != lvl:
                        out.update(
                            {code: by_name[name_key(n)] for code, n in t2.items() if name_key(n) in by_name}
                        )
                return out
    return {}


def related_keys(key: str, target_keys: list[str]) -> bool:
    """``key`` is a prefix of target keys (a higher level) or has a target key as prefix (a lower one)."""
    widths = {len(t) for t in target_keys}
    if len(widths) != 1:  # keys of varying length (BFS numbers) are not hierarchical
        return False
    (w,) = widths
    if len(key) > w:
        return key[:w] in set(target_keys)
    return any(t.startswith(key) for t in target_keys[:20000])
