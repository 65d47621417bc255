"""Linking area layers into a hierarchy: by a table, by spatial containment, by a mapping, and
building a coarser layer by dissolving areas (key prefix or table). Split from
:mod:`planlabor.areas.layers` (importing areas) to keep both files readable."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from planlabor.areas.layers import _as_keys, _column
from planlabor.errors import InputError, NotFoundError
from planlabor.io.geo import read_attribute_table
from planlabor.io.table import ReadOptions
from planlabor.store import ImportRecord, LayerInfo, Store


def _require_layer(store: Store, layer_id: str, option: str) -> LayerInfo:
    layer = store.layer(layer_id)
    if layer is None:
        known = ", ".join(lay.layer_id for lay in store.layers()) or "(noch keine)"
        raise NotFoundError(
            f"Die Raumebene {layer_id!r} gibt es nicht.", column=option, expected=f"eine von: {known}"
        )
    return layer


def _set_parent_layer(store: Store, layer: LayerInfo, parent_layer: str) -> None:
    store.put_layer(LayerInfo(**{**asdict(layer), "parent_layer": parent_layer}))


def link_by_table(
    store: Store,
    layer_id: str,
    parent_layer: str,
    path: str | Path,
    id_column: str,
    parent_column: str,
    read: ReadOptions | None = None,
) -> dict[str, Any]:
    """Set parents of ``layer_id`` from a hierarchy table (e.g. ``LOR_2021.csv``)."""
    path = Path(path)
    layer = _require_layer(store, layer_id, "--layer")
    _require_layer(store, parent_layer, "--parent-layer")
    df = read_attribute_table(path, read)
    idc = _column(df, id_column, path, "--id-column")
    pc = _column(df, parent_column, path, "--parent-column")
    mapping = pd.DataFrame({"area_id": _as_keys(df[idc], None), "parent_id": _as_keys(df[pc], None)})
    lines = df["_line"].tolist() if "_line" in df.columns else [i + 2 for i in range(len(df))]
    for col, name in (("area_id", idc), ("parent_id", pc)):
        empty = mapping[col].isna().to_numpy()
        if empty.any():
            raise InputError(
                f"Zeile ohne Schlüssel in der Spalte {name!r}.",
                file=path,
                row=int(lines[int(empty.nonzero()[0][0])]),
                column=name,
                expected="in jeder Zeile ein Gebietsschlüssel und ein übergeordneter Schlüssel",
            )
    children = set(store.areas(layer_id)["area_id"])
    parents = set(store.areas(parent_layer)["area_id"])
    unknown_children = sorted(set(mapping["area_id"]) - children)
    unknown_parents = sorted(set(mapping["parent_id"].dropna()) - parents)
    without = sorted(children - set(mapping["area_id"]))
    if unknown_parents:
        raise InputError(
            f"{len(unknown_parents)} übergeordnete Schlüssel der Tabelle gibt es in {parent_layer!r} "
            f"nicht: {', '.join(unknown_parents[:10])}. Nichts wurde geändert.",
            file=path,
            column=pc,
            expected=f"Schlüssel der Raumebene {parent_layer!r}",
        )
    with store.transaction():
        _set_parent_layer(store, layer, parent_layer)
        store.set_parents(layer_id, mapping[mapping["area_id"].isin(children)])
    return {
        "linked": int(mapping["area_id"].isin(children).sum()),
        "unknown_children": unknown_children,
        "without_parent": without,
    }


def link_by_containment(
    store: Store, layer_id: str, parent_layer: str, min_share: float = 0.95, parent_prefix: str | None = None
) -> dict[str, Any]:
    """Derive parents by spatial containment (largest overlap).

    Children whose largest overlap with one parent is below ``min_share`` of
    their area are reported as ambiguous (still assigned to the largest).
    ``parent_prefix`` restricts the candidates (e.g. ``AT``: an Austrian Gemeinde never gets a
    German district because generalised borders overlap).
    """
    import geopandas as gpd
    import shapely

    layer = _require_layer(store, layer_id, "--layer")
    _require_layer(store, parent_layer, "--parent-layer")
    ch = store.areas(layer_id, geometry=True)
    pa_ = store.areas(parent_layer, geometry=True)
    if parent_prefix:
        pa_ = pa_[pa_["area_id"].str.startswith(parent_prefix)].reset_index(drop=True)
    if ch["geom"].isna().all() or pa_["geom"].isna().all():
        raise InputError(
            "Für die räumliche Zuordnung brauchen beide Raumebenen Geometrien.",
            hint="Verknüpfen Sie ohne Geometrie mit --table oder --parent-prefix.",
        )
    cg = gpd.GeoDataFrame(ch[["area_id"]], geometry=shapely.from_wkb(ch["geom"].tolist()))
    pg = gpd.GeoDataFrame(
        pa_[["area_id"]].rename(columns={"area_id": "parent_id"}),
        geometry=shapely.from_wkb(pa_["geom"].tolist()),
    )
    pairs = gpd.sjoin(cg, pg, predicate="intersects", how="left")
    pairs = pairs.reset_index(names="ci")
    pgeom = pg.geometry.values[pairs["index_right"].fillna(0).astype(int).to_numpy()]
    inter = shapely.area(shapely.intersection(cg.geometry.values[pairs["ci"].to_numpy()], pgeom))
    inter[pairs["index_right"].isna().to_numpy()] = 0.0
    pairs["share"] = inter / shapely.area(cg.geometry.values[pairs["ci"].to_numpy()])
    pairs = pairs.sort_values(["ci", "share"], ascending=[True, False])
    best = pairs.drop_duplicates("ci")
    ambiguous = []
    for _ci, grp in pairs.groupby("ci"):
        top = grp.iloc[0]
        if 0 < top["share"] < min_share:
            ambiguous.append(
                {
                    "area_id": str(top["area_id"]),
                    "candidates": {
                        str(r["parent_id"]): round(float(r["share"]), 4)
                        for _, r in grp.iterrows()
                        if r["share"] > 0
                    },
                }
            )
    mapping = best[["area_id", "parent_id"]].copy()
    orphans = mapping[mapping["parent_id"].isna() | (best["share"] <= 0).to_numpy()]["area_id"].tolist()
    mapping = mapping[mapping["parent_id"].notna()]
    link_by_mapping(store, layer.layer_id, parent_layer, mapping)
    return {"linked": len(mapping), "ambiguous": ambiguous, "without_parent": orphans}


def dissolve_layer(
    store: Store,
    layer_id: str,
    new_layer: str,
    area_id: str | None = None,
    name: str | None = None,
    layer_name: str | None = None,
    group_of: dict[str, str] | None = None,
    names: dict[str, str] | None = None,
    key_prefix: int | None = None,
) -> dict[str, Any]:
    """Create a layer by dissolving ``layer_id``: into one area (``area_id``), by a lookup
    ``group_of`` (area → new area, e.g. NUTS 2 → country), or by the existing parent.

    With ``area_id`` or ``group_of`` the dissolved layer becomes the parent of ``layer_id``;
    ``names`` names the new areas.
    """
    import shapely

    layer = _require_layer(store, layer_id, "--layer")
    areas = store.areas(layer_id, geometry=True)
    geoms = shapely.from_wkb(areas["geom"].tolist()) if areas["geom"].notna().all() else None
    if key_prefix is not None:
        group_of, prefix_names, label = _prefix_groups(areas, key_prefix, layer_id)
        names = {**prefix_names, **(names or {})}
        layer_name = layer_name or label
    link: pd.Series | None = None
    if area_id is not None:
        link = pd.Series(area_id, index=areas.index)
        names = {area_id: name} if name else names
    elif group_of is not None:
        link = _group_link(areas, group_of, layer_id)
    groups = _dissolve_groups(areas, link, layer_id)
    nested = link is not None and layer.parent_layer is not None
    out, nested = _dissolved_areas(areas, geoms, groups, names or {}, nested)
    import_id = store.next_id("imports", "import_id")
    with store.transaction():
        store.log_import(
            ImportRecord(
                import_id=import_id,
                kind="areas-dissolve",
                file=None,
                sha256=None,
                imported_at=datetime.now(UTC).replace(tzinfo=None),
                options={"from": layer_id, "id": area_id, "name": name},
                layer_id=new_layer,
                rows_read=len(areas),
                values_imported=len(out),
                quarantined=0,
                message="",
            )
        )
        if not nested:
            out["parent_id"] = None
        store.put_layer(
            LayerInfo(
                layer_id=new_layer,
                name=layer_name or new_layer,
                parent_layer=layer.parent_layer if nested else None,
                crs=layer.crs,
                has_geometry=geoms is not None,
                valid_from=layer.valid_from,
                valid_to=layer.valid_to,
                source=f"dissolve:{layer_id}",
                import_id=import_id,
            )
        )
        store.replace_areas(new_layer, out)
        if link is not None:
            _set_parent_layer(store, layer, new_layer)
            store.set_parents(
                layer_id, pd.DataFrame({"area_id": areas["area_id"], "parent_id": link.to_numpy()})
            )
    return {"layer": new_layer, "areas": len(out), "unnamed": int(out["name"].isna().sum())}


def _group_link(areas: pd.DataFrame, group_of: dict[str, str], layer_id: str) -> pd.Series:
    """The new area of each area by the lookup ``group_of``; an area without one is refused."""
    link = areas["area_id"].map(group_of)
    if link.isna().any():
        missing = areas.loc[link.isna(), "area_id"].tolist()
        raise InputError(
            f"Für {len(missing)} Gebiete von {layer_id!r} fehlt die Zuordnung, z. B. {missing[0]!r}.",
            expected="eine Zuordnung für jedes Gebiet",
        )
    return link


def _dissolve_groups(areas: pd.DataFrame, link: pd.Series | None, layer_id: str) -> dict[str, list[int]]:
    """The row positions of the areas per new area: by ``link``, or else by the existing parent
    (every area must have one)."""
    if link is not None:
        return {str(k): list(v) for k, v in areas.groupby(link.to_numpy()).indices.items()}
    if areas["parent_id"].isna().any():
        raise InputError(
            f"Nicht alle Gebiete von {layer_id!r} haben ein übergeordnetes Gebiet.",
            hint="Geben Sie --id an, um alles zu einem Gebiet zusammenzufassen.",
        )
    return {str(k): list(v) for k, v in areas.groupby("parent_id").indices.items()}


def _dissolved_areas(
    areas: pd.DataFrame, geoms: Any, groups: dict[str, list[int]], names: dict[str, str], nested: bool
) -> tuple[pd.DataFrame, bool]:
    """One row per new area (key, name, parent, unioned geometry as WKB); ``nested`` stays true
    only while every new area lies within exactly one parent of the old layer."""
    import shapely

    rows = []
    for gid, idx in groups.items():
        geom = None
        if geoms is not None:
            geom = shapely.to_wkb(shapely.union_all(geoms[idx]))
        parents = set(areas["parent_id"].iloc[idx].dropna()) if nested else set()
        nested = nested and len(parents) == 1
        rows.append(
            {"area_id": gid, "name": names.get(gid), "parent_id": next(iter(parents), None), "geom": geom}
        )
    return pd.DataFrame(rows), nested


def _prefix_groups(
    areas: pd.DataFrame, n: int, layer_id: str
) -> tuple[dict[str, str], dict[str, str], str | None]:
    """Groups by the first ``n`` characters of the keys, with official names where built in.

    A group of one area takes that area's name (a kreisfreie Stadt is its own Gemeindeverband).
    """
    from planlabor.areas.official import detect_system, level_label, names_for_prefix

    keys = areas["area_id"].astype(str)
    short = keys[keys.str.len() < n]
    if len(short):
        raise InputError(
            f"Der Schlüssel {short.iloc[0]!r} der Raumebene {layer_id!r} ist kürzer als --key-prefix {n}.",
            column="--key-prefix",
            expected=f"eine Präfixlänge unter der Schlüssellänge (hier höchstens {keys.str.len().min() - 1})",
            hint="Wählen Sie die Zahl der Stellen, die die übergeordnete Ebene bilden (AGS: 2 Land, 3 "
            "Regierungsbezirk, 5 Kreis).",
        )
    group_of = dict(zip(keys, keys.str.slice(0, n), strict=True))
    system = detect_system(keys.tolist())
    names = names_for_prefix(system, n)
    counts = keys.str.slice(0, n).value_counts()
    for key, name in zip(keys, areas["name"], strict=True):
        g = key[:n]
        if g not in names and counts[g] == 1 and isinstance(name, str) and name:
            names[g] = name
    label = level_label(system, n)
    return group_of, names, label[1] if label else None


def link_by_mapping(store: Store, layer_id: str, parent_layer: str, mapping: pd.DataFrame) -> int:
    """Make ``parent_layer`` the parent of ``layer_id`` with the parents from a lookup the caller
    built (columns ``area_id``, ``parent_id``); atomic.  Returns the number of links."""
    layer = _require_layer(store, layer_id, "--layer")
    _require_layer(store, parent_layer, "--parent-layer")
    with store.transaction():
        _set_parent_layer(store, layer, parent_layer)
        store.set_parents(layer_id, mapping[["area_id", "parent_id"]])
    return len(mapping)
