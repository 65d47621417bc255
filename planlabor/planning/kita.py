"""Kita-Bedarfsplanung (§ 80 SGB VIII) per area.

Versorgungsquote = places / children × 100; place need = U3 children × Bedarfsquote U3 +
children from 3 to school entry (Ü3) × Bedarfsquote Ü3; shortfall = need − usable places
(methods.md §5).  Children come from the register's fine age bands (U3 = 0–3, Ü3 = 3–6) or,
where only coarse bands exist, from single years graduated with
:func:`planlabor.projection.ages.graduate`.  Places are the approved places of the Kita layer
(``kita_plaetze``); usable places = approved × ``usable_share`` where the municipality knows that
not all approved places can be used.  Bedarfsquoten are local planning assumptions; several
U3 scenarios (e.g. 45/50/55 %) are computed side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.io.periods import period_end
from planlabor.store import Store

U3_FINE = ["E_E00_01", "E_E01_02", "E_E02_03"]
UE3_FINE = ["E_E03_05", "E_E05_06"]
COARSE = ["inhabitants_age_below_6", "inhabitants_age_6_15", "inhabitants_age_15_18"]


@dataclass
class KitaPlan:
    layer: str
    period: str
    places_period: str
    u3_rates: list[float]
    ue3_rate: float
    usable_share: float
    children_source: str
    table: pd.DataFrame
    totals: dict[str, float] = field(default_factory=dict)
    scenario: str | None = None


def _projected_children(store: Store, layer: str, period: str, scenario: str) -> tuple[pd.DataFrame, str]:
    names = [f"prog_{scenario}_u3", f"prog_{scenario}_3_6"]
    obs = store.observations(layer, names, [period])
    if obs.empty or set(obs["variable"]) != set(names):
        raise InputError(
            f"Für {period} gibt es auf {layer!r} keine Prognose {scenario!r}.",
            column="--prognose",
            hint="Rechnen Sie zuerst 'planlabor project --layer … --base …'; 'planlabor status' zeigt "
            "die gespeicherten Prognosen.",
        )
    w = obs.pivot_table(index="area_id", columns="variable", values="value")
    return pd.DataFrame({"u3": w[names[0]], "ue3": w[names[1]]}), f"Bevölkerungsprognose, Variante {scenario}"


def _children(store: Store, layer: str, period: str) -> tuple[pd.DataFrame, str]:
    fine = store.observations(layer, U3_FINE + UE3_FINE, [period])
    if not fine.empty and set(fine["variable"]) == set(U3_FINE + UE3_FINE):
        w = fine.pivot_table(index="area_id", columns="variable", values="value", dropna=False)
        return pd.DataFrame(
            {"u3": w[U3_FINE].sum(axis=1, min_count=3), "ue3": w[UE3_FINE].sum(axis=1, min_count=2)}
        ), "Registerdaten, feine Altersgruppen"
    coarse = store.observations(layer, COARSE, [period])
    if coarse.empty or set(coarse["variable"]) != set(COARSE):
        raise InputError(
            f"Für {period} fehlen auf {layer!r} Kinderzahlen nach Alter.",
            column="--period",
            expected="die Variablen " + ", ".join(U3_FINE + UE3_FINE) + " oder " + ", ".join(COARSE),
            hint="Importieren Sie Einwohnerdaten mit Altersgruppen für diesen Stichtag.",
        )
    from planlabor.projection.ages import graduate, parse_band

    w = coarse.pivot_table(index="area_id", columns="variable", values="value").dropna()
    single = graduate(w[COARSE].to_numpy(), [parse_band(c) for c in COARSE])
    return pd.DataFrame(
        {"u3": single[:, :3].sum(axis=1), "ue3": single[:, 3:6].sum(axis=1)}, index=w.index
    ), "Altersgruppen unter 6 / 6–15 / 15–18, in Einzeljahre zerlegt"


def plan(
    store: Store,
    layer: str,
    period: str,
    u3_rates: list[float] | None = None,
    ue3_rate: float = 95.0,
    usable_share: float = 1.0,
    places_period: str | None = None,
    places_variable: str = "kita_plaetze",
    save: bool = True,
    scenario: str | None = None,
    new_places: pd.DataFrame | None = None,
) -> KitaPlan:
    """Need, places, Versorgungsquote and shortfall per area for each U3 scenario.

    With ``scenario`` the children come from the stored population projection of that
    variant (``prog_<scenario>_u3`` and ``prog_<scenario>_3_6``) instead of observed data;
    ``new_places`` (area_id, jahr, plaetze) adds planned places from their year on.
    """
    rates = u3_rates or [45.0, 50.0, 55.0]
    for q in [*rates, ue3_rate]:
        if not 0 <= q <= 100:
            raise InputError(
                f"Bedarfsquote {q} liegt nicht zwischen 0 und 100.",
                column="--u3-quote",
                expected="Prozent, z. B. 50",
            )
    if not 0 < usable_share <= 1:
        raise InputError(
            "Der nutzbare Anteil der Plätze muss zwischen 0 und 1 liegen.", column="--usable-share"
        )
    kids, source = (
        _projected_children(store, layer, period, scenario) if scenario else _children(store, layer, period)
    )
    places_obs = store.observations(layer, [places_variable])
    if places_obs.empty:
        raise InputError(
            f"Es gibt keine Platzzahlen ({places_variable!r}) auf {layer!r}.",
            hint="Importieren Sie die Kitas mit 'planlabor facilities import --type kita'.",
        )
    if places_period is None:
        candidates = sorted(p for p in places_obs["period"].unique() if period_end(p) <= period_end(period))
        places_period = candidates[-1] if candidates else sorted(places_obs["period"].unique())[0]
    places = places_obs[places_obs["period"] == places_period].set_index("area_id")["value"]
    if new_places is not None and len(new_places):
        year = period_end(period).year
        extra = new_places[new_places["jahr"] <= year].groupby("area_id")["plaetze"].sum()
        places = places.add(extra, fill_value=0.0)
    names = store.areas(layer).set_index("area_id")["name"]
    t = kids.join(places.rename("plaetze"), how="outer").fillna({"plaetze": 0.0})
    t.insert(0, "name", names.reindex(t.index))
    t["nutzbare_plaetze"] = t["plaetze"] * usable_share
    kinder = t["u3"] + t["ue3"]
    t["versorgungsquote"] = (t["nutzbare_plaetze"] / kinder.where(kinder > 0)) * 100
    for q in rates:
        need = t["u3"] * q / 100 + t["ue3"] * ue3_rate / 100
        t[f"bedarf_u3_{q:g}"] = need
        t[f"saldo_u3_{q:g}"] = t["nutzbare_plaetze"] - need
        t[f"fehlplaetze_u3_{q:g}"] = np.maximum(need - t["nutzbare_plaetze"], 0)
    t = t.reset_index().rename(columns={"index": "area_id"})
    totals = {
        "kinder_u3": float(t["u3"].sum()),
        "kinder_ue3": float(t["ue3"].sum()),
        "plaetze": float(t["plaetze"].sum()),
        "nutzbare_plaetze": float(t["nutzbare_plaetze"].sum()),
    }
    totals["versorgungsquote"] = (
        totals["nutzbare_plaetze"] / (totals["kinder_u3"] + totals["kinder_ue3"]) * 100
    )
    for q in rates:
        totals[f"bedarf_u3_{q:g}"] = float(t[f"bedarf_u3_{q:g}"].sum())
        totals[f"saldo_u3_{q:g}"] = totals["nutzbare_plaetze"] - totals[f"bedarf_u3_{q:g}"]
        totals[f"fehlplaetze_u3_{q:g}"] = float(t[f"fehlplaetze_u3_{q:g}"].sum())
    result = KitaPlan(
        layer, period, places_period, rates, ue3_rate, usable_share, source, t, totals, scenario
    )
    if save:
        _save(store, result)
    return result


def _save(store: Store, p: KitaPlan) -> None:
    cols = ["versorgungsquote"] + [f"{k}_u3_{q:g}" for q in p.u3_rates for k in ("bedarf", "fehlplaetze")]
    prefix = f"kita_prog_{p.scenario}_" if p.scenario else "kita_"
    store.record_columns(
        "plan-kita",
        p.layer,
        p.table,
        {c: prefix + c for c in cols},
        {
            "layer": p.layer,
            "period": p.period,
            "places_period": p.places_period,
            "u3": p.u3_rates,
            "ue3": p.ue3_rate,
            "usable_share": p.usable_share,
            "scenario": p.scenario,
        },
        period=p.period,
        message=p.children_source,
    )


def plan_years(
    store: Store,
    layer: str,
    scenario: str,
    periods: list[str],
    u3_rates: list[float] | None = None,
    ue3_rate: float = 95.0,
    usable_share: float = 1.0,
    places_period: str | None = None,
    new_places: pd.DataFrame | None = None,
    save: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[KitaPlan]:
    """The Kita plan for each projected year (one :class:`KitaPlan` per period);
    ``progress(step, total, label)`` hears of every year planned."""
    plans = []
    for i, p in enumerate(periods, 1):
        plans.append(
            plan(
                store,
                layer,
                p,
                u3_rates,
                ue3_rate,
                usable_share,
                places_period,
                save=save,
                scenario=scenario,
                new_places=new_places,
            )
        )
        if progress is not None:
            progress(i, len(periods), f"Kita-Bedarf {p} geplant ({i} von {len(periods)})")
    return plans


def read_new_places(path: str) -> pd.DataFrame:
    """Planned places ``gebiet;jahr;plaetze`` (new or extended Kitas) from a CSV/XLSX file."""
    from pathlib import Path

    from planlabor.projection.inputs import _area_ids, _number, _table

    f = Path(path)
    df = _table(f, ["gebiet", "jahr", "plaetze"], "die geplanten Kita-Plätze")
    return pd.DataFrame(
        {
            "area_id": _area_ids(df, f),
            "jahr": _number(df, "jahr", f, "Jahr", 1900, 2200).astype(int),
            "plaetze": _number(df, "plaetze", f, "Plätze", -1e6, 1e6),
        }
    )
