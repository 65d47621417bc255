"""Deterministic cohort-component projection for small areas (in the manner of KOSIS SIKURS).

State: residents per area × sex (0 = male, 1 = female) × single year of age 0…100+ at the
end of a year.  One projection year:

1. survival: everyone ages by one year with the survival probability 1 − q(x) of the life
   table (the open group 100+ keeps its survivors);
2. births from age-specific fertility rates applied to the women of the year (mean of start
   and end), times an area fertility factor; split by the sex ratio at birth; the newborn
   survive half the infant mortality to the year's end;
3. net migration as annual rates per area × sex × age, split into an *external* component
   (the municipality's net migration with the outside, the same rate in every area) and an
   *internal* one (moves between the areas; deviations of the area from the city rate);
4. extra in-migration from new housing (first occupancy, persons per area and year,
   distributed by the first-occupancy age profile);
5. optionally a top-down adjustment: all areas are scaled proportionally so that the sum
   matches a given city total for that year.

The three base variants switch the components on one after the other: ``natuerlich``
(natural change only), ``extern`` (plus external migration) and ``intern`` (plus internal
migration and new housing).  User scenarios scale the components and add housing and
city totals.

Rates come from :func:`calibrate`: the residual method on the municipality's own stock data
(observed population at two or more dates minus the natural change the life table and
fertility schedule give is the net migration), pooled by area type and shrunk towards the
type's rate so that small areas do not carry the noise of a few moves.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.projection import defaults as d

A = d.MAX_AGE + 1
VARIANTS = ("natuerlich", "extern", "intern")


@dataclass
class Population:
    """Residents per area × sex × single year of age (0…100+)."""

    area_ids: list[str]
    values: np.ndarray  # (areas, 2, 101)

    def total(self) -> np.ndarray:
        return np.asarray(self.values.sum(axis=(1, 2)))

    def band(self, lower: int, upper: int) -> np.ndarray:
        return np.asarray(self.values[:, :, lower:upper].sum(axis=(1, 2)))


@dataclass
class Rates:
    """All rates of the model; arrays are float64."""

    qx: np.ndarray  # (2, 101) death probabilities
    asfr: np.ndarray  # (101,) births per woman and year
    sex_ratio: float = d.SEX_RATIO_AT_BIRTH
    fertility_factor: np.ndarray | None = None  # (areas,) relative to the city
    migration_external: np.ndarray | None = None  # (2, 101) or (areas, 2, 101) annual net rate
    migration_internal: np.ndarray | None = None  # (areas, 2, 101) annual net rate
    sources: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def defaults(tfr: float = d.TFR_DEFAULT) -> Rates:
        return Rates(
            qx=d.default_qx(),
            asfr=d.fertility_schedule(tfr),
            sources={"sterbetafel": d.LIFE_TABLE_SOURCE, "fruchtbarkeit": d.FERTILITY_SOURCE},
        )


@dataclass
class Scenario:
    """A projection variant: which components, scaled how, with which additions."""

    id: str
    name: str
    base: str = "intern"  # natuerlich | extern | intern
    fertility: float = 1.0
    mortality: float = 1.0
    external: float = 1.0
    internal: float = 1.0
    housing: pd.DataFrame | None = None  # area_id, jahr, personen
    city_totals: dict[int, float] | None = None  # year → residents

    def __post_init__(self) -> None:
        if self.base not in VARIANTS:
            raise InputError(
                f"Szenario {self.id!r}: unbekannte Basisvariante {self.base!r}.",
                column="basis",
                expected=" | ".join(VARIANTS),
            )
        for name in ("fertility", "mortality", "external", "internal"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise InputError(
                    f"Szenario {self.id!r}: der Faktor {name} = {v} ist nicht zulässig.",
                    expected="eine Zahl ≥ 0",
                )


def base_scenarios() -> list[Scenario]:
    return [
        Scenario("natuerlich", "nur natürliche Bevölkerungsbewegung", "natuerlich"),
        Scenario("extern", "mit Außenwanderung", "extern"),
        Scenario("intern", "mit Außen- und Binnenwanderung", "intern"),
    ]


# ----------------------------------------------------------------- one step
def _step(
    p: np.ndarray,
    qx: np.ndarray,
    asfr: np.ndarray,
    fert: np.ndarray,
    sex_ratio: float,
    h: float = 1.0,
) -> np.ndarray:
    """Natural change over ``h`` years (0 < h ≤ 1) for ``p`` of shape (..., areas, 2, 101).

    For h < 1 a fraction h of each single-year cohort moves up one year (people are spread
    evenly over the year of age) and mortality is q scaled to the step, 1 − (1 − q)^h.
    """
    surv = (1.0 - qx) ** h  # (2, 101)
    s = p * surv
    out = np.empty_like(p)
    out[..., 1:] = (1 - h) * s[..., 1:] + h * s[..., :-1]
    out[..., -1] += h * s[..., -1]  # open group keeps its survivors
    out[..., 0] = (1 - h) * s[..., 0]
    women = 0.5 * (p[..., 1, :] + out[..., 1, :])  # (..., areas, 101)
    births = h * (women @ asfr) * fert  # (..., areas)
    boys = sex_ratio / (1 + sex_ratio)
    infant = 1.0 - 0.5 * h * qx[:, 0]  # (2,)
    out[..., 0, 0] += births * boys * infant[0]
    out[..., 1, 0] += births * (1 - boys) * infant[1]
    return out


def natural_change(pop: np.ndarray, rates: Rates, years: float) -> np.ndarray:
    """Population after ``years`` (may be fractional) of natural change only."""
    fert = rates.fertility_factor if rates.fertility_factor is not None else np.ones(pop.shape[0])
    p = pop.astype(float)
    left = years
    while left > 1e-9:
        h = min(1.0, left)
        p = _step(p, rates.qx, rates.asfr, fert, rates.sex_ratio, h)
        left -= h
    return p


# ----------------------------------------------------------------- projection
@dataclass
class Projection:
    area_ids: list[str]
    base_year: int
    years: list[int]
    scenarios: list[Scenario]
    values: np.ndarray  # (scenarios, years + 1, areas, 2, 101); index 0 = base

    def band_values(self, bands: dict[str, tuple[int, int]] | None = None) -> np.ndarray:
        """Residents per scenario × year × area × band (both sexes), shape (s, y + 1, a, b)."""
        bands = bands or BANDS
        per_age = self.values.sum(axis=3)  # (s, y, a, 101)
        cum = np.concatenate([np.zeros((*per_age.shape[:3], 1)), per_age.cumsum(axis=3)], axis=3)
        return np.stack([cum[..., min(hi, A)] - cum[..., lo] for lo, hi in bands.values()], axis=3)

    def frame(self, bands: dict[str, tuple[int, int]] | None = None) -> pd.DataFrame:
        """Long table: szenario, jahr, area_id, band, wert (bands default: :data:`BANDS`)."""
        bands = bands or BANDS
        s_n, y_n, a_n = self.values.shape[:3]
        vals = self.band_values(bands)
        frames = []
        years = [self.base_year, *self.years]
        for j, b in enumerate(bands):
            frames.append(
                pd.DataFrame(
                    {
                        "szenario": np.repeat([s.id for s in self.scenarios], y_n * a_n),
                        "jahr": np.tile(np.repeat(years, a_n), s_n),
                        "area_id": np.tile(self.area_ids, s_n * y_n),
                        "band": b,
                        "wert": vals[..., j].reshape(-1),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def single_years(self) -> pd.DataFrame:
        """Long table by single year of age and sex (large: scenarios × years × areas × 202)."""
        years = [self.base_year, *self.years]
        idx = pd.MultiIndex.from_product(
            [[s.id for s in self.scenarios], years, self.area_ids, ["m", "w"], range(A)],
            names=["szenario", "jahr", "area_id", "geschlecht", "alter"],
        )
        return pd.DataFrame({"einwohner": self.values.reshape(-1)}, index=idx).reset_index()


#: result bands stored and reported (upper limit exclusive; 101 = open end)
BANDS: dict[str, tuple[int, int]] = {
    "ew": (0, 101),
    "u1": (0, 1),
    "u3": (0, 3),
    "3_6": (3, 6),
    "u6": (0, 6),
    "6_10": (6, 10),
    "10_16": (10, 16),
    "6_15": (6, 15),
    "16_18": (16, 18),
    "u18": (0, 18),
    "18_65": (18, 65),
    "65_80": (65, 80),
    "65plus": (65, 101),
    "80plus": (80, 101),
    "65_70": (65, 70),
    "70_75": (70, 75),
    "75_80": (75, 80),
    "80_85": (80, 85),
    "85_90": (85, 90),
    "90plus": (90, 101),
}


def project(
    base: Population,
    base_year: int,
    rates: Rates,
    years: int = 20,
    scenarios: list[Scenario] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Projection:
    """Project ``base`` (stock at the end of ``base_year``) for ``years`` years per scenario;
    ``progress(step, years, label)`` hears of every projected year."""
    if years < 1 or years > 100:
        raise InputError(f"Prognosezeitraum {years} Jahre ist nicht zulässig.", expected="1 bis 100 Jahre")
    scen = scenarios or base_scenarios()
    n = len(base.area_ids)
    p0 = np.asarray(base.values, dtype=float)
    if p0.shape != (n, 2, A):
        raise InputError(f"Basisbevölkerung hat die Form {p0.shape}, erwartet ({n}, 2, {A}).")
    fert0 = rates.fertility_factor if rates.fertility_factor is not None else np.ones(n)
    ext0 = np.zeros((2, A)) if rates.migration_external is None else rates.migration_external
    int0 = np.zeros((n, 2, A)) if rates.migration_internal is None else rates.migration_internal
    s_n = len(scen)
    # per-scenario parameters, broadcast over (scenario, area, sex, age)
    qx = np.stack([np.minimum(rates.qx * s.mortality, 1.0) for s in scen])  # (s, 2, 101)
    fert = np.stack([fert0 * s.fertility for s in scen])  # (s, areas)
    use_ext = np.array([s.base in ("extern", "intern") for s in scen], dtype=float)
    use_int = np.array([s.base == "intern" for s in scen], dtype=float)
    ext_f = np.array([s.external for s in scen]) * use_ext
    int_f = np.array([s.internal for s in scen]) * use_int
    mig = (
        ext_f[:, None, None, None] * np.broadcast_to(ext0, (n, 2, A))[None]
        + int_f[:, None, None, None] * int0[None]
    )  # (s, areas, 2, 101)
    area_pos = {a: i for i, a in enumerate(base.area_ids)}
    housing = np.zeros((s_n, years, n))
    for k, s in enumerate(scen):
        if s.housing is not None and len(s.housing):
            for aid, jahr, persons in zip(
                s.housing["area_id"].astype(str),
                s.housing["jahr"].astype(int),
                s.housing["personen"],
                strict=True,
            ):
                y = int(jahr) - base_year - 1
                if 0 <= y < years and aid in area_pos:
                    housing[k, y, area_pos[aid]] += float(persons)
    profile = d.housing_profile()
    out = np.empty((s_n, years + 1, n, 2, A))
    out[:, 0] = p0
    p = np.broadcast_to(p0, (s_n, n, 2, A)).copy()
    boys = rates.sex_ratio / (1 + rates.sex_ratio)
    for t in range(years):
        nxt = np.empty_like(p)
        for k in range(s_n):  # qx differs per scenario; the step is vectorised over areas
            nxt[k] = _step(p[k], qx[k], rates.asfr, fert[k], rates.sex_ratio)
        nxt = nxt * (1.0 + mig)
        if housing[:, t].any():
            add = housing[:, t][:, :, None] * profile[None, None, :]  # (s, areas, 101)
            nxt[:, :, 0] += add * boys
            nxt[:, :, 1] += add * (1 - boys)
        np.maximum(nxt, 0.0, out=nxt)
        for k, s in enumerate(scen):
            year = base_year + t + 1
            if s.city_totals and year in s.city_totals:
                tot = nxt[k].sum()
                if tot > 0:
                    nxt[k] *= s.city_totals[year] / tot
        out[:, t + 1] = nxt
        p = nxt
        if progress is not None:
            progress(t + 1, years, f"Prognosejahr {base_year + t + 1} ({t + 1} von {years})")
    return Projection(base.area_ids, base_year, list(range(base_year + 1, base_year + years + 1)), scen, out)


# ----------------------------------------------------------------- calibration
@dataclass
class Calibration:
    rates: Rates
    periods: list[str]
    band_rates: pd.DataFrame  # area_id, band, rate_area, rate_type, rate_city, rate_used
    notes: list[str] = field(default_factory=list)


def calibrate(
    stocks: list[tuple[float, Population]],
    bands: list[tuple[int, int]],
    rates: Rates,
    area_types: dict[str, str] | None = None,
    shrinkage: float = 1000.0,
) -> Calibration:
    """Net migration rates and area fertility factors from stock data (residual method).

    ``stocks`` are (time in years, population) pairs on the same areas in time order, e.g.
    2019.999 … 2021.999; ``bands`` the age bands in which the stocks were observed (the
    comparison happens on those bands, so graduation never invents migration).  For each
    consecutive pair the start stock is aged by the natural change; observed minus expected is
    the net migration of the interval.  Rates are residuals ÷ expected person-years, pooled over
    all intervals, per band and area; each area's rate is shrunk towards its type's rate
    (towards the city rate without types) with weight n / (n + ``shrinkage``), n the expected
    residents of the band.  The city rate is the *external* component, the rest *internal*.

    Area fertility factors (unless ``rates`` carries them) follow from the child–woman ratio of
    the last stock, see :func:`fertility_factor`.
    """
    if len(stocks) < 2:
        raise InputError(
            "Für die Kalibrierung braucht es Bestände zu mindestens zwei Stichtagen.",
            column="--calibrate",
            expected="zwei oder mehr Stichtage, z. B. 2020-12-31,2021-12-31",
        )
    ids = stocks[0][1].area_ids
    n = len(ids)
    n_b = len(bands)
    if rates.fertility_factor is None or len(rates.fertility_factor) != n:
        rates = replace(rates, fertility_factor=fertility_factor(stocks[-1][1], rates, shrinkage))
    resid, expo = _migration_residuals(stocks, bands, rates)
    city = resid.sum(axis=0) / np.maximum(expo.sum(axis=0), 1e-9)  # (bands,)
    if area_types:
        types = np.array([area_types.get(a, "") for a in ids])
        target = np.empty((n, n_b))
        for t in np.unique(types):
            m = types == t
            target[m] = resid[m].sum(axis=0) / np.maximum(expo[m].sum(axis=0), 1e-9)
    else:
        types = np.array([""] * n)
        target = np.broadcast_to(city, (n, n_b)).copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        area_rate = np.where(expo > 0, resid / expo, target)
    w = expo / (expo + shrinkage)
    used = w * area_rate + (1 - w) * target
    ext = np.zeros((2, A))
    internal = np.zeros((n, 2, A))
    for j, (lo, hi) in enumerate(bands):
        ext[:, lo:hi] = city[j]
        internal[:, :, lo:hi] = (used[:, j] - city[j])[:, None, None]
    table = pd.DataFrame(
        {
            "area_id": np.repeat(ids, n_b),
            "typ": np.repeat(types, n_b),
            "band": np.tile([f"{lo}_{hi}" for lo, hi in bands], n),
            "rate_area": area_rate.reshape(-1),
            "rate_type": target.reshape(-1),
            "rate_city": np.tile(city, n),
            "rate_used": used.reshape(-1),
        }
    )
    return Calibration(
        replace(rates, migration_external=ext, migration_internal=internal),
        [],
        table,
    )


def _migration_residuals(
    stocks: list[tuple[float, Population]], bands: list[tuple[int, int]], rates: Rates
) -> tuple[np.ndarray, np.ndarray]:
    """Observed minus expected (natural change only) residents per area and band, summed over
    the consecutive pairs of ``stocks``, and the expected person-years (area × band)."""
    ids = stocks[0][1].area_ids
    resid = np.zeros((len(ids), len(bands)))
    expo = np.zeros((len(ids), len(bands)))
    for (t0, s0), (t1, s1) in itertools.pairwise(stocks):
        if s0.area_ids != ids or s1.area_ids != ids:
            raise InputError("Die Bestände der Kalibrierung haben nicht dieselben Gebiete.")
        h = t1 - t0
        if h <= 0:
            raise InputError("Die Stichtage der Kalibrierung sind nicht aufsteigend.", column="--calibrate")
        expected = natural_change(s0.values, rates, h)
        for j, (lo, hi) in enumerate(bands):
            e = expected[:, :, lo:hi].sum(axis=(1, 2))
            o = s1.values[:, :, lo:hi].sum(axis=(1, 2))
            resid[:, j] += o - e
            expo[:, j] += e * h
    return resid, expo


def fertility_factor(pop: Population, rates: Rates, shrinkage: float = 1000.0) -> np.ndarray:
    """Area fertility relative to the city from the child–woman ratio (children under 6 per
    woman of the fertile ages), shrunk towards 1 with weight women / (women + ``shrinkage``)."""
    v = pop.values
    kids = v[:, :, 0:6].sum(axis=(1, 2))
    women = (v[:, 1, :] * (rates.asfr > 0)).sum(axis=1)
    city = kids.sum() / max(women.sum(), 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        cwr = np.where(women > 0, kids / women, city)
    w = women / (women + shrinkage)
    return np.asarray(w * cwr / city + (1 - w) * 1.0)


# ----------------------------------------------------------------- base population
def split_sex(totals: np.ndarray, female: np.ndarray | None, qx: np.ndarray, sex_ratio: float) -> np.ndarray:
    """Split single-year totals (areas × 101) into men and women.

    The female share by age starts from the stationary population of the life table (more
    women at old ages) and is shifted on the logit scale per area so that the women add up to
    the area's female total where one is known.
    """
    lx = np.concatenate([np.ones((2, 1)), np.cumprod(1 - qx[:, :-1], axis=1)], axis=1)
    stat = lx * np.array([[sex_ratio], [1.0]])
    phi = np.clip(stat[1] / stat.sum(axis=0), 1e-6, 1 - 1e-6)
    logit = np.log(phi / (1 - phi))
    shift = np.zeros(totals.shape[0])
    if female is not None:
        target = np.asarray(female, dtype=float)
        ok = np.isfinite(target) & (totals.sum(axis=1) > 0)
        target = np.where(ok, np.clip(target, 0, totals.sum(axis=1)), 0)
        for _ in range(30):  # Newton on the common logit shift
            share = 1 / (1 + np.exp(-(logit[None] + shift[:, None])))
            f = (totals * share).sum(axis=1) - target
            g = (totals * share * (1 - share)).sum(axis=1)
            shift = np.where(ok & (g > 1e-9), np.clip(shift - f / np.maximum(g, 1e-9), -8, 8), shift)
    share = 1 / (1 + np.exp(-(logit[None] + shift[:, None])))
    return np.stack([totals * (1 - share), totals * share], axis=1)


def fertility_level(pop: Population, bands: list[tuple[int, int]], rates: Rates) -> float:
    """Factor on the fertility schedule so that the model's births match the base stock.

    Observed births per year are approximated by the youngest age band ÷ its width (the
    0–1-year-olds where the register has them; otherwise e.g. under 6 ÷ 6, an average of the
    last years); model births are the schedule applied to the base's women with the area
    fertility factors, surviving the first half year.
    """
    lo, hi = bands[0]
    if lo != 0 or hi > 6:
        return 1.0
    observed = pop.values[:, :, 0:hi].sum() / hi
    fert = rates.fertility_factor if rates.fertility_factor is not None else np.ones(len(pop.area_ids))
    births = float((pop.values[:, 1, :] @ rates.asfr * fert).sum())
    infant = 1.0 - 0.5 * float(rates.qx[:, 0].mean())
    if births <= 0 or observed <= 0:
        return 1.0
    return float(observed / (births * infant))
