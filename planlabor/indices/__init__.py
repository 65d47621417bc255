"""Composite indices, classification, typologies: declared methods and published presets."""

from planlabor.indices.classify import Classification, classify
from planlabor.indices.engine import IndexResult, apply_index
from planlabor.indices.spec import IndexSpec, load_spec

__all__ = ["Classification", "IndexResult", "IndexSpec", "apply_index", "classify", "load_spec"]
