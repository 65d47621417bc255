"""Public test helpers (like ``geopandas.testing``): every test of a public output runs the audit.

>>> # in a test that wrote public files:
>>> # assert_confidential(ws, tmp_path / "atlas", tmp_path / "bzr.xlsx")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def assert_confidential(ws: Any, *outputs: str | Path) -> Any:
    """Run :func:`planlabor.confidentiality.audit.audit` on the workspace (and the given public
    files or folders) and fail with the disclosed cells named; returns the audit report."""
    from planlabor.confidentiality.audit import audit

    rep = audit(ws.store, ws.catalog(), ws.rules(), [Path(p) for p in outputs] or None)
    if not rep.ok:
        lines = [
            f"{r.layer_id} {r.area_id} {r.period} {r.term} = {r.value:g}: "
            f"{'veröffentlicht' if r.published else f'eingrenzbar auf {r.lower:g} … {r.upper:g}'}"
            for r in rep.failures.itertuples()
        ]
        raise AssertionError("Geheimhaltung verletzt:\n" + "\n".join(lines + rep.leaks))
    return rep
