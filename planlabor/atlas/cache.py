"""The server's answer cache: serialised responses, bounded in bytes (least recently used go).

Keys never contain the ``Host`` header: answers that name their own address (OGC links) are
stored with :data:`BASE` in its place and get the requesting address when sent (see
:func:`planlabor.atlas.service.json_answer`), so a flood of invented host names cannot grow the cache.
"""

from __future__ import annotations

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
    (for :class:`FastPath`: the complete answer, ``headers`` and body in ``raw``)."""

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


class FastPath:
    """Answers a repeated public ``GET`` from memory before routing (the same URL, query string
    and ``Accept-Encoding``: exactly what was sent before).  Only answers the server marked
    shareable (public, no address inside) are kept; requests with a session cookie always take
    the normal path.  ``entries`` returns the current cache (it is replaced when the server
    rebuilds after a change of the workspace)."""

    def __init__(self, app: Any, entries: Callable[[], ByteLRU]) -> None:
        self.app = app
        self.entries = entries

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        gz = False
        for k, v in scope["headers"]:
            if k == b"cookie" and b"planlabor_session=" in v:
                await self.app(scope, receive, send)
                return
            if k == b"accept-encoding" and b"gzip" in v:
                gz = True
        cache = self.entries()
        key = ("fast", scope["path"], scope["query_string"], gz)
        hit = cache.get(key)
        if hit is not None:
            await send({"type": "http.response.start", "status": 200, "headers": list(hit.headers)})
            await send({"type": "http.response.body", "body": hit.raw})
            return
        kept: dict[str, Any] = {}

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if message["status"] == 200 and any(k == SHAREABLE for k, _ in headers):
                    message["headers"] = [(k, v) for k, v in headers if k != SHAREABLE]
                    kept["headers"] = tuple(message["headers"])
                    kept["body"] = []
            elif message["type"] == "http.response.body" and "body" in kept:
                kept["body"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    cache.put(key, Entry(b"".join(kept["body"]), b"", headers=kept["headers"]))
            await send(message)

        await self.app(scope, receive, capture)
