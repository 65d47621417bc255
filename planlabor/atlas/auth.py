"""Users, roles and login protection for the internal atlas.

Users live in the workspace's auth file (:mod:`planlabor.atlas.sessions`, ``atlas-auth.sqlite``)
with an argon2id hash of their password (argon2-cffi, its recommended parameters).  Roles:
``intern`` sees internal indicators and unsuppressed values; ``admin`` the same (reserved for
managing the workspace later).

Failed logins are throttled per user name and per client address: after three failures for a
name (twenty for an address) each further attempt waits 2^(n−3) seconds (at most five minutes),
answered with 429 and ``Retry-After``.  An attempt counts *before* its password is checked, so
parallel attempts cannot slip through while the hashes are computed; a success clears the count.
The throttle keeps at most ``max_keys`` entries and forgets quiet ones.  An unknown user name
costs the same hashing work as a known one.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from planlabor.atlas.sessions import AuthStore
from planlabor.errors import InputError, NotFoundError

ROLES = ("intern", "admin")
NAME_RE = re.compile(r"^[A-Za-z0-9_.@\-]{2,64}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024


def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    return PasswordHasher()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"Das Passwort ist zu kurz ({len(password)} Zeichen).",
            expected=f"mindestens {MIN_PASSWORD} Zeichen",
        )
    if len(password) > MAX_PASSWORD:
        raise InputError("Das Passwort ist zu lang.", expected=f"höchstens {MAX_PASSWORD} Zeichen")


def add_user(auth: AuthStore, name: str, password: str, role: str = "intern") -> None:
    if not NAME_RE.match(name):
        raise InputError(
            f"Der Benutzername {name!r} ist nicht zulässig.",
            column="NAME",
            expected="2–64 Zeichen: A–Z a–z 0–9 _ . @ -",
        )
    if role not in ROLES:
        raise InputError(f"Die Rolle {role!r} gibt es nicht.", column="--role", expected=" | ".join(ROLES))
    _check_password(password)
    created = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if not auth.insert_user(name, _hasher().hash(password), role, created):
        raise InputError(
            f"Den Benutzer {name!r} gibt es schon.",
            hint="Ein neues Passwort setzt 'planlabor user passwd'; entfernen mit 'planlabor user remove'.",
        )


def remove_user(auth: AuthStore, name: str) -> None:
    """Remove a user; every session of the user ends at once (also in a running server)."""
    if not auth.delete_user(name):
        raise NotFoundError(f"Den Benutzer {name!r} gibt es nicht.", column="NAME")


def set_password(auth: AuthStore, name: str, password: str) -> None:
    """A new password; every session of the user ends at once."""
    _check_password(password)
    if not auth.set_hash(name, _hasher().hash(password)):
        raise NotFoundError(f"Den Benutzer {name!r} gibt es nicht.", column="NAME")


def list_users(auth: AuthStore) -> list[dict[str, str]]:
    return [
        {"name": n, "role": r, "created": c[:19], "sessions": str(auth.count_sessions(n))}
        for n, r, c in auth.users()
    ]


_DUMMY = None


def verify(auth: AuthStore, name: str, password: str) -> str | None:
    """The user's role if name and password match, else None (same work either way)."""
    from argon2.exceptions import VerificationError

    global _DUMMY
    found = auth.user(name) if NAME_RE.match(name) else None
    h = _hasher()
    password = password[:MAX_PASSWORD]
    if found is None:
        if _DUMMY is None:
            _DUMMY = h.hash(secrets.token_hex(16))
        with contextlib.suppress(VerificationError):
            h.verify(_DUMMY, password)
        return None
    try:
        h.verify(found[0], password)
    except VerificationError:
        return None
    return found[1]


@dataclass
class Throttle:
    """Exponential delay after repeated failures, per key (user name, client address).

    Thread-safe; holds at most ``max_keys`` keys (the longest quiet go first) and forgets a key
    ``forget`` seconds after its last attempt once its delay has passed.
    """

    free: int = 3
    free_ip: int = 20  # keys "ip:…": colleagues behind one address sign in at the same time
    cap: float = 300.0
    first: float = 1.0  # seconds of the first delay (then doubled each failure)
    max_keys: int = 10_000
    forget: float = 3600.0
    failures: OrderedDict[str, tuple[int, float, float]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _wait(self, keys: tuple[str, ...], now: float) -> float:
        return max((self.failures.get(k, (0, 0.0, 0.0))[1] - now for k in keys), default=0.0)

    def wait(self, *keys: str) -> float:
        with self.lock:
            return self._wait(keys, time.monotonic())

    def _count(self, keys: tuple[str, ...], now: float) -> None:
        for k in keys:
            n = self.failures.pop(k, (0, 0.0, 0.0))[0] + 1
            free = self.free_ip if k.startswith("ip:") else self.free
            until = now + min(self.first * 2.0 ** (n - free), self.cap) if n >= free else 0.0
            self.failures[k] = (n, until, now)
        while len(self.failures) > self.max_keys:
            oldest = next(iter(self.failures))
            self.failures.pop(oldest)
        # forget quiet keys (oldest first; stops at the first one still remembered)
        while self.failures:
            k, (_n, until, last) = next(iter(self.failures.items()))
            if until > now or now - last < self.forget:
                break
            self.failures.pop(k)

    def attempt(self, *keys: str) -> float:
        """Before checking a password: the seconds still to wait (then nothing is counted), or 0
        after counting the attempt as a failure until :meth:`success` clears it."""
        now = time.monotonic()
        with self.lock:
            wait = self._wait(keys, now)
            if wait > 0:
                return wait
            self._count(keys, now)
            return 0.0

    def fail(self, *keys: str) -> None:
        with self.lock:
            self._count(keys, time.monotonic())

    def success(self, *keys: str) -> None:
        with self.lock:
            for k in keys:
                self.failures.pop(k, None)
