"""Text cells that spreadsheets would read as formulas, made harmless (CSV injection).

Excel and LibreOffice evaluate a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, after a
tab or carriage return, what follows) as a formula: an area named ``=cmd|' /C calc'!A0`` from an
imported file would run a command on the reader's machine.  Every CSV that planlabor writes passes
its text through :func:`neutralise`, which puts an apostrophe in front (the OWASP
recommendation); numbers, including negative ones, stay numbers.

Keys keep their leading zeros in German Excel and LibreOffice only as a text formula
(``="01100101"``): :func:`key_for_excel` writes them so in the CSV meant for people.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[-+]?(\d[\d.,]*|[.,]\d+)([eE][-+]?\d+)?$")


def neutralise(value: Any) -> Any:
    """``'=1+2`` for ``=1+2``; numbers (also ``-3,2`` as text) and other values unchanged.

    >>> neutralise("=cmd|' /C calc'!A0")
    "'=cmd|' /C calc'!A0"
    >>> neutralise("-3,2"), neutralise(-3.2), neutralise("Mitte")
    ('-3,2', -3.2, 'Mitte')
    """
    if isinstance(value, str) and value.startswith(DANGEROUS) and not _NUMBER.match(value):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell neutralised (numeric columns are left alone)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def key_for_excel(key: Any) -> str:
    """A key as a text formula, so that spreadsheets keep leading zeros: ``="01100101"``.

    >>> key_for_excel("01100101")
    '="01100101"'
    """
    return '="' + str(key).replace('"', '""') + '"'


def write_csv(df: pd.DataFrame, path: Any, **kwargs: Any) -> None:
    """``DataFrame.to_csv`` with neutralised text cells."""
    neutralise_frame(df).to_csv(path, **kwargs)
