"""Commands for one's own data: the formats planlabor reads and a starter catalog."""

from __future__ import annotations

from pathlib import Path

import click

from planlabor.cli import PlanlaborGroup, _workspace, cli


@cli.command("formats")
def formats() -> None:
    """Die Dateiformate, die 'planlabor import' erkennt, mit einem Beispiel je Format.

    \b
    Beispiel:
      planlabor formats
    """
    from planlabor.io.readers import REGISTRY

    for r in REGISTRY:
        click.echo(f"{r.name:<24} {r.title}")
        click.echo(f"{'':<24} Herausgeber: {r.publisher}; Beispiel: {r.example}")
    click.echo("Erzwingen mit: planlabor import DATEI --layer EBENE --format NAME")


@cli.group("catalog", cls=PlanlaborGroup)
def catalog_group() -> None:
    """Indikatorkatalog des Arbeitsbereichs."""


@catalog_group.command("suggest")
@click.option("--out", type=click.Path(dir_okay=False), help="Vorschlag in diese TOML-Datei schreiben.")
@click.option(
    "--apply", "apply_", is_flag=True, help="Vorschläge in catalog.toml des Arbeitsbereichs übernehmen."
)
@click.pass_context
def catalog_suggest(ctx: click.Context, out: str | None, apply_: bool) -> None:
    """Indikatoren aus den importierten Variablen vorschlagen (Zählwerte, Quoten, Anteile).

    Zählwerte werden über die Ebenen summiert; Quoten und Mittelwerte werden wie
    veröffentlicht übernommen; zu einer Gesamtzahl derselben Tabelle ('Insgesamt')
    werden Anteile vorgeschlagen. Polarität und Mindestfallzahl setzt die Fachplanung.

    \b
    Beispiele:
      planlabor catalog suggest
      planlabor catalog suggest --apply && planlabor compute
    """
    from planlabor.catalog.suggest import apply, suggest, to_toml

    ws = _workspace(ctx)
    items = suggest(ws.store, ws.catalog())
    if not items:
        click.echo(
            "Keine neuen Vorschläge: jede importierte Variable wird schon von einem Indikator genutzt."
        )
        return
    text = to_toml(items)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        click.echo(f"{len(items)} Vorschläge in {out}")
    if apply_:
        path = ws.catalog_paths()[0]
        apply(path, items)
        click.echo(f"{len(items)} Indikatoren in {path.name} übernommen; jetzt: planlabor compute")
    if not out and not apply_:
        for s in items:
            click.echo(f"  {s.id:<40} {s.kind:<7} {s.name}  ({s.reason})")
        click.echo(f"{len(items)} Vorschläge. Übernehmen mit: planlabor catalog suggest --apply")
