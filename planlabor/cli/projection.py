"""Bevölkerungsprognose und Bedarfsplanung: project, plan …

Registered on the main command group of :mod:`planlabor.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from planlabor.cli import PlanlaborGroup, _de, _periods_list, _workspace, cli
from planlabor.errors import InputError


# ------------------------------------------------------------------- project
@cli.command()
@click.option("--layer", required=True, help="Raumebene der Prognose, z. B. plr.")
@click.option("--base", "base", required=True, help="Basisstichtag (ein 31.12.), z. B. 2024-12-31.")
@click.option("--years", type=int, default=20, show_default=True, help="Prognosejahre.")
@click.option(
    "--calibrate",
    help="Frühere Stichtage für die Wanderungsraten (Residuenmethode), kommagetrennt, z. B. 2024-06-30.",
)
@click.option("--scenarios", type=click.Path(dir_okay=False), help="Eigene Szenarien (TOML).")
@click.option("--life-table", type=click.Path(dir_okay=False), help="Sterbetafel alter;geschlecht;qx.")
@click.option("--fertility", type=click.Path(dir_okay=False), help="Geburtenziffern alter;rate.")
@click.option("--tfr", type=float, help="Zusammengefasste Geburtenziffer (sonst 1,35, Deutschland 2023).")
@click.option("--types", "types_variable", help="Gebietstypen für die Raten, z. B. typ_kontext.")
@click.option(
    "--shrinkage",
    type=float,
    default=1000.0,
    show_default=True,
    help="Gewicht der Typ-/Stadtrate in Personen (Stabilisierung kleiner Gebiete).",
)
@click.option(
    "--min-size",
    type=int,
    default=8000,
    show_default=True,
    help="Gebiete darunter werden als nur eingeschränkt belastbar gekennzeichnet (SIKURS: 8.000–10.000).",
)
@click.option("--backtest", "backtest_target", help="Rückrechnung: Prognose bis zu diesem Stichtag prüfen.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Ordner für Ergebnistabellen (CSV; Einzeljahre als Parquet).",
)
@click.option("--no-save", is_flag=True, help="Nicht im Arbeitsbereich speichern.")
@click.pass_context
def project(
    ctx: click.Context,
    layer: str,
    base: str,
    years: int,
    calibrate: str | None,
    scenarios: str | None,
    life_table: str | None,
    fertility: str | None,
    tfr: float | None,
    types_variable: str | None,
    shrinkage: float,
    min_size: int,
    backtest_target: str | None,
    out: str | None,
    no_save: bool,
) -> None:
    """Kleinräumige Bevölkerungsprognose (Kohorten-Komponenten-Methode) in drei Varianten.

    Varianten: natuerlich (nur Geburten und Sterbefälle), extern (plus Außenwanderung),
    intern (plus Binnenwanderung und Neubau); eigene Szenarien aus --scenarios. Gespeichert
    werden je Gebiet und Jahr prog_VARIANTE_BAND (ew, u3, 3_6, 6_10, 10_16, 65plus, 80plus …),
    auch summiert auf die übergeordneten Ebenen. Mit --backtest wird stattdessen bis zu einem
    beobachteten Stichtag gerechnet und der Fehler gegen die naive Prognose (keine Veränderung)
    berichtet.

    \b
    Beispiele:
      planlabor project --layer plr --base 2024-12-31 --calibrate 2024-06-30 --years 15
      planlabor project --layer plr --base 2021-12-31 --calibrate 2021-06-30 --backtest 2024-12-31
    """
    from planlabor.app.analyses import projection_rates
    from planlabor.projection.run import backtest

    base_p = _periods_list(base)
    assert base_p
    cal = _periods_list(calibrate)
    if backtest_target:
        target = _periods_list(backtest_target)
        assert target
        ws = _workspace(ctx)
        rates = projection_rates(tfr, life_table, fertility)
        bt = backtest(ws.store, layer, base_p[0], target[0], cal, "intern", types_variable, shrinkage, rates)
        _echo_backtest(layer, bt, out)
        return
    from planlabor.app.analyses import projection

    outcome = projection(
        ctx.obj.get("dir"), layer, base_p[0], years, cal, tfr, types_variable, shrinkage, min_size,
        life_table, fertility, scenarios, save=not no_save,
    )  # fmt: skip
    run = outcome.run
    proj = run.projection
    click.echo(
        f"Bevölkerungsprognose {layer} ab {run.base_period} für {len(proj.area_ids)} Gebiete, "
        f"{years} Jahre ({run.age_source})"
    )
    if run.calibration:
        click.echo(f"  Wanderungsraten aus {', '.join(run.calibration.periods)}")
    for note in run.notes:
        click.echo(f"  Hinweis: {note}")
    click.echo(
        f"  {len(run.small_areas)} Gebiete unter {_de(min_size)} Einw. sind gekennzeichnet "
        "(prognose_klein); Summen höherer Ebenen sind belastbarer."
    )
    f = proj.frame()
    _echo_city_totals(proj, f)
    if outcome.import_id is not None:
        click.echo(f"  Gespeichert als Import Nr. {outcome.import_id} (Variablen prog_VARIANTE_BAND).")
    if out:
        d = Path(out)
        d.mkdir(parents=True, exist_ok=True)
        f.to_csv(d / "prognose_altersgruppen.csv", index=False, float_format="%.2f")
        proj.single_years().to_parquet(d / "prognose_einzeljahre.parquet", index=False)
        if run.calibration:
            run.calibration.band_rates.to_csv(d / "wanderungsraten.csv", index=False, float_format="%.6f")
        click.echo(f"  Tabellen: {d}")


def _echo_city_totals(proj: Any, f: Any) -> None:
    """The city's totals per variant and age band every five years (and the last year)."""
    show = [proj.base_year] + [y for y in proj.years if (y - proj.base_year) % 5 == 0 or y == proj.years[-1]]
    city = f[f["jahr"].isin(show)].groupby(["szenario", "band", "jahr"])["wert"].sum()
    labels = {"ew": "Einwohner", "u3": "unter 3", "3_6": "3 bis 6", "6_10": "6 bis 10", "10_16": "10 bis 16",
              "65plus": "65+", "80plus": "80+"}  # fmt: skip
    header = "".join(f"{y:>11}" for y in show)
    for s in proj.scenarios:
        click.echo(f"  Variante {s.id} ({s.name}):{header}")
        for b, label in labels.items():
            vals = "".join(f"{_de(city[(s.id, b, y)]):>11}" for y in show)
            click.echo(f"    {label:<{len(s.id) + len(s.name) + 13}}{vals}")


# ---------------------------------------------------------------------- plan
@cli.group("plan", cls=PlanlaborGroup)
def plan_() -> None:
    """Planungsmodule: Kita-Bedarfsplanung, Schulalter, Pflege und barrierefreies Wohnen."""


def _write_table(df: Any, out: str, sheet: str) -> None:
    from planlabor.io.safe_csv import write_csv

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        df.to_excel(path, index=False, sheet_name=sheet)
    else:
        write_csv(df, path, index=False, float_format="%.2f")
    click.echo(f"  Tabelle: {path}")


@plan_.command("kita")
@click.option("--layer", required=True, help="Raumebene, z. B. plr.")
@click.option(
    "--period", help="Stichtag der Kinderzahlen (mit --prognose: kommagetrennte Jahre, sonst alle)."
)
@click.option(
    "--prognose", "scenario", help="Kinder aus der gespeicherten Prognose dieser Variante, z. B. intern."
)
@click.option(
    "--u3-quote", "u3", multiple=True, type=float, help="Bedarfsquote U3 in % (mehrfach: Szenarien)."
)
@click.option("--ue3-quote", "ue3", type=float, default=95.0, show_default=True, help="Bedarfsquote Ü3 in %.")
@click.option(
    "--usable-share",
    type=float,
    default=1.0,
    show_default=True,
    help="Anteil der genehmigten Plätze, der tatsächlich nutzbar ist (0–1).",
)
@click.option("--places-period", help="Stichtag der Platzzahlen (sonst der letzte bis --period).")
@click.option(
    "--neue-plaetze",
    "new_places",
    type=click.Path(dir_okay=False),
    help="Geplante Plätze gebiet;jahr;plaetze.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Tabelle als .xlsx oder .csv.")
@click.pass_context
def plan_kita(
    ctx: click.Context,
    layer: str,
    period: str | None,
    scenario: str | None,
    u3: tuple[float, ...],
    ue3: float,
    usable_share: float,
    places_period: str | None,
    new_places: str | None,
    out: str | None,
) -> None:
    """Kita-Bedarfsplanung: Kinder U3/Ü3, Plätze, Versorgungsquote, Bedarf und fehlende Plätze je Gebiet.

    Ohne --prognose für einen beobachteten Stichtag; mit --prognose für jedes Prognosejahr
    (gespeichert als kita_prog_VARIANTE_…).

    \b
    Beispiele:
      planlabor plan kita --layer plr --period 2024-12-31 --u3-quote 45 --u3-quote 50 \\
          --u3-quote 55 --ue3-quote 95 --out kita_bedarfsplan.xlsx
      planlabor plan kita --layer plr --prognose intern --period 2026-12-31,2030-12-31 \\
          --neue-plaetze neue_kitas.csv --out kita_bedarfsplan_prognose.xlsx
    """
    import pandas as pd

    from planlabor.app.analyses import kita_plan

    plans = kita_plan(
        ctx.obj.get("dir"),
        layer,
        period,
        scenario,
        list(u3) or None,
        ue3,
        usable_share,
        places_period,
        new_places,
    )
    for p in plans:
        t = p.totals
        click.echo(
            f"Kita-Bedarfsplan {layer}, Kinder am {p.period} ({p.children_source}), "
            f"Plätze am {p.places_period}:"
        )
        click.echo(
            f"  U3 {_de(t['kinder_u3'])}, Ü3 {_de(t['kinder_ue3'])}, nutzbare Plätze "
            f"{_de(t['nutzbare_plaetze'])}, Versorgungsquote {_de(t['versorgungsquote'], 1)} %"
        )
        for q in p.u3_rates:
            click.echo(
                f"  U3-Quote {_de(q)} %: Bedarf {_de(t[f'bedarf_u3_{q:g}'])}, fehlende Plätze in Gebieten "
                f"mit Mangel {_de(t[f'fehlplaetze_u3_{q:g}'])}"
            )
    if out:
        table = pd.concat([p.table.assign(stichtag=p.period) for p in plans], ignore_index=True)
        _write_table(table, out, "Kita-Bedarf")


@plan_.command("schule")
@click.option("--layer", required=True, help="Raumebene, z. B. plr.")
@click.option("--prognose", "scenario", default="intern", show_default=True, help="Prognosevariante.")
@click.option("--out", type=click.Path(dir_okay=False), help="Tabelle als .xlsx oder .csv.")
@click.pass_context
def plan_schule(ctx: click.Context, layer: str, scenario: str, out: str | None) -> None:
    """Kinder im Grundschulalter (6–10) und in der Sekundarstufe I (10–16) je Gebiet und Jahr.

    \b
    Beispiel:
      planlabor plan schule --layer plr --prognose intern --out schulalter.xlsx
    """
    from planlabor.planning.demand import school_age

    ws = _workspace(ctx)
    r = school_age(ws.store, layer, scenario)
    click.echo(f"Schulalter {layer}, Prognose {scenario}:  {'6–10':>9} {'10–16':>9}")
    for row in r.totals.itertuples():
        click.echo(f"  {row.period}{'':>21}{_de(row.kinder_6_10):>9} {_de(row.kinder_10_16):>9}")
    if out:
        _write_table(r.table, out, "Schulalter")


@plan_.command("alter")
@click.option("--layer", required=True, help="Raumebene, z. B. plr.")
@click.option("--prognose", "scenario", default="intern", show_default=True, help="Prognosevariante.")
@click.option(
    "--pflegequote",
    multiple=True,
    help="Pflegequote je Altersgruppe, z. B. 80_85=0.3 (Gruppen 65_70 … 85_90, 90plus).",
)
@click.option("--anteil-65-79", "share_65", type=float, default=0.15, show_default=True,
              help="Anteil 65–79 mit Bedarf an barrierefreiem Wohnraum.")  # fmt: skip
@click.option("--anteil-80", "share_80", type=float, default=0.40, show_default=True,
              help="Anteil 80+ mit Bedarf an barrierefreiem Wohnraum.")  # fmt: skip
@click.option("--personen-je-haushalt", "persons", type=float, default=1.4, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Tabelle als .xlsx oder .csv.")
@click.pass_context
def plan_alter(
    ctx: click.Context,
    layer: str,
    scenario: str,
    pflegequote: tuple[str, ...],
    share_65: float,
    share_80: float,
    persons: float,
    out: str | None,
) -> None:
    """Ältere Menschen: 65+, 80+, Pflegebedürftige und Bedarf an barrierefreien Wohnungen je Gebiet.

    \b
    Beispiel:
      planlabor plan alter --layer plr --prognose intern --pflegequote 90plus=0.75 --out alter.xlsx
    """
    from planlabor.planning.demand import old_age
    from planlabor.projection import defaults as dflt

    rates = dict(dflt.CARE_RATES)
    for item in pflegequote:
        key, _, value = item.partition("=")
        try:
            rates[key.strip()] = float(value.replace(",", "."))
        except ValueError:
            raise InputError(
                f"--pflegequote {item!r} ist nicht lesbar.", column="--pflegequote", expected="GRUPPE=ANTEIL"
            ) from None
    ws = _workspace(ctx)
    r = old_age(ws.store, layer, scenario, rates, dflt.BarrierFreeAssumptions(share_65, share_80, persons))
    click.echo(f"Ältere Menschen {layer}, Prognose {scenario}:")
    click.echo(f"  {'Stichtag':<12}{'65+':>10}{'80+':>10}{'Pflegebed.':>12}{'barrierefreie Wohnungen':>25}")
    for row in r.totals.itertuples():
        click.echo(
            f"  {row.period:<12}{_de(row.ew_65plus):>10}{_de(row.ew_80plus):>10}"
            f"{_de(row.pflegebeduerftige):>12}{_de(row.barrierefrei_wohnungen):>25}"
        )
    if out:
        _write_table(r.table, out, "Alter")


def _echo_backtest(layer: str, bt: Any, out: str | None) -> None:
    """The backtest's errors against the naive forecast, per age band and level; tables to ``out``."""
    click.echo(
        f"Rückrechnung {layer}: {bt.base_period} → {bt.target_period}, Kalibrierung "
        f"{', '.join(bt.calibration_periods) or '(keine: nur natürliche Bewegung)'}"
    )
    click.echo(
        f"  {'Altersgruppe':<22} {'Gebiete':>7} {'MAPE Prognose':>14} {'MAPE naiv':>10} "
        f"{'WAPE Progn.':>12} {'WAPE naiv':>10}"
    )
    for r in bt.table.itertuples():
        click.echo(
            f"  {r.band:<22} {r.gebiete:>7} {_de(r.mape_prognose, 2) + ' %':>14} "
            f"{_de(r.mape_naiv, 2) + ' %':>10} "
            f"{_de(r.wape_prognose, 2) + ' %':>12} {_de(r.wape_naiv, 2) + ' %':>10}"
        )
    main = bt.levels[bt.levels["band"].isin(["insgesamt", "unter 6", "6 bis unter 15"])]
    if len(main):
        click.echo("  Nach Raumebene (Gebiete aufsummiert), MAPE Prognose / naiv:")
        for r in main.itertuples():
            click.echo(
                f"    {r.ebene:<10} {r.band:<16} {r.gebiete:>5} Gebiete  {_de(r.mape_prognose, 2)} % / "
                f"{_de(r.mape_naiv, 2)} %"
            )
    if out:
        d = Path(out)
        d.mkdir(parents=True, exist_ok=True)
        bt.table.to_csv(d / "rueckrechnung.csv", index=False, float_format="%.4f")
        bt.by_size.to_csv(d / "rueckrechnung_nach_groesse.csv", index=False, float_format="%.4f")
        bt.areas.to_csv(d / "rueckrechnung_gebiete.csv", index=False, float_format="%.2f")
        bt.levels.to_csv(d / "rueckrechnung_ebenen.csv", index=False, float_format="%.4f")
        click.echo(f"  Tabellen: {d}")
