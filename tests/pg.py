"""The PostgreSQL server of the tests (started by scripts/test-postgres.sh; see conftest.py)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

#: schemas of this test session start with it (several sessions may share one cluster; each
#: drops only its own)
PREFIX = f"t{os.getpid()}_"


def require_url(name: str = "PLANLABOR_TEST_PG") -> str:
    url = os.environ.get(name)
    if not url:
        raise pytest.UsageError(
            f"{name} fehlt: die PostgreSQL-Tests brauchen einen Server. Starten Sie einen mit "
            "'eval $(scripts/test-postgres.sh start VERZEICHNIS)' oder nutzen Sie 'make test'."
        )
    return url


def with_schema(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "schema"] + [("schema", schema)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="/*"), ""))


@contextlib.contextmanager
def admin() -> Iterator[Any]:
    """A superuser connection (creating roles, looking at everything)."""
    import psycopg

    with psycopg.connect(require_url("PLANLABOR_TEST_PG_ADMIN"), autocommit=True) as con:
        yield con


def schemas() -> set[str]:
    with admin() as con:
        rows = con.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", [PREFIX]
        ).fetchall()
    return {r[0] for r in rows}


def drop_schemas(names: set[str]) -> None:
    if not names:
        return
    with admin() as con:
        con.execute("SET lock_timeout = '5s'")
        for name in sorted(names):
            with contextlib.suppress(Exception):  # still in use by a session fixture: kept
                con.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def open_connections() -> int:
    """Client connections to the test database other than the administrator's own."""
    with admin() as con:
        row = con.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0])
