"""Amounts and counts in planners' tables (cost reports, measure registers): German or machine
numbers, with or without thousands dots and a euro sign; empty cells are missing."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from planlabor.errors import InputError, examples
from planlabor.store.guard import finite_number

# 1.234.567,89 · 1.234 · 250,5 (German); 1234567.89 and 250 stay as they are
_GERMAN = re.compile(r"-?\d{1,3}(\.\d{3})+(,\d+)?|-?\d+,\d+")


def german_number(
    value: Any, where: dict[str, Any], minimum: float | None, what: str, message: str, expected: str
) -> float | None:
    """``value`` as a finite number at least ``minimum``, None when empty; else an
    :class:`InputError` naming the cell (``where``: file, row, column) with ``message`` after the
    value ("ist keine Zahl.") and ``expected``; ``what`` names it in the error of a non-finite
    value ("Der Betrag")."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        return None
    s = str(value).strip().replace("€", "").replace(" ", "").replace("\u00a0", "")
    if _GERMAN.fullmatch(s):
        s = s.replace(".", "").replace(",", ".")
    try:
        number = float(s)
    except ValueError:
        raise InputError(f"'{examples([value], 1)}' {message}", expected=expected, **where) from None
    return finite_number(number, value, where, minimum, what)
