"""Further demand from the population projection: school age, care need, barrier-free housing.

All figures are derived per area and year from the stored projection (variables
``prog_<variante>_<band>``, see :mod:`planlabor.projection.model`), so they appear in exports,
the atlas and reports like any other observation:

- school age: children 6–10 (Grundschulalter in most Länder) and 10–16 (Sekundarstufe I);
- care need: residents 65+ in five-year groups × care rates (Pflegequoten), default the
  orientation values of :data:`planlabor.projection.defaults.CARE_RATES`;
- barrier-free housing: residents 65–79 and 80+ × the share with limited mobility who need a
  barrier-free dwelling, ÷ persons per household = dwellings needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from planlabor.errors import InputError
from planlabor.projection import defaults as d
from planlabor.store import Store

OLD_GROUPS = {"65_70": (65, 70), "70_75": (70, 75), "75_80": (75, 80), "80_85": (80, 85),
              "85_90": (85, 90), "90plus": (90, 101)}  # fmt: skip


@dataclass
class DemandTable:
    layer: str
    scenario: str
    table: pd.DataFrame  # area_id, period, columns …
    totals: pd.DataFrame  # period, columns … (sum over areas)
    assumptions: dict[str, object] = field(default_factory=dict)


def _projected(store: Store, layer: str, scenario: str, bands: list[str]) -> pd.DataFrame:
    names = [f"prog_{scenario}_{b}" for b in bands]
    obs = store.observations(layer, names)
    if obs.empty:
        raise InputError(
            f"Auf {layer!r} gibt es keine gespeicherte Prognose {scenario!r}.",
            column="--prognose",
            hint="Rechnen Sie zuerst 'planlabor project --layer … --base …'.",
        )
    w = obs.pivot_table(index=["area_id", "period"], columns="variable", values="value")
    missing = [n for n in names if n not in w.columns]
    if missing:
        raise InputError(
            f"Der Prognose {scenario!r} fehlen {', '.join(missing)}.",
            hint="Rechnen Sie die Prognose mit der aktuellen Version neu.",
        )
    w.columns = [c.removeprefix(f"prog_{scenario}_") for c in w.columns]
    return w.reset_index()


def school_age(store: Store, layer: str, scenario: str, save: bool = True) -> DemandTable:
    """Children of primary (6–10) and lower secondary (10–16) school age per area and year."""
    w = _projected(store, layer, scenario, ["6_10", "10_16"])
    t = w.rename(columns={"6_10": "kinder_6_10", "10_16": "kinder_10_16"})
    totals = t.groupby("period", as_index=False)[["kinder_6_10", "kinder_10_16"]].sum()
    if save:
        store.record_columns(
            "plan-schule",
            layer,
            t,
            {"kinder_6_10": f"schule_prog_{scenario}_6_10", "kinder_10_16": f"schule_prog_{scenario}_10_16"},
            {"layer": layer, "scenario": scenario},
            message=f"Schulalter aus der Prognose {scenario}",
        )
    return DemandTable(layer, scenario, t, totals)


def old_age(
    store: Store,
    layer: str,
    scenario: str,
    care_rates: dict[str, float] | None = None,
    barrier_free: d.BarrierFreeAssumptions | None = None,
    save: bool = True,
) -> DemandTable:
    """Residents 65+ and 80+, people in need of care and barrier-free dwellings needed."""
    rates = care_rates or d.CARE_RATES
    bf = barrier_free or d.BarrierFreeAssumptions()
    for name, v in (("Anteil 65–79", bf.share_65_79), ("Anteil 80+", bf.share_80_plus)):
        if not 0 <= v <= 1:
            raise InputError(f"{name} = {v} liegt nicht zwischen 0 und 1.", expected="ein Anteil, z. B. 0.15")
    if bf.persons_per_household <= 0:
        raise InputError("Personen je Haushalt müssen größer als 0 sein.", column="--personen-je-haushalt")
    w = _projected(store, layer, scenario, ["65plus", "80plus", "65_80", *OLD_GROUPS])
    unknown = set(rates) - set(OLD_GROUPS)
    if unknown or any(not 0 <= r <= 1 for r in rates.values()):
        raise InputError(
            "Die Pflegequoten sind nicht zulässig.",
            column="--pflegequote",
            expected=f"Altersgruppen {', '.join(OLD_GROUPS)} mit Anteilen von 0 bis 1",
        )
    care = sum((w[g] * rates.get(g, 0.0) for g in OLD_GROUPS), start=pd.Series(0.0, index=w.index))
    t = pd.DataFrame(
        {
            "area_id": w["area_id"],
            "period": w["period"],
            "ew_65plus": w["65plus"],
            "ew_80plus": w["80plus"],
            "pflegebeduerftige": care,
        }
    )
    t["barrierefrei_personen"] = w["65_80"] * bf.share_65_79 + w["80plus"] * bf.share_80_plus
    t["barrierefrei_wohnungen"] = t["barrierefrei_personen"] / bf.persons_per_household
    cols = ["ew_65plus", "ew_80plus", "pflegebeduerftige", "barrierefrei_personen", "barrierefrei_wohnungen"]
    totals = t.groupby("period", as_index=False)[cols].sum()
    assumptions: dict[str, object] = {
        "pflegequoten": dict(rates),
        "anteil_65_79": bf.share_65_79,
        "anteil_80plus": bf.share_80_plus,
        "personen_je_haushalt": bf.persons_per_household,
        "quelle_pflege": d.CARE_SOURCE,
        "quelle_wohnen": d.BARRIER_FREE_SOURCE,
    }
    if save:
        store.record_columns(
            "plan-alter",
            layer,
            t,
            {
                "pflegebeduerftige": f"alter_prog_{scenario}_pflegebeduerftige",
                "barrierefrei_wohnungen": f"alter_prog_{scenario}_barrierefrei_wohnungen",
            },
            {"layer": layer, "scenario": scenario, **assumptions},
            message=f"Pflege und barrierefreies Wohnen aus der Prognose {scenario}",
        )
    return DemandTable(layer, scenario, t, totals, assumptions)
