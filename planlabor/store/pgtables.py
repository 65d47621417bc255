"""Arrow tables to and from PostgreSQL: ``COPY`` as CSV both ways, in bounded pieces.

Bulk transfer is by CSV written and read by pyarrow (exact for doubles; NULL and empty text kept
apart): at 11 M values a few times faster than binding rows, and the client holds one piece of
:data:`BATCH_ROWS` rows of text at a time, not the whole table — what goes out is written batch
by batch, what comes in is spooled to a temporary file (on disk beyond :data:`SPOOL_BYTES`)
before pyarrow reads it.  Small tables travel as array parameters instead (:func:`inline_tables`,
for read-only transactions, which may not create even a temporary table).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from planlabor.store.guard import finite_table
from planlabor.store.pgsql import ewkb, pg_type, placeholders

BATCH_ROWS = 250_000
SPOOL_BYTES = 64 * 2**20
_WITH = re.compile(r"\s*WITH\s+(RECURSIVE\s+)?", re.IGNORECASE)


def copy_in(
    con: Any, target: str, cols: list[str], table: pa.Table | Iterable[pa.RecordBatch], srid: int
) -> None:
    """``COPY target (cols) FROM STDIN`` the rows of ``table`` (or of a stream of record batches,
    e.g. DuckDB's ``to_arrow_reader``: never all in memory at once)."""
    batches = table.to_batches(BATCH_ROWS) if isinstance(table, pa.Table) else table
    names = ", ".join(f'"{c}"' for c in cols)
    opts = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    copy_cm: Any = None
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            piece = for_csv(finite_table(pa.Table.from_batches([batch])), srid)
            buf = pa.BufferOutputStream()
            pacsv.write_csv(piece, buf, opts)
            if copy_cm is None:  # no COPY for no rows
                copy_cm = con.cursor().copy(f"COPY {target} ({names}) FROM STDIN (FORMAT csv)")
                copy = copy_cm.__enter__()
            copy.write(memoryview(buf.getvalue()))
    except BaseException as exc:
        if copy_cm is not None:
            copy_cm.__exit__(type(exc), exc, exc.__traceback__)
        raise
    if copy_cm is not None:
        copy_cm.__exit__(None, None, None)


def copy_out(con: Any, sql: str, schema: pa.Schema, params: list[Any] | None = None) -> pa.Table:
    """The rows of ``sql`` (columns as in ``schema``) by ``COPY … TO STDOUT`` as CSV."""
    query = f"COPY ({placeholders(sql) if params else sql}) TO STDOUT (FORMAT csv)"
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as buf:
        with con.cursor().copy(query, params or None) as copy:
            for chunk in copy:
                buf.write(chunk)
        if not buf.tell():
            return schema.empty_table()
        buf.seek(0)
        return pacsv.read_csv(
            buf,
            read_options=pacsv.ReadOptions(column_names=schema.names),
            convert_options=pacsv.ConvertOptions(
                column_types=schema,
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,  # "" is an empty text, an empty field NULL
                true_values=["t"],
                false_values=["f"],
            ),
        )


def inline_tables(tables: dict[str, pa.Table]) -> tuple[str, list[Any]]:
    """``name (cols) AS (SELECT … FROM unnest(?, …))`` per table and the arrays to bind."""
    ctes: list[str] = []
    args: list[Any] = []
    for name, table in tables.items():
        table = finite_table(plain_types(table))
        types = [pg_type(f.type).replace(' COLLATE "C"', "") for f in table.schema]
        cols = [f'"{f.name}"' for f in table.schema]
        arrays = ", ".join(f"CAST(? AS {t}[])" for t in types)
        keep = ", ".join(
            f'{c} COLLATE "C" AS {c}' if t == "TEXT" else c for c, t in zip(cols, types, strict=True)
        )
        ctes.append(f"{name} AS (SELECT {keep} FROM unnest({arrays}) AS u({', '.join(cols)}))")
        args.extend(table.column(i).to_pylist() for i in range(table.num_columns))
    return ", ".join(ctes), args


def with_first(head: str, sql: str) -> str:
    """``WITH head`` in front of ``sql`` (joined with the statement's own ``WITH`` if it has one)."""
    m = _WITH.match(sql)
    if m is None:
        return f"WITH {head}\n{sql}"
    return f"WITH {m.group(1) or ''}{head},\n{sql[m.end() :]}"


def plain_types(table: pa.Table) -> pa.Table:
    """Dictionary columns decoded, null-typed columns as text (for a temporary table)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(f.type.value_type))
        elif pa.types.is_null(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(pa.string()))
    return table


def for_csv(table: pa.Table, srid: int) -> pa.Table:
    """Binary columns as PostgreSQL hex text (geometries as EWKB with the workspace's SRID)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
            values = table.column(i).to_pylist()
            if f.name == "geom":
                text = [None if v is None else ewkb(bytes(v), srid).hex() for v in values]
            else:
                text = [None if v is None else "\\x" + bytes(v).hex() for v in values]
            table = table.set_column(i, f.name, pa.array(text, pa.string()))
        elif pa.types.is_dictionary(f.type):
            table = table.set_column(i, f.name, table.column(i).cast(f.type.value_type))
    return table
