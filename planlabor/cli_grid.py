"""Commands for the Zensus grid (registered on the main command group of :mod:`planlabor.cli`)."""

from __future__ import annotations

import click

from planlabor.cli import PlanlaborGroup, _echo_json, _pairs, _workspace, cli


@cli.group(cls=PlanlaborGroup)
def grid() -> None:
    """Zensus-Gitterzellen (100 m, 1 km, 10 km) auf die Gebiete einer Raumebene bringen."""


@grid.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--layer", required=True, help="Raumebene mit Grenzen, z. B. gemeinde.")
@click.option(
    "--methode",
    type=click.Choice(["zentroid", "flaeche"]),
    default="zentroid",
    show_default=True,
    help="zentroid: ganze Zelle ins Gebiet ihres Mittelpunkts; flaeche: nach Flächenanteil aufteilen.",
)
@click.option("--period", help="Stichtag, falls die Datei keinen nennt (z. B. 2022-05-15).")
@click.option(
    "--gewicht", help="Variable, mit der Mittelwerte und Anteile gewichtet werden, z. B. Einwohner."
)
@click.option("--mittel", multiple=True, help="Spalte als Mittelwert/Anteil behandeln (mehrfach möglich).")
@click.option("--anzahl", multiple=True, help="Spalte als Anzahl (Summe) behandeln (mehrfach möglich).")
@click.option("--variable", "rename", multiple=True, help="Umbenennen: SPALTE=VARIABLE, z. B. Einwohner=ew.")
@click.option("--dry-run", is_flag=True, help="Nur prüfen und berichten, nichts speichern.")
@click.option("--json", "as_json", is_flag=True, help="Bericht als JSON.")
@click.pass_context
def grid_import(
    ctx: click.Context,
    files: tuple[str, ...],
    layer: str,
    methode: str,
    period: str | None,
    gewicht: str | None,
    mittel: tuple[str, ...],
    anzahl: tuple[str, ...],
    rename: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
) -> None:
    """Gitterdateien des Zensus (CSV 2022/2011, Parquet) einlesen und je Gebiet speichern.

    Anzahlen werden summiert, Mittelwerte und Anteile (erkannt am Namen, z. B. Anteil…,
    Durchschnitt…, …_A, …_D) gemittelt, mit --gewicht gewichtet. Mehrere Dateien werden über
    die Zellen verbunden (z. B. Durchschnittsalter und Einwohner als Gewicht).

    \b
    Beispiel:
      planlabor grid import Zensus2022_Bevoelkerungszahl_1km-Gitter.csv --layer gemeinde
      planlabor grid import continuous_Alter_D.parquet continuous_Einwohner.parquet \\
          --layer gemeinde --methode flaeche --gewicht Einwohner
    """
    from planlabor.spatial.grid_import import import_grid

    ws = _workspace(ctx)
    report = import_grid(
        ws.store,
        list(files),
        layer,
        method="flaeche" if methode == "flaeche" else "zentroid",
        period=period,
        weight=gewicht,
        means=mittel,
        counts=anzahl,
        rename=_pairs(rename, "--variable"),
        dry_run=dry_run,
    )
    if as_json:
        _echo_json(report.as_dict())
        return
    for line in report.lines():
        click.echo(line)
