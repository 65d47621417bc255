"""Import area layers and build their hierarchy.

A layer's parent can come from a column of the file (``--parent-column``),
from the key itself (``--parent-prefix 6``: PLR ``01100101`` → BZR ``011001``,
as Berlin LOR and German AGS keys are built), from a separate table such as
``LOR_2021.csv`` (:func:`planlabor.areas.linking.link_by_table`), or from spatial containment
(:func:`planlabor.areas.linking.link_by_containment`, which reports ambiguous cases).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from planlabor.errors import InputError, NotFoundError, examples
from planlabor.io.files import file_sha256
from planlabor.io.geo import is_geo_file, read_attribute_table, read_geo
from planlabor.io.table import ReadOptions
from planlabor.store import ImportRecord, LayerInfo, Store


@dataclass
class AreaImportOptions:
    layer: str
    id_column: str
    name_column: str | None = None
    layer_name: str | None = None
    parent_layer: str | None = None
    parent_column: str | None = None
    parent_prefix: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    source_crs: str | None = None
    id_width: int | None = None
    id_pattern: str | None = None
    set_keys: dict[int, str] = field(default_factory=dict)
    read: ReadOptions = field(default_factory=ReadOptions)
    where: dict[str, list[str]] = field(default_factory=dict)  # keep rows matching (shell patterns)
    where_not: dict[str, list[str]] = field(default_factory=dict)  # drop rows matching


@dataclass
class AreaImportReport:
    layer: str
    file: str
    n_areas: int
    crs_from: str | None
    crs_to: str | None
    repaired: list[str]
    empty: list[str]
    parent_layer: str | None
    parents_missing: dict[str, list[str]]
    ambiguous: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    import_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _column(df: pd.DataFrame, name: str, path: Path, option: str) -> str:
    if name in df.columns:
        return name
    lower = {str(c).lower(): str(c) for c in df.columns}
    if name.lower() in lower:
        return lower[name.lower()]
    cols = [str(c) for c in df.columns if c != "geometry"]
    raise InputError(
        f"Die Spalte {name!r} gibt es in der Datei nicht.",
        file=path,
        row=1,
        column=name,
        expected="eine dieser Spalten: " + ", ".join(cols),
        hint=f"Prüfen Sie {option}.",
    )


def _as_keys(series: pd.Series, width: int | None) -> pd.Series:
    def conv(v: Any) -> Any:
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        s = str(v).strip().strip('"')
        if width and s:
            s = s.zfill(width)
        return s or None

    return series.map(conv).astype(object)


def _filter_rows(
    df: pd.DataFrame, geoms: Any, opts: AreaImportOptions, path: Path
) -> tuple[pd.DataFrame, Any]:
    """Keep the features selected by ``--where`` and not excluded by ``--where-not``
    (e.g. the D-A-CH countries of a Europe-wide NUTS file)."""
    import fnmatch

    keep = pd.Series(True, index=df.index)
    for option, rules, want in (("--where", opts.where, True), ("--where-not", opts.where_not, False)):
        for name, patterns in rules.items():
            col = _column(df, name, path, option)
            text = _as_keys(df[col], None).fillna("")
            hit = text.map(lambda v, pats=patterns: any(fnmatch.fnmatchcase(v, p) for p in pats))
            keep &= hit if want else ~hit
    if not keep.any():
        raise InputError(
            "Nach --where/--where-not bleibt kein Gebiet übrig.",
            file=path,
            hint="Prüfen Sie Spaltennamen und Werte, z. B. --where CNTR_CODE=DE,AT,CH.",
        )
    mask = keep.to_numpy()
    return df[mask].reset_index(drop=True), (None if geoms is None else geoms[mask].reset_index(drop=True))


def import_areas(
    store: Store, path: str | Path, opts: AreaImportOptions, workspace_crs: str
) -> AreaImportReport:
    """Import (or replace) an area layer.  Atomic; recorded in the import log."""
    path = Path(path)
    warnings: list[str] = []
    df, geoms, crs_from, crs_to = _read_areas(path, opts, workspace_crs)
    id_col = _column(df, opts.id_column, path, "--id-column")
    if df.empty:
        raise InputError(
            "Die Datei enthält keine Gebiete" + (" (nach --where)." if opts.where or opts.where_not else "."),
            file=path,
            expected="mindestens ein Gebiet",
            hint="Eine leere Datei würde die Raumebene leeren; nichts wurde geändert.",
        )
    # record numbers for messages: features count from 1, table rows from 2 (header is line 1)
    first_record = 1 if geoms is not None else 2
    ids = _id_pattern_keys(_as_keys(df[id_col], opts.id_width), opts, path, id_col)
    _set_keys(ids, opts, path, first_record, warnings)
    _check_area_keys(ids, df, opts, path, id_col, first_record)
    out = _area_frame(df, ids, opts, path)
    repaired, empty = _area_geometries(out, geoms, warnings)
    parents_missing = _check_parents(store, out, opts, path)
    info = _store_areas(store, path, opts, out, crs_to, geoms is not None, warnings)
    return AreaImportReport(
        layer=opts.layer,
        file=str(path),
        n_areas=len(out),
        crs_from=crs_from,
        crs_to=crs_to,
        repaired=repaired,
        empty=empty,
        parent_layer=info.parent_layer,
        parents_missing=parents_missing,
        warnings=warnings,
        import_id=info.import_id,
    )


def _read_areas(
    path: Path, opts: AreaImportOptions, workspace_crs: str
) -> tuple[pd.DataFrame, Any, str | None, str | None]:
    """Read the attribute table and (for a geo file) the polygons in the workspace CRS, filtered
    by ``--where``/``--where-not``; return table, geometries, source CRS and target CRS."""
    crs_from = crs_to = None
    if is_geo_file(path):
        gdf = read_geo(path, source_crs=opts.source_crs)
        _require_polygons(gdf, path)
        crs_from = gdf.crs.to_string()
        if not gdf.crs.equals(workspace_crs):
            gdf = gdf.to_crs(workspace_crs)
        crs_to = workspace_crs
        df = pd.DataFrame(gdf.drop(columns="geometry"))
        geoms = gdf.geometry
    else:
        df = read_attribute_table(path, opts.read)
        geoms = None
    if opts.where or opts.where_not:
        df, geoms = _filter_rows(df, geoms, opts, path)
    return df, geoms, crs_from, crs_to


def _id_pattern_keys(ids: pd.Series, opts: AreaImportOptions, path: Path, id_col: str) -> pd.Series:
    """The keys cut out of the key column by ``--id-pattern`` (its one group); a key that does
    not match is refused naming its row."""
    if not opts.id_pattern:
        return ids
    try:
        extracted = ids.str.extract(opts.id_pattern, expand=False)
    except (ValueError, re.error) as exc:
        raise InputError(
            f"Das Muster {opts.id_pattern!r} ist kein gültiger regulärer Ausdruck mit einer Gruppe.",
            column="--id-pattern",
            expected="z. B. '110000(\\d\\d)'",
        ) from exc
    bad = extracted.isna() & ids.notna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            f"Der Schlüssel {ids.iloc[row]!r} passt nicht zum Muster {opts.id_pattern!r}.",
            file=path,
            row=row + 2,
            column=id_col,
            hint="Prüfen Sie --id-pattern.",
        )
    return extracted.astype(object)


def _set_keys(
    ids: pd.Series, opts: AreaImportOptions, path: Path, first_record: int, warnings: list[str]
) -> None:
    """Replace the keys of the records named by ``--set-key`` in place (each noted in
    ``warnings``); a record number outside the file is refused."""
    for record, key in opts.set_keys.items():
        pos = record - first_record
        if not 0 <= pos < len(ids):
            raise InputError(
                f"Einen Datensatz {record} gibt es nicht (die Datei hat {len(ids)}).",
                file=path,
                column="--set-key",
                expected=f"eine Nummer von {first_record} bis {len(ids) + first_record - 1}",
            )
        warnings.append(f"Datensatz {record}: Schlüssel {ids.iloc[pos]!r} durch {key!r} ersetzt.")
        ids.iloc[pos] = key


def _check_area_keys(
    ids: pd.Series, df: pd.DataFrame, opts: AreaImportOptions, path: Path, id_col: str, first_record: int
) -> None:
    """Refuse a missing key, a key with control characters and a key that occurs twice (naming
    the records and how to correct a wrongly published key)."""
    if ids.isna().any():
        row = int(ids.isna().to_numpy().nonzero()[0][0]) + first_record
        raise InputError(
            "Ein Gebiet hat keinen Schlüssel.",
            file=path,
            row=row,
            column=id_col,
            expected="ein Schlüssel für jedes Gebiet",
        )
    control = ids.astype(str).str.contains(r"[\x00-\x1f\x7f]", regex=True).to_numpy()
    if control.any():
        i = int(control.nonzero()[0][0])
        raise InputError(
            f"Der Schlüssel '{examples([ids.iloc[i]], 1)}' enthält Steuerzeichen.",
            file=path,
            row=i + first_record,
            column=id_col,
            expected="Schlüssel aus sichtbaren Zeichen",
        )
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        first = dup.iloc[0]
        rows = [int(i) + first_record for i in dup.index[dup == first]]
        names_of = (
            [
                str(df[_column(df, opts.name_column, path, "--name-column")].iloc[r - first_record])
                for r in rows
            ]
            if opts.name_column
            else []
        )
        raise InputError(
            f"Der Schlüssel {first!r} kommt mehrfach vor (Datensätze {', '.join(map(str, rows))}"
            + (f": {', '.join(names_of)}" if names_of else "")
            + ").",
            file=path,
            row=rows[-1],
            column=id_col,
            expected="jeder Gebietsschlüssel genau einmal",
            hint=f"Korrigieren Sie einen falsch veröffentlichten Schlüssel mit --set-key "
            f"{rows[0]}=RICHTIGER_SCHLÜSSEL, oder fassen Sie Mehrteiler vorher zusammen.",
        )


def _area_frame(df: pd.DataFrame, ids: pd.Series, opts: AreaImportOptions, path: Path) -> pd.DataFrame:
    """The areas to store: key, name and parent key (from ``--parent-column`` or the key prefix
    ``--parent-prefix``)."""
    names = (
        df[_column(df, opts.name_column, path, "--name-column")].astype(object)
        if opts.name_column
        else pd.Series([None] * len(df), dtype=object)
    )
    out = pd.DataFrame({"area_id": ids.values, "name": names.values})
    out["parent_id"] = None
    if opts.parent_column:
        if not opts.parent_layer:
            raise InputError(
                "--parent-column braucht --parent-layer.",
                column="--parent-layer",
                hint="Nennen Sie die übergeordnete Raumebene mit --parent-layer.",
            )
        out["parent_id"] = _as_keys(df[_column(df, opts.parent_column, path, "--parent-column")], None).values
    elif opts.parent_prefix:
        if not opts.parent_layer:
            raise InputError("--parent-prefix braucht --parent-layer.", column="--parent-layer")
        out["parent_id"] = out["area_id"].str.slice(0, opts.parent_prefix)
    return out


def _area_geometries(out: pd.DataFrame, geoms: Any, warnings: list[str]) -> tuple[list[str], list[str]]:
    """Add the geometries as WKB to ``out`` (invalid ones repaired to their polygonal part, empty
    ones as NULL, both noted in ``warnings``); return the keys repaired and the keys empty."""
    repaired: list[str] = []
    empty: list[str] = []
    if geoms is None:
        out["geom"] = None
        return repaired, empty
    import shapely

    arr = geoms.values
    valid = shapely.is_valid(arr)
    is_empty = shapely.is_empty(arr) | pd.isna(arr)
    for i in (~valid & ~is_empty).nonzero()[0]:
        repaired.append(str(out["area_id"].iloc[i]))
    if repaired:
        fixed = shapely.make_valid(arr[~valid & ~is_empty])
        # keep only the polygonal part of a repaired geometry
        fixed = [_polygonal(g) for g in fixed]
        arr = arr.copy()
        arr[~valid & ~is_empty] = fixed
    empty = [str(out["area_id"].iloc[i]) for i in is_empty.nonzero()[0]]
    out["geom"] = [None if g is None or g.is_empty else shapely.to_wkb(g) for g in arr]
    if empty:
        warnings.append(f"{len(empty)} Gebiet(e) ohne Geometrie: {', '.join(empty[:10])}")
    if repaired:
        warnings.append(f"{len(repaired)} ungültige Geometrie(n) repariert: {', '.join(repaired[:10])}")
    return repaired, empty


def _check_parents(
    store: Store, out: pd.DataFrame, opts: AreaImportOptions, path: Path
) -> dict[str, list[str]]:
    """Refuse a parent layer that does not exist and parent keys it does not hold (nothing is
    imported then); return the missing parents (empty when the import may go on)."""
    parents_missing: dict[str, list[str]] = {}
    if not opts.parent_layer:
        return parents_missing
    if store.layer(opts.parent_layer) is None:
        raise NotFoundError(
            f"Die übergeordnete Raumebene {opts.parent_layer!r} gibt es nicht.",
            column="--parent-layer",
            hint="Importieren Sie zuerst die übergeordnete Ebene.",
        )
    known = set(store.areas(opts.parent_layer)["area_id"].astype(str))
    if out["parent_id"].notna().any():
        for aid, pid in zip(out["area_id"], out["parent_id"], strict=True):
            if pid is None or pid not in known:
                parents_missing.setdefault(str(pid), []).append(str(aid))
        if parents_missing:
            first = next(iter(parents_missing))
            raise InputError(
                f"{len(parents_missing)} übergeordnete Schlüssel gibt es in {opts.parent_layer!r} "
                f"nicht, z. B. {first!r} (für {', '.join(parents_missing[first][:5])}). "
                "Nichts wurde importiert.",
                file=path,
                column=opts.parent_column or "--parent-prefix",
                expected=f"Schlüssel der Raumebene {opts.parent_layer!r}",
                hint="Prüfen Sie die Elternspalte oder die Präfixlänge.",
            )
    return parents_missing


def _store_areas(
    store: Store,
    path: Path,
    opts: AreaImportOptions,
    out: pd.DataFrame,
    crs_to: str | None,
    has_geometry: bool,
    warnings: list[str],
) -> LayerInfo:
    """Write the layer, its areas and the import record in one transaction (an existing layer is
    replaced, keeping its parent links where the import names none); return the layer."""
    layer = store.layer(opts.layer)
    if layer is not None:
        warnings.append(f"Die Raumebene {opts.layer!r} wurde ersetzt.")
        kept = _keep_parent_links(store, layer, out, opts)
        if kept:
            warnings.append(f"Zuordnung zu {layer.parent_layer!r} für {kept} Gebiete übernommen.")
    import_id = store.next_id("imports", "import_id")
    info = LayerInfo(
        layer_id=opts.layer,
        name=opts.layer_name or (layer.name if layer else opts.layer),
        crs=crs_to,
        parent_layer=opts.parent_layer or (layer.parent_layer if layer else None),
        valid_from=opts.valid_from,
        valid_to=opts.valid_to,
        has_geometry=has_geometry,
        source=str(path),
        import_id=import_id,
    )
    with store.transaction():
        store.log_import(
            ImportRecord(
                import_id=import_id,
                kind="areas",
                file=str(path),
                sha256=file_sha256(path),
                imported_at=datetime.now(UTC).replace(tzinfo=None),
                options={k: v for k, v in asdict(opts).items() if v not in (None, [], {})},
                layer_id=opts.layer,
                rows_read=len(out),
                values_imported=len(out),
                quarantined=0,
                message="; ".join(warnings),
            )
        )
        store.put_layer(info)
        store.replace_areas(opts.layer, out)
    return info


def _require_polygons(gdf: Any, path: Path) -> None:
    """Areas are polygons: a layer of points or lines is refused (naming the records)."""
    kinds = gdf.geometry.geom_type
    wrong = kinds.notna() & ~kinds.isin(["Polygon", "MultiPolygon"])
    if wrong.any():
        recs = [int(i) + 1 for i in wrong.to_numpy().nonzero()[0]]
        raise InputError(
            f"Gebiete müssen Flächen sein; {len(recs)} Geometrie(n) sind "
            f"{', '.join(sorted(set(kinds[wrong])))} (Datensatz {examples(recs)}). Nichts wurde importiert.",
            file=path,
            row=recs[0],
            expected="Polygone oder Multipolygone",
            hint="Punkte (z. B. Einrichtungen) importiert 'planlabor facilities import'.",
        )


def _keep_parent_links(store: Store, layer: LayerInfo, out: pd.DataFrame, opts: AreaImportOptions) -> int:
    """A re-import without parent options keeps the links of the areas that stay (same key)."""
    if opts.parent_layer or opts.parent_column or opts.parent_prefix or not layer.parent_layer:
        return 0
    old = store.areas(layer.layer_id)
    parents = dict(zip(old["area_id"].astype(str), old["parent_id"], strict=True))
    out["parent_id"] = [parents.get(str(a)) for a in out["area_id"]]
    return int(out["parent_id"].notna().sum())


def _polygonal(geom: Any) -> Any:
    import shapely
    from shapely.geometry import GeometryCollection, MultiPolygon, Polygon

    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    if isinstance(geom, GeometryCollection):
        polys = [g for g in geom.geoms if isinstance(g, Polygon | MultiPolygon)]
        if polys:
            return shapely.union_all(polys)
    return geom


def layer_summary(store: Store) -> list[dict[str, Any]]:
    """Layers with area counts, parent and validity, for ``planlabor areas list``."""
    counts = store.query_df(
        "SELECT layer_id, count(*) AS n, count(geom) AS g, count(parent_id) AS p FROM areas GROUP BY layer_id"
    )
    by = {r["layer_id"]: r for r in counts.to_dict("records")}
    out = []
    for lay in store.layers():
        c = by.get(lay.layer_id, {"n": 0, "g": 0, "p": 0})
        out.append(
            {
                "layer": lay.layer_id,
                "name": lay.name,
                "areas": int(c["n"]),
                "with_geometry": int(c["g"]),
                "with_parent": int(c["p"]),
                "parent_layer": lay.parent_layer,
                "valid_from": lay.valid_from,
                "valid_to": lay.valid_to,
                "crs": lay.crs,
            }
        )
    return out


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str, indent=2)
