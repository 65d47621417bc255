"""Periods (Zeiträume / Stichtage) in one canonical string form.

=================  ===============  ==========================================
kind               canonical        accepted input
=================  ===============  ==========================================
year               ``2021``         ``2021``
half-year          ``2021-H2``      ``2021-H2``, ``2021H2``, ``2. Hj. 2021``
quarter            ``2021-Q3``      ``2021-Q3``, ``2021Q3``, ``3. Quartal 2021``
week (ISO)         ``2021-W07``     ``2021-W07``, ``2021W07``, ``KW 7/2021``
month              ``2020-12``      ``202012`` (Berlin ``ZEIT``), ``2020-12``, ``12/2020``
date (Stichtag)    ``2021-12-31``   ``2021-12-31``, ``31.12.2021``, ``20211231``
=================  ===============  ==========================================

With ``stichtag=True`` every period is turned into the date it ends on, so a
half-yearly file (``2021-H2``) and a register extract (``ZEIT=202112``) land on
the same reference date ``2021-12-31``.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from planlabor.errors import InputError

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})\s*[-/]?\s*[Hh]([12])$"), "half"),
    (re.compile(r"^([12])\s*\.?\s*(?:Hj\.?|Halbjahr|HJ)\s*(\d{4})$", re.I), "half_rev"),
    (re.compile(r"^(\d{4})\s*[-/]?\s*[Qq]([1-4])$"), "quarter"),
    (re.compile(r"^([1-4])\s*\.?\s*(?:Quartal|Q)\s*(\d{4})$", re.I), "quarter_rev"),
    (re.compile(r"^(\d{4})\s*-?\s*W(\d{1,2})$", re.I), "week"),
    (re.compile(r"^KW\s*(\d{1,2})\s*/\s*(\d{4})$", re.I), "week_rev"),
    (re.compile(r"^(\d{4})(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^(\d{1,2})/(\d{4})$"), "month_rev"),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+)?$"), "date"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "date"),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), "date_de"),
]

EXPECTED_FORMS = (
    "ein Jahr (2021), Halbjahr (2021-H2), Quartal (2021-Q3), Kalenderwoche (2021-W07), "
    "Monat (202012 oder 2020-12) "
    "oder Datum (2021-12-31 oder 31.12.2021)"
)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(text: str, stichtag: bool = False) -> str:
    """Return the canonical form of a period, or raise :class:`ValueError`.

    >>> parse_period("202012")
    '2020-12'
    >>> parse_period("202012", stichtag=True)
    '2020-12-31'
    >>> parse_period("31.12.2021")
    '2021-12-31'
    >>> parse_period("2. Hj. 2021")
    '2021-H2'
    """
    value = str(text).strip().strip('"')
    if value.endswith(".0") and value[:-2].isdigit():  # 2021.0 from a spreadsheet
        value = value[:-2]
    for pattern, kind in _PATTERNS:
        m = pattern.match(value)
        if not m:
            continue
        g = m.groups()
        if kind == "year":
            year = int(g[0])
            return date(year, 12, 31).isoformat() if stichtag else f"{year:04d}"
        if kind in ("half", "half_rev"):
            year, half = (int(g[0]), int(g[1])) if kind == "half" else (int(g[1]), int(g[0]))
            return _month_end(year, 6 * half).isoformat() if stichtag else f"{year:04d}-H{half}"
        if kind in ("quarter", "quarter_rev"):
            year, q = (int(g[0]), int(g[1])) if kind == "quarter" else (int(g[1]), int(g[0]))
            return _month_end(year, 3 * q).isoformat() if stichtag else f"{year:04d}-Q{q}"
        if kind in ("week", "week_rev"):
            year, week = (int(g[0]), int(g[1])) if kind == "week" else (int(g[1]), int(g[0]))
            end = date.fromisocalendar(year, week, 7)  # raises ValueError for week 53 of a 52-week year
            return end.isoformat() if stichtag else f"{year:04d}-W{week:02d}"
        if kind in ("month", "month_rev"):
            year, month = (int(g[0]), int(g[1])) if kind == "month" else (int(g[1]), int(g[0]))
            if not 1 <= month <= 12:
                raise ValueError(f"Monat {month} gibt es nicht")
            return _month_end(year, month).isoformat() if stichtag else f"{year:04d}-{month:02d}"
        if kind == "date":
            d = date(int(g[0]), int(g[1]), int(g[2]))
            return d.isoformat()
        if kind == "date_de":
            d = date(int(g[2]), int(g[1]), int(g[0]))
            return d.isoformat()
    raise ValueError(f"{value!r} ist kein Zeitraum")


def parse_period_option(text: str, stichtag: bool = False) -> str:
    """Parse a period given on the command line; errors name the option."""
    try:
        return parse_period(text, stichtag=stichtag)
    except ValueError as exc:
        raise InputError(
            f"Der Zeitraum {text!r} ist nicht lesbar.",
            column="--period",
            expected=EXPECTED_FORMS,
            hint="Geben Sie den Zeitraum z. B. als --period 2021-12-31 an.",
        ) from exc


def period_end(period: str) -> date:
    """The last day of a canonical period (for sorting and validity checks).

    >>> period_end("2021-H1")
    datetime.date(2021, 6, 30)
    """
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
        return date.fromisoformat(period)
    if re.fullmatch(r"\d{4}", period):
        return date(int(period), 12, 31)
    m = re.fullmatch(r"(\d{4})-H([12])", period)
    if m:
        return _month_end(int(m.group(1)), 6 * int(m.group(2)))
    m = re.fullmatch(r"(\d{4})-Q([1-4])", period)
    if m:
        return _month_end(int(m.group(1)), 3 * int(m.group(2)))
    m = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if m:
        return _month_end(int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"(\d{4})-W(\d{2})", period)
    if m:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 7)
    raise ValueError(f"{period!r} ist kein kanonischer Zeitraum")


def period_start(period: str) -> date:
    """The first day of a canonical period (a day is its own start).

    >>> period_start("2021-H2")
    datetime.date(2021, 7, 1)
    """
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
        return date.fromisoformat(period)
    end = period_end(period)
    if re.fullmatch(r"\d{4}", period):
        return date(end.year, 1, 1)
    months = 6 if "-H" in period else 3 if "-Q" in period else 1
    return date(end.year, end.month - months + 1, 1)


def sort_periods(periods: list[str]) -> list[str]:
    """Periods in time order (by end date, then by length)."""
    return sorted(periods, key=lambda p: (period_end(p), len(p)))


def format_period_de(period: str) -> str:
    """A period for people: ``2021-12-31`` → ``31.12.2021``, ``2021-H2`` → ``2. Hj. 2021``."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
        d = date.fromisoformat(period)
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    m = re.fullmatch(r"(\d{4})-H([12])", period)
    if m:
        return f"{m.group(2)}. Hj. {m.group(1)}"
    m = re.fullmatch(r"(\d{4})-Q([1-4])", period)
    if m:
        return f"{m.group(2)}. Quartal {m.group(1)}"
    m = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if m:
        return f"{m.group(2)}/{m.group(1)}"
    m = re.fullmatch(r"(\d{4})-W(\d{2})", period)
    if m:
        return f"KW {int(m.group(2))}/{m.group(1)}"
    return period
