"""Users and sessions of the internal atlas, in a small SQLite file beside the store.

Why a file of its own (``atlas-auth.sqlite``, owner-only): the DuckDB store admits one writing
process at a time, and the server must neither hold it open nor wait for it.  SQLite (Python's
standard library) lets the server and the command line write at the same time (WAL, busy
timeout), so ``planlabor user remove`` works while ``planlabor serve`` runs — and a session the
command line ends is gone for the server at its very next request.

Sessions are server-side: the cookie carries a random token, the file only its SHA-256, so a
copy of the file opens no session.  A session ends at logout, when its user is removed or gets a
new password, after its lifetime (``[server] session_hours``) and after ``idle_minutes`` without a
request.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planlabor.sqlitefile import PrivateSqlite

AUTH_FILE = "atlas-auth.sqlite"
TOUCH_EVERY = 60.0  # seconds: last-seen is written at most once a minute per session

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (username);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS scopes (username TEXT PRIMARY KEY, themes TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Session:
    """A signed-in visitor."""

    user: str
    role: str
    csrf: str
    created: float
    last_seen: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class AuthStore(PrivateSqlite):
    """The users and sessions file of a workspace; safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, _SCHEMA)

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            return self.con.execute(sql, params).fetchone()

    # -------------------------------------------------------------- users
    def user(self, name: str) -> tuple[str, str] | None:
        """(password hash, role) of a user, or None."""
        row = self._one("SELECT password_hash, role FROM users WHERE username = ?", (name,))
        return None if row is None else (str(row[0]), str(row[1]))

    def users(self) -> list[tuple[str, str, str]]:
        with self._lock:
            rows = self.con.execute("SELECT username, role, created_at FROM users ORDER BY username")
            return [(str(a), str(b), str(c)) for a, b, c in rows.fetchall()]

    def insert_user(self, name: str, password_hash: str, role: str, created: str) -> bool:
        """Add a user; False if the name is taken."""
        with self._tx() as con:
            if con.execute("SELECT 1 FROM users WHERE username = ?", (name,)).fetchone():
                return False
            con.execute("INSERT INTO users VALUES (?, ?, ?, ?)", (name, password_hash, role, created))
            return True

    def delete_user(self, name: str) -> bool:
        """Remove a user and end all their sessions; False if there was none."""
        with self._tx() as con:
            gone = con.execute("DELETE FROM users WHERE username = ?", (name,)).rowcount
            con.execute("DELETE FROM sessions WHERE username = ?", (name,))
            con.execute("DELETE FROM scopes WHERE username = ?", (name,))
            return bool(gone)

    def themes(self, name: str) -> list[str] | None:
        """The themes (Fachthemen) a user may change, or None: every theme."""
        row = self._one("SELECT themes FROM scopes WHERE username = ?", (name,))
        return None if row is None else [str(t) for t in json.loads(row[0])]

    def set_themes(self, name: str, themes: list[str] | None) -> None:
        """Limit a user's changes to ``themes`` (None or empty: every theme)."""
        with self._tx() as con:
            con.execute("DELETE FROM scopes WHERE username = ?", (name,))
            if themes:
                con.execute(
                    "INSERT INTO scopes VALUES (?, ?)", (name, json.dumps(themes, ensure_ascii=False))
                )

    def set_hash(self, name: str, password_hash: str) -> bool:
        """Set a new password hash and end all the user's sessions; False if there is no such user."""
        with self._tx() as con:
            n = con.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, name)
            ).rowcount
            con.execute("DELETE FROM sessions WHERE username = ?", (name,))
            return bool(n)

    # ----------------------------------------------------------- sessions
    def start(self, user: str, role: str) -> tuple[str, Session]:
        """A new session: the cookie token (kept only as its hash) and the session."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        s = Session(user, role, secrets.token_urlsafe(32), now, now)
        with self._tx() as con:
            con.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                (_digest(token), user, role, s.csrf, now, now),
            )
        return token, s

    def session(self, token: str, lifetime: float, idle: float) -> Session | None:
        """The live session of a cookie token (None when unknown, expired or idle too long)."""
        if not token or len(token) > 128:
            return None
        key = _digest(token)
        row = self._one(
            "SELECT s.username, s.role, s.csrf, s.created, s.last_seen FROM sessions s "
            "JOIN users u ON u.username = s.username WHERE s.token_sha256 = ?",
            (key,),
        )
        if row is None:
            return None
        s = Session(str(row[0]), str(row[1]), str(row[2]), float(row[3]), float(row[4]))
        now = time.time()
        if now - s.created > lifetime or now - s.last_seen > idle:
            self.end(token)
            return None
        if now - s.last_seen > TOUCH_EVERY:
            with self._tx() as con:
                con.execute("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", (now, key))
        return s

    def end(self, token: str) -> None:
        with self._tx() as con:
            con.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_digest(token),))

    def end_all(self, user: str | None = None) -> int:
        """End every session (of one user); returns how many."""
        with self._tx() as con:
            if user is None:
                return int(con.execute("DELETE FROM sessions").rowcount)
            return int(con.execute("DELETE FROM sessions WHERE username = ?", (user,)).rowcount)

    def purge(self, lifetime: float, idle: float) -> int:
        """Drop expired sessions; returns how many."""
        now = time.time()
        with self._tx() as con:
            return int(
                con.execute(
                    "DELETE FROM sessions WHERE created < ? OR last_seen < ?", (now - lifetime, now - idle)
                ).rowcount
            )

    def count_sessions(self, user: str | None = None) -> int:
        if user is None:
            row = self._one("SELECT count(*) FROM sessions")
        else:
            row = self._one("SELECT count(*) FROM sessions WHERE username = ?", (user,))
        return int(row[0])

    # ------------------------------------------------------------- legacy
    def adopt_legacy_users(self, open_store: Callable[[], Any]) -> int:
        """Users of earlier versions lived in the DuckDB store (table ``users``): move them here
        once (and delete them there when the store is writable)."""
        if self._one("SELECT value FROM meta WHERE key = 'legacy_users'") is not None:
            return 0
        n = 0
        try:
            store = open_store()
            has = store.query_df(
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'users'"
            )
            if int(has["n"].iloc[0]):
                df = store.query_df("SELECT username, password_hash, role, created_at FROM users")
                for r in df.itertuples():
                    n += self.insert_user(
                        str(r.username), str(r.password_hash), str(r.role), str(r.created_at)
                    )
                if not getattr(store, "read_only", True):
                    store.execute("DELETE FROM users")
        except Exception:  # a store without the table has nothing to adopt
            pass
        with self._tx() as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES ('legacy_users', 'done')")
        return n
