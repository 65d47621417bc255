"""The one interface every store backend implements.

Callers (importers, indicator computation, exports) talk only to :class:`Store`.
The schema is plain SQL (``schema.sql``) shared by all backends; a backend
supplies the connection, transactions and bulk transfer.  The store knows
nothing of indicators or methods: it keeps tables.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from planlabor.store.migrations import SCHEMA_VERSION
from planlabor.store.records import ImportRecord, LayerInfo, as_date, missing_as_none

__all__ = ["SCHEMA_VERSION", "ImportRecord", "LayerInfo", "Store"]


class Store(abc.ABC):
    """Abstract store.  Subclasses implement the primitives at the bottom."""

    read_only: bool = False
    #: who acts (audit): ``PLANLABOR_USER`` or the login name; the server sets the signed-in user
    actor: str = ""

    # ------------------------------------------------------------------ layers
    def put_layer(self, layer: LayerInfo) -> None:
        self.execute("DELETE FROM layers WHERE layer_id = ?", [layer.layer_id])
        self.execute(
            "INSERT INTO layers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                layer.layer_id,
                layer.name,
                layer.crs,
                layer.parent_layer,
                layer.valid_from,
                layer.valid_to,
                layer.has_geometry,
                layer.source,
                layer.import_id,
            ],
        )

    def layers(self) -> list[LayerInfo]:
        df = self.query_df("SELECT * FROM layers ORDER BY layer_id")
        out = []
        for rec in df.to_dict("records"):
            out.append(
                LayerInfo(
                    layer_id=rec["layer_id"],
                    name=rec["name"],
                    crs=missing_as_none(rec["crs"]),
                    parent_layer=missing_as_none(rec["parent_layer"]),
                    valid_from=as_date(rec["valid_from"]),
                    valid_to=as_date(rec["valid_to"]),
                    has_geometry=bool(rec["has_geometry"]),
                    source=missing_as_none(rec["source"]),
                    import_id=None if missing_as_none(rec["import_id"]) is None else int(rec["import_id"]),
                )
            )
        return out

    def layer(self, layer_id: str) -> LayerInfo | None:
        for layer in self.layers():
            if layer.layer_id == layer_id:
                return layer
        return None

    # ------------------------------------------------------------------- areas
    def replace_areas(self, layer_id: str, areas: pd.DataFrame) -> None:
        """Replace all areas of a layer. Columns: area_id, name, parent_id, geom (WKB or None)."""
        self.execute("DELETE FROM areas WHERE layer_id = ?", [layer_id])
        table = pa.table(
            {
                "layer_id": pa.array([layer_id] * len(areas), pa.string()),
                "area_id": pa.array(areas["area_id"].astype(object).tolist(), pa.string()),
                "name": pa.array(
                    areas["name"].astype(object).where(areas["name"].notna(), None).tolist(), pa.string()
                ),
                "parent_id": pa.array(
                    areas["parent_id"].astype(object).where(areas["parent_id"].notna(), None).tolist(),
                    pa.string(),
                ),
                "geom": pa.array(
                    areas["geom"].tolist() if "geom" in areas else [None] * len(areas), pa.binary()
                ),
            }
        )
        self.insert_arrow("areas", table)

    def set_parents(self, layer_id: str, mapping: pd.DataFrame) -> None:
        """Set parent_id for the areas of a layer from columns area_id, parent_id."""
        table = pa.table(
            {
                "area_id": pa.array(mapping["area_id"].astype(object).tolist(), pa.string()),
                "parent_id": pa.array(mapping["parent_id"].astype(object).tolist(), pa.string()),
            }
        )
        self.execute_with(
            "UPDATE areas SET parent_id = m.parent_id FROM _pl_map m "
            "WHERE areas.layer_id = ? AND areas.area_id = m.area_id",
            {"_pl_map": table},
            [layer_id],
        )

    def areas(self, layer_id: str, geometry: bool = False) -> pd.DataFrame:
        cols = "area_id, name, parent_id" + (", geom" if geometry else "")
        df = self.query_df(f"SELECT {cols} FROM areas WHERE layer_id = ? ORDER BY area_id", [layer_id])
        if geometry:
            df["geom"] = [
                bytes(g) if isinstance(g, bytes | bytearray | memoryview) else None for g in df["geom"]
            ]
        return df

    # ------------------------------------------------------------ observations
    def next_id(self, table: str, column: str) -> int:
        df = self.query_df(f"SELECT coalesce(max({column}), 0) + 1 AS n FROM {table}")
        return int(df["n"].iloc[0])

    def log_import(self, rec: ImportRecord) -> None:
        """One line of the import log (and of the audit trail), inside the caller's transaction."""
        self.audit(
            "import",
            rec.file or rec.layer_id or rec.kind,
            import_id=rec.import_id,
            details={"art": rec.kind, "ebene": rec.layer_id, "werte": rec.values_imported},
        )
        self.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rec.import_id,
                rec.kind,
                rec.file,
                rec.sha256,
                rec.imported_at,
                json.dumps(rec.options, ensure_ascii=False, default=str),
                rec.layer_id,
                rec.rows_read,
                rec.values_imported,
                rec.quarantined,
                rec.message,
            ],
        )

    def log_new_import(
        self,
        kind: str,
        file: str | None = None,
        sha256: str | None = None,
        options: dict[str, Any] | None = None,
        layer_id: str | None = None,
        rows_read: int = 0,
        values_imported: int = 0,
        message: str = "",
    ) -> int:
        """Log a new import inside the caller's transaction; returns its number."""

        import_id = self.next_id("imports", "import_id")
        self.log_import(
            ImportRecord(
                import_id=import_id,
                kind=kind,
                file=file,
                sha256=sha256,
                imported_at=datetime.now(UTC).replace(tzinfo=None),
                options=options or {},
                layer_id=layer_id,
                rows_read=rows_read,
                values_imported=values_imported,
                quarantined=0,
                message=message,
            )
        )
        return import_id

    def imports(self) -> pd.DataFrame:
        return self.query_df("SELECT * FROM imports ORDER BY import_id")

    def add_observations(self, import_id: int, table: pa.Table, slices: pa.Table | None = None) -> None:
        """Insert observations of one import and supersede the earlier version of
        every (layer, variable, period) slice it covers.

        ``table`` has columns layer_id, area_id, variable, period, value, flag; ``slices``
        (layer_id, variable, period) the slices it covers (derived from ``table`` if omitted).
        """
        n = table.num_rows
        table = table.append_column("import_id", pa.array([import_id] * n, pa.int32()))
        table = table.append_column("superseded_by", pa.nulls(n, pa.int32()))
        self.insert_arrow("observations", table)
        if slices is None:
            slices = (
                table.select(["layer_id", "variable", "period"])
                .group_by(["layer_id", "variable", "period"])
                .aggregate([])
            )
        self._supersede(import_id, slices)

    def _supersede(self, import_id: int, slices: pa.Table) -> None:
        self.execute_with(
            """UPDATE observations SET superseded_by = ?
            WHERE superseded_by IS NULL AND import_id <> ?
              AND (layer_id, variable, period) IN (SELECT layer_id, variable, period FROM _pl_slices)""",
            {"_pl_slices": slices},
            [import_id, import_id],
        )

    def count_current_slices(self, slices: pa.Table) -> int:
        """How many of the given (layer, variable, period) slices already hold current values."""
        df = self.query_with(
            """SELECT count(*) AS n FROM (SELECT DISTINCT layer_id, variable, period FROM observations
            WHERE superseded_by IS NULL AND (layer_id, variable, period) IN
            (SELECT layer_id, variable, period FROM _pl_slices)) AS s""",
            {"_pl_slices": slices},
        )
        return int(df["n"].iloc[0])

    def staging_connection(self) -> Any:
        """A DuckDB connection for staging imports (``None``: a private in-memory one)."""
        return None

    def add_observations_from(self, con: Any, select_sql: str, import_id: int, slices: pa.Table) -> None:
        """Insert the rows of ``select_sql`` (run on the staging connection ``con``)."""
        self.add_observations(import_id, con.execute(select_sql).to_arrow_table(), slices)

    def add_quarantine_from(self, con: Any, select_sql: str) -> None:
        self.add_quarantine(con.execute(select_sql).to_arrow_table())

    def record_observations(
        self,
        kind: str,
        layer_id: str | None,
        frame: pd.DataFrame,
        options: dict[str, Any],
        message: str = "",
        rows_read: int | None = None,
        file: str | None = None,
        sha256: str | None = None,
    ) -> int:
        """Store computed values (an analysis, a re-basing, a plan) as the observations of an
        import of their own: logged, versioned and atomic like a file import.

        ``frame`` has columns layer_id, area_id, variable, period, value and optionally flag
        (missing values without a flag get ``fehlend``); ``file`` and ``sha256`` name the
        input file where the values were computed from one.  Returns the import number.
        """

        value = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
        missing = value.isna().to_numpy()
        if "flag" in frame.columns:
            flag = frame["flag"].where(frame["flag"].map(lambda f: isinstance(f, str)), None)
        else:
            flag = pd.Series([None] * len(frame), index=frame.index, dtype=object)
        flag = flag.where(~(flag.isna().to_numpy() & missing), "fehlend")

        def text(col: str) -> pa.Array:
            return pa.array(frame[col].astype(str).to_numpy(dtype=object), pa.string())

        table = pa.table(
            {
                "layer_id": text("layer_id"),
                "area_id": text("area_id"),
                "variable": text("variable"),
                "period": text("period"),
                "value": pa.array(value.to_numpy(), pa.float64(), mask=missing),
                "flag": pa.array(flag.to_numpy(dtype=object), pa.string(), from_pandas=True),
            }
        )
        import_id = self.next_id("imports", "import_id")
        with self.transaction():
            self.log_import(
                ImportRecord(
                    import_id=import_id,
                    kind=kind,
                    file=file,
                    sha256=sha256,
                    imported_at=datetime.now(UTC).replace(tzinfo=None),
                    options=options,
                    layer_id=layer_id,
                    rows_read=len(frame) if rows_read is None else rows_read,
                    values_imported=len(frame),
                    quarantined=0,
                    message=message,
                )
            )
            self.add_observations(import_id, table)
        return import_id

    def record_columns(
        self,
        kind: str,
        layer_id: str,
        frame: pd.DataFrame,
        columns: dict[str, str],
        options: dict[str, Any],
        period: str | None = None,
        message: str = "",
    ) -> int:
        """Store a result table with one row per area: each column in ``columns`` (column →
        variable) becomes a variable; the period is ``period`` or the frame's ``period`` column."""
        periods = frame["period"].astype(str) if period is None else period
        rows = pd.concat(
            [
                pd.DataFrame(
                    {
                        "layer_id": layer_id,
                        "area_id": frame["area_id"].astype(str),
                        "variable": var,
                        "period": periods,
                        "value": frame[col].astype(float),
                    }
                )
                for col, var in columns.items()
            ],
            ignore_index=True,
        )
        return self.record_observations(kind, layer_id, rows, options, message=message, rows_read=len(frame))

    def fill_area_names(self, layer_id: str, names: pa.Table) -> int:
        """Give areas without a name the name a data file states (columns ``area_id``, ``name``)."""
        if names.num_rows == 0:
            return 0
        before = self.query_df(
            "SELECT count(*) AS n FROM areas WHERE layer_id = ? AND (name IS NULL OR name = '')", [layer_id]
        )
        self.execute_with(
            """UPDATE areas SET name = m.name FROM _pl_names m
            WHERE areas.layer_id = ? AND areas.area_id = m.area_id
              AND (areas.name IS NULL OR areas.name = '')""",
            {"_pl_names": names},
            [layer_id],
        )
        after = self.query_df(
            "SELECT count(*) AS n FROM areas WHERE layer_id = ? AND (name IS NULL OR name = '')", [layer_id]
        )
        return int(before["n"].iloc[0]) - int(after["n"].iloc[0])

    def record_variable_info(self, import_id: int, table: pa.Table) -> None:
        """Label, unit and kind of the variables of an import (columns of ``variable_info``)."""
        if table.num_rows == 0:
            return
        ids = pa.array([import_id] * table.num_rows, pa.int32())
        self.insert_arrow("variable_info", table.add_column(0, "import_id", ids))

    def variable_info(self) -> pd.DataFrame:
        """The newest description of every variable with current observations."""
        return self.query_df(
            """SELECT v.variable, v.label, v.unit, v.kind, v.definition, v.source FROM variable_info v
            WHERE v.import_id = (SELECT max(w.import_id) FROM variable_info w WHERE w.variable = v.variable)
              AND EXISTS (SELECT 1 FROM observations o
                          WHERE o.variable = v.variable AND o.superseded_by IS NULL)
            ORDER BY v.variable"""
        )

    def add_quarantine(self, table: pa.Table) -> None:
        self.insert_arrow("quarantine", table)

    def activate_import(self, import_id: int) -> int:
        """Make the observations of an earlier import current again; returns rows affected."""
        self.execute(
            """
            UPDATE observations SET superseded_by = ?
            WHERE superseded_by IS NULL AND import_id <> ?
              AND (layer_id, variable, period) IN (
                  SELECT DISTINCT layer_id, variable, period FROM observations WHERE import_id = ?)
            """,
            [import_id, import_id, import_id],
        )
        self.execute("UPDATE observations SET superseded_by = NULL WHERE import_id = ?", [import_id])
        df = self.query_df("SELECT count(*) AS n FROM observations WHERE import_id = ?", [import_id])
        return int(df["n"].iloc[0])

    def observations(
        self,
        layer_id: str | None = None,
        variables: Sequence[str] | None = None,
        periods: Sequence[str] | None = None,
        import_id: int | None = None,
    ) -> pd.DataFrame:
        """Current observations (or those of one import, current or not)."""
        where: list[str] = ["TRUE"]
        params: list[Any] = []
        if import_id is None:
            where.append("superseded_by IS NULL")
        else:
            where.append("import_id = ?")
            params.append(import_id)
        if layer_id is not None:
            where.append("layer_id = ?")
            params.append(layer_id)
        if variables:
            where.append(f"variable IN ({', '.join('?' * len(variables))})")
            params.extend(variables)
        if periods:
            where.append(f"period IN ({', '.join('?' * len(periods))})")
            params.extend(periods)
        return self.query_df(
            "SELECT layer_id, area_id, variable, period, value, flag, import_id FROM observations "
            f"WHERE {' AND '.join(where)} ORDER BY layer_id, variable, period, area_id",
            params,
        )

    def indicator_values(
        self,
        layer_id: str | None = None,
        indicators: Sequence[str] | None = None,
        periods: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        where: list[str] = ["TRUE"]
        params: list[Any] = []
        if layer_id is not None:
            where.append("layer_id = ?")
            params.append(layer_id)
        if indicators:
            where.append(f"indicator_id IN ({', '.join('?' * len(indicators))})")
            params.extend(indicators)
        if periods:
            where.append(f"period IN ({', '.join('?' * len(periods))})")
            params.extend(periods)
        table = self.query_arrow(
            "SELECT layer_id, area_id, indicator_id, period, value, numerator, denominator, flag "
            f"FROM indicator_values WHERE {' AND '.join(where)} "
            "ORDER BY layer_id, indicator_id, period, area_id",
            params,
        )
        # through Arrow: the same frame as query_df in a third of the time (DuckDB's .df() makes
        # Python strings of the text columns first); empty text columns typed as .df() types them
        df = table.to_pandas()
        if not len(df):
            df = df.astype({f.name: object for f in table.schema if pa.types.is_string(f.type)})
        return df

    # ------------------------------------------------------------------ audit
    def audit(
        self,
        action: str,
        subject: str | None = None,
        import_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Record who did what (``import``, ``revert``, ``compute``, ``publish``, ``copy``, …) and
        when, in the caller's transaction (:mod:`planlabor.store.audit` reads it)."""
        from planlabor.store.audit import actor_name

        with self.transaction():
            n = self.next_id("audit", "audit_id")
            self.execute(
                "INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    n,
                    datetime.now(UTC).replace(tzinfo=None),
                    self.actor or actor_name(),
                    self.db_user(),
                    action,
                    subject,
                    import_id,
                    json.dumps(details or {}, ensure_ascii=False, default=str),
                ],
            )

    # ------------------------------------------------------ backend specifics
    def hash_key(self, *columns: str) -> str | None:
        """A 64-bit hash of ``columns`` to join on (verified against the full key), or None
        where the backend joins the text keys as fast (compute uses the exact join then)."""
        return f"hash({', '.join(columns)})"

    def replace_rows(
        self,
        table_name: str,
        select_sql: str,
        tables: dict[str, pa.Table],
        params: Sequence[Any] | None = None,
    ) -> None:
        """Replace all rows of a table by the rows of ``select_sql`` (columns in table order)."""
        self.execute_with(f"CREATE OR REPLACE TABLE {table_name} AS {select_sql}", tables, params)

    @contextmanager
    def scratch(self, selects: dict[str, tuple[str, Sequence[Any] | None]]) -> Iterator[Store]:
        """A store to compute in, holding the rows of ``selects`` (table → ``SELECT`` of its
        columns in table order, parameters).  Here: the store itself (the selects describe what the
        computation reads).  The PostgreSQL store answers with an in-memory DuckDB store filled
        by ``COPY``: set-based analytics run columnar there; the caller writes the results back."""
        yield self

    @contextmanager
    def keeping_scratch(self) -> Iterator[None]:
        """Inside: the last :meth:`scratch` stays open after its block and :meth:`counts_reader`
        answers from it (one ``compute``: the indicator step and the confidentiality pattern
        share one transfer of the observations).  Here: nothing to keep."""
        yield

    def counts_reader(self) -> Store:
        """Where to read the current observations of the counted variables and the values of the
        ratio and count indicators just computed: the scratch kept by :meth:`keeping_scratch`
        (holding exactly those rows) or the store itself."""
        return self

    def analyze(self, table_name: str) -> None:
        """Refresh the planner's statistics of a table just filled (a no-op where the backend
        needs none)."""
        return None

    def migrate(self, version: int) -> None:
        """What this backend needs for schema ``version`` beyond ``schema.sql`` (run once, by
        :func:`~planlabor.store.migrations.ensure_schema`, inside its transaction)."""
        return None

    def generation(self) -> str | None:
        """A value that changes with every committed change (None: the backend has none; the
        server then watches the store's files)."""
        return None

    def db_user(self) -> str | None:
        """The database user (None for an embedded store)."""
        return None

    def has_table(self, name: str) -> bool:
        df = self.query_df(
            "SELECT count(*) AS n FROM information_schema.tables "
            "WHERE table_name = ? AND table_schema = current_schema()",
            [name],
        )
        return int(df["n"].iloc[0]) > 0

    @staticmethod
    def table_names() -> list[str]:
        """The tables of ``schema.sql`` in order (views left out)."""
        import re

        from planlabor.store.migrations import schema_sql

        return re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema_sql())

    # ----------------------------------------------------- backend primitives
    @abc.abstractmethod
    def script(self, sql: str) -> None:
        """Run the statements of a DDL script written in ``schema.sql``'s dialect."""

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one statement."""

    @abc.abstractmethod
    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a query and return a DataFrame."""

    @abc.abstractmethod
    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query and return an Arrow table."""

    @abc.abstractmethod
    def insert_arrow(self, table_name: str, table: pa.Table) -> None:
        """Append an Arrow table (columns in schema order) to a table."""

    @abc.abstractmethod
    def execute_with(
        self, sql: str, tables: dict[str, pa.Table], params: Sequence[Any] | None = None
    ) -> None:
        """Run one statement that may read the given Arrow tables by name."""

    @abc.abstractmethod
    def query_with(
        self, sql: str, tables: dict[str, pa.Table], params: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """Run a query that may read the given Arrow tables by name."""

    def query_bulk(
        self, sql: str, tables: dict[str, pa.Table] | None = None, params: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """:meth:`query_with` for a result of many rows (a server store fetches it in bulk)."""
        return self.query_with(sql, tables, params) if tables else self.query_df(sql, params)

    def query_bulk_arrow(
        self, sql: str, tables: dict[str, pa.Table] | None = None, params: Sequence[Any] | None = None
    ) -> pa.Table:
        """:meth:`query_bulk` as an Arrow table (no pandas strings: the confidentiality pattern
        reads each period's observations this way, see ``confidentiality/focus.py``)."""
        return pa.Table.from_pandas(self.query_bulk(sql, tables, params), preserve_index=False)

    @abc.abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: commit on success, roll back on any exception."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
