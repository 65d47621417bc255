"""Use case: compute every indicator of the catalog for all layers and periods."""

from __future__ import annotations

from dataclasses import dataclass, field

from planlabor.app import Where, opened
from planlabor.app.audit import record


@dataclass
class ComputeOutcome:
    """Indicators computed, values written (in all and per layer), variables that were missing.
    ``empty_catalog`` says that there was nothing to compute."""

    indicators: int = 0
    values_written: int = 0
    by_layer: dict[str, int] = field(default_factory=dict)
    missing_variables: dict[str, list[str]] = field(default_factory=dict)
    empty_catalog: bool = False
    suppressed: dict[str, int] = field(default_factory=dict)


def compute(where: Where, by: str | None = None) -> ComputeOutcome:
    """Compute the catalog; a catalog without indicators computes nothing (``empty_catalog``)."""
    with opened(where) as ws:
        if not ws.catalog().all_indicators():
            return ComputeOutcome(empty_catalog=True)
        r = ws.compute()
    out = ComputeOutcome(
        r.indicators,
        r.values_written,
        dict(r.by_layer),
        {k: list(v) for k, v in r.missing_variables.items()},
        suppressed=dict(getattr(r, "suppressed", None) or {}),
    )
    record(where, by, "compute", indicators=out.indicators, values=out.values_written)
    return out
