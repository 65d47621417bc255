"""Schema version and migrations, the same for every backend.

``schema.sql`` always describes the current schema (``CREATE … IF NOT EXISTS``); a store made by
an earlier version is brought up to it by the statements of :data:`MIGRATIONS` (for what
``IF NOT EXISTS`` cannot do: new columns, changed data), run in order inside one transaction,
before ``schema.sql``; what only one backend needs (PostgreSQL's division operators) is done by
the store's :meth:`~planlabor.store.base.Store.migrate` after it, for new stores too.  The version
is kept in ``meta.schema_version``.  A store of a *newer*
planlabor is refused instead of being changed by an older one.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from planlabor.errors import StoreError

if TYPE_CHECKING:
    from planlabor.store.base import Store

SCHEMA_VERSION = 3

#: statements that bring a store of version ``v - 1`` to version ``v`` (before schema.sql runs)
MIGRATIONS: dict[int, list[str]] = {
    2: [],  # 2 (issue 18): the audit table (new, created by schema.sql)
    3: [],  # 3 (issue 18): PostgreSQL: ``/`` gives NULL for a zero divisor (PostgresStore.migrate)
}


def schema_sql() -> str:
    return resources.files("planlabor.store").joinpath("schema.sql").read_text(encoding="utf-8")


def stored_version(store: Store) -> int | None:
    """The schema version of the store (None: a new, empty store)."""
    if not store.has_table("meta"):
        return None
    df = store.query_df("SELECT value FROM meta WHERE key = 'schema_version'")
    return int(df["value"].iloc[0]) if len(df) else 1


def ensure_schema(store: Store) -> int:
    """Create or migrate the schema (inside the caller's transaction); returns the old version."""
    old = stored_version(store)
    if old is not None and old > SCHEMA_VERSION:
        raise StoreError(
            f"Der Speicher hat die Schemaversion {old}; dieses planlabor kennt nur bis {SCHEMA_VERSION}.",
            hint="Aktualisieren Sie planlabor (pip install -U planlabor) auf die Version, mit der der "
            "Arbeitsbereich zuletzt bearbeitet wurde.",
        )
    for version in range((old or SCHEMA_VERSION) + 1, SCHEMA_VERSION + 1):
        for stmt in MIGRATIONS[version]:
            store.execute(stmt)
    store.script(schema_sql())
    for version in range((old or 1) + 1, SCHEMA_VERSION + 1):  # a new store: every step
        store.migrate(version)
    if old != SCHEMA_VERSION:  # written only when it changes (an unchanged store stays untouched)
        store.execute("DELETE FROM meta WHERE key = 'schema_version'")
        store.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    return old or SCHEMA_VERSION
