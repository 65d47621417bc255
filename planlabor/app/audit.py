"""Who changed what in a workspace, and when: the audit log of imports, reverts, computations,
publications and user changes.

The log lives in the workspace's auth file (``atlas-auth.sqlite``, table ``audit``): that file is
writable while ``planlabor serve`` runs (the store is not, while a job writes), and it holds the
users the entries name.  :func:`record` is the one function every use case calls; a store-side
audit table (PostgreSQL, issue 18) replaces its body without touching the callers.
"""

from __future__ import annotations

import getpass
import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from planlabor.app import Where, root_of

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, "
    "user TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL)"
)


def _connect(where: Where) -> sqlite3.Connection:
    from planlabor.atlas.sessions import AUTH_FILE, AuthStore

    path = root_of(where) / AUTH_FILE
    if not path.exists():
        AuthStore(path).con.close()  # created owner-only, in WAL mode, like the users
    con = sqlite3.connect(path, timeout=15)
    con.execute("PRAGMA busy_timeout = 15000")
    con.execute(_SCHEMA)
    return con


def actor(by: str | None) -> str:
    """The acting user: the signed-in Werkstatt user, else the operating-system account."""
    if by:
        return by
    try:
        return f"{getpass.getuser()} (Befehlszeile)"
    except (KeyError, OSError):
        return "Befehlszeile"


def record(where: Where, by: str | None, action: str, **detail: Any) -> None:
    """Write one entry: who (``by``), what (``action``, e.g. ``import``) and its details."""
    at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    con = _connect(where)
    try:
        with con:
            con.execute(
                "INSERT INTO audit (at, user, action, detail) VALUES (?, ?, ?, ?)",
                (at, actor(by), action, json.dumps(detail, ensure_ascii=False, default=str)),
            )
    finally:
        con.close()


def prune(where: Where, days: int, now: datetime | None = None) -> int:
    """Remove the entries older than ``days`` days (the retention period of the log, e.g. the
    city's data protection rules); how many were removed.  The removal itself is recorded."""
    from datetime import timedelta

    if days < 1:
        raise ValueError("days must be at least 1")
    limit = (now or datetime.now(UTC)).replace(tzinfo=None) - timedelta(days=days)
    con = _connect(where)
    try:
        with con:
            n = con.execute("DELETE FROM audit WHERE at < ?", (limit.isoformat(sep=" ", timespec="seconds"),))
            removed = int(n.rowcount)
    finally:
        con.close()
    if removed:
        record(where, "planlabor serve", "audit prune", days=days, removed=removed)
    return removed


def entries(where: Where, limit: int = 200) -> list[dict[str, Any]]:
    """The newest entries first: ``at`` (UTC), ``user``, ``action``, ``detail`` (a dict)."""
    con = _connect(where)
    try:
        rows = con.execute(
            "SELECT at, user, action, detail FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
    finally:
        con.close()
    return [{"at": a, "user": u, "action": act, "detail": json.loads(d)} for a, u, act, d in rows]
