"""Default assumptions for the population projection, from public German figures.

Every default names its source.  They are starting points a planner replaces with local
figures (life table and fertility schedule as tables, see ``docs/prognose.md``); the model
itself never depends on them being right, and the calibration on the municipality's own
stock data (:func:`planlabor.projection.model.calibrate`) absorbs much of a wrong level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_AGE = 100  # the last single year is the open group 100+
AGES = np.arange(MAX_AGE + 1)

# ---------------------------------------------------------------- mortality
#: Death probabilities q(x) at support ages, rounded to the published values of the
#: Allgemeine Sterbetafel 2020/22 for Germany (Destatis, Statistischer Bericht Sterbetafeln);
#: single years between support ages are interpolated log-linearly and the whole schedule is
#: then scaled so that the life expectancy at birth equals the published value.
LIFE_TABLE_SOURCE = (
    "Statistisches Bundesamt (Destatis), Allgemeine Sterbetafel 2020/22 für Deutschland: "
    "Sterbewahrscheinlichkeiten an Stützstellen (gerundet), log-linear interpoliert und auf die "
    "Lebenserwartung bei Geburt kalibriert (Jungen 78,3 Jahre, Mädchen 83,2 Jahre)"
)
E0_PUBLISHED = {"m": 78.33, "w": 83.18}
_Q_SUPPORT_AGES = [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100]
_Q_SUPPORT = {
    "m": [
        0.00335, 0.00025, 0.00008, 0.00008, 0.00016, 0.00042, 0.00050, 0.00065, 0.00090, 0.00135,
        0.00220, 0.00370, 0.00620, 0.01030, 0.01580, 0.02400, 0.03700, 0.06000, 0.10500, 0.18000,
        0.29000, 0.42000,
    ],
    "w": [
        0.00285, 0.00022, 0.00007, 0.00007, 0.00011, 0.00017, 0.00020, 0.00028, 0.00045, 0.00072,
        0.00125, 0.00210, 0.00340, 0.00560, 0.00860, 0.01350, 0.02200, 0.03900, 0.07500, 0.14000,
        0.25000, 0.38000,
    ],
}  # fmt: skip


def life_expectancy(qx: np.ndarray) -> float:
    """Period life expectancy at birth from single-year q(x), the last age open."""
    q = np.clip(np.asarray(qx, dtype=float), 0.0, 1.0)
    lx = np.concatenate([[1.0], np.cumprod(1.0 - q[:-1])])
    # person-years: half a year for deaths within the year, open group 1/m
    big_l = lx[:-1] - 0.5 * lx[:-1] * q[:-1]
    m_open = max(q[-1], 1e-6) / (1.0 - 0.5 * max(q[-1], 1e-6))
    return float(big_l.sum() + lx[-1] / m_open)


def default_qx() -> np.ndarray:
    """q(x) for ages 0…100+, shape (2, 101): row 0 male, row 1 female."""
    out = np.empty((2, MAX_AGE + 1))
    for i, sex in enumerate(("m", "w")):
        logq = np.interp(AGES, _Q_SUPPORT_AGES, np.log(_Q_SUPPORT[sex]))
        lo, hi = 0.5, 2.0
        for _ in range(60):  # bisection on a common factor to hit the published e0
            f = (lo + hi) / 2
            if life_expectancy(np.minimum(np.exp(logq) * f, 1.0)) > E0_PUBLISHED[sex]:
                lo = f
            else:
                hi = f
        out[i] = np.minimum(np.exp(logq) * (lo + hi) / 2, 1.0)
    return out


# ---------------------------------------------------------------- fertility
#: Total fertility rate and mean age of mothers at birth, Germany 2023 (Destatis, press
#: release on births 2023: TFR 1.35; mean age of mothers 31.7 years).  The age schedule is a
#: gamma density with that mean and a standard deviation of 5.5 years (assumption), limited to
#: the ages 15–49.
FERTILITY_SOURCE = (
    "Statistisches Bundesamt (Destatis), Geburten 2023: zusammengefasste Geburtenziffer 1,35, "
    "Durchschnittsalter der Mütter 31,7 Jahre; Altersverlauf als Gamma-Verteilung mit "
    "Standardabweichung 5,5 Jahre (Annahme)"
)
TFR_DEFAULT = 1.35
MEAN_AGE_AT_BIRTH = 31.7
SD_AGE_AT_BIRTH = 5.5
#: boys per girl at birth; Germany has been close to 1.05–1.06 for decades (Destatis birth statistics)
SEX_RATIO_AT_BIRTH = 1.055


def fertility_schedule(
    tfr: float = TFR_DEFAULT, mean_age: float = MEAN_AGE_AT_BIRTH, sd: float = SD_AGE_AT_BIRTH
) -> np.ndarray:
    """Age-specific fertility rates (births per woman and year) for ages 0…100, summing to ``tfr``."""
    from scipy.stats import gamma

    shape = ((mean_age - 15) / sd) ** 2
    scale = sd**2 / (mean_age - 15)
    edges = np.arange(15, 51) - 15.0
    p = np.diff(gamma.cdf(edges, shape, scale=scale))
    out = np.zeros(MAX_AGE + 1)
    out[15:50] = p / p.sum() * tfr
    return out


# ------------------------------------------------- first occupancy of new housing
#: Age profile of the residents moving into newly built dwellings (first occupancy):
#: young adults and families with small children dominate.  Planning assumption in the manner
#: of municipal housing-migration studies; replace it with the local survey where there is one.
HOUSING_PROFILE_SOURCE = "Annahme: Erstbezug Neubau, Schwerpunkt 25–44 Jahre und Kinder unter 10"


def housing_profile() -> np.ndarray:
    """Share of first occupants by single year of age (sums to 1)."""
    w = np.zeros(MAX_AGE + 1)
    w[0:10] = 1.2
    w[10:18] = 0.6
    w[18:25] = 0.9
    w[25:45] = 2.0
    w[45:65] = 0.7
    w[65:80] = 0.3
    w[80:] = 0.1
    return w / w.sum()


# ---------------------------------------------------------------- care and housing need
#: Share of people in need of long-term care (Pflegebedürftige nach SGB XI) by age group,
#: rounded orientation values after the Pflegestatistik of Destatis (Pflegequoten nach
#: Altersgruppen, Deutschland, Ende 2021).  Check against the current publication and set
#: local rates where known.
CARE_SOURCE = (
    "Orientierungswerte (gerundet) nach Destatis, Pflegestatistik 2021: Pflegequoten nach "
    "Altersgruppen, Deutschland"
)
CARE_RATES: dict[str, float] = {
    "65_70": 0.06,
    "70_75": 0.10,
    "75_80": 0.17,
    "80_85": 0.30,
    "85_90": 0.52,
    "90plus": 0.80,
}

#: Barrier-free housing demand: share of residents with limited mobility who need a barrier-free
#: (barrierereduzierte) dwelling, and persons per such household.  Planning assumptions; the
#: Kuratorium Deutsche Altershilfe / BBSR study "Wohnen im Alter" (2011) found that only about
#: 5 % of senior households lived barrier-reduced while a far larger share had mobility
#: limitations.
BARRIER_FREE_SOURCE = (
    "Annahmen nach BBSR/KDA „Wohnen im Alter“ (2011): Bedarf bei Bewegungseinschränkung; "
    "Anteile lokal festzulegen"
)


@dataclass(frozen=True)
class BarrierFreeAssumptions:
    share_65_79: float = 0.15
    share_80_plus: float = 0.40
    persons_per_household: float = 1.4


#: SIKURS recommends reporting results only for areas of at least 8,000–10,000 residents
#: (Verband Deutscher Städtestatistiker, KOSIS-Verbund SIKURS, Handbuch).
SMALL_AREA_MIN = 8000
