"""Apply a declared index to a table with one row per area (and period).

Steps per period: missing codes → missing; exclusion rules; per component each input
standardised over the included areas (polarity applied), combined, rescaled and classified;
optionally a total over components and the matrix of two components' classes.
Every intermediate value is kept in the result so that a planner can trace each number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.indices.classify import NO_VALUE, ClassificationSpec, breaks_from, classify
from planlabor.indices.combine import PCAFit, combine, pca_fit
from planlabor.indices.spec import ComponentSpec, IndexSpec
from planlabor.indices.standardize import standardize
from planlabor.io.missing import text_column


@dataclass
class IndexResult:
    spec: IndexSpec
    table: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    fits: dict[str, PCAFit] = field(default_factory=dict)  # pooled principal components
    levels: dict[str, pd.DataFrame] = field(default_factory=dict)  # higher levels (aggregated)

    def included(self) -> pd.DataFrame:
        return self.table[~self.table["excluded"]]


def _numeric(df: pd.DataFrame, col: str, spec: IndexSpec) -> np.ndarray:
    if col not in df.columns:
        raise InputError(
            f"Die Spalte {col!r}, die der Index {spec.id!r} braucht, fehlt.",
            column=col,
            expected="Spalten: " + ", ".join(spec.input_columns()),
            hint="Benennen Sie die Spalte um oder passen Sie die Indexdefinition an.",
        )
    s = df[col]
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        s = pd.Series(pd.to_numeric(s.astype(object), errors="coerce"), index=s.index)
    x = np.array(s.to_numpy(dtype=float), dtype=float, copy=True)
    for code in spec.missing_codes:
        x[x == code] = np.nan
    return x


def apply_index(spec: IndexSpec, df: pd.DataFrame, tell: Callable[[str], None] | None = None) -> IndexResult:
    """Compute ``spec`` on ``df`` (one row per area, or per area and period); ``tell(label)``
    hears of every component (Teilindex) of every period computed."""
    if spec.id_column not in df.columns:
        raise InputError(
            f"Die Schlüsselspalte {spec.id_column!r} fehlt.",
            column=spec.id_column,
            expected="Spalten: " + ", ".join(map(str, df.columns[:20])),
        )
    spec, df = _with_changes(spec, df)
    warnings = []
    imputed = np.zeros(len(df), dtype=bool)
    if spec.impute == "random_intercept":
        from planlabor.indices.impute import impute_random_intercept

        df, imputed, n_imp = impute_random_intercept(spec, df, lambda c: _numeric(df, c, spec))
        if n_imp:
            warnings.append(f"{n_imp} fehlende Werte aus der Zeitreihe geschätzt")
    fits = _pooled_fits(spec, df, imputed)
    if spec.period_column and spec.period_column in df.columns:
        parts = [
            _apply_period(spec, g, fits, tell, str(p)) for p, g in df.groupby(spec.period_column, sort=True)
        ]
        table = pd.concat(parts)
    else:
        table = _apply_period(spec, df, fits, tell)
    table = table.reindex(df.index)  # back to the input order (periods were grouped)
    table["imputed"] = imputed
    if spec.total and spec.total.classification and spec.total.classification.scope == "series":
        _classify_series(table, "total", spec.total.classification)
    for comp in spec.component:
        if comp.classification and comp.classification.scope == "series":
            _classify_series(table, comp.id, comp.classification)
    n_ex = int(table["excluded"].sum())
    if n_ex:
        warnings.append(f"{n_ex} Gebiet(e) ausgeschlossen")
    levels = {}
    if spec.total and spec.total.aggregate == "population" and spec.level_columns:
        from planlabor.indices.aggregate import aggregate_levels

        levels = aggregate_levels(spec, df, table)
    return IndexResult(spec=spec, table=table, warnings=warnings, fits=fits, levels=levels)


def _pooled_fits(spec: IndexSpec, df: pd.DataFrame, imputed: np.ndarray) -> dict[str, PCAFit]:
    """Principal components fitted on all periods pooled (GISD): rows of included areas with
    complete, observed (not imputed) inputs."""
    fits: dict[str, PCAFit] = {}
    excluded, _ = _exclusions(spec, df)
    for comp in spec.component:
        if comp.combine != "pca" or comp.fit != "pooled":
            continue
        m, orient = _matrix_of(spec, comp, df, excluded)
        use = ~np.isnan(m).any(axis=1) & ~imputed
        if use.sum() >= len(comp.inputs) + 1:  # else the component stays without values
            fits[comp.id] = pca_fit(m[use], None if orient is None else orient[use])
    return fits


def _matrix_of(
    spec: IndexSpec, comp: ComponentSpec, df: pd.DataFrame, excluded: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """The inputs of a component as they enter ``combine`` (log, polarity; standardisation
    'none' only), and the orientation column."""
    cols = []
    for inp in comp.inputs:
        x = np.where(excluded, np.nan, _numeric(df, inp.column, spec))
        if inp.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.where(x > 0, np.log(x), np.nan)
        cols.append(-x if inp.polarity == "-" else x)
    m = np.column_stack(cols)
    names = [i.column for i in comp.inputs]
    orient = None
    if comp.orient:
        orient = m[:, names.index(comp.orient)] if comp.orient in names else _numeric(df, comp.orient, spec)
    return m, orient


def _with_changes(spec: IndexSpec, df: pd.DataFrame) -> tuple[IndexSpec, pd.DataFrame]:
    """Inputs with ``change_periods = N`` become the change against the value N periods earlier
    (per area, periods in time order), e.g. MSS dynamics in percentage points over two years."""
    wanted = {(i.column, i.change_periods) for c in spec.component for i in c.inputs if i.change_periods}
    if not wanted:
        return spec, df
    if not spec.period_column or spec.period_column not in df.columns:
        raise InputError(
            "Veränderungen über Zeiträume brauchen eine Zeitspalte.",
            column="period_column",
            hint="Geben Sie period_column in der Indexdefinition an.",
        )
    from planlabor.io.periods import parse_period, sort_periods

    df = df.copy()
    order = sort_periods(sorted({parse_period(str(p)) for p in df[spec.period_column].unique()}))
    pos = df[spec.period_column].map(lambda p: order.index(parse_period(str(p))))
    for col, n in wanted:
        values = pd.Series(_numeric(df, col, spec), index=df.index)
        frame = pd.DataFrame({"id": text_column(df[spec.id_column]), "pos": pos, "v": values})
        earlier = frame.assign(pos=frame["pos"] + n).set_index(["id", "pos"])["v"]
        key = pd.MultiIndex.from_frame(frame[["id", "pos"]])
        df[f"{col}__chg{n}"] = values.to_numpy() - earlier.reindex(key).to_numpy()
    comps = []
    for c in spec.component:
        inputs = [
            i.model_copy(update={"column": f"{i.column}__chg{i.change_periods}", "change_periods": None})
            if i.change_periods
            else i
            for i in c.inputs
        ]
        comps.append(c.model_copy(update={"inputs": inputs}))
    return spec.model_copy(update={"component": comps}), df


def _exclusions(spec: IndexSpec, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows excluded by the rules (or by a missing code in an input) and the reason."""
    excluded = np.zeros(len(df), dtype=bool)
    reason = np.full(len(df), None, dtype=object)
    for rule in spec.exclude:
        if rule.column not in df.columns:
            raise InputError(f"Die Spalte {rule.column!r} für den Ausschluss fehlt.", column=rule.column)
        if rule.keep is not None:
            hit = ~text_column(df[rule.column]).isin(rule.keep).to_numpy()
        else:
            vals = _numeric(df, rule.column, spec)
            hit = ~(vals >= float(rule.min or 0))
        new = hit & ~excluded
        reason[new] = rule.reason or f"{rule.column} ausgeschlossen"
        excluded |= hit
    # a row whose inputs carry a missing code (e.g. -9999) is excluded as well
    if spec.missing_codes:
        for col in spec.input_columns():
            coded = pd.to_numeric(df[col], errors="coerce").isin(spec.missing_codes).to_numpy()
            reason[coded & ~excluded] = "Fehlwert-Code"
            excluded |= coded
    return excluded, reason


def component_steps(spec: IndexSpec, df: pd.DataFrame) -> int:
    """How many times :func:`apply_index` tells of a component: one per component and period."""
    periods = df[spec.period_column].nunique() if spec.period_column and spec.period_column in df else 1
    return len(spec.component) * max(int(periods), 1)


def _apply_period(
    spec: IndexSpec,
    df: pd.DataFrame,
    fits: dict[str, PCAFit] | None = None,
    tell: Callable[[str], None] | None = None,
    period: str | None = None,
) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    out["id"] = text_column(df[spec.id_column]).to_numpy()
    if spec.name_column and spec.name_column in df.columns:
        out["name"] = df[spec.name_column].to_numpy()
    if spec.period_column and spec.period_column in df.columns:
        out["period"] = text_column(df[spec.period_column]).to_numpy()
    excluded, reason = _exclusions(spec, df)
    out["excluded"] = excluded
    out["exclusion_reason"] = reason
    pop = _numeric(df, spec.population_column, spec) if spec.population_column else None
    if pop is not None:
        out["population"] = pop
    for comp in spec.component:
        _component(spec, comp, df, out, excluded, (fits or {}).get(comp.id))
        if tell is not None:
            n = len(comp.inputs)
            tell(
                f"Teilindex {comp.id} ({n} Indikator{'en' if n != 1 else ''})"
                + (f", {period}" if period else "")
            )
    if spec.total:
        t = spec.total
        m = np.column_stack([out[c].to_numpy(dtype=float) for c in t.components])
        total = combine(m, t.combine, None if t.weights is None else np.array(t.weights))
        total[excluded] = np.nan
        out["total__raw"] = total
        out["total"] = _rescale(total, t.rescale)
        if t.classification and t.classification.scope == "period":
            c = classify(out["total"].to_numpy(dtype=float), t.classification)
            out["total__class"], out["total__label"] = c.codes, c.labels
        for name, cspec in t.more_classes.items():
            c = classify(out["total"].to_numpy(dtype=float), cspec)
            out[f"total__class_{name}"], out[f"total__label_{name}"] = c.codes, c.labels
    if spec.matrix:
        _matrix(spec, out)
    return out


def _rescale(x: np.ndarray, method: str) -> np.ndarray:
    return standardize(x, method if method != "none" else "none", ddof=0)


def _component(
    spec: IndexSpec,
    comp: ComponentSpec,
    df: pd.DataFrame,
    out: pd.DataFrame,
    excluded: np.ndarray,
    fit: PCAFit | None = None,
) -> None:
    weights = None
    if comp.weighted_by:
        weights = _numeric(df, comp.weighted_by, spec)
        weights = np.where(excluded, np.nan, weights)
    cols = []
    for inp in comp.inputs:
        x = _numeric(df, inp.column, spec)
        x = np.where(excluded, np.nan, x)
        if inp.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.where(x > 0, np.log(x), np.nan)
        z = standardize(x, comp.standardize, ddof=comp.ddof, weights=weights)
        if inp.polarity == "-":
            z = (1.0 - z) if comp.standardize in ("percentile_rank", "minmax") else -z
        out[f"{comp.id}__z_{inp.column}"] = z
        cols.append(z)
        if comp.flag_above is not None:
            out[f"{comp.id}__flag_{inp.column}"] = np.where(np.isnan(z), np.nan, (z >= comp.flag_above) * 1.0)
    m = np.column_stack(cols)
    orient = None
    if comp.orient:
        names = [i.column for i in comp.inputs]
        orient = m[:, names.index(comp.orient)] if comp.orient in names else _numeric(df, comp.orient, spec)
    if comp.fit == "pooled" and fit is None:  # too few complete rows for the pooled component
        raw = np.full(len(df), np.nan)
    else:
        raw = combine(m, comp.combine, np.array([i.weight for i in comp.inputs]), orient=orient, pca=fit)
    out[f"{comp.id}__sum"] = raw
    if comp.flag_above is not None:
        flags = [f"{comp.id}__flag_{i.column}" for i in comp.inputs]
        out[f"{comp.id}__flags"] = out[flags].sum(axis=1, min_count=1)
    idx = _rescale(raw, comp.rescale)
    out[comp.id] = idx
    if comp.classification and comp.classification.scope == "period":
        c = classify(idx, comp.classification)
        out[f"{comp.id}__class"], out[f"{comp.id}__label"] = c.codes, c.labels


def _classify_series(table: pd.DataFrame, col: str, spec: ClassificationSpec) -> None:
    values = table[col].to_numpy(dtype=float)
    breaks = breaks_from(values, spec)
    c = classify(values, spec, breaks=breaks)
    table[f"{col}__class"], table[f"{col}__label"] = c.codes, c.labels


def _matrix(spec: IndexSpec, out: pd.DataFrame) -> None:
    m = spec.matrix
    assert m is not None
    rows = next(c for c in spec.component if c.id == m.rows)
    cols = next(c for c in spec.component if c.id == m.cols)
    rc = {c.code: c for c in (rows.classification.classes or [])} if rows.classification else {}
    cc = {c.code: c for c in (cols.classification.classes or [])} if cols.classification else {}
    codes: list[int | None] = []
    labels: list[str] = []
    texts: list[str] = []
    for r, c in zip(out[f"{m.rows}__class"], out[f"{m.cols}__class"], strict=True):
        if r is None or c is None or (isinstance(r, float) and np.isnan(r)):
            codes.append(None)
            labels.append(m.excluded_label)
            texts.append(m.excluded_label)
            continue
        rd, cd = rc.get(int(r)), cc.get(int(c))
        fmt = {
            "row_code": int(r),
            "col_code": int(c),
            "row_label": rd.label if rd else "",
            "col_label": cd.label if cd else "",
            "row_symbol": (rd.symbol or "") if rd else "",
            "col_symbol": (cd.symbol or "") if cd else "",
            "row_name": rows.name,
            "col_name": cols.name,
        }
        codes.append(m.code_factor * int(r) + int(c))
        labels.append(m.label.format(**fmt))
        texts.append(m.text.format(**fmt))
    out["matrix__code"] = codes
    out["matrix__label"] = labels
    out["matrix__text"] = texts


__all__ = ["NO_VALUE", "IndexResult", "apply_index"]
