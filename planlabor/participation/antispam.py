"""Against spam and floods on the public answer endpoint, without keeping personal data.

- :class:`Challenges`: a hashcash-style proof of work.  The server hands out a challenge signed
  with a secret of the running process (HMAC-SHA-256) that expires after a few minutes; the
  browser (``beteiligung.js``) searches a number ``n`` so that ``SHA-256(challenge + ":" + n)``
  starts with ``bits`` zero bits (about 2**bits hashes, a fraction of a second) and sends it with
  the answer.  Each challenge counts once (per server process: with ``serve --workers N`` a task
  may count up to N times); the memory of used challenges is bounded.  The signing key lies in
  ``beteiligung.sqlite`` (owner-only), so every worker process checks the tasks of the others.
- :class:`RateLimiter`: per client and in all, a fixed number of requests per window.  The client
  key is a keyed hash of the address under a secret of the running process, held only in memory
  (bounded, the least recently seen key falls out first) and gone at a restart: no IP address is
  written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict


def leading_zero_bits(digest: bytes) -> int:
    n = 0
    for byte in digest:
        if byte == 0:
            n += 8
            continue
        return n + 8 - byte.bit_length()
    return n


def solve(challenge: str, bits: int) -> int:
    """The proof of work in Python (what the browser does in ``beteiligung.js``): tests, tools."""
    n = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}:{n}".encode()).digest()) < bits:
        n += 1
    return n


class Challenges:
    """Signed, expiring proof-of-work challenges, each accepted once."""

    def __init__(
        self, bits: int = 16, ttl: float = 600.0, max_used: int = 100_000, secret: bytes | None = None
    ) -> None:
        self.bits = bits
        self.ttl = ttl
        self.max_used = max_used
        self._secret = secret or secrets.token_bytes(32)
        self._used: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def use_secret(self, secret: bytes) -> None:
        """Sign with ``secret`` (shared by the worker processes of ``serve --workers``: a task one
        worker issued is checked by another)."""
        self._secret = secret

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, scope: str) -> dict[str, object]:
        body = f"{scope}.{int(time.time() + self.ttl)}.{self.bits}.{secrets.token_hex(8)}"
        return {"challenge": f"{body}.{self._sign(body)}", "bits": self.bits}

    def check(self, scope: str, challenge: str, nonce: object) -> str | None:
        """None if the work is done for an unused, unexpired challenge of ``scope``; else the
        German reason."""
        parts = str(challenge).split(".")
        if len(parts) != 5:
            return "Die Sicherheitsaufgabe fehlt oder ist ungültig."
        body, sig = ".".join(parts[:4]), parts[4]
        if not hmac.compare_digest(self._sign(body), sig) or parts[0] != scope:
            return "Die Sicherheitsaufgabe ist ungültig."
        try:
            expires, bits, n = int(parts[1]), int(parts[2]), int(str(nonce))
        except ValueError:
            return "Die Sicherheitsaufgabe ist ungültig."
        now = time.time()
        if expires < now:
            return "Die Sicherheitsaufgabe ist abgelaufen. Bitte senden Sie erneut."
        if n < 0 or leading_zero_bits(hashlib.sha256(f"{challenge}:{n}".encode()).digest()) < bits:
            return "Die Sicherheitsaufgabe ist nicht gelöst."
        with self._lock:
            while self._used and (next(iter(self._used.values())) < now or len(self._used) >= self.max_used):
                self._used.popitem(last=False)
            if sig in self._used:
                return "Diese Sicherheitsaufgabe wurde schon verwendet."
            self._used[sig] = float(expires)
        return None

    def __len__(self) -> int:
        return len(self._used)


class RateLimiter:
    """At most ``per_client`` requests per client and ``total`` in all per ``window`` seconds;
    remembers at most ``max_clients`` clients (memory stays bounded under a flood)."""

    def __init__(
        self, per_client: int = 10, total: int = 600, window: float = 600.0, max_clients: int = 10_000
    ) -> None:
        self.per_client = per_client
        self.total = total
        self.window = window
        self.max_clients = max_clients
        self._secret = secrets.token_bytes(16)
        self._clients: OrderedDict[bytes, list[float]] = OrderedDict()  # key → [window start, count]
        self._all = [0.0, 0.0]
        self._lock = threading.Lock()

    def key(self, client: str) -> bytes:
        return hmac.new(self._secret, client.encode(), hashlib.sha256).digest()[:12]

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        k = self.key(client)
        with self._lock:
            if now - self._all[0] >= self.window:
                self._all = [now, 0.0]
            if self._all[1] >= self.total:
                return False
            slot = self._clients.pop(k, None)
            if slot is None or now - slot[0] >= self.window:
                slot = [now, 0.0]
            self._clients[k] = slot  # most recently seen last
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
            if slot[1] >= self.per_client:
                return False
            slot[1] += 1
            self._all[1] += 1
            return True

    def __len__(self) -> int:
        return len(self._clients)
