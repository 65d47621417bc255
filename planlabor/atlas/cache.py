"""The server's answer cache: serialised responses, bounded in bytes (least recently used go).

Keys never contain the ``Host`` header: answers that name their own address (OGC links) are
stored with :data:`BASE` in its place and get the requesting address when sent (see
:func:`planlabor.atlas.service.json_answer`), so a flood of invented host names cannot grow the cache.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

BASE = "\x00planlabor-base\x00"  # placeholder for the server's address in cached answers
BASE_JSON = "\\u0000planlabor-base\\u0000"  # the same as it appears inside a JSON string


@dataclass(frozen=True)
class Entry:
    """One cached answer: the body, its gzip form and whether it carries :data:`BASE`
    (for :class:`FastPath`: the complete answer, ``headers`` and body in ``raw``, its ETag in
    ``packed``)."""

    raw: bytes
    packed: bytes
    templated: bool = False
    headers: tuple[tuple[bytes, bytes], ...] = ()

    @property
    def size(self) -> int:
        return len(self.raw) + len(self.packed) + 200 + sum(len(k) + len(v) for k, v in self.headers)


class ByteLRU:
    """A thread-safe mapping that keeps its entries under ``max_bytes`` in total."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self.bytes = 0
        self._data: OrderedDict[Hashable, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Entry | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
            return hit

    def put(self, key: Hashable, entry: Entry) -> None:
        if entry.size > self.max_bytes // 4:
            return  # one answer may not push out most of the others
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= old.size
            self._data[key] = entry
            self.bytes += entry.size
            while self.bytes > self.max_bytes and self._data:
                _, gone = self._data.popitem(last=False)
                self.bytes -= gone.size

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._data)


SHAREABLE = b"x-planlabor-shareable"  # set by the server on public answers that FastPath may keep
ADDRESSED_BYTES = 16 << 20  # FastPath's answers per address (OGC links): at most this many bytes
PER_ADDRESS = b"address"  # SHAREABLE's value for answers naming the server's address (OGC links)


def etag_of(body: bytes) -> bytes:
    """A strong validator of a body (``ETag``): a short hash, computed once per cached answer."""
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


class FastPath:
    """Answers a repeated public ``GET`` from memory before routing (the same URL, query string
    and ``Accept-Encoding``: exactly what was sent before), with an ``ETag``: a client sending it
    back in ``If-None-Match`` gets ``304`` without a body.  Only answers the server marked
    shareable are kept: public ones, and those naming the server's address (OGC links) per
    scheme and ``Host`` (bounded like all entries: a flood of invented names only pushes out
    older ones); requests with a session cookie always take the normal path.  ``entries``
    returns the current cache (it is replaced when the server rebuilds after a change of the
    workspace)."""

    def __init__(self, app: Any, entries: Callable[[], ByteLRU]) -> None:
        self.app = app
        self.entries = entries
        # answers per address apart (bounded on their own: a Host flood leaves the others alone),
        # emptied when the answer cache is replaced (a change of the workspace)
        self.addressed, self._of = ByteLRU(ADDRESSED_BYTES), entries()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        gz, host, tag = False, b"", None
        for k, v in scope["headers"]:
            if k == b"cookie" and b"planlabor_session=" in v:
                await self.app(scope, receive, send)
                return
            if k == b"accept-encoding" and b"gzip" in v:
                gz = True
            elif k == b"host":
                host = v
            elif k == b"if-none-match":
                tag = v
        cache = self.entries()
        if cache is not self._of:
            self.addressed, self._of = ByteLRU(ADDRESSED_BYTES), cache
        key = ("fast", scope["path"], scope["query_string"], gz)
        where = (scope.get("scheme"), host, scope.get("root_path", ""))
        hit = cache.get(key) or self.addressed.get((*key, where))
        if hit is not None:
            await _send_hit(send, hit, tag)
            return
        await self.app(scope, receive, _Capture(send, (cache, self.addressed), key, where))


async def _send_hit(send: Any, hit: Entry, tag: bytes | None) -> None:
    """A kept answer; ``304`` without body when the client holds it already (``If-None-Match``)."""
    if tag is not None and hit.packed and hit.packed in (t.strip() for t in tag.split(b",")):
        headers = [(k, v) for k, v in hit.headers if k in (b"etag", b"cache-control", b"vary")]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": list(hit.headers)})
    await send({"type": "http.response.body", "body": hit.raw})


class _Capture:
    """The ``send`` of one request through the application: keeps a shareable ``200`` answer
    (its ETag in ``packed``) and adds the ETag to what goes out."""

    def __init__(
        self, send: Any, caches: tuple[ByteLRU, ByteLRU], key: tuple[Any, ...], where: tuple[Any, ...]
    ) -> None:
        self.send, self.cache, self.key, self.where = send, caches[0], key, where
        self.addressed = caches[1]
        self.start: dict[str, Any] | None = None
        self.body: list[bytes] = []

    async def __call__(self, message: Any) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            mark = next((v for k, v in headers if k == SHAREABLE), None)
            if mark is None or message["status"] != 200:
                await self.send(message)
                return
            if mark == PER_ADDRESS:
                self.key, self.cache = (*self.key, self.where), self.addressed
            self.start = {**message, "headers": [(k, v) for k, v in headers if k != SHAREABLE]}
            return  # sent with the ETag once the body is complete
        if message["type"] == "http.response.body" and self.start is not None:
            self.body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(self.body)
            tag = etag_of(body)
            headers = (*self.start["headers"], (b"etag", tag))
            self.cache.put(self.key, Entry(body, tag, headers=headers))
            self.start = None
            await self.send({"type": "http.response.start", "status": 200, "headers": list(headers)})
            await self.send({"type": "http.response.body", "body": body})
            return
        await self.send(message)
