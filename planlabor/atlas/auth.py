"""Users, roles and login protection for the internal atlas.

Users live in the workspace store (table ``users``) with an argon2id hash of their password
(argon2-cffi, its recommended parameters).  Roles: ``intern`` sees internal indicators and
unsuppressed values; ``admin`` the same (reserved for managing the workspace later).

Failed logins are throttled per user name and per client address: after three failures each
further attempt waits 2^(n−3) seconds (at most five minutes), answered with 429 and
``Retry-After``; an unknown user name costs the same hashing work as a known one.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from planlabor.errors import InputError, NotFoundError
from planlabor.store import Store

ROLES = ("intern", "admin")
NAME_RE = re.compile(r"^[A-Za-z0-9_.@\-]{2,64}$")
MIN_PASSWORD = 10
SECRET_FILE = "atlas-secret.key"


def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    return PasswordHasher()


def add_user(store: Store, name: str, password: str, role: str = "intern") -> None:
    if not NAME_RE.match(name):
        raise InputError(
            f"Der Benutzername {name!r} ist nicht zulässig.",
            column="NAME",
            expected="2–64 Zeichen: A–Z a–z 0–9 _ . @ -",
        )
    if role not in ROLES:
        raise InputError(f"Die Rolle {role!r} gibt es nicht.", column="--role", expected=" | ".join(ROLES))
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"Das Passwort ist zu kurz ({len(password)} Zeichen).",
            expected=f"mindestens {MIN_PASSWORD} Zeichen",
        )
    if not store.query_df("SELECT 1 FROM users WHERE username = ?", [name]).empty:
        raise InputError(
            f"Den Benutzer {name!r} gibt es schon.",
            hint="Entfernen Sie ihn zuerst mit 'planlabor user remove'.",
        )
    store.execute(
        "INSERT INTO users VALUES (?, ?, ?, ?)",
        [name, _hasher().hash(password), role, datetime.now(UTC).replace(tzinfo=None)],
    )


def remove_user(store: Store, name: str) -> None:
    if store.query_df("SELECT 1 FROM users WHERE username = ?", [name]).empty:
        raise NotFoundError(f"Den Benutzer {name!r} gibt es nicht.", column="NAME")
    store.execute("DELETE FROM users WHERE username = ?", [name])


def list_users(store: Store) -> list[dict[str, str]]:
    df = store.query_df("SELECT username, role, created_at FROM users ORDER BY username")
    return [
        {"name": str(r.username), "role": str(r.role), "created": str(r.created_at)[:19]}
        for r in df.itertuples()
    ]


_DUMMY = None


def verify(store: Store, name: str, password: str) -> str | None:
    """The user's role if name and password match, else None (same work either way)."""
    from argon2.exceptions import VerificationError

    global _DUMMY
    df = store.query_df("SELECT password_hash, role FROM users WHERE username = ?", [name])
    h = _hasher()
    if df.empty:
        if _DUMMY is None:
            _DUMMY = h.hash(secrets.token_hex(16))
        with contextlib.suppress(VerificationError):
            h.verify(_DUMMY, password)
        return None
    try:
        h.verify(str(df["password_hash"].iloc[0]), password)
    except VerificationError:
        return None
    return str(df["role"].iloc[0])


def secret_key(root: Path) -> str:
    """The workspace's session key (created once, readable only by its owner)."""
    env = os.environ.get("PLANLABOR_SECRET_KEY")
    if env:
        return env
    path = Path(root) / SECRET_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@dataclass
class Throttle:
    """Exponential delay after repeated failures, per key (user name, client address)."""

    free: int = 3
    cap: float = 300.0
    failures: dict[str, tuple[int, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, *keys: str) -> float:
        now = time.monotonic()
        with self.lock:
            return max((self.failures.get(k, (0, 0.0))[1] - now for k in keys), default=0.0)

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self.lock:
            for k in keys:
                n = self.failures.get(k, (0, 0.0))[0] + 1
                until = now + min(2.0 ** (n - self.free), self.cap) if n >= self.free else 0.0
                self.failures[k] = (n, until)

    def success(self, *keys: str) -> None:
        with self.lock:
            for k in keys:
                self.failures.pop(k, None)
