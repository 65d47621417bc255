"""Benchmark of issue #14: suppression and audit on the Berlin demo.

542 PLR × all indicators × all periods × 5 levels (the demo workspace, built first into a
temporary folder without exports, not measured):

- the suppression pattern of the whole workspace (``compute_pattern``: model, primary cells,
  one mixed-integer program per sensitive cell);
- the audit over everything public (``planlabor geheimhaltung pruefen``: two LPs per suppressed
  count), with ``highspy`` re-solving one model per component, and the same intervals with
  ``scipy.optimize.linprog`` (HiGHS too, but the model rebuilt for every LP) as the baseline
  measured in the same run;
- the earlier per-level suppression of the same data: its time, and how many sensitive
  counts the audit recovers from it.

Run: ``.venv/bin/python bench/run.py geheimhaltung``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _per_level(ws: Any) -> pd.DataFrame:
    """The earlier method: secondary suppression of the next smallest sibling, level by level."""
    frames = []
    cat = ws.catalog()
    ids = [i.id for i in cat.all_indicators() if i.public]
    thr = {i.id: float(i.min_count or ws.rules().min_count) for i in cat.all_indicators()}
    for lay in ws.store.layers():
        df = ws.store.indicator_values(lay.layer_id, ids, None)
        df = df.merge(ws.store.areas(lay.layer_id)[["area_id", "parent_id"]], on="area_id", how="left")
        t = df["indicator_id"].map(thr).astype(float)
        num, den = df["numerator"].astype(float), df["denominator"].astype(float)
        prim = (((num < t) & (num != 0)) | ((den < t) & (den > 0))).fillna(False).to_numpy(dtype=bool)
        status = np.where(prim, "primär", None).astype(object)
        work = df.assign(sup=prim, num=num, pos=np.arange(len(df)))
        work = work[work["parent_id"].notna()]
        key = ["parent_id", "indicator_id", "period"]
        n_sup = work.groupby(key)["sup"].transform("sum").to_numpy()
        cand = work[(n_sup == 1) & ~work["sup"].to_numpy() & work["num"].notna().to_numpy()]
        pick = cand.assign(zero=cand["num"] <= 0).sort_values(["zero", "num"]).drop_duplicates(key)
        status[pick["pos"].to_numpy()] = "sekundär"
        out = df.assign(status=status)
        frames.append(out[out["status"].notna()][["layer_id", "area_id", "indicator_id", "period", "status"]])
    return pd.concat(frames, ignore_index=True)


def _scipy_intervals(store: Any, catalog: Any, rules: Any) -> tuple[float, float, int]:
    """Time of the audit's LPs (largest component) with highspy vs. scipy.optimize.linprog."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    from planlabor.confidentiality import audit as audit_mod
    from planlabor.confidentiality.lp import LinearProgram

    captured: list[tuple[Any, ...]] = []
    orig = LinearProgram.extreme

    def spy(self: LinearProgram, idx: np.ndarray, coef: np.ndarray) -> tuple[float, float]:
        captured.append((self, idx, coef))
        return orig(self, idx, coef)

    LinearProgram.extreme = spy  # type: ignore[method-assign]
    try:
        audit_mod.audit(store, catalog, rules)
    finally:
        LinearProgram.extreme = orig  # type: ignore[method-assign]
    if not captured:
        return 0.0, 0.0, 0
    # the model with the most targets
    by_model: dict[int, list[tuple[Any, ...]]] = {}
    for c in captured:
        by_model.setdefault(id(c[0]), []).append(c)
    calls = max(by_model.values(), key=len)
    lp = calls[0][0]
    a = lp._a
    t0 = time.perf_counter()
    ours = [orig(lp, idx, coef) for _, idx, coef in calls]
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = []
    for _, idx, coef in calls:
        out = []
        for sign in (1.0, -1.0):
            c = np.zeros(a.shape[1])
            c[idx] = sign * coef
            fin_lo, fin_hi = np.isfinite(lp._row_lo), np.isfinite(lp._row_hi)
            a_ub = sp.vstack([a[fin_hi], -a[fin_lo]])
            b_ub = np.concatenate([lp._row_hi[fin_hi], -lp._row_lo[fin_lo]])
            r = linprog(
                c, A_ub=a_ub, b_ub=b_ub, bounds=list(zip(lp._col_lo, lp._col_hi, strict=True)), method="highs"
            )
            out.append(sign * r.fun if r.status == 0 else float("nan"))
        theirs.append((out[0], out[1]))
    t_scipy = time.perf_counter() - t0
    agree = all(np.allclose(x, y, atol=1e-6, equal_nan=True) for x, y in zip(ours, theirs, strict=True))
    assert agree, "highspy and scipy disagree"
    return t_ours, t_scipy, len(calls)


def main() -> dict[str, float]:
    import planlabor.confidentiality.pattern as pattern_mod
    from planlabor.confidentiality.audit import audit
    from planlabor.confidentiality.pattern import compute_pattern
    from planlabor.demo import build_demo
    from planlabor.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        build_demo(root, exports=False)
        ws = Workspace.open(root)
        cat, rules = ws.catalog(), ws.rules()
        t0, c0 = time.perf_counter(), time.process_time()
        pattern = compute_pattern(ws.store, cat, rules, root)
        t_pattern, c_pattern = time.perf_counter() - t0, time.process_time() - c0
        t0, c0 = time.perf_counter(), time.process_time()
        rep = audit(ws.store, cat, rules)
        t_audit, c_audit = time.perf_counter() - t0, time.process_time() - c0
        t_ours, t_scipy, n_targets = _scipy_intervals(ws.store, cat, rules)
        t0 = time.perf_counter()
        old = _per_level(ws)
        t_old = time.perf_counter() - t0
        orig = pattern_mod.suppression_status
        pattern_mod.suppression_status = lambda store, catalog, rules: old  # type: ignore[assignment]
        try:
            old_rep = audit(ws.store, cat, rules)
        finally:
            pattern_mod.suppression_status = orig  # type: ignore[assignment]
        ws.close()
    f = rep.findings
    counts = pattern.counts()
    out = {
        "pattern_s": t_pattern,
        "pattern_cpu_s": c_pattern,
        "audit_s": t_audit,
        "audit_cpu_s": c_audit,
        "sensitive": float(f["sensitive"].sum()),
        "checked": float(len(f)),
        "failures": float(len(rep.failures)),
        "lp_highspy_s": t_ours,
        "lp_scipy_s": t_scipy,
        "per_level_s": t_old,
        "per_level_failures": float(len(old_rep.failures)),
    }

    def de(x: float, d: int = 1) -> str:
        return f"{x:,.{d}f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")

    print(
        f"Sperrmuster (alle Ebenen, Zeiträume, Indikatoren): {de(t_pattern)} s "
        f"(CPU {de(c_pattern)} s); {counts['primär']} Werte primär, {counts['sekundär']} sekundär gesperrt"
    )
    print(
        f"Prüfung: {de(t_audit)} s (CPU {de(c_audit)} s) für {len(f)} nicht veröffentlichte Fallzahlen "
        f"({int(f['sensitive'].sum())} unter der Mindestfallzahl); aufgedeckt: {len(rep.failures)}"
    )
    print(
        f"Intervalle des größten Teilproblems ({n_targets} Zellen, je 2 LPs): highspy {de(t_ours, 2)} s, "
        f"scipy.optimize.linprog {de(t_scipy, 2)} s → Verhältnis {de(t_ours / max(t_scipy, 1e-9), 2)}"
    )
    print(
        f"Früheres Verfahren (je Ebene): {de(t_old)} s; die Prüfung deckt davon "
        f"{len(old_rep.failures)} sensible Fallzahlen auf"
    )
    return out


if __name__ == "__main__":
    main()
