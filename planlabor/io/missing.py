"""Columns of tables read with pandas as text: an empty cell is the empty text, never ``"nan"`` or ``"None"``.

pandas holds a missing text cell as ``NaN`` (or ``None``, ``pd.NA``); ``str()`` of it and
``Series.astype(str)`` give the words ``"nan"`` and ``"None"``, which then look like a value:
an area called ``nan``, a number check failing on ``'nan'``, a measure with the theme ``nan``.
Every reader turns cells into text through these two functions.

>>> as_text(float("nan")), as_text(None), as_text(" 0110 "), as_text(3)
('', '', '0110', '3')
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def is_missing(value: Any) -> bool:
    """``None``, ``NaN``, ``pd.NA`` or ``NaT``."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: not a single missing value
        return False


def as_text(value: Any) -> str:
    """The cell as stripped text; ``""`` for a missing cell."""
    return "" if is_missing(value) else str(value).strip()


def text_column(series: pd.Series) -> pd.Series:
    """A column as stripped text (object dtype); missing cells become ``""``."""
    return pd.Series([as_text(v) for v in series], index=series.index, dtype=object)


def text_or_none(series: pd.Series) -> list[str | None]:
    """A column as stripped text with ``None`` for missing or blank cells (names, labels)."""
    return [as_text(v) or None for v in series]
