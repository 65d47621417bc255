"""Raumanalysen: segregation, hotspots, coverage

Registered on the main command group of :mod:`planlabor.cli`.
"""

from __future__ import annotations

import click

from planlabor.cli import cli


# -------------------------------------------------------------- segregation
@cli.command("segregation")
@click.option("--layer", required=True, help="Raumebene, z. B. plr.")
@click.option("--group", required=True, help="Variable der Gruppe, z. B. inhabitants_foreigners.")
@click.option("--total", required=True, help="Variable der Gesamtbevölkerung, z. B. inhabitants.")
@click.option("--period", "periods", multiple=True, help="Zeitraum (mehrfach; sonst alle).")
@click.option(
    "--permutations",
    type=int,
    default=0,
    show_default=True,
    help="Permutationen für den p-Wert von D (z. B. 999).",
)
@click.option("--spatial", is_flag=True, help="Auch die räumliche Dissimilarität (Nachbarschaft) berechnen.")
@click.option(
    "--compare", "compare_periods", nargs=2, help="Veränderung von D zwischen zwei Zeiträumen testen."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Startwert der Zufallszahlen.")
@click.pass_context
def segregation_(
    ctx: click.Context,
    layer: str,
    group: str,
    total: str,
    periods: tuple[str, ...],
    permutations: int,
    spatial: bool,
    compare_periods: tuple[str, str] | None,
    seed: int,
) -> None:
    """Segregation einer Gruppe: Dissimilarität, Isolation, Interaktion, Entropie, Gini.

    Die Ergebnisse werden als Werte gespeichert (Standortquotient je Gebiet als lq_GRUPPE,
    globale Maße auf der obersten Ebene als seg_MASS_GRUPPE) und erscheinen so in Atlas und Berichten.

    \b
    Beispiel:
      planlabor segregation --layer plr --group inhabitants_foreigners --total inhabitants \\
          --period 2021-12-31 --period 2024-12-31 --compare 2021-12-31 2024-12-31
    """
    from planlabor.app.analyses import segregation
    from planlabor.spatial import segregation as seg

    out = segregation(
        ctx.obj.get("dir"), layer, group, total, list(periods), permutations, spatial, compare_periods, seed
    )
    for r in out.results:
        vals = "; ".join(f"{k} {v:.3f}".replace(".", ",") for k, v in r.values.items())
        p = f"; p(D) = {r.p_values['dissimilarity']:.3f}".replace(".", ",") if r.p_values else ""
        click.echo(
            f"{r.period}: {r.n_areas} Gebiete, Anteil {r.group_share:.1%}: {vals}{p}".replace(".", ",", 1)
        )
    if out.change:
        res = out.change
        click.echo(f"Veränderung von D: {res['difference']:+.3f}, p = {res['p_value']:.3f}".replace(".", ","))
    click.echo(f"Hinweis: {seg.CAVEATS}")


# ------------------------------------------------------------------ hotspots
@cli.command("hotspots")
@click.option("--layer", required=True, help="Raumebene, z. B. plr.")
@click.option("--variable", required=True, help="Variable oder Indikator, z. B. KI_02.")
@click.option("--period", required=True, help="Zeitraum, z. B. 2020-12-31.")
@click.option(
    "--weights",
    type=click.Choice(["queen", "rook", "distance"]),
    default="queen",
    show_default=True,
    help="Nachbarschaft: gemeinsame Kante oder Ecke (queen), Kante (rook), Entfernung.",
)
@click.option("--threshold", type=float, help="Entfernung in Metern für --weights distance.")
@click.option("--permutations", type=int, default=999, show_default=True)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Signifikanzniveau.")
@click.option("--fdr", is_flag=True, help="Falscherkennungsrate kontrollieren (Benjamini-Hochberg).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_context
def hotspots_(
    ctx: click.Context,
    layer: str,
    variable: str,
    period: str,
    weights: str,
    threshold: float | None,
    permutations: int,
    alpha: float,
    fdr: bool,
    seed: int,
) -> None:
    """Hot Spots: globales Moran's I, lokale Cluster (LISA) und Getis-Ord Gi*.

    Gespeichert werden je Gebiet lisa_VARIABLE (0 nicht signifikant, 1 hoch-hoch, 2 niedrig-hoch,
    3 niedrig-niedrig, 4 hoch-niedrig), lisa_p_VARIABLE und gi_z_VARIABLE.

    \b
    Beispiel:
      planlabor hotspots --layer plr --variable KI_02 --period 2020-12-31 --permutations 999 --fdr
    """
    from planlabor.app.analyses import hotspots

    r = hotspots(
        ctx.obj.get("dir"), layer, variable, period, weights, threshold, permutations, alpha, fdr, seed
    )
    click.echo(
        f"{variable} am {r.period} auf {layer} ({r.n} Gebiete, Nachbarschaft {r.weights}): "
        f"Moran's I = {r.moran_i:.3f}, p = {r.moran_p:.3f}".replace(".", ",", 2)
    )
    for label, n in r.local["cluster_label"].value_counts().items():
        click.echo(f"  {label}: {n}")
    if r.islands:
        click.echo(f"  ohne Nachbarn (Inseln): {', '.join(r.islands)}")
    for note in r.notes:
        click.echo(f"  Hinweis: {note}")


# ------------------------------------------------------------------ coverage
@cli.command("coverage")
@click.option("--type", "facility_type", required=True, help="Art der Einrichtung, z. B. kita.")
@click.option("--layer", required=True, help="Raumebene der Nachfrage, z. B. plr.")
@click.option("--demand", required=True, help="Nachfragevariable, z. B. inhabitants_age_below_6.")
@click.option("--period", required=True, help="Stichtag der Nachfrage.")
@click.option(
    "--distance",
    type=float,
    default=1000,
    show_default=True,
    help="Einzugsbereich (2SFCA) in Metern, mit --unit min in Minuten.",
)
@click.option("--within", type=float, help="Anteil der Nachfrage bis zu dieser Entfernung (m bzw. min).")
@click.option("--decay", type=click.Choice(["gaussian", "none"]), default="gaussian", show_default=True)
@click.option(
    "--barrierefrei",
    "accessible",
    type=click.Choice(["ja", "teilweise"]),
    help="Nur barrierefreie (ja) oder mindestens teilweise barrierefreie Einrichtungen.",
)
@click.option(
    "--network",
    "network",
    help="Auf dem Straßennetz statt Luftlinie: fuss, rad, auto oder rollstuhl ('planlabor network import').",
)
@click.option(
    "--unit",
    type=click.Choice(["m", "min"]),
    default="m",
    show_default=True,
    help="Mit --network: Wegstrecke in Metern oder Reisezeit in Minuten.",
)
@click.pass_context
def coverage_(
    ctx: click.Context,
    facility_type: str,
    layer: str,
    demand: str,
    period: str,
    distance: float,
    within: float | None,
    decay: str,
    accessible: str | None,
    network: str | None,
    unit: str,
) -> None:
    """Versorgung: Entfernung zur nächsten Einrichtung, Anteil in Reichweite, 2SFCA.

    Gespeichert je Gebiet: dist_TYP (Meter), sfca_TYP_DISTANZm (Plätze je 100 Nachfragende in
    Reichweite) und, mit --within, within_DISTANZm_TYP (1 = in Reichweite).  Mit --network
    zählt der Weg auf dem Straßennetz; die Namen enden dann auf das Verkehrsmittel
    (dist_kita_fuss, sfca_kita_fuss_1000m), mit --unit min in Minuten (zeit_kita_fuss,
    sfca_kita_fuss_10min).

    \b
    Beispiel:
      planlabor coverage --type kita --layer plr --demand inhabitants_age_below_6 \\
          --period 2022-12-31 --distance 1000 --within 500
      planlabor coverage --type kita --layer plr --demand inhabitants_age_below_6 \
          --period 2022-12-31 --barrierefrei ja
      planlabor coverage --type kita --layer plr --demand inhabitants_age_below_6 \\
          --period 2022-12-31 --network fuss --unit min --distance 10 --within 10
    """
    from planlabor.app.analyses import coverage
    from planlabor.network.profiles import PROFILES

    r = coverage(
        ctx.obj.get("dir"), facility_type, layer, demand, period, distance, within, decay, accessible,
        network, unit,
    )  # fmt: skip
    u = "Minuten" if r.unit == "min" else "m"
    how = f"Straßennetz, {PROFILES[r.network].name}" if r.network in PROFILES else "Luftlinie"
    click.echo(
        f"{facility_type}: {r.city_ratio:.1f} Plätze je 100 ({demand}) insgesamt; "
        f"Median bis zur nächsten Einrichtung {r.table[r.nearest_column].median():.1f} {u} ({how})".replace(
            ".", ","
        )
    )
    if r.share_within is not None:
        click.echo(f"  Anteil der Nachfrage bis {within:g} {u}: {r.share_within:.1%}".replace(".", ","))
    click.echo(
        f"  2SFCA ({distance:g} {u}, {decay}): Median {r.table['sfca_per_100'].median():.1f} "
        "Plätze je 100".replace(".", ",")
    )
    for note in r.notes:
        click.echo(f"  Hinweis: {note}")
