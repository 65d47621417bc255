"""Storage behind one interface: :class:`Store`; DuckDB by default, PostgreSQL/PostGIS on a server."""

from __future__ import annotations

from pathlib import Path

from planlabor.config import StoreSection
from planlabor.store.base import ImportRecord, LayerInfo, Store

__all__ = ["ImportRecord", "LayerInfo", "Store", "open_store", "srid_of"]


def srid_of(crs: str | None) -> int:
    """The EPSG number of a CRS text (0 where there is none): the SRID of PostGIS geometries."""
    if not crs:
        return 0
    from planlabor.config import COMMON_EPSG

    prefix, _, code = crs.strip().partition(":")
    if prefix.upper() == "EPSG" and code.isdigit() and int(code) in COMMON_EPSG:
        return int(code)  # no pyproj (0.1 s) when opening a PostgreSQL store for the usual systems
    from pyproj import CRS

    epsg = CRS.from_user_input(crs).to_epsg()
    return int(epsg) if epsg else 0


def open_store(
    section: StoreSection,
    root: Path,
    read_only: bool = False,
    crs: str | None = None,
    create: bool = False,
) -> Store:
    """Open the store a workspace configures (``create``: a new PostgreSQL schema may be made)."""
    if section.backend == "postgres":
        from planlabor.store.postgres import PostgresStore

        return PostgresStore(section.postgres_url(), read_only=read_only, srid=srid_of(crs), create=create)
    from planlabor.store.duckdb_ import DuckDBStore

    path = Path(section.path)
    if not path.is_absolute():
        path = root / path
    return DuckDBStore(path, read_only=read_only, memory_limit=section.memory_limit)
