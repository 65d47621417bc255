"""PostgreSQL/PostGIS store: a workspace is one schema in an administration's database.

Same interface and the same SQL as the DuckDB store (``schema.sql``; :mod:`planlabor.store.pgsql`
translates parameters and types).  What is different and why:

- **Writers take turns, readers never wait for them.**  Every writing transaction first takes
  the workspace's advisory lock (``pg_advisory_xact_lock``), so two planners importing and
  computing at the same time are serialised exactly as one DuckDB file would serialise them —
  no lost update, no duplicate import number — while the atlas and QGIS keep reading (MVCC).
  Who holds the lock is named in the German message after :data:`LOCK_WAIT` seconds.
- **Bulk transfer by COPY.**  Arrow tables go in as CSV written by pyarrow (exact for doubles,
  NULL and empty text kept apart); results come back as Arrow and are turned into pandas by
  DuckDB, so both backends give callers identical frames.
- **Geometries are PostGIS** ``geometry`` with the workspace's SRID; the store still speaks WKB.
- **Text compares byte-wise** (``COLLATE "C"``) as in DuckDB, so every sorted output is the same.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa

from planlabor.errors import StoreError, missing_dependency
from planlabor.store.base import Store
from planlabor.store.duckdb_ import memory_connection
from planlabor.store.guard import finite_params
from planlabor.store.migrations import ensure_schema
from planlabor.store.pgsql import (
    arrow_type,
    column_converter,
    ddl,
    pg_type,
    placeholders,
    plain_wkb,
    safe_division,
)
from planlabor.store.pgtables import BATCH_ROWS, copy_in, copy_out, inline_tables, plain_types, with_first
from planlabor.store.pgurl import StoreUrl

try:
    import psycopg
    from psycopg import errors as pgerr
except ImportError:  # pragma: no cover - the [postgres] extra is part of every install we test
    psycopg = None  # type: ignore[assignment]

_log = logging.getLogger("planlabor.sql")
T = TypeVar("T")
_SLOW = float(os.environ.get("PLANLABOR_SQL_SLOW", "0") or 0)
LOCK_WAIT = float(os.environ.get("PLANLABOR_LOCK_WAIT", "30") or 0)
LOCK_CLASS = 0x706C  # "pl": first key of the workspace's advisory lock
_CREATE_TABLE = re.compile(r"\s*CREATE\s+(TEMP\s+|TEMPORARY\s+)?TABLE\b", re.IGNORECASE)


def application_name() -> str:
    """``planlabor import (anna)``: what ``pg_stat_activity`` and lock messages show."""
    words = [w for w in sys.argv[1:] if not w.startswith("-")][:2] if "planlabor" in sys.argv[0] else []
    try:
        user = os.environ.get("PLANLABOR_USER") or getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return f"planlabor {' '.join(words)} ({user})".replace("  ", " ")[:63]


def connect(url: StoreUrl, read_only: bool = False) -> Any:
    """A psycopg connection to the database of ``url`` (autocommit; transactions explicit)."""
    if psycopg is None:  # pragma: no cover
        raise missing_dependency("psycopg[binary]", "postgres")
    try:
        return psycopg.connect(url.conninfo, autocommit=True, application_name=application_name())
    except psycopg.OperationalError as exc:
        raise _connect_error(url, str(exc)) from exc


def connection_pool(url: StoreUrl, size: int) -> Any:
    """A pool of up to ``size`` connections to ``url`` (opened on demand, autocommit) for
    :class:`PostgresStore` ``con=…, release=pool.putconn`` (the server's read requests)."""
    try:
        from psycopg_pool import ConnectionPool
    except ImportError:  # pragma: no cover - part of the [postgres] extra
        raise missing_dependency("psycopg-pool", "postgres") from None
    kwargs = {"autocommit": True, "application_name": application_name()}
    return ConnectionPool(url.conninfo, min_size=0, max_size=max(size, 1), kwargs=kwargs, open=True)


def _connect_error(url: StoreUrl, text: str) -> StoreError:
    low = text.lower()
    if "password" in low:
        hint = (
            "Legen Sie das Passwort in ~/.pgpass ab (rechner:port:datenbank:benutzer:passwort, Rechte "
            "0600) oder setzen Sie PGPASSWORD; nie in planlabor.toml."
        )
    elif "does not exist" in low:
        hint = (
            "Prüfen Sie Datenbank- und Benutzernamen in der Adresse oder fragen Sie die Datenbankverwaltung."
        )
    else:
        hint = "Prüfen Sie Rechner, Port und Netz (läuft der Server? erreichbar von hier?)."
    return StoreError(
        f"Die Datenbank {url.display()} ist nicht erreichbar.",
        column="store.url",
        hint=hint,
        detail=text,
    )


class PostgresStore(Store):
    """Store in schema ``url.schema`` of a PostgreSQL database with PostGIS.

    ``create``: create the schema if it is missing (``planlabor init``); otherwise a missing
    schema is an error (a mistyped address must not start an empty workspace).  ``con``: use this
    connection (from a pool) instead of opening one; it is handed back by :meth:`close`.
    """

    def __init__(
        self,
        url: StoreUrl,
        read_only: bool = False,
        srid: int = 0,
        create: bool = False,
        must_be_new: bool = False,
        con: Any = None,
        release: Any = None,
        lock_timeout: float | None = None,
    ) -> None:
        self.url = url
        self.schema = url.schema
        self.read_only = read_only
        self.srid = srid
        self._release = release
        self.con = con if con is not None else connect(url, read_only)
        self._depth = 0
        self._dirty = False
        self._held = False  # the workspace lock taken for an id outside a transaction
        self._columns: dict[str, list[tuple[str, str]]] = {}
        self._duck = memory_connection()
        self._keep = False  # see keeping_scratch
        self._kept: Store | None = None
        try:
            self._setup(create, must_be_new, lock_timeout)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------- opening
    def _setup(self, create: bool, must_be_new: bool, lock_timeout: float | None) -> None:
        con = self.con
        ext = con.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'postgis'"
        ).fetchone()
        if ext is None:
            raise StoreError(
                "In der Datenbank ist PostGIS nicht eingerichtet.",
                column="store.url",
                hint="Die Datenbankverwaltung richtet es einmal ein: CREATE EXTENSION postgis; "
                "(in der Datenbank des Arbeitsbereichs, als Administrator).",
            )
        exists = con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [self.schema]).fetchone()
        if exists is None and not create:
            raise StoreError(
                f"In der Datenbank gibt es keinen Arbeitsbereich im Schema {self.schema!r}.",
                column="store.url",
                hint="Prüfen Sie die Adresse (…?schema=NAME) oder legen Sie ihn an: "
                "planlabor init ORDNER --store postgresql://…",
            )
        if exists is not None and must_be_new:
            taken = con.execute(
                "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'meta'", [self.schema]
            ).fetchone()
            if taken is not None:
                raise StoreError(
                    f"Im Schema {self.schema!r} gibt es schon einen Arbeitsbereich.",
                    column="store.url",
                    hint="Öffnen Sie dessen Ordner (mit planlabor.toml, z. B. auf dem Netzlaufwerk) oder "
                    "wählen Sie ein anderes Schema: …?schema=NAME.",
                )
        # pg_catalog after the workspace's schema: its division operators (NULL on zero) win
        con.execute(f'SET search_path TO "{self.schema}", pg_catalog, "{ext[0]}"')
        if lock_timeout:
            con.execute(f"SET lock_timeout = '{int(lock_timeout * 1000)}ms'")
        self._geometry_oid = self._register_geometry()
        if self.read_only:
            con.execute("SET default_transaction_read_only = on")
            return
        with self.transaction():
            if exists is None:
                con.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            ensure_schema(self)
            for sql in _extra_ddl():
                con.execute(sql)

    def migrate(self, version: int) -> None:
        if version == 3:  # before: checked on every opening for writing
            for sql in safe_division(self.con, self.schema):
                self.con.execute(sql)

    def _register_geometry(self) -> int | None:
        from psycopg.adapt import Loader

        row = self.con.execute("SELECT 'geometry'::regtype::oid").fetchone()
        oid = int(row[0])

        class WKBText(Loader):
            def load(self, data: Any) -> bytes:
                return plain_wkb(bytes.fromhex(bytes(data).decode("ascii")))

        class WKBBinary(Loader):
            format = psycopg.pq.Format.BINARY

            def load(self, data: Any) -> bytes:
                return plain_wkb(bytes(data))

        self.con.adapters.register_loader(oid, WKBText)
        self.con.adapters.register_loader(oid, WKBBinary)
        return oid

    def script(self, sql: str) -> None:
        """Run the statements of a DDL script (DuckDB type names, see :func:`pgsql.ddl`)."""
        from planlabor.store.pgsql import statements

        for stmt in statements(ddl(sql)):
            self.con.execute(stmt)

    # ----------------------------------------------------------- primitives
    def _run(self, sql: str, params: Sequence[Any] | None = None, binary: bool = False) -> Any:
        params = finite_params(params)
        if _CREATE_TABLE.match(sql):  # callers write schema.sql's type names
            sql = ddl(sql)
        cur = self.con.cursor(binary=binary)
        start = time.perf_counter()
        try:
            cur.execute(sql if params is None else placeholders(sql), params)
        except psycopg.Error as exc:
            _reraise(exc)
        if _SLOW and time.perf_counter() - start >= _SLOW:
            _log.warning("%.2f s: %s", time.perf_counter() - start, " ".join(sql.split())[:160])
        return cur

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self._implicit():
            self._dirty = True
            self._run(sql, params)

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        cur = self._run(sql, params, binary=True)
        if cur.description is None:
            return pa.table({})
        rows = cur.fetchall()
        cols: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in cur.description]
        arrays, names = [], []
        for i, d in enumerate(cur.description):
            names.append(d.name)
            arrays.append(column_converter(arrow_type(d.type_code, self._geometry_oid))(list(cols[i])))
        return pa.Table.from_arrays(arrays, names=_unique(names))

    def query_df(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        # DuckDB turns Arrow into pandas exactly as the DuckDB store does: one behaviour for callers
        table = self.query_arrow(sql, params)
        return self._duck.cursor().from_arrow(table).df()

    def insert_arrow(self, table_name: str, table: pa.Table) -> None:
        with self._implicit():
            self._dirty = True
            cols = [c for c, _ in self.columns(table_name)]
            self._copy_in(table_name, cols[: table.num_columns], table)

    def execute_with(
        self, sql: str, tables: dict[str, pa.Table], params: Sequence[Any] | None = None
    ) -> None:
        with self._implicit(), self._temp_tables(tables):
            self._dirty = True
            self._run(sql, params)

    def query_with(
        self, sql: str, tables: dict[str, pa.Table], params: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        return self._with_tables(self.query_df, sql, tables, params)

    def query_bulk(
        self, sql: str, tables: dict[str, pa.Table] | None = None, params: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        # by COPY as CSV read by pyarrow: a third of the client CPU of fetching row by row
        # (1 M rows: 1.5 s instead of 4.2 s), the same frame
        return self._with_tables(self._bulk, sql, tables, params)

    def query_bulk_arrow(
        self, sql: str, tables: dict[str, pa.Table] | None = None, params: Sequence[Any] | None = None
    ) -> pa.Table:
        return self._with_tables(self._bulk_arrow, sql, tables, params)

    def _with_tables(
        self,
        run: Callable[[str, Sequence[Any] | None], T],
        sql: str,
        tables: dict[str, pa.Table] | None,
        params: Sequence[Any] | None,
    ) -> T:
        """``run(sql, params)`` with ``tables`` visible: temporary tables, or in a read-only
        transaction (which may create no table, not even a temporary one) array parameters
        unnested in common table expressions."""
        if tables and self.read_only:
            head, args = inline_tables(tables)
            return run(with_first(head, sql), [*args, *(params or [])])
        with self._temp_tables(tables or {}):
            return run(sql, params)

    def _copyable(self, sql: str, params: Sequence[Any] | None) -> pa.Schema | None:
        """The result's schema if ``COPY`` as CSV carries it exactly (text and numbers only)."""
        schema = self.query_arrow(f"SELECT * FROM ({sql}) AS q LIMIT 0", params).schema
        simple = (
            pa.types.is_string(t) or pa.types.is_floating(t) or pa.types.is_integer(t) for t in schema.types
        )
        return schema if all(simple) else None

    def _bulk_arrow(self, sql: str, params: Sequence[Any] | None) -> pa.Table:
        schema = self._copyable(sql, params)
        return self.query_arrow(sql, params) if schema is None else self.copy_out(sql, schema, params)

    def _bulk(self, sql: str, params: Sequence[Any] | None) -> pd.DataFrame:
        schema = self._copyable(sql, params)
        if schema is None:
            return self.query_df(sql, params)  # bytes, lists, dates: row by row (exact)
        return self._duck.cursor().from_arrow(self.copy_out(sql, schema, params)).df()

    def add_observations_from(self, con: Any, select_sql: str, import_id: int, slices: pa.Table) -> None:
        # streamed from the staging DuckDB batch by batch into one COPY: at 11 M values the
        # client never holds the whole import as Arrow (the base class fetches it at once)
        with self._implicit():
            self._dirty = True
            cols = [c for c, _ in self.columns("observations")]
            reader = con.execute(
                f"SELECT *, CAST({int(import_id)} AS INTEGER), CAST(NULL AS INTEGER) FROM ({select_sql})"
            ).to_arrow_reader(BATCH_ROWS)
            self._copy_in("observations", cols[: len(reader.schema)], reader)
            self.analyze("observations")  # the planner's row counts for the supersede and compute
            self._supersede(import_id, slices)

    def hash_key(self, *columns: str) -> str | None:
        return None  # PostgreSQL's hash join on the text keys is the fast path already

    def replace_rows(
        self,
        table_name: str,
        select_sql: str,
        tables: dict[str, pa.Table],
        params: Sequence[Any] | None = None,
    ) -> None:
        # TRUNCATE, not DELETE: no dead rows; readers of the table wait for the commit (the
        # server answers from its caches meanwhile, see atlas/access.py)
        with self._implicit(), self._temp_tables(tables):
            self._dirty = True
            self._run(f"TRUNCATE {table_name}")
            # the planner knows no row counts of CTEs and picks nested loops over millions of
            # rows (minutes instead of seconds): hash and merge joins only, for this statement
            self._run("SET LOCAL enable_nestloop = off")
            self._run(f"INSERT INTO {table_name} {select_sql}", params)
            self._run("SET LOCAL enable_nestloop = on")

    @contextmanager
    def scratch(self, selects: dict[str, tuple[str, Sequence[Any] | None]]) -> Iterator[Store]:
        # compute in DuckDB (bench_postgres: the same set-based SQL here was 11.8× slower): the
        # rows come out by COPY as CSV (read by pyarrow, exact), the caller writes results back
        from planlabor.store.duckdb_ import DuckDBStore

        work = DuckDBStore(":memory:")
        kept = False
        try:
            for table, (sql, params) in selects.items():
                schema = work.query_arrow(f"SELECT * FROM {table} LIMIT 0").schema
                work.insert_arrow(table, self.copy_out(sql, schema, params))
            yield work
            if self._keep:  # the pattern reads the observations and values from here
                self._drop_kept()
                self._kept, kept = work, True
        finally:
            if not kept:
                work.close()

    @contextmanager
    def keeping_scratch(self) -> Iterator[None]:
        # one compute: bench_postgres measured the pattern's own transfers (the observations
        # per period, the small-cell candidates) as long as the indicator step's
        self._keep = True
        try:
            yield
        finally:
            self._keep = False
            self._drop_kept()

    def counts_reader(self) -> Store:
        return self._kept if self._kept is not None else self

    def _drop_kept(self) -> None:
        if self._kept is not None:
            self._kept.close()
            self._kept = None

    def copy_out(self, sql: str, schema: pa.Schema, params: Sequence[Any] | None = None) -> pa.Table:
        """The rows of ``sql`` (columns as in ``schema``) by ``COPY … TO STDOUT`` as CSV."""
        try:
            return copy_out(self.con, sql, schema, finite_params(params))
        except psycopg.Error as exc:
            _reraise(exc)
            raise  # pragma: no cover - _reraise always raises

    def analyze(self, table_name: str) -> None:
        # without it a temporary table read right after being filled counts as empty and the
        # planner joins it by nested loops: 58 s instead of 2 s per level (bench_postgres)
        self._run(f"ANALYZE {table_name}")

    def generation(self) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return None if row is None else str(row[0])

    def db_user(self) -> str | None:
        return str(self.con.info.user)

    # ------------------------------------------------------------ transfers
    def columns(self, table_name: str) -> list[tuple[str, str]]:
        """(name, type) of a table's columns in order (cached)."""
        if table_name not in self._columns:
            rows = self.con.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                [table_name],
            ).fetchall()
            self._columns[table_name] = [(str(n), str(t)) for n, t in rows]
        return self._columns[table_name]

    def _copy_in(self, target: str, cols: list[str], table: pa.Table | Iterable[pa.RecordBatch]) -> None:
        try:
            copy_in(self.con, target, cols, table, self.srid)
        except psycopg.Error as exc:
            _reraise(exc)

    @contextmanager
    def _temp_tables(self, tables: dict[str, pa.Table]) -> Iterator[None]:
        made = []
        try:
            for name, table in tables.items():
                table = plain_types(table)
                cols = ", ".join(f'"{f.name}" {pg_type(f.type)}' for f in table.schema)
                self.con.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
                self.con.execute(f"CREATE TEMP TABLE {name} ({cols})")
                made.append(name)
                self._copy_in(name, table.column_names, table)
                self.con.execute(f"ANALYZE {name}")
            yield
        finally:
            for name in made:
                with contextlib.suppress(psycopg.Error):
                    self.con.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")

    # ---------------------------------------------------------- transactions
    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                with self.con.transaction():  # a savepoint
                    yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        self._dirty = False
        try:
            with self.con.transaction():
                if not self.read_only:
                    self._lock()
                yield
                if self._dirty:
                    self.con.execute(
                        "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) "
                        "WHERE key = 'generation'"
                    )
        except psycopg.Error as exc:
            _reraise(exc)
        finally:
            self._depth = 0
            self._unhold()

    def next_id(self, table: str, column: str) -> int:
        """The next free number; taken outside a transaction (the importers number first, then
        write), the workspace lock is taken here and held until the next transaction ends, so a
        concurrent writer cannot take the same number."""
        if not self._depth and not self.read_only and not self._held:
            self._lock(session=True)
            self._held = True
        return super().next_id(table, column)

    def _unhold(self) -> None:
        if self._held and self.con is not None:
            self._held = False
            with contextlib.suppress(psycopg.Error):
                self.con.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_CLASS, self.schema])

    @contextmanager
    def _implicit(self) -> Iterator[None]:
        """A write outside a transaction is one of its own (with the workspace's lock)."""
        if self._depth or self.read_only:
            yield
            return
        with self.transaction():
            yield

    def _lock(self, session: bool = False) -> None:
        """Take the workspace's write lock (until the transaction ends, or with ``session`` until
        released); wait up to :data:`LOCK_WAIT` seconds, then say who holds it."""
        kind = "" if session else "xact_"
        key = f"SELECT pg_try_advisory_{kind}lock(%s, hashtext(%s))"
        deadline = time.monotonic() + LOCK_WAIT
        pause = 0.02
        while True:
            row = self.con.execute(key, [LOCK_CLASS, self.schema]).fetchone()
            if row and row[0]:
                return
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"Der Arbeitsbereich wird gerade von {self.lock_holder()} geändert; Ihre Änderung "
                    "wurde nicht ausgeführt.",
                    hint="Warten Sie, bis die andere Änderung fertig ist, und versuchen Sie es dann erneut "
                    "(oder länger warten lassen: PLANLABOR_LOCK_WAIT=Sekunden). Lesen, der Atlas und "
                    "QGIS sind davon nicht betroffen.",
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.25)

    def lock_holder(self) -> str:
        """Who holds the workspace's write lock, in words (dative)."""
        row = self.con.execute(
            "SELECT a.application_name, a.usename, a.client_addr, a.xact_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.classid = %s AND l.objid = CAST(hashtext(%s) AS oid) AND l.objsubid = 2 LIMIT 1",
            [LOCK_CLASS, self.schema],
        ).fetchone()
        if row is None:
            return "einem anderen Programm"
        app, user, addr, since = row
        where = f" an {addr}" if addr else ""
        when = f", seit {since:%H:%M:%S} Uhr" if since else ""
        return f"'{app or 'unbekannt'}' (Datenbankbenutzer {user}{where}{when})"

    def close(self) -> None:
        self._unhold()
        with contextlib.suppress(Exception):
            self._duck.close()
            self._drop_kept()
        if self.con is None:
            return
        con, self.con = self.con, None
        if self._release is not None:
            self._release(con)
        else:
            con.close()


def _extra_ddl() -> list[str]:
    from planlabor.store.pgsql import statements

    text = resources.files("planlabor.store").joinpath("postgres.sql").read_text(encoding="utf-8")
    return statements(text)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n] - 1}")
    return out


def _reraise(exc: Exception) -> None:
    new = _translate(exc)
    if new is exc:
        raise exc
    raise new from exc


def _translate(exc: Exception) -> Exception:
    """Conflicts between concurrent sessions as a German :class:`StoreError`."""
    if isinstance(exc, pgerr.LockNotAvailable | pgerr.QueryCanceled):
        return StoreError(
            "Die Daten werden gerade von einer anderen Sitzung geändert; die Abfrage hat zu lange gewartet.",
            hint="Versuchen Sie es in einer Minute erneut.",
            detail=str(exc),
        )
    if isinstance(exc, pgerr.SerializationFailure | pgerr.DeadlockDetected):
        return StoreError(
            "Eine gleichzeitige Änderung eines anderen Benutzers kam dazwischen; nichts wurde geändert.",
            hint="Führen Sie den Befehl erneut aus.",
            detail=str(exc),
        )
    if isinstance(exc, pgerr.InsufficientPrivilege):
        return StoreError(
            "Der Datenbankbenutzer darf das nicht.",
            hint="Fragen Sie die Datenbankverwaltung nach den Rechten für das Schema des Arbeitsbereichs.",
            detail=str(exc),
        )
    return exc
