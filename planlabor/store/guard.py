"""The store's door for numbers: nothing non-finite gets in.

Importers refuse ``inf``/``NaN`` and impossible values (negative counts, capacities, costs) with a
message naming file, row and column (:func:`finite_number`).  Behind them the store itself makes
sure no output path can ever meet a non-finite number, whichever code wrote it:

- every Arrow table that enters the store (:func:`finite_table`): ``NaN`` (pandas' missing
  value) and ``±inf`` become ``NULL``; where the table has a ``flag`` column, an infinite value
  without a flag is flagged ``ungueltig`` (a flagged missing value, shown as such everywhere);
- every statement parameter (:func:`finite_params`): ``NaN``/``±inf`` become ``NULL``;
- arithmetic inside DuckDB: the store turns ``ieee_floating_point_ops`` off, so a division by
  zero gives ``NULL`` instead of ``inf``; PostgreSQL (which raises an error instead) gets the
  same from the ``/`` operators of the workspace's schema (:func:`planlabor.store.pgsql.safe_division`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from planlabor.errors import InputError, examples

INVALID_FLAG = "ungueltig"


def finite_table(table: pa.Table) -> pa.Table:
    """``table`` with every non-finite float set to NULL.  ``NaN`` is how pandas writes a missing
    value, so it simply becomes NULL; ``±inf`` is an invalid value: where the table has a flag
    column it is flagged ``ungueltig`` unless it carries a flag already."""
    infinite = None
    for i, field in enumerate(table.schema):
        if not pa.types.is_floating(field.type):
            continue
        col = table.column(i)
        bad = pc.fill_null(pc.invert(pc.is_finite(col)), False)
        if not pc.any(bad).as_py():
            continue
        table = table.set_column(i, field, pc.if_else(bad, pa.scalar(None, field.type), col))
        inf = pc.fill_null(pc.is_inf(col), False)
        infinite = inf if infinite is None else pc.or_(infinite, inf)
    if infinite is not None and "flag" in table.column_names:
        i = table.column_names.index("flag")
        flag = table.column(i)
        if pa.types.is_string(flag.type) or pa.types.is_large_string(flag.type):
            fill = pc.and_(infinite, pc.is_null(flag))
            table = table.set_column(
                i, table.schema.field(i), pc.if_else(fill, pa.scalar(INVALID_FLAG, flag.type), flag)
            )
    return table


def finite_params(params: Sequence[Any] | None) -> list[Any] | None:
    """Statement parameters with ``NaN``/``±inf`` as NULL."""
    if params is None:
        return None
    return [None if isinstance(p, float) and not math.isfinite(p) else p for p in params]


def finite_number(
    value: float,
    source: Any,
    where: dict[str, Any],
    minimum: float | None = None,
    what: str = "Der Wert",
) -> float:
    """``value`` if it is finite (and at least ``minimum``), else an :class:`InputError` naming
    the cell (``where``: file, row, column) and what it held (``source``, shortened)."""
    if not math.isfinite(value):
        raise InputError(
            f"{what} '{examples([str(source)], 1)}' ist keine endliche Zahl. Nichts wurde importiert.",
            expected="eine Zahl (nicht inf, NaN oder unendlich) oder eine leere Zelle",
            hint="Korrigieren Sie den Wert oder lassen Sie die Zelle leer (fehlender Wert).",
            **where,
        )
    if minimum is not None and value < minimum:
        raise InputError(
            f"{what} '{examples([str(source)], 1)}' ist kleiner als {_de(minimum)}. Nichts wurde importiert.",
            expected=f"eine Zahl ab {_de(minimum)} oder eine leere Zelle",
            hint="Korrigieren Sie den Wert oder lassen Sie die Zelle leer (fehlender Wert).",
            **where,
        )
    return value


def _de(v: float | None) -> str:
    return "" if v is None else f"{v:g}".replace(".", ",")
