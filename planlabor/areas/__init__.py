"""Area layers (Raumebenen): import, hierarchy, validity periods."""

from planlabor.areas.hierarchy import ancestor_table
from planlabor.areas.layers import AreaImportOptions, AreaImportReport, import_areas
from planlabor.areas.linking import dissolve_layer, link_by_containment, link_by_mapping, link_by_table

__all__ = [
    "AreaImportOptions",
    "AreaImportReport",
    "ancestor_table",
    "dissolve_layer",
    "import_areas",
    "link_by_containment",
    "link_by_mapping",
    "link_by_table",
]
