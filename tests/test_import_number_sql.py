"""The import's number and grouping tests read a cell exactly as with every cell trimmed first.

Issue #22 point 4: the import trims a cell only where the untrimmed cell does not already decide
(cheaper on millions of cells); these cells pin that the result is the same as before.
"""

from __future__ import annotations

import duckdb
import pytest

from planlabor.io.import_values import bad_value, number_sql

CELLS = [
    "1.234", "12.345,6", "-1.234,", "+123.456.789", "1234.567", "1.23", "1.234.5678", "--1.000",
    "1.000,5.3", "1,5.3", ".123", "1.000e3", "0.123", "1.000,", "x1.000", "1 .000", " 1.000 ",
    "\u00a01.000", "1.000\u00a0", "\t1.000", "1.000\n", "\u30001.000", " 5 ", "5", "", " ", "-",
    "1e5", "inf", "nan", "12,5", "12.5", " 12,5\t", "\u00a0", None, "1.000.000,25", "١.٠٠٠",
]  # fmt: skip


def _old_number(col: str, decimal: str, thousands: str | None) -> str:
    e = f"trim({col})"
    if thousands:
        e = f"replace({e}, '{thousands}', '')"
    if decimal == ",":
        e = f"replace({e}, ',', '.')"
    return f"TRY_CAST({e} AS DOUBLE)"


@pytest.mark.nostore
@pytest.mark.parametrize(("decimal", "thousands"), [(",", "."), (".", ","), (".", None), (",", None)])
def test_number_reads_as_with_every_cell_trimmed(decimal: str, thousands: str | None) -> None:
    con = duckdb.connect()
    new, old = number_sql("c", decimal, thousands), _old_number("c", decimal, thousands)
    rows = con.execute(f"SELECT c, {new}, {old} FROM (SELECT unnest(?) AS c)", [CELLS]).fetchall()
    assert [repr(r[1]) for r in rows] == [repr(r[2]) for r in rows]  # repr: nan equals nan
    read = {r[0]: r[1] for r in rows}
    assert read[" 5 "] == 5.0 and read["\u00a0"] is None  # a no-break space alone is no number
    if thousands == ".":
        assert read["\u00a01.000"] == 1000.0 and read["\t1.000"] == 1000.0


@pytest.mark.nostore
def test_german_grouping_checked_as_with_every_cell_trimmed() -> None:
    con = duckdb.connect()
    old_rx = "regexp_full_match(trim(raw), '[-+]?[0-9]{1,3}(\\.[0-9]{3})+(,[0-9]*)?')"
    old = (
        "coalesce(state IN ('Gebiet', 'andere Ebene', 'Gebietsänderung', 'unbekannt') AND "
        f"((flag IS NULL AND (value IS NULL OR NOT isfinite(value))) OR (flag IS NULL AND raw LIKE '%.%' "
        f"AND NOT {old_rx})), false)"
    )
    num = number_sql("raw", ",", ".")
    rows = con.execute(
        f"""SELECT raw, {bad_value(".")}, {old} FROM (
            SELECT raw, 'Gebiet' AS state, CAST(NULL AS VARCHAR) AS flag, {num} AS value
            FROM (SELECT unnest(?) AS raw))""",
        [CELLS],
    ).fetchall()
    assert [r[1] for r in rows] == [r[2] for r in rows]
    verdict = {r[0]: r[1] for r in rows}
    assert verdict["1.234"] is False and verdict[" 1.000 "] is False and verdict["\u00a01.000"] is False
    assert verdict["1234.567"] is True and verdict["1.000e3"] is True and verdict["1,5.3"] is True
