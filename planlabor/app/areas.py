"""Use cases of the spatial layers: list, build a layer from another, inspect and import a
geometry file with key, name, validity dates and hierarchy (the Werkstatt page *Raumebenen*)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from planlabor.app import Where, opened
from planlabor.errors import InputError


def layers(where: Where) -> list[dict[str, Any]]:
    """Every layer: ``id``, ``name``, ``parent`` (layer id or None) and ``areas`` (count)."""
    with opened(where, read_only=True) as ws:
        out = []
        for lay in ws.store.layers():
            out.append(
                {
                    "id": lay.layer_id,
                    "name": lay.name,
                    "parent": lay.parent_layer,
                    "areas": len(ws.store.areas(lay.layer_id)),
                }
            )
    return out


def dissolve(
    where: Where,
    layer: str,
    into: str,
    key_prefix: int | None = None,
    area_id: str | None = None,
    name: str | None = None,
    layer_name: str | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Build the layer ``into`` from ``layer``: by the first ``key_prefix`` characters of the keys
    (with official names of Länder, Regierungsbezirke …), into one area ``area_id``, or by the
    parents; ``layer`` (new layer), ``areas`` and ``unnamed`` (counts)."""
    from planlabor.app.audit import record
    from planlabor.areas import dissolve_layer
    from planlabor.errors import InputError

    if area_id and key_prefix:
        raise InputError(
            "Bitte entweder eine Gebietsnummer oder die Schlüssellänge angeben, nicht beides.",
            column="--key-prefix",
        )
    with opened(where) as ws:
        res = dissolve_layer(
            ws.store, layer, into, area_id=area_id, name=name, layer_name=layer_name, key_prefix=key_prefix
        )
    record(where, by, "areas dissolve", layer=layer, into=into, areas=res.get("areas"))
    return dict(res)


#: how the new layer's areas find their parents: by key prefix, by a column, by location
HIERARCHY = {"": "keine", "prefix": "Schlüsselpräfix", "column": "Spalte der Tabelle", "spatial": "räumlich"}


def inspect_geometries(path: str | Path, rows: int = 5) -> dict[str, Any]:
    """What a geometry file holds (zipped Shapefile, GeoPackage, GeoJSON): its columns, the first
    rows as text, the number of features and its coordinate system — to pick key and name."""
    from planlabor.io.geo import read_geo

    gdf = read_geo(path)
    columns = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    first = [[str(v) for v in rec] for rec in gdf[columns].head(rows).itertuples(index=False)]
    return {"columns": columns, "rows": first, "features": len(gdf), "crs": str(gdf.crs)}


def preview_geojson(path: str | Path, limit: int = 5000) -> dict[str, Any]:
    """The file's shapes in WGS 84, simplified, for a map preview (no attributes)."""
    from planlabor.io.geo import read_geo

    gdf = read_geo(path).to_crs("EPSG:4326").head(limit)
    shapes = gdf.geometry.simplify(0.0005, preserve_topology=True)
    west, south, east, north = (float(v) for v in gdf.total_bounds)
    return {
        "type": "FeatureCollection",
        "bbox": [west, south, east, north],
        "features": [{"type": "Feature", "properties": {}, "geometry": g.__geo_interface__} for g in shapes],
    }


def _date(text: str, column: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InputError(f"{text!r} ist kein Datum.", column=column, expected="TT.MM.JJJJ oder JJJJ-MM-TT")


def area_options(fields: Mapping[str, str]) -> Any:
    """:class:`~planlabor.areas.AreaImportOptions` from the form fields, checked field by field."""
    from planlabor.areas import AreaImportOptions

    get = {k: str(v or "").strip() for k, v in fields.items()}
    for key, what in (("layer", "die ID der Raumebene"), ("id_column", "die Schlüsselspalte")):
        if not get.get(key):
            raise InputError(f"Es fehlt {what}.", column=key)
    mode, parent = get.get("hierarchy", ""), get.get("parent_layer") or None
    if mode and not parent:
        raise InputError("Für die Hierarchie fehlt die übergeordnete Raumebene.", column="parent_layer")
    prefix = None
    if mode == "prefix":
        if not get.get("parent_prefix", "").isdigit():
            raise InputError("Die Präfixlänge fehlt.", column="parent_prefix", expected="eine Zahl wie 2")
        prefix = int(get["parent_prefix"])
    if mode == "column" and not get.get("parent_column"):
        raise InputError("Die Spalte mit dem übergeordneten Schlüssel fehlt.", column="parent_column")
    return AreaImportOptions(
        layer=get["layer"],
        id_column=get["id_column"],
        name_column=get.get("name_column") or None,
        layer_name=get.get("layer_name") or None,
        parent_layer=parent if mode in ("prefix", "column") else None,
        parent_column=get.get("parent_column") or None if mode == "column" else None,
        parent_prefix=prefix,
        valid_from=_date(get.get("valid_from", ""), "valid_from"),
        valid_to=_date(get.get("valid_to", ""), "valid_to"),
    )


def import_geometries(
    where: Where, path: str | Path, fields: Mapping[str, str], by: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """Import a geometry file as a layer (``planlabor areas import``) with the hierarchy of the
    form (key prefix, column, or spatial: largest overlap); ``layer``, ``areas``, ``parents``."""
    from planlabor.app.audit import record
    from planlabor.areas.linking import link_by_containment

    opts = area_options(fields)
    with opened(where) as ws:
        rep = ws.import_areas(path, opts)
        linked = None
        if fields.get("hierarchy") == "spatial":
            linked = link_by_containment(ws.store, opts.layer, str(fields["parent_layer"]))
    record(where, by, "areas import", file=name or Path(path).name, layer=opts.layer, areas=rep.n_areas)
    parent = opts.parent_layer or (str(fields["parent_layer"]) if linked is not None else None)
    return {"layer": opts.layer, "areas": rep.n_areas, "parent": parent, "warnings": list(rep.warnings)}
