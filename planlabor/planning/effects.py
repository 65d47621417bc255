"""Effect estimates of measures (Wirkungsanalyse): difference-in-differences with comparison
areas chosen by similarity, an event study, and a plain-German reading with its limits.

Model (two-way fixed effects, one row per area and period)::

    y_it = a_i + l_t + delta * D_it + e_it        D_it = 1 for a measure area from its start on

``delta`` is the effect: how much more the indicator changed in the measure areas after the
start than in the comparison areas.  Standard errors are clustered by area (CR1).  With fewer
than :data:`FEW_TREATED` measure areas cluster-robust errors are unreliable, so the interval and
p-value then come from placebo runs (each comparison area in turn treated as if it had had the
measure; Conley & Taber 2011): the estimate is set against the spread of the placebo estimates.

The event study replaces ``D`` by one dummy per period relative to the start (the period before
the start is the reference).  Coefficients before the start test the assumption that both groups
ran in parallel before the measure (joint Wald test, *Vortest*).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.planning.effect_reading import interpretation

FEW_TREATED = 5
PLACEBO_RUNS = 1000  # placebo assignments (all combinations if there are fewer)


def _gap(wide: pd.DataFrame, fake: set[str]) -> np.ndarray:
    """Per period: mean of the ``fake`` areas minus mean of the other areas."""
    mask = wide.index.isin(list(fake))
    return np.asarray(wide[mask].mean(axis=0) - wide[~mask].mean(axis=0), dtype=float)


def _placebo_sets(controls: list[str], size: int, seed: int = 0) -> list[set[str]]:
    """Placebo 'measure areas' drawn from the comparison areas: every combination of ``size``
    areas if there are at most :data:`PLACEBO_RUNS`, else that many random ones drawn with ``seed``."""
    import itertools
    import math

    if size < 1 or size >= len(controls):
        return []
    if math.comb(len(controls), size) <= PLACEBO_RUNS:
        return [set(c) for c in itertools.combinations(controls, size)]
    rng = np.random.default_rng(seed)
    seen: set[tuple[str, ...]] = set()
    while len(seen) < PLACEBO_RUNS:
        seen.add(tuple(sorted(rng.choice(controls, size, replace=False))))
    return [set(c) for c in sorted(seen)]


@dataclass
class EffectResult:
    indicator: str
    treated: list[str]
    controls: list[str]
    periods: list[str]
    start_period: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    inference: str  # "cluster" or "placebo"
    se_cluster: float
    event: pd.DataFrame  # rel, period, coef, low, high (rel = -1 is the reference, coef 0)
    pre_trend_p: float | None
    means: pd.DataFrame  # period, treated, control
    by_area: pd.DataFrame  # area_id, estimate (DiD of each measure area against the controls)
    n_obs: int
    comparison: str = ""
    alpha: float = 0.05
    placebo: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "treated": self.treated,
            "controls": self.controls,
            "start_period": self.start_period,
            "estimate": self.estimate,
            "ci": [self.ci_low, self.ci_high],
            "p_value": self.p_value,
            "inference": self.inference,
            "pre_trend_p": self.pre_trend_p,
            "comparison": self.comparison,
            "event": self.event.to_dict("records"),
            "means": self.means.to_dict("records"),
            "by_area": self.by_area.to_dict("records"),
        }


def _balanced(panel: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    sub = panel[panel["area_id"].isin(areas)].dropna(subset=["value"])
    periods = sorted(sub["period"].unique())
    full = sub.groupby("area_id")["period"].nunique()
    keep = full[full == len(periods)].index
    return sub[sub["area_id"].isin(keep)]


def _twfe(df: pd.DataFrame, regressors: list[str]) -> Any:
    """OLS of value on area and period fixed effects and ``regressors``, errors clustered by area."""
    import statsmodels.api as sm

    X = pd.get_dummies(df[["area_id", "period"]], drop_first=True, dtype=float)
    X = pd.concat([df[regressors].astype(float), X], axis=1)
    X = sm.add_constant(X, has_constant="add")
    groups = pd.factorize(df["area_id"])[0]
    with warnings.catch_warnings():
        # a perfect fit (no residual variation) leaves the clustered variance degenerate: the
        # standard errors are then NaN, which the placebo inference does not need
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.OLS(df["value"].astype(float).to_numpy(), X).fit(
            cov_type="cluster", cov_kwds={"groups": groups}
        )
        _ = fit.bse
    return fit


def _did(df: pd.DataFrame, treated: set[str], start: str) -> tuple[float, Any]:
    d = df.assign(D=(df["area_id"].isin(treated) & (df["period"] >= start)).astype(float))
    fit = _twfe(d, ["D"])
    return float(fit.params["D"]), fit


def _event(
    df: pd.DataFrame, treated: set[str], periods: list[str], first_post: str
) -> tuple[dict[int, tuple[str, float]], dict[int, float], Any, dict[int, str]]:
    """Event-study fit: rel → (period, coefficient), rel → standard error, the fit, rel → column."""
    idx = {p: i for i, p in enumerate(periods)}
    s = idx[first_post]
    ev = df.copy()
    names: dict[int, str] = {}
    for p in periods:
        r = idx[p] - s
        if r == -1:
            continue
        names[r] = f"e{r:+d}"
        ev[names[r]] = (ev["area_id"].isin(treated) & (ev["period"] == p)).astype(float)
    fit = _twfe(ev, list(names.values()))
    coefs = {r: (periods[s + r], float(fit.params[n])) for r, n in names.items()}
    ses = {r: float(fit.bse[n]) for r, n in names.items()}
    return coefs, ses, fit, names


def estimate_effect(
    panel: pd.DataFrame,
    treated: list[str],
    controls: list[str],
    start_period: str,
    alpha: float = 0.05,
    indicator: str = "",
    seed: int = 0,
) -> EffectResult:
    """Difference-in-differences and event study on ``panel`` (area_id, period, value).

    ``start_period``: the first period in which the measure can have worked.  Periods compare as
    text (canonical forms such as ``2022-12-31`` or ``2022`` sort correctly).
    """
    df = _balanced(panel, list(treated) + list(controls))
    t_set = set(treated) & set(df["area_id"])
    c_set = set(controls) & set(df["area_id"]) - t_set
    periods = sorted(df["period"].unique())
    pre = [p for p in periods if p < start_period]
    post = [p for p in periods if p >= start_period]
    _require_groups_and_periods(t_set, c_set, periods, pre, post, start_period)
    df = df[df["area_id"].isin(t_set | c_set)].copy()
    estimate, fit = _did(df, t_set, start_period)
    se = float(fit.bse["D"])
    fakes = _placebo_sets(sorted(c_set), len(t_set), seed)
    # balanced panel with one start date: the TWFE estimates equal differences of group means,
    # so the placebo runs need no regression
    wide = df.pivot(index="area_id", columns="period", values="value").loc[:, periods]
    ctrl_wide = wide.loc[sorted(c_set)]
    inf = _inference(
        estimate, se, len(t_set | c_set), len(t_set), fakes, ctrl_wide, periods, start_period, alpha
    )
    event, pre_trend_p = _event_study(df, t_set, periods, pre, post, inf, fakes, ctrl_wide, alpha)
    return EffectResult(
        indicator=indicator,
        treated=sorted(t_set),
        controls=sorted(c_set),
        periods=periods,
        start_period=post[0],
        estimate=estimate,
        ci_low=inf["ci_low"],
        ci_high=inf["ci_high"],
        p_value=inf["p_value"],
        inference=inf["inference"],
        se_cluster=se,
        event=event,
        pre_trend_p=pre_trend_p,
        means=_group_means(df, t_set),
        by_area=_by_area(df, t_set, c_set, start_period),
        n_obs=len(df),
        alpha=alpha,
        placebo=inf["placebo"],
    )


def _require_groups_and_periods(
    t_set: set[str], c_set: set[str], periods: list[str], pre: list[str], post: list[str], start_period: str
) -> None:
    """Refuse an estimate without a measure area, with fewer than two comparison areas, or
    without periods before and from the start."""
    if not t_set or len(c_set) < 2:
        raise InputError(
            f"Zu wenige Gebiete mit vollständigen Werten: {len(t_set)} Maßnahmengebiet(e), "
            f"{len(c_set)} Vergleichsgebiet(e).",
            hint="Wählen Sie mehr Vergleichsgebiete (--k) oder einen Indikator mit durchgehender Zeitreihe.",
        )
    if not pre or not post:
        raise InputError(
            f"Für einen Vorher-nachher-Vergleich braucht es Zeiträume vor und ab {start_period}; "
            f"vorhanden sind {periods[0]} bis {periods[-1]}.",
            hint="Prüfen Sie den Beginn der Maßnahme und die Zeitreihe des Indikators.",
        )


def _inference(
    estimate: float,
    se: float,
    n_clusters: int,
    n_treated: int,
    fakes: list[Any],
    ctrl_wide: pd.DataFrame,
    periods: list[str],
    start_period: str,
    alpha: float,
) -> dict[str, Any]:
    """p-value and confidence interval of the estimate: from placebo runs over comparison areas
    (Conley-Taber) when there are few measure areas, else from the cluster-robust standard error;
    also the t critical value, the kind of inference and the placebo estimates."""
    from scipy import stats

    tcrit = float(stats.t.ppf(1 - alpha / 2, n_clusters - 1))
    placebo: list[float] = []
    post_mask = np.array([p >= start_period for p in periods])
    if n_treated < FEW_TREATED and fakes:
        # Conley-Taber: how large are 'effects' in areas without the measure?
        for fake in fakes:
            gap = _gap(ctrl_wide, fake)
            placebo.append(float(gap[post_mask].mean() - gap[~post_mask].mean()))
        arr = np.array(placebo)
        p_value = float((np.sum(np.abs(arr) >= abs(estimate)) + 1) / (len(arr) + 1))
        lo_q, hi_q = np.quantile(arr, [1 - alpha / 2, alpha / 2])
        ci_low, ci_high = estimate - float(lo_q), estimate - float(hi_q)
        inference = "placebo"
    else:
        p_value = float(2 * stats.t.sf(abs(estimate / se), n_clusters - 1)) if se > 0 else 0.0
        ci_low, ci_high = estimate - tcrit * se, estimate + tcrit * se
        inference = "cluster"
    return {
        "tcrit": tcrit,
        "placebo": placebo,
        "p_value": p_value,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "inference": inference,
    }


def _event_study(
    df: pd.DataFrame,
    t_set: set[str],
    periods: list[str],
    pre: list[str],
    post: list[str],
    inf: dict[str, Any],
    fakes: list[Any],
    ctrl_wide: pd.DataFrame,
    alpha: float,
) -> tuple[pd.DataFrame, float | None]:
    """The event study (one coefficient per period relative to the start, reference = last pre
    period, intervals from the placebo runs or the cluster-robust errors) and the p-value of the
    joint test of the pre-period coefficients (None when there is none)."""
    coefs, ses, efit, names = _event(df, t_set, periods, post[0])
    rows = [{"rel": -1, "period": pre[-1], "coef": 0.0, "low": 0.0, "high": 0.0}]
    pre_trend_p = None
    pre_rel = [r for r in coefs if r < -1]
    if inf["inference"] == "placebo" and fakes:
        ref = len(pre) - 1
        runs = []
        for fake in fakes:
            gap = _gap(ctrl_wide, fake)
            runs.append({r: (p, float(gap[ref + 1 + r] - gap[ref])) for r, (p, _b) in coefs.items()})
        for r, (p, b) in coefs.items():
            dist = np.array([run[r][1] for run in runs])
            hi_q, lo_q = np.quantile(dist, [1 - alpha / 2, alpha / 2])
            rows.append({"rel": r, "period": p, "coef": b, "low": b - float(hi_q), "high": b - float(lo_q)})
        if pre_rel:
            stat = sum(coefs[r][1] ** 2 for r in pre_rel)
            null = np.array([sum(run[r][1] ** 2 for r in pre_rel) for run in runs])
            pre_trend_p = float((np.sum(null >= stat) + 1) / (len(null) + 1))
    else:
        tcrit = inf["tcrit"]
        for r, (p, b) in coefs.items():
            rows.append(
                {"rel": r, "period": p, "coef": b, "low": b - tcrit * ses[r], "high": b + tcrit * ses[r]}
            )
        if pre_rel:
            R = np.zeros((len(pre_rel), len(efit.params)))
            for k, r in enumerate(pre_rel):
                R[k, list(efit.params.index).index(names[r])] = 1.0
            try:
                pre_trend_p = float(efit.f_test(R).pvalue)
            except (ValueError, np.linalg.LinAlgError):
                pre_trend_p = None
    return pd.DataFrame(rows).sort_values("rel").reset_index(drop=True), pre_trend_p


def _group_means(df: pd.DataFrame, t_set: set[str]) -> pd.DataFrame:
    """Mean value per period of the measure areas (``treated``) and the comparison areas."""
    means = (
        df.assign(group=np.where(df["area_id"].isin(t_set), "treated", "control"))
        .groupby(["period", "group"])["value"]
        .mean()
        .unstack()
        .reset_index()
    )
    means.columns.name = None
    return means


def _by_area(df: pd.DataFrame, t_set: set[str], c_set: set[str], start_period: str) -> pd.DataFrame:
    """The estimate of each measure area alone against all comparison areas."""
    by_area = []
    ctrl_df = df[df["area_id"].isin(c_set)]
    for a in sorted(t_set):
        one = pd.concat([df[df["area_id"] == a], ctrl_df])
        by_area.append({"area_id": a, "estimate": _did(one, {a}, start_period)[0]})
    return pd.DataFrame(by_area)


def choose_controls(
    features: pd.DataFrame,
    treated: list[str],
    k: int = 10,
    types: pd.Series | None = None,
    exclude: set[str] | None = None,
) -> list[str]:
    """Comparison areas: with ``types`` every area of the treated areas' (most common) type,
    else the ``k`` areas nearest to any treated area on the z-standardised ``features``."""
    exclude = set(exclude or ()) | set(treated)
    if types is not None:
        t = types.reindex(treated).dropna()
        if t.empty:
            raise InputError("Die Maßnahmengebiete haben keinen Gebietstyp.", column="--typ")
        typ = t.mode().iloc[0]
        return sorted(str(a) for a, v in types.items() if v == typ and str(a) not in exclude)
    data = features.dropna()
    missing = [a for a in treated if a not in data.index]
    if missing:
        raise InputError(
            f"Für die Maßnahmengebiete {', '.join(missing[:5])} fehlen Werte der Vergleichsmerkmale.",
            column="--merkmal",
        )
    z = (data - data.mean()) / data.std(ddof=0).replace(0, 1.0)
    dist = pd.concat([np.sqrt(((z - z.loc[a]) ** 2).sum(axis=1)) for a in treated], axis=1).min(axis=1)
    dist = dist.drop(index=[a for a in dist.index if a in exclude])
    return sorted(dist.sort_values(kind="stable").head(k).index)


def save_estimate(store: Any, measure_id: str, r: EffectResult, reading: dict[str, Any]) -> None:
    """Keep the estimate (every run is kept; the newest is shown)."""
    payload = json.dumps({**r.summary(), "reading": reading}, ensure_ascii=False, default=str)
    store.execute(
        "INSERT INTO effect_estimates VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            measure_id,
            r.indicator,
            datetime.now(UTC).replace(tzinfo=None),
            r.estimate,
            r.ci_low,
            r.ci_high,
            r.p_value,
            payload,
        ],
    )


def latest_estimates(store: Any) -> dict[str, dict[str, Any]]:
    """measure_id → the newest saved estimate (as stored)."""
    df = store.query_df("SELECT measure_id, result FROM effect_estimates ORDER BY measure_id, estimated_at")
    return {m: json.loads(r) for m, r in zip(df["measure_id"], df["result"], strict=True)}  # newest wins


def evaluate_measure(
    store: Any,
    catalog: Any,
    measure: Any,
    indicator: str | None = None,
    comparison: str = "nachbarn",
    k: int = 10,
    features: list[str] | None = None,
    type_indicator: str | None = None,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[EffectResult, dict[str, Any]]:
    """Estimate the effect of a registered measure on its target indicator (or ``indicator``).

    Comparison areas: ``nachbarn`` = the ``k`` most similar areas on ``features`` (default: the
    inputs of an index declared on the measure's layer, else the indicator itself) before the
    start; ``typ`` = all areas of the measure areas' type in ``type_indicator`` (a typology).
    """
    ind_id, definition = _target_indicator(catalog, measure, indicator)
    layer = measure.layer_id
    panel = store.indicator_values(layer, [ind_id], None)[["area_id", "period", "value"]]
    if panel.empty:
        raise InputError(
            f"Für {ind_id!r} gibt es auf {layer!r} keine Werte.", hint="Rechnen Sie 'planlabor compute'."
        )
    start_period, before = _start_period(panel, ind_id, measure.start_date)
    treated = list(measure.areas)
    if comparison == "typ":
        controls, chosen = _controls_by_type(store, layer, treated, type_indicator, measure.start_date)
    else:
        if not features:
            refs = [r for r in catalog.indices if r.layer == layer]
            features = list(refs[0].inputs.values()) if refs else [ind_id]
        controls = _controls_by_features(store, layer, treated, features, k, measure.start_date)
        chosen = f"die {k} ähnlichsten Gebiete nach {', '.join(features)} vor dem Beginn"
    if not before:
        raise InputError(f"Für {ind_id!r} gibt es keinen Zeitraum vor dem Beginn der Maßnahme.")
    result = estimate_effect(panel, treated, controls, start_period, alpha=alpha, indicator=ind_id, seed=seed)
    result.comparison = chosen
    reading = interpretation(
        result,
        definition.name,
        definition.unit,
        definition.polarity,
        measure.name,
        measure.start_date,
        definition.decimals,
    )
    return result, reading


def _target_indicator(catalog: Any, measure: Any, indicator: str | None) -> tuple[str, Any]:
    """The indicator to evaluate and its catalog definition; refused when the measure has none,
    the catalog does not know it, or the measure lacks layer, areas or start."""
    ind_id = indicator or measure.target_indicator
    if not ind_id:
        raise InputError(
            f"Die Maßnahme {measure.measure_id} hat keinen Zielindikator.",
            column="--indikator",
            hint="Geben Sie den Indikator mit --indikator an.",
        )
    definition = catalog.get(ind_id)
    if definition is None:
        raise InputError(f"Den Indikator {ind_id!r} gibt es im Katalog nicht.", column="--indikator")
    if not measure.layer_id or not measure.areas or measure.start_date is None:
        raise InputError(
            f"Die Maßnahme {measure.measure_id} braucht Ebene, Gebiete und Beginn für eine Wirkungsanalyse.",
            column="gebiete/beginn",
        )
    return ind_id, definition


def _start_period(panel: pd.DataFrame, ind_id: str, start_date: date) -> tuple[str, list[str]]:
    """The first period ending on or after the start of the measure, and the periods before it."""
    from planlabor.io.periods import period_end

    ends = {p: period_end(p) for p in panel["period"].unique()}
    start_period = min((p for p, e in ends.items() if e >= start_date), default=None)
    if start_period is None:
        raise InputError(
            f"Die Zeitreihe von {ind_id!r} endet vor dem Beginn der Maßnahme ({start_date}).",
            hint="Importieren Sie neuere Daten.",
        )
    return start_period, [p for p, e in ends.items() if e < start_date]


def _controls_by_type(
    store: Any, layer: str, treated: list[str], type_indicator: str | None, start_date: date
) -> tuple[list[str], str]:
    """All areas of the measure areas' type in ``type_indicator`` (its last period before the
    start, else its last period), and how they were chosen."""
    from planlabor.io.periods import period_end

    if not type_indicator:
        raise InputError("--vergleich typ braucht --typ INDIKATOR (z. B. typ_kontext).", column="--typ")
    tv = store.indicator_values(layer, [type_indicator], None)
    if tv.empty:
        raise InputError(f"Für {type_indicator!r} gibt es auf {layer!r} keine Werte.", column="--typ")
    last = (
        max(p for p in tv["period"] if period_end(p) < start_date)
        if any(period_end(p) < start_date for p in tv["period"])
        else max(tv["period"])
    )
    types = tv[tv["period"] == last].set_index("area_id")["value"]
    controls = choose_controls(pd.DataFrame(), treated, types=types)
    return controls, f"alle Gebiete desselben Typs ({type_indicator}, Stand {last})"


def _controls_by_features(
    store: Any, layer: str, treated: list[str], features: list[str], k: int, start_date: date
) -> list[str]:
    """The ``k`` areas most similar to a measure area on the last values of ``features`` before
    the start."""
    from planlabor.io.periods import period_end

    fv = store.indicator_values(layer, features, None)
    fv = fv[fv["period"].map(lambda p: period_end(p) < start_date)]
    if fv.empty:
        raise InputError(
            "Für die Vergleichsmerkmale gibt es keine Werte vor dem Beginn der Maßnahme.",
            column="--merkmal",
        )
    latest = fv.sort_values("period").groupby(["indicator_id", "area_id"]).tail(1)
    wide = latest.pivot(index="area_id", columns="indicator_id", values="value")
    return choose_controls(wide, treated, k=k)
