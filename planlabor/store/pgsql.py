"""SQL text for PostgreSQL: parameters, DDL types, geometries and result types.

The store's SQL is written once (``?`` parameters, DuckDB's type names in ``schema.sql``); this
module turns it into what PostgreSQL and psycopg expect.  Kept apart from the connection code so
it can be read (and tested) on its own.
"""

from __future__ import annotations

import functools
import re
import struct
from collections.abc import Callable
from typing import Any

import pyarrow as pa

EWKB_SRID = 0x20000000


@functools.lru_cache(maxsize=4096)
def placeholders(sql: str) -> str:
    """``?`` → ``%s`` and ``%`` → ``%%`` outside quoted text (psycopg's parameter style).

    >>> placeholders("SELECT '?', x FROM t WHERE a = ? AND b LIKE 'a%'")
    "SELECT '?', x FROM t WHERE a = %s AND b LIKE 'a%%'"
    """
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
            continue
        if ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


def ddl(sql: str) -> str:
    """``schema.sql`` (DuckDB type names) in PostgreSQL's: text compared byte-wise like DuckDB
    (``COLLATE "C"``: the same order in every output), geometries as PostGIS ``geometry``."""
    sql = re.sub(r"\bVARCHAR\b", 'TEXT COLLATE "C"', sql)
    sql = re.sub(r"\bDOUBLE\b", "DOUBLE PRECISION", sql)
    sql = re.sub(r"\bU?TINYINT\b", "SMALLINT", sql)  # network profile flags 0–3
    sql = re.sub(r"\bgeom BLOB\b", "geom geometry", sql)
    return re.sub(r"\bBLOB\b", "BYTEA", sql)


def statements(sql: str) -> list[str]:
    """The statements of a script without comments (none of ours has ``;`` in a literal)."""
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def pg_type(t: pa.DataType) -> str:
    """The column type of an Arrow type in a temporary table."""
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
        return 'TEXT COLLATE "C"'
    if pa.types.is_dictionary(t):
        return pg_type(t.value_type)
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_int64(t) or pa.types.is_uint32(t) or pa.types.is_uint64(t):
        return "BIGINT"
    if pa.types.is_integer(t):
        return "INTEGER"
    if pa.types.is_floating(t):
        return "DOUBLE PRECISION"
    if pa.types.is_date(t):
        return "DATE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP" if t.tz is None else "TIMESTAMPTZ"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "BYTEA"
    if pa.types.is_list(t):
        return pg_type(t.value_type).replace(' COLLATE "C"', "") + "[]"
    raise TypeError(f"Arrow-Typ {t} hat keine PostgreSQL-Entsprechung")


# ------------------------------------------------------------------ geometries
def ewkb(wkb: bytes, srid: int) -> bytes:
    """WKB → PostGIS EWKB with ``srid`` (the SRID flag and number after the type)."""
    if srid <= 0 or len(wkb) < 5:
        return wkb
    order = "<" if wkb[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", wkb[1:5])
    if kind & EWKB_SRID:
        return wkb
    return wkb[:1] + struct.pack(order + "I", kind | EWKB_SRID) + struct.pack(order + "I", srid) + wkb[5:]


def plain_wkb(data: bytes) -> bytes:
    """PostGIS EWKB → plain WKB (the form the rest of planlabor reads and writes)."""
    if len(data) < 5:
        return data
    order = "<" if data[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", data[1:5])
    if not kind & EWKB_SRID:
        return data
    return data[:1] + struct.pack(order + "I", kind & ~EWKB_SRID) + data[9:]


# ---------------------------------------------------------------- result types
_ARROW_OF_OID: dict[int, pa.DataType] = {
    16: pa.bool_(),
    17: pa.binary(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    26: pa.int64(),
    700: pa.float32(),
    701: pa.float64(),
    1700: pa.float64(),  # numeric (e.g. sum of integers): DuckDB gives a float too
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
    1009: pa.list_(pa.string()),
    1007: pa.list_(pa.int32()),
    1016: pa.list_(pa.int64()),
    1022: pa.list_(pa.float64()),
}


def arrow_type(oid: int, geometry_oid: int | None) -> pa.DataType:
    if geometry_oid is not None and oid == geometry_oid:
        return pa.binary()
    return _ARROW_OF_OID.get(oid, pa.string())


def column_converter(t: pa.DataType) -> Callable[[list[Any]], pa.Array]:
    """How a column of Python values from psycopg becomes an Arrow array."""
    if pa.types.is_floating(t):
        return lambda values: pa.array([None if v is None else float(v) for v in values], t)
    if pa.types.is_string(t):
        return lambda values: pa.array([None if v is None else str(v) for v in values], t)
    return lambda values: pa.array(values, t)


#: the number types whose division operators the workspace's schema shadows
_NUMBER_TYPES = ("smallint", "integer", "bigint", "real", "double precision", "numeric")


def safe_division(con: Any, schema: str) -> list[str]:
    """Statements giving the workspace's schema a ``/`` for every pair of number types that
    PostgreSQL divides, with NULL for a zero divisor (as the DuckDB store does with
    ``ieee_floating_point_ops`` off) instead of an error; empty when they are there already.
    Run once, by the migration to schema version 3 (:meth:`PostgresStore.migrate`).

    The schema comes before ``pg_catalog`` in the connection's ``search_path``, so an unqualified
    ``/`` finds these first.  Each is an inlinable SQL function (no cost per row beyond the CASE).
    """
    have = con.execute(
        "SELECT count(*) FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace "
        "WHERE n.nspname = %s AND o.oprname = '/'",
        [schema],
    ).fetchone()[0]
    if have:
        return []
    rows = con.execute(
        "SELECT format_type(oprleft, NULL), format_type(oprright, NULL), format_type(oprresult, NULL) "
        "FROM pg_operator WHERE oprname = '/' AND oprnamespace = 'pg_catalog'::regnamespace "
        "AND format_type(oprleft, NULL) = ANY(%s) AND format_type(oprright, NULL) = ANY(%s)",
        [list(_NUMBER_TYPES), list(_NUMBER_TYPES)],
    ).fetchall()
    out = []
    q = f'"{schema}"'
    for left, right, result in rows:
        out.append(
            f"CREATE OR REPLACE FUNCTION {q}.planlabor_div(a {left}, b {right}) RETURNS {result} "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
            "'SELECT CASE WHEN b = 0 THEN NULL ELSE a OPERATOR(pg_catalog./) b END'"
        )
        out.append(
            f"CREATE OPERATOR {q}./ (LEFTARG = {left}, RIGHTARG = {right}, FUNCTION = {q}.planlabor_div)"
        )
    return out
