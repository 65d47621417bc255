"""Indicator catalog: declared definitions, loading and validation."""

from planlabor.catalog.model import Catalog, IndicatorDefinition, load_catalog, load_catalog_files

__all__ = ["Catalog", "IndicatorDefinition", "load_catalog", "load_catalog_files"]
