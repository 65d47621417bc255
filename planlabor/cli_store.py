"""Commands for the store itself (``planlabor store copy|publish``) and the audit trail
(``planlabor audit``), registered on the main command group of :mod:`planlabor.cli`."""

from __future__ import annotations

from pathlib import Path

import click

from planlabor.cli import PlanlaborGroup, _workspace, cli


@cli.group(cls=PlanlaborGroup)
def store() -> None:
    """Den Speicher umziehen (DuckDB-Datei ↔ Datenbankserver) und für QGIS veröffentlichen."""


@store.command("copy")
@click.option(
    "--to", "target", required=True, help="postgresql://benutzer@rechner/db?schema=name oder ein Ordner."
)
@click.option(
    "--ordner",
    "folder",
    type=click.Path(file_okay=False),
    default=None,
    help="Ordner des neuen Arbeitsbereichs (bei postgresql://…; Vorgabe: ORDNER-server daneben).",
)
@click.pass_context
def store_copy(ctx: click.Context, target: str, folder: str | None) -> None:
    """Den Arbeitsbereich in einen neuen Speicher kopieren und die Kopie prüfen.

    Alle Tabellen werden kopiert; Zeilenzahl und Prüfsumme jeder Tabelle müssen übereinstimmen,
    sonst wird nichts kopiert. Der Ausgangs-Arbeitsbereich bleibt unverändert.

    \b
    Beispiel:
      planlabor store copy --to postgresql://anna@gis.stadt.de/sozial?schema=monitoring
      planlabor store copy --to ../sozialmonitoring-lokal
    """
    from planlabor.store.copy import copy_workspace

    ws = _workspace(ctx, read_only=True)
    report = copy_workspace(ws, target, Path(folder) if folder else None)
    for table, (rows, digest) in report.tables.items():
        click.echo(f"  {table:<24} {rows:>12,} Zeilen  {digest[:16]}".replace(",", "."))
    click.echo(f"Kopiert und geprüft: {report.rows:,} Zeilen nach {report.target}".replace(",", "."))
    click.echo(f"Neuer Arbeitsbereich: {report.folder}")


@store.command("publish")
@click.pass_context
def store_publish(ctx: click.Context) -> None:
    """Die öffentlichen, gesperrten Indikatorwerte als Sichten für QGIS veröffentlichen.

    Schema <schema>_oeffentlich mit einer Sicht je Ebene (Geometrie, Gebiet, Zeitraum, eine Spalte je
    öffentlichem Indikator) und die Leserolle <schema>_oeffentlich, die nur diese Sichten lesen darf.

    \b
    Beispiel:
      planlabor store publish
    """
    from planlabor.store.publish import publish_views

    report = publish_views(_workspace(ctx))
    for name, rows in report.views.items():
        click.echo(f"  {report.schema}.{name}: {rows} Zeilen")
    click.echo(f'Veröffentlicht für die Rolle {report.role!r} (GRANT "{report.role}" TO qgis_benutzer;)')


@cli.command("audit")
@click.option("--limit", type=int, default=50, show_default=True, help="So viele neueste Einträge.")
@click.pass_context
def audit(ctx: click.Context, limit: int) -> None:
    """Wer hat wann was importiert, zurückgenommen, berechnet, veröffentlicht oder kopiert.

    \b
    Beispiel:
      planlabor audit --limit 20
    """
    from planlabor.store.audit import audit_lines

    for line in audit_lines(_workspace(ctx, read_only=True).store, limit):
        click.echo(line)
