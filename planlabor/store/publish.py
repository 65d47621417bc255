"""Published views for GIS clients (QGIS) on a PostgreSQL store: ``planlabor store publish``.

The public, suppressed indicator values (exactly what the public atlas shows: the same
:func:`planlabor.atlas.data.values_frame`) are written to ``published_values``; the schema
``<schema>_oeffentlich`` gets one view per layer — geometry, area, period and one column per
public indicator, one row per area and period.  The read-only role ``<schema>_oeffentlich``
(NOLOGIN; the database administration grants it to QGIS users) may use only that schema: the
views run with their owner's rights, so the role reads neither observations, internal indicators
nor anything else of the workspace schema.  Republishing replaces the views in one transaction
(QGIS sees the old or the new state, never half).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from planlabor.errors import StoreError

VIEW_NAME = re.compile(r"[^a-z0-9_]+")


@dataclass
class PublishReport:
    schema: str
    role: str
    views: dict[str, int] = field(default_factory=dict)  # view → rows


def view_name(layer_id: str) -> str:
    """``LOR-Planungsraum 2021`` → ``lor_planungsraum_2021`` (a plain SQL name)."""
    name = VIEW_NAME.sub("_", layer_id.lower()).strip("_") or "ebene"
    return ("e_" + name if name[0].isdigit() else name)[:60]


def public_values(workspace: Any) -> pd.DataFrame:
    """layer_id, area_id, period, indicator_id, value, flag of every public indicator, suppressed."""
    from planlabor.atlas.data import _layers_with_values, source_of, values_frame

    src = source_of(workspace)
    public = {i.id for i in src.catalog.all_indicators() if i.public}
    frames = []
    for layer in _layers_with_values(src):
        df = values_frame(src, layer.layer_id, True)
        df = df[df["indicator_id"].isin(public)]
        frames.append(df.assign(layer_id=layer.layer_id)[_COLUMNS])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_COLUMNS)


_COLUMNS = ["layer_id", "area_id", "period", "indicator_id", "value", "flag"]


def publish_views(workspace: Any) -> PublishReport:
    """Write the published values and (re)create the views schema and its role."""
    store = workspace.store
    url = getattr(store, "url", None)
    if url is None:
        raise StoreError(
            "Veröffentlichte Sichten für QGIS gibt es nur im gemeinsamen Speicher auf dem Datenbankserver.",
            hint="Kopieren Sie den Arbeitsbereich dorthin: planlabor store copy --to postgresql://…",
        )
    values = public_values(workspace)
    table = pa.Table.from_pandas(values.astype({"value": "float64"}), preserve_index=False)
    report = PublishReport(url.public_schema, url.public_schema)
    with store.transaction():
        store.execute("DELETE FROM published_values")
        if table.num_rows:
            store.insert_arrow("published_values", table.select(_COLUMNS))
        _ensure_role(store, report.role)
        store.execute(f'DROP SCHEMA IF EXISTS "{report.schema}" CASCADE')
        store.execute(f'CREATE SCHEMA "{report.schema}"')
        for layer_id, group in values.groupby("layer_id", sort=True):
            name = view_name(str(layer_id))
            indicators = sorted(set(group["indicator_id"]))
            store.execute(_view_sql(url.schema, report.schema, name, str(layer_id), indicators, store.srid))
            report.views[name] = int(group[["area_id", "period"]].drop_duplicates().shape[0])
        store.execute(f'GRANT USAGE ON SCHEMA "{report.schema}" TO "{report.role}"')
        store.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{report.schema}" TO "{report.role}"')
        store.audit("publish", report.schema, details={"sichten": report.views})
    return report


def _ensure_role(store: Any, role: str) -> None:
    exists = store.query_df("SELECT count(*) AS n FROM pg_roles WHERE rolname = ?", [role])
    if int(exists["n"].iloc[0]):
        return
    try:
        with store.transaction():  # a savepoint: a refused CREATE ROLE leaves the rest intact
            store.execute(f'CREATE ROLE "{role}" NOLOGIN')
    except StoreError as exc:
        raise StoreError(
            f"Die Leserolle {role!r} für QGIS fehlt, und der Datenbankbenutzer darf keine Rollen anlegen.",
            hint=f'Die Datenbankverwaltung legt sie einmal an: CREATE ROLE "{role}" NOLOGIN; und gibt '
            f'sie den QGIS-Benutzer:innen: GRANT "{role}" TO benutzer;',
        ) from exc


def _view_sql(schema: str, public: str, name: str, layer_id: str, indicators: list[str], srid: int) -> str:
    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def ident(text: str) -> str:
        return '"' + text.replace('"', '""')[:63] + '"'

    cols = ",\n".join(
        f"max(value) FILTER (WHERE indicator_id = {lit(i)}) AS {ident(i)},\n"
        f"min(flag) FILTER (WHERE indicator_id = {lit(i)}) AS {ident(i[:56] + '_hinweis')}"
        for i in indicators
    )
    geom_type = f"geometry(MultiPolygon, {srid})" if srid else "geometry(MultiPolygon)"
    shown = ", ".join(ident(c) for c in _outputs(indicators))
    return f"""CREATE VIEW {ident(public)}.{ident(name)} AS
        SELECT CAST(row_number() OVER (ORDER BY a.area_id, v.period) AS INTEGER) AS gid,
               a.area_id AS gebiet, a.name, v.period AS zeitraum, {shown},
               CAST(ST_Multi(a.geom) AS {geom_type}) AS geom
        FROM (SELECT area_id, period, {cols}
              FROM {ident(schema)}.published_values WHERE layer_id = {lit(layer_id)}
              GROUP BY area_id, period) v
        JOIN {ident(schema)}.areas a ON a.layer_id = {lit(layer_id)} AND a.area_id = v.area_id"""


def _outputs(indicators: list[str]) -> list[str]:
    out = []
    for i in indicators:
        out += [i[:63], i[:56] + "_hinweis"]
    return out
