"""Facilities (Einrichtungen): import point layers and assign them to areas.

Points are reprojected to the workspace CRS, assigned to the areas of a layer
by point-in-polygon, and their number and capacity per area are stored as
observations (``{type}_anzahl``, ``{type}_plaetze``) so that indicators, exports,
the atlas and reports can use them like any imported variable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from planlabor.errors import InputError, NotFoundError, examples
from planlabor.io.files import file_sha256
from planlabor.io.geo import read_geo
from planlabor.io.missing import text_column, text_or_none
from planlabor.io.periods import parse_period_option
from planlabor.spatial.points import assign_points
from planlabor.store import ImportRecord, Store

ACCESS_KEY = "barrierefrei"  # attribute holding ja / teilweise / nein (None = not recorded)
ACCESS_VALUES = {
    "ja": "ja", "j": "ja", "yes": "ja", "true": "ja", "1": "ja", "barrierefrei": "ja", "vollständig": "ja",
    "voll": "ja", "rollstuhlgerecht": "ja",
    "teilweise": "teilweise", "teilw.": "teilweise", "teils": "teilweise", "eingeschränkt": "teilweise",
    "bedingt": "teilweise", "partly": "teilweise", "partial": "teilweise",
    "teilweise barrierefrei": "teilweise",
    "nein": "nein", "n": "nein", "no": "nein", "false": "nein", "0": "nein", "nicht barrierefrei": "nein",
}  # fmt: skip


def parse_accessibility(
    values: pd.Series, path: Path, column: str, rows: list[int] | None = None
) -> list[str | None]:
    """Accessibility as ``ja`` / ``teilweise`` / ``nein`` (empty → None); other text is an error
    naming its row (``rows``: the file row of each value; default: record numbers from 1)."""
    out: list[str | None] = []
    for i, v in enumerate(values):
        text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip().lower()
        if not text:
            out.append(None)
            continue
        if text not in ACCESS_VALUES:
            raise InputError(
                f"{v!r} ist keine Angabe zur Barrierefreiheit.",
                file=path,
                row=rows[i] if rows else i + 1,
                column=column,
                expected="ja, teilweise oder nein (auch barrierefrei / eingeschränkt / nicht barrierefrei)",
            )
        out.append(ACCESS_VALUES[text])
    return out


@dataclass
class FacilityReport:
    facility_type: str
    n_facilities: int
    n_assigned: int
    outside: list[str]
    capacity_missing: int
    capacity_total: float
    import_id: int
    warnings: list[str] = field(default_factory=list)


def parse_capacity(values: pd.Series) -> tuple[np.ndarray, list[int]]:
    """Capacities from a text column (``e_platz`` is a string): numbers or NaN, and the positions
    of bad ones (no number, not finite, negative)."""
    out = np.full(len(values), np.nan)
    bad = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        text = str(v).strip().replace(".", "").replace(",", ".")
        if not text:
            continue
        try:
            out[i] = float(text)
        except ValueError:
            bad.append(i)
            continue
        if not np.isfinite(out[i]) or out[i] < 0:
            out[i] = np.nan
            bad.append(i)
    return out, bad


def read_points(path: Path, x_column: str | None, y_column: str | None, source_crs: str | None) -> Any:
    """A point layer from a geo file, or from a table with coordinate columns (case data)."""
    import geopandas as gpd

    from planlabor.io.geo import check_coordinates, is_geo_file, read_attribute_table

    if is_geo_file(path):
        return read_geo(path, source_crs=source_crs)
    if not x_column or not y_column:
        raise InputError(
            "Eine Tabelle braucht die Koordinatenspalten.",
            file=path,
            column="--x-column",
            hint="Geben Sie --x-column, --y-column und --source-crs an.",
        )
    if not source_crs:
        raise InputError(
            "Für Koordinaten aus einer Tabelle fehlt das Koordinatenreferenzsystem.",
            file=path,
            column="--source-crs",
            expected="z. B. EPSG:25833 oder EPSG:4326",
        )
    df = read_attribute_table(path)
    coords = {}
    for col in (x_column, y_column):
        if col not in df.columns:
            raise InputError(
                f"Die Spalte {col!r} gibt es nicht.",
                file=path,
                column=col,
                expected="eine von: " + ", ".join(c for c in df.columns if c != "_line"),
            )
        text = text_column(df[col]).str.replace(",", ".", regex=False)
        vals = pd.to_numeric(text, errors="coerce")
        bad = vals.isna().to_numpy()
        if bad.any():
            i = int(bad.nonzero()[0][0])
            raise InputError(
                f"Die Koordinate {df[col].iloc[i]!r} ist keine Zahl.",
                file=path,
                row=int(df["_line"].iloc[i]),
                column=col,
                expected="eine Zahl wie 390123,5",
            )
        coords[col] = vals.to_numpy(dtype=float)
    attrs = df.drop(columns=["_line"])
    gdf = gpd.GeoDataFrame(
        attrs, geometry=gpd.points_from_xy(coords[x_column], coords[y_column]), crs=source_crs
    )
    rows = [int(x) for x in df["_line"]]
    check_coordinates(gdf, path, rows)
    gdf.attrs["rows"] = rows  # file rows for messages (a table's header is row 1)
    return gdf


def import_facilities(
    store: Store,
    path: str | Path,
    facility_type: str,
    layer: str,
    period: str,
    workspace_crs: str,
    capacity_column: str | None = None,
    id_column: str | None = None,
    name_column: str | None = None,
    x_column: str | None = None,
    y_column: str | None = None,
    source_crs: str | None = None,
    accessible_column: str | None = None,
) -> FacilityReport:
    """Import a point layer of facilities and store counts/capacities per area.

    With ``accessible_column`` the accessibility (ja / teilweise / nein) is kept per facility and
    the counts ``{type}_barrierefrei``, ``{type}_teilweise_barrierefrei`` and
    ``{type}_barrierefrei_unbekannt`` per area are stored as well."""
    import shapely

    path = Path(path)
    if store.layer(layer) is None:
        raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht.", column="--layer")
    per = parse_period_option(period)
    gdf, rows = _read_facility_points(path, x_column, y_column, source_crs, workspace_crs)
    geoms = gdf.geometry.values
    _require_columns(gdf, path, capacity_column, id_column, name_column, accessible_column)
    warnings: list[str] = []
    ids = _facility_ids(gdf, path, facility_type, id_column)
    cap = _capacities(gdf, path, capacity_column, rows)
    areas = store.areas(layer, geometry=True)
    idx = assign_points(geoms, shapely.from_wkb(areas["geom"].tolist()))
    outside = [ids[i] for i in np.nonzero(idx < 0)[0]]
    if outside:
        warnings.append(f"{len(outside)} Einrichtung(en) liegen in keinem Gebiet: {', '.join(outside[:10])}")
    cap_missing = int(np.isnan(cap).sum()) if capacity_column else 0
    if cap_missing:
        warnings.append(f"{cap_missing} Einrichtung(en) ohne Platzzahl (zählen mit 0 Plätzen).")
    access: list[str | None] = [None] * len(gdf)
    if accessible_column:
        access = parse_accessibility(gdf[accessible_column], path, accessible_column, rows)
    obs = _area_counts(
        layer, per, facility_type, areas, idx, cap, access if accessible_column else None, capacity_column
    )
    if accessible_column:
        unknown = sum(a is None for a in access)
        if unknown:
            warnings.append(f"{unknown} Einrichtung(en) ohne Angabe zur Barrierefreiheit.")
    fac = _facility_table(gdf, facility_type, ids, cap, name_column, access if accessible_column else None)
    options = {
        "type": facility_type,
        "layer": layer,
        "period": per,
        "capacity_column": capacity_column,
        "id_column": id_column,
        "accessible_column": accessible_column,
    }
    import_id = _store_facilities(
        store, path, facility_type, layer, options, fac, obs, len(outside), warnings
    )
    return FacilityReport(
        facility_type=facility_type,
        n_facilities=len(gdf),
        n_assigned=int((idx >= 0).sum()),
        outside=outside,
        capacity_missing=cap_missing,
        capacity_total=float(np.nansum(cap)),
        import_id=import_id,
        warnings=warnings,
    )


def _read_facility_points(
    path: Path, x_column: str | None, y_column: str | None, source_crs: str | None, workspace_crs: str
) -> tuple[Any, list[int]]:
    """Read the facilities as points in the workspace CRS (anything but points is refused);
    return them with the row of each record for messages (file rows for tables, record numbers
    from 1 for geo files)."""
    gdf = read_points(path, x_column, y_column, source_crs)
    rows: list[int] = list(gdf.attrs.get("rows") or range(1, len(gdf) + 1))
    if not gdf.crs.equals(workspace_crs):
        gdf = gdf.to_crs(workspace_crs)
    kinds = set(gdf.geometry.geom_type.dropna())
    if kinds - {"Point"}:
        raise InputError(
            f"Einrichtungen müssen Punkte sein, gefunden: {', '.join(sorted(kinds))}.",
            file=path,
            expected="eine Punkt-Geodatei",
        )
    return gdf, rows


def _require_columns(
    gdf: Any,
    path: Path,
    capacity_column: str | None,
    id_column: str | None,
    name_column: str | None,
    accessible_column: str | None,
) -> None:
    """Refuse a named column the file does not have (listing the columns it has)."""
    cols = [str(c) for c in gdf.columns if c != "geometry"]
    for opt, col in (
        ("--capacity-column", capacity_column),
        ("--id-column", id_column),
        ("--name-column", name_column),
        ("--accessible-column", accessible_column),
    ):
        if col and col not in gdf.columns:
            raise InputError(
                f"Die Spalte {col!r} gibt es nicht.",
                file=path,
                column=col,
                expected="eine von: " + ", ".join(cols),
                hint=f"Prüfen Sie {opt}.",
            )


def _facility_ids(gdf: Any, path: Path, facility_type: str, id_column: str | None) -> list[str]:
    """The key of each facility (from ``id_column`` or counted); empty or repeated keys are
    refused."""
    ids = (
        text_column(gdf[id_column]).tolist()
        if id_column
        else [f"{facility_type}-{i + 1}" for i in range(len(gdf))]
    )
    if "" in ids:
        raise InputError(
            "Eine Einrichtung hat keinen Schlüssel.",
            file=path,
            row=ids.index("") + 1,
            column=id_column,
            expected="ein Schlüssel je Einrichtung (oder --id-column weglassen: dann wird gezählt)",
        )
    if len(set(ids)) != len(ids):
        raise InputError(
            "Die Einrichtungsschlüssel sind nicht eindeutig.",
            file=path,
            column=id_column,
            expected="jeder Schlüssel genau einmal",
        )
    return ids


def _capacities(gdf: Any, path: Path, capacity_column: str | None, rows: list[int]) -> np.ndarray:
    """The places of each facility (NaN where unknown or without ``capacity_column``); an
    invalid number is refused naming its rows."""
    if not capacity_column:
        return np.full(len(gdf), np.nan)
    cap, bad = parse_capacity(gdf[capacity_column])
    if bad:
        shown = [f"Zeile {rows[i]}: {gdf[capacity_column].iloc[i]}" for i in bad]
        raise InputError(
            f"Die Platzzahl '{examples([gdf[capacity_column].iloc[bad[0]]], 1)}' ist keine gültige "
            f"Platzzahl ({len(bad)} ungültige: {examples(shown)}). Nichts wurde importiert.",
            file=path,
            row=rows[bad[0]],
            column=capacity_column,
            expected="eine Zahl ab 0 (endlich) oder leer",
        )
    return cap


def _area_counts(
    layer: str,
    per: str,
    facility_type: str,
    areas: pd.DataFrame,
    idx: np.ndarray,
    cap: np.ndarray,
    access: list[str | None] | None,
    capacity_column: str | None,
) -> pa.Table:
    """The observations per area: count, places (with a capacity column) and the counts by
    accessibility (with ``access``), of the facilities assigned by ``idx``."""
    inside = idx >= 0
    frame = pd.DataFrame({"area": idx[inside], "cap": np.nan_to_num(cap[inside])})
    counts = np.bincount(frame["area"], minlength=len(areas))
    places = np.bincount(frame["area"], weights=frame["cap"], minlength=len(areas))
    area_ids = areas["area_id"].astype(str).tolist()
    obs_vars = [f"{facility_type}_anzahl"] + ([f"{facility_type}_plaetze"] if capacity_column else [])
    n = len(area_ids)
    value_parts = [counts.astype(float)] + ([places] if capacity_column else [])
    if access is not None:
        level = np.array([a or "" for a in access], dtype=object)[inside]
        for var, want in (
            ("barrierefrei", "ja"),
            ("teilweise_barrierefrei", "teilweise"),
            ("barrierefrei_unbekannt", ""),
        ):
            obs_vars.append(f"{facility_type}_{var}")
            value_parts.append(
                np.bincount(frame["area"], weights=(level == want).astype(float), minlength=len(areas))
            )
    values = np.concatenate(value_parts)
    return pa.table(
        {
            "layer_id": pa.array([layer] * n * len(obs_vars), pa.string()),
            "area_id": pa.array(area_ids * len(obs_vars), pa.string()),
            "variable": pa.array([v for v in obs_vars for _ in range(n)], pa.string()),
            "period": pa.array([per] * n * len(obs_vars), pa.string()),
            "value": pa.array(values, pa.float64()),
            "flag": pa.nulls(n * len(obs_vars), pa.string()),
        }
    )


def _facility_table(
    gdf: Any,
    facility_type: str,
    ids: list[str],
    cap: np.ndarray,
    name_column: str | None,
    access: list[str | None] | None,
) -> pa.Table:
    """One row per facility: key, name, places, all attributes as JSON (with the accessibility
    when given) and the point as WKB."""
    import shapely

    attrs = gdf.drop(columns="geometry").astype(object).where(gdf.drop(columns="geometry").notna(), None)
    if access is not None:
        attrs[ACCESS_KEY] = access
    return pa.table(
        {
            "facility_type": pa.array([facility_type] * len(gdf), pa.string()),
            "facility_id": pa.array(ids, pa.string()),
            "name": pa.array(
                text_or_none(gdf[name_column]) if name_column else [None] * len(gdf), pa.string()
            ),
            "capacity": pa.array(cap, pa.float64(), from_pandas=True),
            "attributes": pa.array(
                [json.dumps(r, ensure_ascii=False, default=str) for r in attrs.to_dict("records")],
                pa.string(),
            ),
            "geom": pa.array(shapely.to_wkb(gdf.geometry.values).tolist(), pa.binary()),
        }
    )


def _store_facilities(
    store: Store,
    path: Path,
    facility_type: str,
    layer: str,
    options: dict[str, Any],
    fac: pa.Table,
    obs: pa.Table,
    quarantined: int,
    warnings: list[str],
) -> int:
    """Replace the facilities of the type and add the observations, with the import record, in
    one transaction; return the import id."""
    import_id = store.next_id("imports", "import_id")
    fac = fac.append_column("import_id", pa.array([import_id] * fac.num_rows, pa.int32()))
    with store.transaction():
        store.log_import(
            ImportRecord(
                import_id=import_id,
                kind="facilities",
                file=str(path),
                sha256=file_sha256(path),
                imported_at=datetime.now(UTC).replace(tzinfo=None),
                options=options,
                layer_id=layer,
                rows_read=fac.num_rows,
                values_imported=obs.num_rows,
                quarantined=quarantined,
                message="; ".join(warnings),
            )
        )
        store.execute("DELETE FROM facilities WHERE facility_type = ?", [facility_type])
        store.insert_arrow("facilities", fac)
        store.add_observations(import_id, obs)
    return import_id
