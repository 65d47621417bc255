"""The one writer of a workspace: Werkstatt actions run one after another in a worker process.

DuckDB admits one writing process per store file, and the server must not hold the store (see
:mod:`planlabor.atlas.access`).  So every Werkstatt action that opens the store — a dry run, an
import, a revert — runs in one long-lived worker process, one at a time (a queue of one worker):
two users who import at once are served in turn and never see a half-written store, and the
server process keeps only its short read-only openings.  A failing action leaves the store as it
was (imports are atomic) and comes back as the same :class:`~planlabor.errors.PlanlaborError` with
its German message and "Lösung".
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from typing import Any

from planlabor import errors


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any]) -> tuple[str, Any]:
    """Runs in the worker: the result, or the error as plain data (exceptions with more than a
    message do not survive pickling)."""
    try:
        return "ok", fn(*args, **kw)
    except errors.PlanlaborError as exc:
        data = {f.name: getattr(exc, f.name) for f in fields(exc)}
        data["file"] = str(data["file"]) if data["file"] is not None else None
        return "error", (type(exc).__name__, data)


def _rebuild(name: str, data: dict[str, Any]) -> errors.PlanlaborError:
    cls = getattr(errors, name, errors.PlanlaborError)
    if not (isinstance(cls, type) and issubclass(cls, errors.PlanlaborError)):
        cls = errors.PlanlaborError
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in known})


class Writer:
    """A queue of one worker process for the actions on one workspace."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn: a fresh interpreter, no copy of the server's threads and open files
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
            return self._pool

    def run(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run ``fn(*args, **kw)`` in the worker after the actions queued before it; its result
        or its PlanlaborError.  ``fn`` must be a module-level function (it is pickled)."""
        state, value = self._executor().submit(_call, fn, args, kw).result()
        if state == "error":
            raise _rebuild(*value)
        return value

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
