"""One exception hierarchy for everything planlabor reports to a user.

Every error carries a German message for people and, where known, *where* the
problem is (file, row, column), *what was expected* and *how to fix it*.  The
command line prints :meth:`PlanlaborError.render` and exits with code 1; the
technical detail goes to the log, never as a traceback to the user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Location:
    """Where in an input a problem was found (all parts optional)."""

    file: str | None = None
    row: int | None = None
    column: str | None = None

    def render(self) -> str:
        parts = []
        if self.file:
            parts.append(f"Datei {self.file}")
        if self.row is not None:
            parts.append(f"Zeile {self.row}")
        if self.column:
            parts.append(f"Spalte {self.column!r}")
        return ", ".join(parts)


@dataclass
class PlanlaborError(Exception):
    """Base class of all errors a user can act on.

    Parameters
    ----------
    message:
        What went wrong, in plain German.
    file, row, column:
        Where (row numbers count lines in the file, the header is line 1).
    expected:
        The form that was expected (e.g. ``"eine Zahl wie 1.234,5"``).
    hint:
        How to fix it (e.g. an option to pass).
    detail:
        Technical detail for developers; logged, not shown.
    """

    message: str
    file: str | Path | None = None
    row: int | None = None
    column: str | None = None
    expected: str | None = None
    hint: str | None = None
    detail: str | None = field(default=None, repr=False)

    exit_code = 1

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def location(self) -> Location:
        return Location(str(self.file) if self.file is not None else None, self.row, self.column)

    def render(self) -> str:
        """The message for people; every part cut to :data:`MAX_PART` characters (a message that
        quotes a whole bad file must not flood the screen)."""
        lines = [f"Fehler: {_cut(self.message)}"]
        where = self.location.render()
        if where:
            lines.append(f"  Ort: {_cut(where)}")
        if self.expected:
            lines.append(f"  Erwartet: {_cut(self.expected)}")
        if self.hint:
            lines.append(f"  Lösung: {_cut(self.hint)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


MAX_PART = 2000


def _cut(text: str) -> str:
    return text if len(text) <= MAX_PART else text[: MAX_PART - 30] + f" … (gekürzt, {len(text)} Zeichen)"


class InputError(PlanlaborError):
    """An input file or table does not have the expected form."""


class ConfigError(PlanlaborError):
    """``planlabor.toml`` or a definition file is invalid."""


class NotFoundError(PlanlaborError):
    """A layer, indicator, area, period or file does not exist."""


class WorkspaceError(PlanlaborError):
    """No workspace here, or the workspace is in a state that forbids the action."""


class StoreError(PlanlaborError):
    """The store refused an operation (e.g. a version conflict)."""


class AccessError(PlanlaborError):
    """The acting user may not do this (role, or a theme outside her scope)."""


class DependencyError(PlanlaborError):
    """An optional dependency is missing; the hint names what to install."""


def missing_dependency(package: str, extra: str) -> DependencyError:
    """Error for an optional part that is not installed."""
    return DependencyError(
        f"Für diese Funktion wird das Paket {package!r} benötigt.",
        hint=f"Installieren Sie es mit: pip install 'planlabor[{extra}]'",
    )


def examples(items: Iterable[object], n: int = 5, maxlen: int = 60) -> str:
    """At most ``n`` examples, each cut to ``maxlen`` characters, and how many there are in all
    (for messages that name bad keys or values: a file of a million long bad keys must not print
    a million keys).

    >>> examples(["a", "b", "c"], 2)
    'a, b … (3 insgesamt)'
    >>> examples(["x" * 100], maxlen=10)
    'xxxxxxxxx…'
    """
    shown: list[str] = []
    total = 0
    for item in items:
        total += 1
        if len(shown) < n:
            s = str(item)
            shown.append(s if len(s) <= maxlen else s[: maxlen - 1] + "…")
    text = ", ".join(shown)
    return text + (f" … ({total} insgesamt)" if total > n else "")
