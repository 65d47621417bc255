"""What a single cell of a publisher's table is: a number, a marker, a period, a key or text.

The classification is deliberately context-free; :mod:`planlabor.io.layout`
combines it over rows and columns.  Numbers are recognised in German
(``1.234,5``) and English (``1,234.5``) form; which one a file uses is decided
once per file (CSV dialect) or per cell for spreadsheet numbers.
"""

from __future__ import annotations

import re
from enum import Enum

from planlabor.io.periods import parse_period


class Kind(Enum):
    EMPTY = "leer"
    NUMBER = "Zahl"
    MARKER = "Kennung"
    PERIOD = "Zeitraum"
    KEY = "Schlüssel"
    TEXT = "Text"


# Markers publishers use besides the configured ones (normalised: stripped, quotes removed)
PUBLISHER_MARKERS: dict[str, str] = {
    "–": "nichts_vorhanden",  # en dash (BFS, Statistischer Atlas)
    "—": "nichts_vorhanden",
    "- ": "nichts_vorhanden",
    "()": "nicht_sicher_genug",
    "( )": "nicht_sicher_genug",
    "k.A.": "fehlend",
    "k. A.": "fehlend",
    "n.a.": "fehlend",
    "n.v.": "fehlend",
    "...": "faellt_spaeter_an",
    "X": "nicht_sinnvoll",
}

_NUM_DE = re.compile(r"^[-+−]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_NUM_EN = re.compile(r"^[-+−]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][-+]?\d+)?$")
_LEADING_ZERO = re.compile(r"^0\d+$")
_CODE = re.compile(r"^[A-Z][A-Z0-9]*([-_][A-Z0-9]+)+$|^[A-Z]{1,4}\d{0,6}$|^[A-Z]{2}[0-9A-Z]{1,3}$")
_GRID_ID = re.compile(r"^(CRS\d+RES\d+m)?N\d+E\d+$|^\d+kmN\d+E\d+$", re.I)
_YEAR = re.compile(r"^(19|20)\d\d$")


def normalise_marker(text: str) -> str:
    """A cell as compared with markers: trimmed, surrounding quotes removed."""
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] == '"':
        t = t[1:-1].strip()
    return t


def parse_number(text: str, decimal: str = ",", thousands: str | None = ".") -> float | None:
    """The number in ``text`` in the given format, or ``None``.

    >>> parse_number("1.234,5")
    1234.5
    >>> parse_number("1,234.5", ".", ",")
    1234.5
    >>> parse_number("-0,3")
    -0.3
    """
    t = text.strip().replace("\u202f", "").replace("\u00a0", "").replace("−", "-")
    if not t:
        return None
    if decimal == ",":
        if not _NUM_DE.match(t):
            return None
        if thousands != "." and "." in t:
            return None
        t = t.replace(".", "").replace(",", ".")
    else:
        if not _NUM_EN.match(t):
            return None
        if thousands != "," and "," in t:
            return None
        t = t.replace(",", "")
    try:
        return float(t)
    except ValueError:
        return None


def is_period_text(text: str) -> bool:
    t = text.strip()
    if len(t) > 20 or not any(ch.isdigit() for ch in t):
        return False
    try:
        parse_period(t)
    except ValueError:
        return False
    return True


def classify(
    text: str | None,
    markers: set[str],
    decimal: str,
    thousands: str | None,
    native_number: bool = False,
) -> Kind:
    """The kind of one cell."""
    if text is None:
        return Kind.EMPTY
    t = normalise_marker(text)
    if t in markers or t in PUBLISHER_MARKERS:
        return Kind.MARKER
    if native_number:
        return Kind.NUMBER
    first = t[:1]
    if first.isdigit() or first in "+-−":
        if _LEADING_ZERO.match(t):
            return Kind.KEY
        if parse_number(t, decimal, thousands) is not None:
            return Kind.NUMBER
    if is_period_text(t):
        return Kind.PERIOD
    if _GRID_ID.match(t) or (_CODE.match(t) and len(t) <= 16):
        return Kind.KEY
    return Kind.TEXT


def looks_like_year(text: str | None) -> bool:
    return text is not None and bool(_YEAR.match(text.strip().removesuffix(".0")))
