"""Options as people type them (``ALT=NEU``, ``SPALTE=a,b``), turned into plain Python values.

Shared by the command line and the Werkstatt forms, so both accept exactly the same text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from planlabor.errors import InputError


def pairs(values: Iterable[str], option: str) -> dict[str, str]:
    """``A=B`` texts as {A: B}; a text without ``=`` is an :class:`InputError` naming ``option``."""
    out = {}
    for v in values:
        if "=" not in v:
            raise InputError(
                f"{option} {v!r} hat nicht die Form A=B.",
                column=option,
                expected="A=B, z. B. 06200318=06200418",
            )
        a, b = v.split("=", 1)
        out[a] = b
    return out


def lists(values: Iterable[str], option: str) -> dict[str, list[str]]:
    """``COL=a,b`` texts as {COL: [a, b]}."""
    return {k: [p.strip() for p in v.split(",") if p.strip()] for k, v in pairs(values, option).items()}


def lines(text: str | None) -> list[str]:
    """The non-empty lines of a form's text area (one ``A=B`` per line)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def day(value: str | None, option: str) -> date | None:
    """A date as typed (``2021-01-01``, ``01.01.2021``, ``2021``: its last day), or None."""
    if not value:
        return None
    from planlabor.io.periods import parse_period, period_end

    try:
        return period_end(parse_period(value))
    except ValueError as exc:
        raise InputError(
            f"{option} {value!r} ist kein Datum.",
            column=option,
            expected="ein Datum wie 2021-01-01 oder 01.01.2021",
        ) from exc
