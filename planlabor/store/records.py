"""The records the store hands out besides tables: area layers and lines of the import log,
and the conversions of their fields from a row (pandas' missing values → ``None``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class LayerInfo:
    """An area layer (Raumebene)."""

    layer_id: str
    name: str
    crs: str | None = None
    parent_layer: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    has_geometry: bool = False
    source: str | None = None
    import_id: int | None = None


@dataclass(frozen=True)
class ImportRecord:
    """One line of the import log."""

    import_id: int
    kind: str
    file: str | None
    sha256: str | None
    imported_at: datetime
    options: dict[str, Any]
    layer_id: str | None
    rows_read: int
    values_imported: int
    quarantined: int
    message: str = ""


def missing_as_none(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def as_date(value: Any) -> date | None:
    value = missing_as_none(value)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()
