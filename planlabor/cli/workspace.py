"""Arbeitsbereich anlegen und prüfen: init, validate

Registered on the main command group of :mod:`planlabor.cli`.
"""

from __future__ import annotations

import click

from planlabor.cli import _workspace, cli


# ---------------------------------------------------------------------- init
@cli.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--name", help="Name des Arbeitsbereichs (sonst der Ordnername).")
@click.option("--municipality", default="", help="Kommune, z. B. 'Berlin'.")
@click.option(
    "--crs", default="EPSG:25833", show_default=True, help="Koordinatenreferenzsystem des Arbeitsbereichs."
)
@click.option(
    "--catalog-template",
    type=click.Choice(["leer", "berlin"]),
    default="leer",
    show_default=True,
    help="Startkatalog der Indikatoren.",
)
@click.option(
    "--store",
    "store_url",
    default=None,
    help="Gemeinsamer Speicher auf dem Datenbankserver: postgresql://benutzer@rechner/db?schema=name "
    "(Passwort in ~/.pgpass oder PGPASSWORD). Ohne: eine DuckDB-Datei im Ordner.",
)
def init(
    directory: str,
    name: str | None,
    municipality: str,
    crs: str,
    catalog_template: str,
    store_url: str | None,
) -> None:
    """Einen Arbeitsbereich anlegen.

    \b
    Beispiel:
      planlabor init sozialmonitoring --name "Sozialmonitoring Musterstadt"
      planlabor init sozialamt --store postgresql://anna@gis.stadt.de/sozial?schema=monitoring
    """
    from planlabor.catalog.model import template_text
    from planlabor.workspace import Workspace

    text = template_text("berlin") if catalog_template == "berlin" else None
    ws = Workspace.init(
        directory, name=name, municipality=municipality, crs=crs, catalog_text=text, store=store_url
    )
    click.echo(f"Arbeitsbereich {ws.config.workspace.name!r} angelegt in {ws.root}")
    ws.close()


@cli.command()
@click.pass_context
def validate(ctx: click.Context) -> None:
    """planlabor.toml und den Indikatorkatalog prüfen.

    \b
    Beispiel:
      planlabor validate
    """
    ws = _workspace(ctx)
    warnings = ws.validate()
    click.echo(f"planlabor.toml gültig; Katalog mit {len(ws.catalog().indicators)} Indikatoren gültig.")
    for w in warnings:
        click.echo(f"Hinweis: {w}")
