"""Storage behind one interface: :class:`Store`; DuckDB by default."""

from __future__ import annotations

from pathlib import Path

from planlabor.config import StoreSection
from planlabor.errors import ConfigError
from planlabor.store.base import ImportRecord, LayerInfo, Store

__all__ = ["ImportRecord", "LayerInfo", "Store", "open_store"]


def open_store(section: StoreSection, root: Path, read_only: bool = False) -> Store:
    """Open the store a workspace configures."""
    if section.backend == "duckdb":
        from planlabor.store.duckdb_ import DuckDBStore

        path = Path(section.path)
        if not path.is_absolute():
            path = root / path
        return DuckDBStore(path, read_only=read_only, memory_limit=section.memory_limit)
    raise ConfigError(
        f"Das Speicher-Backend {section.backend!r} ist in dieser Version noch nicht verfügbar.",
        column="store.backend",
        expected='"duckdb"',
        hint='Setzen Sie in planlabor.toml [store] backend = "duckdb".',
    )
