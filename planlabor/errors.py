"""One exception hierarchy for everything planlabor reports to a user.

Every error carries a German message for people and, where known, *where* the
problem is (file, row, column), *what was expected* and *how to fix it*.  The
command line prints :meth:`PlanlaborError.render` and exits with code 1; the
technical detail goes to the log, never as a traceback to the user.
"""

from __future__ import annotations

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
        lines = [f"Fehler: {self.message}"]
        where = self.location.render()
        if where:
            lines.append(f"  Ort: {where}")
        if self.expected:
            lines.append(f"  Erwartet: {self.expected}")
        if self.hint:
            lines.append(f"  Lösung: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


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


class DependencyError(PlanlaborError):
    """An optional dependency is missing; the hint names what to install."""


def missing_dependency(package: str, extra: str) -> DependencyError:
    """Error for an optional part that is not installed."""
    return DependencyError(
        f"Für diese Funktion wird das Paket {package!r} benötigt.",
        hint=f"Installieren Sie es mit: pip install 'planlabor[{extra}]'",
    )


def examples(items: list[str] | tuple[str, ...], n: int = 5, maxlen: int = 60) -> str:
    """At most ``n`` examples, each cut to ``maxlen`` characters, and how many there are in all.

    >>> examples(["a", "b", "c"], 2)
    'a, b … (3 insgesamt)'
    """
    shown = [s if len(s) <= maxlen else s[: maxlen - 1] + "…" for s in map(str, items[:n])]
    text = ", ".join(shown)
    return text + (f" … ({len(items)} insgesamt)" if len(items) > n else "")
