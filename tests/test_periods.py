import doctest
from datetime import date

import pytest

import planlabor.io.periods as periods
from planlabor.errors import InputError
from planlabor.io.periods import format_period_de, parse_period, parse_period_option, period_end, sort_periods

pytestmark = pytest.mark.nostore  # never opens a store: run once (conftest.py)


@pytest.mark.parametrize(
    ("text", "canonical", "stichtag"),
    [
        ("2021", "2021", "2021-12-31"),
        ("202012", "2020-12", "2020-12-31"),
        ("202002", "2020-02", "2020-02-29"),
        ("2020-12", "2020-12", "2020-12-31"),
        ("12/2020", "2020-12", "2020-12-31"),
        ("2021-12-31", "2021-12-31", "2021-12-31"),
        ("31.12.2021", "2021-12-31", "2021-12-31"),
        ("1.7.2021", "2021-07-01", "2021-07-01"),
        ("20211231", "2021-12-31", "2021-12-31"),
        ("2021-H1", "2021-H1", "2021-06-30"),
        ("2021h2", "2021-H2", "2021-12-31"),
        ("2. Hj. 2021", "2021-H2", "2021-12-31"),
        ("1. Halbjahr 2022", "2022-H1", "2022-06-30"),
        ("2021-Q3", "2021-Q3", "2021-09-30"),
        ("3. Quartal 2021", "2021-Q3", "2021-09-30"),
        ('"202012"', "2020-12", "2020-12-31"),
        ("2021.0", "2021", "2021-12-31"),
        ("2021-12-31 00:00:00", "2021-12-31", "2021-12-31"),
    ],
)
def test_parse_period(text: str, canonical: str, stichtag: str) -> None:
    assert parse_period(text) == canonical
    assert parse_period(text, stichtag=True) == stichtag


@pytest.mark.parametrize("bad", ["", "abc", "2021-13", "202113", "32.12.2021", "2021-H3", "21"])
def test_bad_periods(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_period(bad)


def test_option_error_names_option() -> None:
    with pytest.raises(InputError) as exc:
        parse_period_option("Ende 2021")
    assert exc.value.column == "--period"
    assert "2021-12-31" in (exc.value.expected or "")


def test_period_end_and_sorting() -> None:
    assert period_end("2021-H1") == date(2021, 6, 30)
    assert period_end("2024-02") == date(2024, 2, 29)
    assert sort_periods(["2022", "2021-12-31", "2021-H1", "2021"]) == [
        "2021-H1",
        "2021",
        "2021-12-31",
        "2022",
    ]


def test_german_format() -> None:
    assert format_period_de("2021-12-31") == "31.12.2021"
    assert format_period_de("2021-H2") == "2. Hj. 2021"
    assert format_period_de("2021") == "2021"


def test_doctests() -> None:
    assert doctest.testmod(periods).failed == 0
