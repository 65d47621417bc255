"""The audit: what an attacker can derive from everything published, cell by cell.

The attacker knows every value that :func:`planlabor.confidentiality.pattern.public_values`
lets out – on every layer, for every period and indicator, with numerators and denominators
(the union of all public outputs: exports, static atlas, API, reports, since they all take
their values from there) – that counts are not negative, that the areas add up, and the
relations between variables (declared or found in the data).  For every count that is not
published the audit solves two linear programs (HiGHS): the smallest and the largest value
consistent with all of that – its *feasible interval*, as τ-ARGUS audits a suppression
pattern (Hundepool et al. 2012, ch. 4.3).

A sensitive count (below its minimum count) passes when its interval reaches the protection
interval of the rules (:class:`~planlabor.confidentiality.rules.SuppressionRules`); it fails
when it is published outright or the interval is narrower.  Secondary cells have no rule of
their own; their intervals are reported.

The LP only needs the base areas where something is not published: a base area whose counts
are all published adds known numbers to every sum above it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planlabor.catalog import Catalog
from planlabor.confidentiality.lp import INF, LinearProgram
from planlabor.confidentiality.model import CountModel, PeriodModel, count_indicators, term_key
from planlabor.confidentiality.pattern import public_values, relations_of
from planlabor.confidentiality.protect import _matrix
from planlabor.confidentiality.rules import SuppressionRules
from planlabor.store import Store

FINDING_COLUMNS = [
    "layer_id",
    "area_id",
    "period",
    "term",
    "value",
    "sensitive",
    "published",
    "lower",
    "upper",
    "need_lower",
    "need_upper",
    "ok",
]


@dataclass
class AuditReport:
    findings: pd.DataFrame  # one row per sensitive or unpublished count
    relations: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)  # outputs that carry a suppressed value
    seconds: float = 0.0

    @property
    def failures(self) -> pd.DataFrame:
        return self.findings[~self.findings["ok"].astype(bool)]

    @property
    def ok(self) -> bool:
        return self.failures.empty and not self.leaks


def published_counts(store: Store, catalog: Catalog, rules: SuppressionRules) -> pd.DataFrame:
    """The counts the public outputs show: ``layer_id, area_id, period, term`` – read through
    the one public-value function, layer by layer."""
    defs = [i for i in count_indicators(catalog) if i.public]
    frames = []
    for lay in store.layers():
        df = public_values(store, catalog, rules, lay.layer_id, [d.id for d in defs])
        if df.empty:
            continue
        for attr, col in (("numerator", "numerator"), ("denominator", "denominator")):
            terms = {d.id: term_key(getattr(d, attr)) for d in defs if getattr(d, attr)}
            sub = df[df["indicator_id"].isin(list(terms)) & df[col].notna()]
            frames.append(
                pd.DataFrame(
                    {
                        "layer_id": sub["layer_id"].to_numpy(),
                        "area_id": sub["area_id"].to_numpy(),
                        "period": sub["period"].to_numpy(),
                        "term": sub["indicator_id"].map(terms).to_numpy(),
                    }
                )
            )
        # a count indicator shown without its numerator still shows numerator × factor
        counts = {d.id: term_key(d.numerator) for d in defs if d.kind == "anzahl"}
        sub = df[df["indicator_id"].isin(list(counts)) & df["value"].notna() & df["numerator"].isna()]
        if len(sub):
            cols = ["layer_id", "area_id", "period", "term"]
            frames.append(sub.assign(term=sub["indicator_id"].map(counts))[cols])
    if not frames:
        return pd.DataFrame(columns=["layer_id", "area_id", "period", "term"])
    return pd.concat(frames, ignore_index=True).drop_duplicates()


def audit(
    store: Store, catalog: Catalog, rules: SuppressionRules, outputs: list[Path] | None = None
) -> AuditReport:
    """Feasible interval of every sensitive or unpublished count over all public outputs;
    with ``outputs`` (files or folders) also every published file is checked cell by cell."""
    t0 = time.perf_counter()
    model = CountModel(store, catalog, rules, relations_of(catalog))
    known = published_counts(store, catalog, rules)
    cells = model.cells.merge(
        known.assign(published=True), how="left", on=["layer_id", "area_id", "period", "term"]
    )
    cells["published"] = cells["published"].astype("boolean").fillna(False).astype(bool)
    model.cells["published"] = cells["published"].to_numpy()
    sens = rules.sensitive(cells["value"].to_numpy(), cells["threshold"].to_numpy())
    model.cells["sensitive"] = sens
    todo = sorted(cells.loc[sens | ~cells["published"].to_numpy(), "period"].unique().tolist())
    rows: list[dict[str, object]] = []
    relations: set[str] = set()
    model.prepare(todo)
    for period in todo:
        pm = model.period(period)
        for rels in pm.relations.values():
            relations.update(f"{r.text()} ({r.source})" for r in rels)
        rows.extend(_audit_period(pm, rules))
    findings = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    sources = ["öffentliche Werte aller Raumebenen, Zeiträume und Indikatoren (Zähler und Nenner)"]
    found: list[str] = []
    if outputs:
        from planlabor.confidentiality.outputs import leaks, output_files, read_cells
        from planlabor.confidentiality.pattern import suppression_status

        files = output_files(outputs)
        status = suppression_status(store, catalog, rules)
        for f in files:
            found.extend(leaks(status, list(read_cells(f, catalog))))
        sources.append(f"{len(files)} veröffentlichte Datei(en)")
    return AuditReport(
        findings=findings,
        relations=sorted(relations),
        sources=sources,
        leaks=found,
        seconds=time.perf_counter() - t0,
    )


def _audit_period(pm: PeriodModel, rules: SuppressionRules) -> list[dict[str, object]]:
    cells = pm.cells
    out: list[dict[str, object]] = []
    target_mask = cells["sensitive"].to_numpy(dtype=bool) | ~cells["published"].to_numpy(dtype=bool)
    for (base, comp), grp in cells[target_mask].groupby(["base", "comp"], dropna=False, sort=True):
        targets = grp["cell"].astype(int).tolist()
        if not isinstance(base, str):  # independent values: nothing published adds up to them
            out.extend(_finding(pm, c, rules, (0.0, INF)) for c in targets)
            continue
        intervals = _intervals(pm, str(base), int(comp), targets)
        out.extend(_finding(pm, c, rules, intervals[c]) for c in targets)
    return out


def _finding(
    pm: PeriodModel, c: int, rules: SuppressionRules, interval: tuple[float, float]
) -> dict[str, object]:
    row = pm.cells.loc[c]
    value = pm.value[c]
    published = bool(row["published"])
    lo, hi = (value, value) if published else interval
    sensitive = bool(row["sensitive"])
    need_lo = value - rules.lower_protection(value)
    need_hi = value + rules.upper_protection(value)
    tol = 1e-6 * max(1.0, abs(value))
    ok = not sensitive or (not published and lo <= need_lo + tol and hi >= need_hi - tol)
    return {
        "layer_id": row["layer_id"],
        "area_id": row["area_id"],
        "period": row["period"],
        "term": row["term"],
        "value": value,
        "sensitive": sensitive,
        "published": published,
        "lower": lo,
        "upper": hi,
        "need_lower": need_lo if sensitive else np.nan,
        "need_upper": need_hi if sensitive else np.nan,
        "ok": ok,
    }


def _intervals(pm: PeriodModel, base: str, comp: int, targets: list[int]) -> dict[int, tuple[float, float]]:
    """Feasible interval of each target cell, from the atoms of the open base areas."""
    cells = pm.cells
    same = cells[(cells["base"] == base) & (cells["comp"] == comp)]
    terms = set(same["term"])
    variables = pm.components[comp]
    atoms = pm.atoms[(pm.atoms["layer_id"] == base) & pm.atoms["variable"].isin(variables)]
    base_cells = same[same["layer_id"] == base]
    known_at = {
        (a, t)
        for a, t, p in zip(base_cells["area_id"], base_cells["term"], base_cells["published"], strict=True)
        if p
    }
    present: dict[str, set[str]] = {}
    for a, v in zip(atoms["area_id"].tolist(), atoms["variable"].tolist(), strict=True):
        present.setdefault(a, set()).add(v)
    open_areas = {
        a
        for a, vs in present.items()
        if any((a, t) not in known_at for t in terms if vs & set(pm.term_vars[t]))
    }
    atom_ids = [int(x) for x, a in zip(atoms["atom"], atoms["area_id"], strict=True) if a in open_areas]
    col_of = {a: j for j, a in enumerate(atom_ids)}
    truth = pm.atoms.set_index("atom")["value"]
    x_true = truth.reindex(atom_ids).to_numpy(dtype=float)
    rows: list[tuple[list[int], list[float]]] = []
    lo: list[float] = []
    hi: list[float] = []
    for c, pub in zip(same["cell"].astype(int), same["published"], strict=True):
        if not pub:
            continue
        cols = [col_of[a] for a in pm.atoms_of(c, open_areas) if a in col_of]
        if cols:
            rhs = float(x_true[cols].sum())
            tol = 1e-9 * max(1.0, abs(rhs))
            rows.append((cols, [1.0] * len(cols)))
            lo.append(rhs - tol)
            hi.append(rhs + tol)
    rels = [r for r in pm.relations.get(base, []) if set(r.coef) <= variables]
    for area in sorted(open_areas):
        for r in rels:
            idx = [pm.atom_index.get((v, base, area)) for v in r.coef]
            if all(i is not None and i in col_of for i in idx):
                rows.append(([col_of[int(i)] for i in idx if i is not None], list(r.coef.values())))
                lo.append(-1e-7)
                hi.append(1e-7)
    out: dict[int, tuple[float, float]] = {}
    if not col_of:
        return {c: (pm.value[c], pm.value[c]) for c in targets}
    col_lo = np.where(x_true < 0, -INF, 0.0)
    rows_arr = _matrix(rows, len(col_of)) if rows else _matrix([([0], [0.0])], len(col_of))
    if not rows:
        lo, hi = [0.0], [0.0]
    lp = LinearProgram(rows_arr, np.array(lo), np.array(hi), col_lo, np.full(len(col_of), INF))
    for c in targets:
        cols = [col_of[a] for a in pm.atoms_of(c, open_areas) if a in col_of]
        const = pm.value[c] - float(x_true[cols].sum())
        if not cols:
            out[c] = (const, const)
            continue
        mn, mx = lp.extreme(np.array(cols), np.ones(len(cols)))
        out[c] = (mn + const, mx + const)
    return out
