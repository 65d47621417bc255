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


MISSING_AS_TEXT = frozenset({"nan", "NaN", "None", "<NA>", "NaT"})


def assert_no_missing_as_text(ws: Any) -> None:
    """Fail if any text in any table of the workspace store is the text of a missing cell
    (``"nan"``, ``"None"``, …): the path empty cell → NaN → text "nan" through a reader."""
    tables = ws.store.query_df("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
    found: list[str] = []
    for t in tables["table_name"]:
        df = ws.store.query_df(f'SELECT * FROM "{t}"')
        for col in df.columns:
            if df[col].dtype == object or str(df[col].dtype).startswith("string"):
                bad = {v for v in df[col].dropna() if isinstance(v, str) and v.strip() in MISSING_AS_TEXT}
                found.extend(f"{t}.{col}: {v!r}" for v in sorted(bad))
    if found:
        raise AssertionError("Leere Zellen als Text gespeichert:\n" + "\n".join(found))
