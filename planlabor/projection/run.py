"""The projection against a workspace store: base population, calibration, results, back-test.

Age data are read from the observations of a layer and period.  Two layouts are known: the
register extract's fine bands (``E_E00_01`` … ``E_E95_110`` with the female total ``E_EW``)
and the half-yearly Berlin bands (``inhabitants_age_below_6`` … ``inhabitants_age_above_65``
with ``inhabitants_female``); any other set of band variables whose names carry the limits
(``…_3_6``, ``…_below_6``, ``…_above_65``) can be named explicitly.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.io.periods import period_end
from planlabor.projection import defaults as d
from planlabor.projection.ages import Band, graduate, parse_band
from planlabor.projection.model import (
    BANDS,
    Calibration,
    Population,
    Projection,
    Rates,
    Scenario,
    base_scenarios,
    calibrate,
    fertility_factor,
    fertility_level,
    project,
    split_sex,
)
from planlabor.store import Store

FINE_FEMALE = "E_EW"
COARSE_FEMALE = "inhabitants_female"
_FINE_RE = re.compile(r"^E_E\d\d_\d+$")
_COARSE_RE = re.compile(r"^inhabitants_age_(below_\d+|above_\d+|\d+_\d+)$")


@dataclass
class AgeData:
    population: Population
    bands: list[tuple[int, int]]
    variables: list[str]
    dropped: list[str]  # areas without complete age data
    source: str


def _year_fraction(period: str) -> float:
    e = period_end(period)
    start = date(e.year, 1, 1)
    days = (date(e.year + 1, 1, 1) - start).days
    return e.year + ((e - start).days + 1) / days


def age_variables(store: Store, layer: str, period: str) -> tuple[list[str], str | None, str]:
    """The age-band variables (and female total) available for ``layer`` at ``period``."""
    have = _variables_at(store, layer, period)
    fine = sorted(v for v in have if _FINE_RE.match(v))
    if len(fine) >= 10:
        return fine, FINE_FEMALE if FINE_FEMALE in have else None, "Registerdaten, feine Altersgruppen"
    coarse = sorted(v for v in have if _COARSE_RE.match(v))
    if coarse:
        return (
            coarse,
            COARSE_FEMALE if COARSE_FEMALE in have else None,
            "Altersgruppen der Einwohnerstatistik, in Einzeljahre zerlegt",
        )
    raise InputError(
        f"Für {period} gibt es auf {layer!r} keine Einwohner:innen nach Altersgruppen.",
        column="--base",
        expected="Variablen wie E_E00_01 … E_E95_110 oder inhabitants_age_below_6 … _above_65",
        hint="Importieren Sie die Einwohnerdaten nach Alter für diesen Stichtag oder wählen Sie "
        "einen anderen Stichtag.",
    )


def _variables_at(store: Store, layer: str, period: str) -> set[str]:
    return set(
        store.query_df(
            "SELECT DISTINCT variable FROM observations WHERE superseded_by IS NULL AND layer_id = ? "
            "AND period = ?",
            [layer, period],
        )["variable"]
    )


def load_population(
    store: Store,
    layer: str,
    period: str,
    variables: list[str] | None = None,
    female_variable: str | None = None,
    area_ids: list[str] | None = None,
    qx: np.ndarray | None = None,
) -> AgeData:
    """Single-year, two-sex population of ``layer`` at ``period`` from the stored age bands."""
    source = "Altersgruppen nach Auswahl"
    if variables is None:
        variables, female_variable, source = age_variables(store, layer, period)
    bands_all = [parse_band(v, d.MAX_AGE + 1) for v in variables]
    order = np.argsort([b.lower for b in bands_all])
    variables = [variables[i] for i in order]
    bands_all = [bands_all[i] for i in order]
    if bands_all[0].lower != 0:
        raise InputError(
            f"Die Altersgruppen beginnen bei {bands_all[0].lower} statt bei 0.",
            expected="lückenlose Altersgruppen ab 0 Jahren",
        )
    obs = store.observations(layer, variables + ([female_variable] if female_variable else []), [period])
    wide = obs.pivot_table(index="area_id", columns="variable", values="value", aggfunc="first")
    ids = area_ids if area_ids is not None else store.areas(layer)["area_id"].astype(str).tolist()
    wide = wide.reindex(ids)
    complete = wide[variables].notna().all(axis=1)
    dropped = [str(a) for a, ok in complete.items() if not ok]
    wide = wide[complete]
    counts = wide[variables].to_numpy(dtype=float)
    qx = d.default_qx() if qx is None else qx
    single = _graduate_open(counts, bands_all, qx)
    female = wide[female_variable].to_numpy(dtype=float) if female_variable else None
    values = split_sex(single, female, qx, d.SEX_RATIO_AT_BIRTH)
    bands = [(b.lower, min(b.upper, d.MAX_AGE + 1)) for b in bands_all]
    if bands[-1][1] != d.MAX_AGE + 1:
        bands[-1] = (bands[-1][0], d.MAX_AGE + 1)
    return AgeData(Population([str(a) for a in wide.index], values), bands, variables, dropped, source)


def _graduate_open(counts: np.ndarray, bands: list[Band], qx: np.ndarray) -> np.ndarray:
    """Graduate bands to ages 0…100+; an open or very wide top band follows the life table."""
    top = bands[-1]
    out = np.zeros((counts.shape[0], d.MAX_AGE + 1))
    closed = bands[:-1] if top.upper - top.lower > 10 else bands
    if closed:
        g = graduate(counts[:, : len(closed)], closed, integer=False)
        hi = min(closed[-1].upper, d.MAX_AGE + 1)
        out[:, :hi] = g[:, :hi]
        if closed[-1].upper > d.MAX_AGE + 1:  # e.g. 95–110: fold 100+ into the open age
            out[:, d.MAX_AGE] += g[:, d.MAX_AGE + 1 :].sum(axis=1)
    if closed is not bands:
        lx = np.concatenate([np.ones((2, 1)), np.cumprod(1 - qx[:, :-1], axis=1)], axis=1).sum(axis=0)
        lo = top.lower
        shape = lx[lo:].copy()
        shape[-1] = lx[-1] / max(qx[:, -1].mean(), 1e-6)  # the open group lives on
        out[:, lo:] = counts[:, -1:] * (shape / shape.sum())[None, :]
    return out


# ----------------------------------------------------------------- run and save
@dataclass
class ProjectionRun:
    layer: str
    base_period: str
    projection: Projection
    calibration: Calibration | None
    age_source: str
    dropped: list[str]
    small_areas: list[str]
    min_size: int
    notes: list[str] = field(default_factory=list)


def area_types(store: Store, layer: str, variable: str) -> dict[str, str]:
    obs = store.observations(layer, [variable])
    if obs.empty:
        raise InputError(
            f"Die Gebietstypen {variable!r} gibt es auf {layer!r} nicht.",
            column="--types",
            hint="Berechnen Sie eine Typologie (planlabor index … --typology) oder importieren Sie "
            "eine Spalte mit dem Typ je Gebiet.",
        )
    last = obs.sort_values("period").groupby("area_id")["value"].last()
    return {str(a): str(v) for a, v in last.items()}


def run_projection(
    store: Store,
    layer: str,
    base_period: str,
    years: int = 20,
    calibration_periods: list[str] | None = None,
    scenarios: list[Scenario] | None = None,
    rates: Rates | None = None,
    types_variable: str | None = None,
    shrinkage: float = 1000.0,
    min_size: int = d.SMALL_AREA_MIN,
    fit_fertility: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> ProjectionRun:
    """Base population, calibration on earlier stocks and projection, without saving;
    ``progress(step, years + 2, label)`` hears of the base stock, the rates and every year."""
    tell = progress or (lambda *_: None)
    if period_end(base_period).strftime("%m-%d") != "12-31":
        raise InputError(
            f"Der Basisstichtag {base_period} ist kein Jahresende.",
            column="--base",
            expected="ein 31.12., z. B. 2021-12-31",
        )
    rates = rates or Rates.defaults()
    base = load_population(store, layer, base_period, qx=rates.qx)
    notes: list[str] = []
    if base.dropped:
        notes.append(
            f"{len(base.dropped)} Gebiete ohne vollständige Altersangaben am {base_period} "
            f"bleiben außen vor: {', '.join(base.dropped[:10])}"
        )
    tell(1, years + 2, f"Basisbestand {base_period} gelesen: {len(base.population.area_ids)} Gebiete")
    rates = replace(rates, fertility_factor=fertility_factor(base.population, rates, shrinkage))
    if fit_fertility:
        level = fertility_level(base.population, base.bands, rates)
        note = (
            f"aus dem Basisbestand kalibriert (jüngste Altersgruppe): Faktor {level:.3f}, "
            f"zusammengefasste Geburtenziffer {rates.asfr.sum() * level:.2f}"
        )
        rates = replace(rates, asfr=rates.asfr * level, sources={**rates.sources, "geburtenniveau": note})
    cal = None
    if calibration_periods:
        periods = sorted(set(calibration_periods) | {base_period}, key=period_end)
        if period_end(periods[-1]) > period_end(base_period):
            raise InputError(
                "Kalibrierungsstichtage dürfen nicht nach dem Basisstichtag liegen.", column="--calibrate"
            )
        ids = base.population.area_ids
        loaded = [load_population(store, layer, p, area_ids=ids, qx=rates.qx) for p in periods]
        # same areas and the coarsest common bands in every stock
        keep = set(ids)
        for ld in loaded:
            keep &= set(ld.population.area_ids)
        bands = _common_bands([ld.bands for ld in loaded])
        stocks = []
        for p, ld in zip(periods, loaded, strict=True):
            pos = [ld.population.area_ids.index(a) for a in ids if a in keep]
            stocks.append(
                (_year_fraction(p), Population([a for a in ids if a in keep], ld.population.values[pos]))
            )
        types = area_types(store, layer, types_variable) if types_variable else None
        cal = calibrate(stocks, bands, rates, types, shrinkage)
        cal.periods = periods
        rates = cal.rates
        missing = [a for a in ids if a not in keep]
        if missing:
            notes.append(
                f"{len(missing)} Gebiete ohne Bestände an allen Kalibrierungsstichtagen erhalten die "
                "Raten der Stadt."
            )
            rates = _expand_rates(rates, [a for a in ids if a in keep], ids)
    tell(2, years + 2, f"Raten kalibriert an {len(cal.periods)} Stichtagen" if cal else "Raten festgelegt")
    pop = base.population
    proj = project(
        pop, period_end(base_period).year, rates, years, scenarios or base_scenarios(),
        lambda s, _t, label: tell(2 + s, years + 2, label),
    )  # fmt: skip
    small = [a for a, t in zip(pop.area_ids, pop.total(), strict=True) if t < min_size]
    return ProjectionRun(layer, base_period, proj, cal, base.source, base.dropped, small, min_size, notes)


def _common_bands(sets: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Calibration bands: limits that occur in every set, merged to robust widths.

    Fine register bands (more than 15) are merged: under 6 every common limit is kept (U1, U3
    and Ü3 matter for Kita planning); from 6 to 65 bands are at least 5 years wide, from 65 at
    least 10.  Narrow bands otherwise turn graduation error (e.g. the small birth cohort of 1945
    crossing the limit 80) into alternating spurious migration rates.
    """
    limits = sorted(set.intersection(*[{lo for lo, _ in s} | {s[-1][1]} for s in sets]))
    if len(limits) <= 16:  # already coarse (e.g. the half-yearly bands): use as published
        return list(itertools.pairwise(limits))
    kept = [limits[0]]
    for lim in limits[1:]:
        width = 5 if kept[-1] < 65 else 10
        if lim <= 6 or lim - kept[-1] >= width or lim == limits[-1]:
            kept.append(lim)
    if len(kept) > 2 and kept[-1] - kept[-2] < (10 if kept[-2] >= 65 else 5):  # no stub at the top
        del kept[-2]
    return list(itertools.pairwise(kept))


def _expand_rates(rates: Rates, have: list[str], ids: list[str]) -> Rates:
    pos = {a: i for i, a in enumerate(have)}
    n = len(ids)
    fert = np.ones(n)
    internal = np.zeros((n, 2, d.MAX_AGE + 1))
    for i, a in enumerate(ids):
        if a in pos:
            if rates.fertility_factor is not None:
                fert[i] = rates.fertility_factor[pos[a]]
            if rates.migration_internal is not None:
                internal[i] = rates.migration_internal[pos[a]]
    return replace(rates, fertility_factor=fert, migration_internal=internal)


def result_frame(run: ProjectionRun, store: Store, aggregate: bool = True) -> pd.DataFrame:
    """Observations frame (layer_id, area_id, variable, period, value, flag) of the projection:
    variables ``prog_<szenario>_<band>`` at 31.12. of each projection year, on the projection
    layer and summed up the hierarchy; areas under ``min_size`` residents at the base carry the
    flag ``prognose_klein``."""
    from planlabor.areas.hierarchy import ancestor_table

    proj = run.projection
    vals = proj.band_values()[:, 1:]  # (s, years, areas, bands) without the base year
    base_total = proj.values[0, 0].sum(axis=(1, 2))
    units: list[tuple[str, list[str], np.ndarray, np.ndarray]] = [
        (run.layer, proj.area_ids, vals, base_total)
    ]
    if aggregate:
        anc = ancestor_table(store, run.layer)
        anc = anc[anc["anc_layer"] != run.layer]
        pos = {a: i for i, a in enumerate(proj.area_ids)}
        for layer, grp in anc.groupby("anc_layer", sort=False):
            grp = grp[grp["area_id"].isin(pos)]
            ids = sorted(grp["anc_id"].unique())
            m = np.zeros((len(ids), len(proj.area_ids)))
            row = {a: i for i, a in enumerate(ids)}
            m[[row[a] for a in grp["anc_id"]], [pos[a] for a in grp["area_id"]]] = 1.0
            units.append((str(layer), ids, np.einsum("syab,ka->sykb", vals, m), m @ base_total))
    names = np.array([f"prog_{s.id}_{b}" for s in proj.scenarios for b in BANDS], dtype=object)
    periods = np.array([f"{y}-12-31" for y in proj.years], dtype=object)
    frames = []
    for layer, ids, v, size in units:
        s_n, y_n, a_n, b_n = v.shape
        # order (scenario, band) × year × area
        flat = v.transpose(0, 3, 1, 2).reshape(-1)
        small = np.array(["prognose_klein" if x < run.min_size else None for x in size], dtype=object)
        frames.append(
            pd.DataFrame(
                {
                    "layer_id": layer,
                    "area_id": np.tile(np.asarray(ids, dtype=object), s_n * b_n * y_n),
                    "variable": np.repeat(names, y_n * a_n),
                    "period": np.tile(np.repeat(periods, a_n), s_n * b_n),
                    "value": flat,
                    "flag": np.tile(small, s_n * b_n * y_n),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def save_projection(store: Store, run: ProjectionRun, options: dict[str, Any]) -> int:
    frame = result_frame(run, store)
    return store.record_observations(
        "projektion",
        run.layer,
        frame,
        options,
        message=f"Bevölkerungsprognose ab {run.base_period}: {run.age_source}",
        rows_read=len(run.projection.area_ids),
    )


# ----------------------------------------------------------------- back-test
SIZE_CLASSES = [(0, 2500, "unter 2.500"), (2500, 5000, "2.500–5.000"), (5000, 10000, "5.000–10.000"),
                (10000, 10**9, "10.000 und mehr")]  # fmt: skip


@dataclass
class Backtest:
    base_period: str
    target_period: str
    calibration_periods: list[str]
    table: pd.DataFrame  # band, fehlerart, prognose, naiv, gebiete
    by_size: pd.DataFrame  # band, groesse, gebiete, mape_prognose, mape_naiv
    areas: pd.DataFrame  # area_id, band, beobachtet, prognose, naiv
    levels: pd.DataFrame  # ebene, band, gebiete, mape_prognose, mape_naiv (areas summed up)


def backtest(
    store: Store,
    layer: str,
    base_period: str,
    target_period: str,
    calibration_periods: list[str] | None = None,
    scenario: str = "intern",
    types_variable: str | None = None,
    shrinkage: float = 1000.0,
    rates: Rates | None = None,
    fit_fertility: bool = True,
) -> Backtest:
    """Project from ``base_period`` to ``target_period`` and compare with the observed stock.

    Errors per area and band: MAPE (mean absolute percentage error over areas with observed
    residents), WAPE (sum of absolute errors ÷ sum observed) and the median APE, for the
    projection and the naive forecast "no change since the base date", overall and by area size.
    """
    years = period_end(target_period).year - period_end(base_period).year
    if period_end(target_period).strftime("%m-%d") != "12-31" or years < 1:
        raise InputError(
            f"Der Vergleichsstichtag {target_period} muss ein Jahresende nach {base_period} sein.",
            column="--backtest",
        )
    run = run_projection(
        store,
        layer,
        base_period,
        years,
        calibration_periods,
        None,
        rates,
        types_variable,
        shrinkage,
        fit_fertility=fit_fertility,
    )
    k = [s.id for s in run.projection.scenarios].index(scenario)
    base_vars, _, _ = age_variables(store, layer, base_period)
    target_vars, _, _ = age_variables(store, layer, target_period)
    if set(base_vars) <= _variables_at(store, layer, target_period):
        target_vars = base_vars  # compare in the base's own bands: the naive forecast is then exact
    observed = load_population(
        store, layer, target_period, target_vars, None, area_ids=run.projection.area_ids
    )
    keep = [a for a in run.projection.area_ids if a in set(observed.population.area_ids)]
    pos_p = [run.projection.area_ids.index(a) for a in keep]
    pos_o = [observed.population.area_ids.index(a) for a in keep]
    proj = run.projection.values[k, -1][pos_p]
    base = run.projection.values[k, 0][pos_p]
    obs = observed.population.values[pos_o]
    rows, size_rows, areas = _backtest_errors(keep, proj, base, obs, observed.bands)
    return Backtest(
        base_period,
        target_period,
        run.calibration.periods if run.calibration else [],
        pd.DataFrame(rows),
        pd.DataFrame(size_rows),
        areas,
        _level_errors(store, layer, areas),
    )


def _backtest_errors(
    keep: list[str], proj: np.ndarray, base: np.ndarray, obs: np.ndarray, bands: list[tuple[int, int]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], pd.DataFrame]:
    """The errors of projection and naive forecast per age band (all residents and the observed
    bands): overall, by area size class, and the values per area."""
    size = base.sum(axis=(1, 2))
    rows = []
    size_rows = []
    area_rows = []
    eval_bands = {"ew": (0, 101), **{f"{lo}_{hi}": (lo, hi) for lo, hi in bands}}
    labels = {"ew": "insgesamt", "0_6": "unter 6", "6_15": "6 bis unter 15", "65_101": "65 und älter"}
    for b, (lo, hi) in eval_bands.items():
        o = obs[:, :, lo:hi].sum(axis=(1, 2))
        p = proj[:, :, lo:hi].sum(axis=(1, 2))
        nv = base[:, :, lo:hi].sum(axis=(1, 2))
        ok = o > 0
        ape_p = np.abs(p - o)[ok] / o[ok]
        ape_n = np.abs(nv - o)[ok] / o[ok]
        label = labels.get(b, b.replace("_", " bis unter "))
        rows.append(
            {
                "band": label,
                "gebiete": int(ok.sum()),
                "mape_prognose": float(ape_p.mean() * 100),
                "mape_naiv": float(ape_n.mean() * 100),
                "median_ape_prognose": float(np.median(ape_p) * 100),
                "median_ape_naiv": float(np.median(ape_n) * 100),
                "wape_prognose": float(np.abs(p - o).sum() / o.sum() * 100),
                "wape_naiv": float(np.abs(nv - o).sum() / o.sum() * 100),
                "summe_beobachtet": float(o.sum()),
                "summe_prognose": float(p.sum()),
                "summe_naiv": float(nv.sum()),
                "anteil_besser": float((ape_p < ape_n).mean() * 100),
            }
        )
        for lo_s, hi_s, name in SIZE_CLASSES:
            m = ok & (size >= lo_s) & (size < hi_s)
            if m.any():
                size_rows.append(
                    {
                        "band": label,
                        "groesse": name,
                        "gebiete": int(m.sum()),
                        "mape_prognose": float((np.abs(p - o)[m] / o[m]).mean() * 100),
                        "mape_naiv": float((np.abs(nv - o)[m] / o[m]).mean() * 100),
                    }
                )
        area_rows.append(
            pd.DataFrame({"area_id": keep, "band": label, "beobachtet": o, "prognose": p, "naiv": nv})
        )
    return rows, size_rows, pd.concat(area_rows, ignore_index=True)


def _level_errors(store: Store, layer: str, areas: pd.DataFrame) -> pd.DataFrame:
    """MAPE of projection and naive forecast after summing the areas up the hierarchy."""
    from planlabor.areas.hierarchy import ancestor_table

    anc = ancestor_table(store, layer)
    m = areas.merge(anc, on="area_id")
    g = m.groupby(["anc_layer", "anc_id", "band"], as_index=False)[["beobachtet", "prognose", "naiv"]].sum()
    g = g[g["beobachtet"] > 0]
    g["ape_p"] = (g["prognose"] - g["beobachtet"]).abs() / g["beobachtet"] * 100
    g["ape_n"] = (g["naiv"] - g["beobachtet"]).abs() / g["beobachtet"] * 100
    out = g.groupby(["anc_layer", "band"], as_index=False, sort=False).agg(
        gebiete=("anc_id", "size"), mape_prognose=("ape_p", "mean"), mape_naiv=("ape_n", "mean")
    )
    return out.rename(columns={"anc_layer": "ebene"})
