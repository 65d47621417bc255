"""Options of a table import (what the command line and the Werkstatt pass)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from planlabor.io.table import ReadOptions

Unmatched = Literal["auto", "refuse", "quarantine", "skip"]


@dataclass
class ImportOptions:
    """What to import and how; ``None`` means detect."""

    layer: str
    id_column: str | None = None
    period: str | None = None
    period_column: str | None = None
    stichtag: bool = False
    variable_column: str | None = None
    value_column: str | None = None
    columns: list[str] | None = None
    exclude_columns: list[str] = field(default_factory=list)
    read: ReadOptions = field(default_factory=ReadOptions)
    missing_values: dict[str, str] | None = None
    on_unmatched: Unmatched = "auto"
    map_keys: dict[str, str] = field(default_factory=dict)
    id_width: int | None = None
    format: str | None = None  # a reader of the registry; None: recognised
    rename: dict[str, str] = field(default_factory=dict)  # variable names ALT=NEU
    variable_prefix: str | None = None
    other_levels: bool = True  # rows of other levels into their layers
    changes: str | None = None  # a table of territorial changes (alt;neu)
