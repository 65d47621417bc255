"""One reader of amounts for the cost report (controlling) and the measure register: German
numbers with thousands dots — before, the register read "250.000" as 250."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from planlabor.errors import InputError
from planlabor.planning.controlling import _num
from planlabor.planning.measures import _number
from planlabor.planning.numbers import german_number

WHERE = {"file": Path("m.csv"), "row": 3, "column": "budget"}


@pytest.mark.parametrize(
    ("text", "value"),
    [("250.000", 250000.0), ("250.000,50", 250000.5), ("1.234.567,89 €", 1234567.89), ("250,5", 250.5),
     ("1234567.89", 1234567.89), ("250", 250.0), ("\u00a01.000 ", 1000.0), ("", None), (None, None)],
)  # fmt: skip
def test_german_and_machine_numbers(text: str | None, value: float | None) -> None:
    assert german_number(text, WHERE, 0, "Der Betrag", "ist keine Zahl.", "x") == value
    assert _number(text, WHERE) == value  # the measure register
    got = _num(text, Path("k.csv"), 3, "kosten")  # the cost report: empty is NaN
    assert math.isnan(got) if value is None else got == value


def test_errors_name_the_cell() -> None:
    with pytest.raises(InputError) as e:
        _number("viel", WHERE)
    assert e.value.message == "'viel' ist keine Zahl." and e.value.row == 3 and e.value.column == "budget"
    with pytest.raises(InputError) as e:
        _num("inf", Path("k.csv"), 4, "kosten")
    assert "keine endliche Zahl" in e.value.message and e.value.row == 4
    with pytest.raises(InputError):
        _number("-5", WHERE)  # below the minimum 0
