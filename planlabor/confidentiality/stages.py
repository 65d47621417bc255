"""Wall and CPU seconds per step of the confidentiality pattern.

:func:`planlabor.confidentiality.focus.focused_status` adds up its steps here (collecting the
small cells, each period's observations, the relation search, components and cells, base
layers, the protection programs); ``bench/bench_foundation.py`` prints them (issue #22).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager

STAGES: dict[str, list[float]] = {}  # step -> [wall s, CPU s (all threads), calls]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the wall and CPU seconds of the ``with`` block to the step ``name``."""
    t0, c0 = time.perf_counter(), _cpu()
    try:
        yield
    finally:
        got = STAGES.setdefault(name, [0.0, 0.0, 0.0])
        got[0] += time.perf_counter() - t0
        got[1] += _cpu() - c0
        got[2] += 1


def reset() -> None:
    STAGES.clear()


def snapshot() -> dict[str, list[float]]:
    """A copy of the steps measured since the last :func:`reset`."""
    return {k: list(v) for k, v in STAGES.items()}
