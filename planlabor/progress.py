"""Progress of long analyses as the Werkstatt's job bar hears it: ``progress(step, total, label)``
(:class:`planlabor.werkstatt.jobs.Progress` writes it beside the job).  Domain functions take an
optional ``progress`` and count their steps with :func:`ticker`."""

from __future__ import annotations

from collections.abc import Callable

ProgressFn = Callable[[int, int, str], None]


def ticker(progress: ProgressFn | None, total: int) -> Callable[[str], None]:
    """One step more of ``total`` per call of the returned ``tick(label)``, told to ``progress``
    (nothing without one; never beyond ``total``)."""
    count = [0]

    def tick(label: str) -> None:
        count[0] += 1
        if progress is not None:
            progress(min(count[0], total), total, label)

    return tick
