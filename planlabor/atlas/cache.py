"""The server's answer cache: serialised responses, bounded in bytes (least recently used go).

Keys never contain the ``Host`` header: answers that name their own address (OGC links) are
stored with :data:`BASE` in its place and get the requesting address when sent (see
:func:`planlabor.atlas.server._json`), so a flood of invented host names cannot grow the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

BASE = "\x00planlabor-base\x00"  # placeholder for the server's address in cached answers
BASE_JSON = "\\u0000planlabor-base\\u0000"  # the same as it appears inside a JSON string


@dataclass(frozen=True)
class Entry:
    """One cached answer: the body, its gzip form and whether it carries :data:`BASE`."""

    raw: bytes
    packed: bytes
    templated: bool = False

    @property
    def size(self) -> int:
        return len(self.raw) + len(self.packed) + 200  # + key and bookkeeping, roughly


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
