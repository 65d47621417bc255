"""Planungsvorlagen: template export, import, checklist, list

Registered on the main command group of :mod:`planlabor.cli`.
"""

from __future__ import annotations

from pathlib import Path

import click

from planlabor.cli import PlanlaborGroup, _workspace, cli


# ------------------------------------------------------------------ template
@cli.group(cls=PlanlaborGroup)
def template() -> None:
    """Planungsvorlagen: Katalog und Indexdefinitionen austauschen."""


@template.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Vorlagendatei (.toml).")
@click.option("--name", help="Name der Vorlage (sonst der des Arbeitsbereichs).")
@click.option("--version", "version", default="1.0", show_default=True, help="Version der Vorlage.")
@click.option("--description", default="", help="Beschreibung.")
@click.pass_context
def template_export(ctx: click.Context, out: str, name: str | None, version: str, description: str) -> None:
    """Katalog und Indexdefinitionen als eine versionierte Vorlagendatei schreiben.

    \b
    Beispiel:
      planlabor template export --out sozialmonitoring.toml --name "Sozialmonitoring Berlin" --version 2.1
    """
    ws = _workspace(ctx)
    path = ws.export_template(out, name=name, version=version, description=description)
    click.echo(f"Vorlage geschrieben: {path}")


@template.command("import")
@click.argument("source")
@click.option("--dry-run", is_flag=True, help="Nur prüfen, was zu den eigenen Daten passt.")
@click.pass_context
def template_import(ctx: click.Context, source: str, dry_run: bool) -> None:
    """Eine Vorlage (Datei oder mitgelieferte wie 'berlin') in den Arbeitsbereich übernehmen.

    Der Bericht nennt, welche Indikatoren mit den vorhandenen Daten berechenbar sind und welche
    Variablen noch fehlen.

    \b
    Beispiele:
      planlabor template import sozialmonitoring-berlin.toml --dry-run
      planlabor template import berlin
      planlabor template import galerie/dossiers/berlin-sozialmonitoring/   # aus einem Dossier
    """
    ws = _workspace(ctx)
    r = ws.import_template(source, dry_run=dry_run)
    title = "Prüfung" if dry_run else "Übernommen"
    click.echo(
        f"{title}: Vorlage {r.name!r} (Version {r.version}): {r.indicators} Indikatoren, {r.indices} Indizes"
    )
    if r.written_to:
        click.echo(f"  Katalogdatei: {r.written_to}")
    if r.layout:
        click.echo(f"  {r.layout}")
    click.echo(f"  berechenbar mit den vorhandenen Daten: {len(r.ready)}")
    for ind, miss in list(r.missing.items())[:30]:
        click.echo(f"  es fehlen für {ind}: {', '.join(miss)}")
    if r.conflicts:
        click.echo(f"  schon vorhanden: {', '.join(r.conflicts)}")
    from planlabor.exchange.adopt import data_request, request_lines

    click.echo("\n".join(request_lines(data_request(ws, source, r.name or source, write=not dry_run))))


@template.command("checklist")
@click.argument("source")
@click.option("--out", type=click.Path(dir_okay=False), help="Datei: .xlsx, .csv, .md oder .html.")
@click.pass_context
def template_checklist(ctx: click.Context, source: str, out: str | None) -> None:
    """Die Datenanforderung einer Vorlage: welche Variablen wer liefern muss.

    In einem Arbeitsbereich zeigt die Spalte 'Vorhanden', was schon importiert ist.

    \b
    Beispiele:
      planlabor template checklist jugendhilfe
      planlabor template checklist familienarmut --out datenanforderung-familienarmut.xlsx
    """
    from planlabor.catalog.checklist import checklist, write_checklist
    from planlabor.catalog.exchange import read_template
    from planlabor.errors import WorkspaceError

    header, catalog = read_template(source)
    have: set[str] | None = None
    try:
        ws = _workspace(ctx, read_only=True)
        have = set(ws.store.query_df("SELECT DISTINCT variable FROM observations")["variable"])
    except WorkspaceError:
        pass
    frame = checklist(catalog, have)
    title = f"Datenanforderung: {header.get('name', source)}"
    if out:
        path = write_checklist(frame, Path(out), title)
        click.echo(f"Checkliste mit {len(frame)} Variablen geschrieben: {path}")
        return
    click.echo(title)
    for rec in frame.to_dict("records"):
        mark = {"ja": "[x] ", "nein": "[ ] "}.get(rec["Vorhanden"], "- ")
        click.echo(f"{mark}{rec['Variable']}: {rec['Bezeichnung']}")
        click.echo(
            f"      Datenhalter: {rec['Datenhalter']}; {rec['Räumliche Ebene']}; {rec['Periodizität']}"
        )
        click.echo(f"      für: {rec['Benötigt für']}")


@template.command("list")
def template_list() -> None:
    """Die mitgelieferten Vorlagen und Indexverfahren zeigen.

    \b
    Beispiel:
      planlabor template list
    """
    from planlabor.catalog.exchange import SHIPPED
    from planlabor.indices.spec import PRESETS, load_spec

    click.echo("Katalogvorlagen (planlabor template import NAME):")
    for name, text in SHIPPED.items():
        click.echo(f"  {name}: {text}")
    click.echo('Indexverfahren (planlabor index NAME …, im Katalog: preset = "NAME"):')
    for name in PRESETS:
        click.echo(f"  {name}: {load_spec(name).name}")
