"""Read area layers from Shapefile, GeoPackage, GeoJSON (and tables without geometry)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from planlabor.errors import InputError
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
    return gdf


def read_attribute_table(path: str | Path, read: ReadOptions | None = None) -> pd.DataFrame:
    """Read a table (CSV/XLSX) as strings, e.g. a hierarchy like ``LOR_2021.csv``.

    An empty cell is the empty text ``""`` (never ``NaN``, whose text is ``"nan"``)."""
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
    from planlabor.io.cells import text_column

    for col in df.columns:
        if col != "_line":
            df[col] = text_column(df[col])
    return df
