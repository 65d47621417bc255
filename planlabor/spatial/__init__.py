"""Spatial analysis: facilities, point-in-polygon, coverage, segregation, hot spots."""
