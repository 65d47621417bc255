"""Statistical confidentiality (Geheimhaltung) for everything published.

* :mod:`.rules`: sensitive cells (minimum counts) and the protection interval;
* :mod:`.model`: every published count of a workspace as one linear system (all layers,
  periods and linked indicators), with the relations between variables (:mod:`.relations`);
* :mod:`.protect`: primary suppression and the choice of complementary cells by linear
  programming (HiGHS);
* :mod:`.pattern`: the workspace's suppression pattern and :func:`public_values`, the one
  function every published output takes its values from;
* :mod:`.audit`: what an attacker can derive from everything published, cell by cell.

Suppressed cells keep no value in any output; they are marked with the sign from the
workspace configuration (default ``•``), never shown as 0.
"""

from __future__ import annotations

from planlabor.confidentiality.protect import PRIMARY, SECONDARY
from planlabor.confidentiality.rules import SuppressionRules

__all__ = ["PRIMARY", "SECONDARY", "SuppressionRules", "format_suppressed", "public_values"]


def format_suppressed(value: float | None, suppressed: str | None, marker: str) -> str | float | None:
    """The value to print: the marker for suppressed cells, never 0."""
    if suppressed:
        return marker
    return value


def public_values(*args: object, **kwargs: object) -> object:
    """See :func:`planlabor.confidentiality.pattern.public_values`."""
    from planlabor.confidentiality.pattern import public_values as _pv

    return _pv(*args, **kwargs)  # type: ignore[arg-type]
