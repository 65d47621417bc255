"""Read area layers from Shapefile, GeoPackage, GeoJSON (and tables without geometry)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from planlabor.errors import InputError, examples
from planlabor.io.limits import check_input
from planlabor.io.table import SHEET_SUFFIXES, TEXT_SUFFIXES, ReadOptions, read_table

GEO_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json", ".fgb", ".gml", ".kml", ".zip"}


def is_geo_file(path: Path) -> bool:
    return path.suffix.lower() in GEO_SUFFIXES


def read_geo(path: str | Path, layer: str | None = None, source_crs: str | None = None) -> Any:
    """Read a vector file into a GeoDataFrame; all attribute columns as read."""
    import geopandas as gpd
    import pyogrio

    path = Path(path)
    if not path.exists():
        raise InputError(
            f"Die Datei {path} gibt es nicht.", file=path, hint="Prüfen Sie den Pfad und die Schreibweise."
        )
    check_input(path)
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise InputError(
            f"Die Geodatei ist nicht lesbar: {exc}",
            file=path,
            expected="Shapefile (mit .shx/.dbf/.prj), GeoPackage oder GeoJSON",
            hint="Prüfen Sie, ob alle Teildateien eines Shapefiles vorhanden sind.",
        ) from exc
    if gdf.crs is None:
        if source_crs is None:
            raise InputError(
                "Die Geodatei nennt kein Koordinatenreferenzsystem (z. B. fehlt die .prj-Datei).",
                file=path,
                expected="eine Datei mit Koordinatenreferenzsystem",
                hint="Geben Sie es mit --source-crs an, z. B. --source-crs EPSG:25833.",
            )
        gdf = gdf.set_crs(source_crs)
    elif source_crs is not None:
        gdf = gdf.set_crs(source_crs, allow_override=True)
    check_coordinates(gdf, path)
    return gdf


def check_coordinates(gdf: Any, path: Path, rows: list[int] | None = None) -> None:
    """Refuse coordinates that are not finite numbers, and coordinates outside the earth in a
    geographic system (metres declared as WGS 84) — both named with their record."""
    import numpy as np
    import shapely

    coords, index = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    if not len(coords):
        return

    def where(i: int) -> int:
        return rows[i] if rows else i + 1

    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        recs = sorted({where(int(i)) for i in index[bad]})
        raise InputError(
            f"{len(recs)} Geometrie(n) haben Koordinaten, die keine Zahlen sind (NaN/unendlich), "
            f"z. B. Datensatz {examples(recs)}. Nichts wurde importiert.",
            file=path,
            row=recs[0],
            expected="Koordinaten als endliche Zahlen",
            hint="Korrigieren oder entfernen Sie diese Geometrien (z. B. in QGIS).",
        )
    crs = gdf.crs
    if crs is not None and crs.is_geographic:
        outside = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            x, y = coords[i]
            raise InputError(
                f"Die Koordinaten ({x:.0f}, {y:.0f}) liegen für {crs.to_string()} außerhalb der Erde "
                "(Längengrad bis ±180, Breitengrad bis ±90): vermutlich Meter eines projizierten Systems. "
                "Nichts wurde importiert.",
                file=path,
                row=where(int(index[i])),
                expected="Längen- und Breitengrade, oder das passende Koordinatenreferenzsystem",
                hint="Geben Sie das richtige System mit --source-crs an, z. B. --source-crs EPSG:25833.",
            )


def read_attribute_table(path: str | Path, read: ReadOptions | None = None) -> pd.DataFrame:
    """Read a table (CSV/XLSX) as strings, e.g. a hierarchy like ``LOR_2021.csv``."""
    path = Path(path)
    if path.suffix.lower() not in TEXT_SUFFIXES | SHEET_SUFFIXES:
        raise InputError(
            f"Das Format {path.suffix!r} ist keine Tabelle.", file=path, expected="CSV oder XLSX"
        )
    raw = read_table(path, read)
    try:
        df = raw.con.execute(f"SELECT * FROM {raw.name} ORDER BY _line").df()
    finally:
        raw.con.close()
    return df
