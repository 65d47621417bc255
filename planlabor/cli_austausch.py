"""Commands of the Austausch (issue 20): dossiers, the gallery, template versions.

Registered on the main command group of :mod:`planlabor.cli` by one import line; every command
is a thin adapter over :mod:`planlabor.exchange`.
"""

from __future__ import annotations

from pathlib import Path

import click

from planlabor.cli import PlanlaborGroup, _de, _workspace, cli
from planlabor.cli.templates import template


@cli.group(cls=PlanlaborGroup)
def dossier() -> None:
    """Projektdossiers: ein Planungsvorhaben teilen (Methode, Beschreibung, Bericht, Atlas)."""


@dossier.command("beschreibung")
@click.option("--out", type=click.Path(dir_okay=False), help="Datei (sonst Ausgabe im Terminal).")
def dossier_beschreibung(out: str | None) -> None:
    """Ein leeres Beschreibungsformular (TOML) mit allen Feldern ausgeben.

    \b
    Beispiel:
      planlabor dossier beschreibung --out beschreibung.toml
    """
    from planlabor.exchange.model import DESCRIPTION_TEMPLATE

    if out:
        Path(out).write_text(DESCRIPTION_TEMPLATE, encoding="utf-8")
        click.echo(f"Formular geschrieben: {out} (ausfüllen, dann planlabor dossier export)")
    else:
        click.echo(DESCRIPTION_TEMPLATE)


@dossier.command("export")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Zielordner des Dossiers.")
@click.option("--beschreibung", "description", type=click.Path(dir_okay=False), help="Beschreibung (TOML).")
@click.option("--titel", help="Titel, wenn keine Beschreibung angegeben ist.")
@click.option("--version", "version", default="1.0", show_default=True, help="Version der Methodenvorlage.")
@click.option(
    "--bericht",
    "report_pdf",
    type=click.Path(dir_okay=False),
    help="Fertigen öffentlichen Bericht (PDF) beilegen.",
)
@click.option("--layer", help="Raumebene der Berichtskarten (sonst die feinste).")
@click.option("--ohne-bericht", "no_report", is_flag=True, help="Keinen Bericht beilegen.")
@click.option("--ohne-atlas", "no_atlas", is_flag=True, help="Keinen Atlas-Stand beilegen.")
@click.pass_context
def dossier_export(
    ctx: click.Context,
    out: str,
    description: str | None,
    titel: str | None,
    version: str,
    report_pdf: str | None,
    layer: str | None,
    no_report: bool,
    no_atlas: bool,
) -> None:
    """Ein Projektdossier schreiben: Methodenvorlage, Beschreibung, öffentlicher Bericht, Atlas.

    Nur öffentliche Werte gelangen ins Dossier (derselbe Weg wie Atlas und Bericht).

    \b
    Beispiele:
      planlabor dossier export --beschreibung beschreibung.toml --out dossiers/sozialmonitoring
      planlabor dossier export --titel "Kita-Planung 2030" --ohne-bericht --out dossiers/kita
    """
    from planlabor.exchange.dossier import export_dossier
    from planlabor.exchange.model import Description, read_description

    ws = _workspace(ctx, read_only=True)
    desc = (
        read_description(description) if description else Description(titel=titel or ws.config.workspace.name)
    )
    report: bool | Path = False if no_report else (Path(report_pdf) if report_pdf else True)
    r = export_dossier(
        ws, Path(out), desc, report=report, atlas=not no_atlas, version=version, report_layer=layer
    )
    click.echo(
        f"Dossier geschrieben: {r.out} ({r.files} Dateien, {_de(r.bytes / 1e6, 1)} MB; "
        f"{r.indicators} Indikatordefinitionen; Teile: {', '.join(r.parts)})"
    )
    click.echo(f"  Geheimhaltung: {r.audit}")


@dossier.command("position")
@click.option("--beschreibung", "description", required=True, type=click.Path(dir_okay=False))
@click.option("--quelle", "sources", multiple=True, required=True,
              help="Vorlage oder Dossier mit den empfohlenen Indikatoren.")  # fmt: skip
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Zielordner.")
def dossier_position(description: str, sources: tuple[str, ...], out: str) -> None:
    """Ein Positionspapier: Empfehlungen mit den Indikatordefinitionen, die sie empfehlen.

    \b
    Beispiel:
      planlabor dossier position --beschreibung papier.toml --quelle familienarmut --out dossiers/papier
    """
    from planlabor.exchange.dossier import export_position_paper
    from planlabor.exchange.model import read_description

    r = export_position_paper(read_description(description), list(sources), Path(out))
    click.echo(f"Positionspapier geschrieben: {r.out} ({r.indicators} empfohlene Definitionen)")
    click.echo(f"  übernehmen: planlabor template import {r.out}/")


@dossier.command("visitation")
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@click.option("--datei", "path", type=click.Path(dir_okay=False), help="Visitation als TOML.")
@click.option("--vorlage", "blank", is_flag=True, help="Ein leeres Formular ausgeben.")
def dossier_visitation(folder: str | None, path: str | None, blank: bool) -> None:
    """Eine Visitation (kollegiale Begutachtung) im Dossier speichern.

    Kriterien: Datenbasis, Methode, Beteiligung, Wirkungsmessung, Übertragbarkeit (je 1–5 und
    Kommentar), Fazit, Gutachter:in und Datum.

    \b
    Beispiele:
      planlabor dossier visitation --vorlage > visitation.toml
      planlabor dossier visitation dossiers/sozialmonitoring --datei visitation.toml
    """
    from planlabor.errors import InputError
    from planlabor.exchange.model import VISITATION_TEMPLATE, add_visitation, read_visitation

    if blank:
        click.echo(VISITATION_TEMPLATE)
        return
    if not folder or not path:
        raise InputError(
            "Es fehlen der Dossier-Ordner und --datei.",
            hint="planlabor dossier visitation DOSSIER --datei v.toml",
        )
    d = add_visitation(folder, read_visitation(path))
    click.echo(f"Visitation gespeichert in {folder} ({len(d.visitation)} insgesamt)")


@cli.group(cls=PlanlaborGroup)
def galerie() -> None:
    """Die Galerie der Planungsansätze: finden, vergleichen, übernehmen (statisch, offline)."""


@galerie.command("build")
@click.argument("dossiers", type=click.Path(file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Zielordner der Website.")
def galerie_build(dossiers: str, out: str) -> None:
    """Die statische Galerie aus einem Ordner voller Dossiers bauen.

    \b
    Beispiel:
      planlabor galerie build dossiers/ --out site/
      # ansehen: site/index.html im Browser öffnen
    """
    from planlabor.exchange.gallery import build_gallery

    r = build_gallery(Path(dossiers), Path(out))
    click.echo(
        f"Galerie gebaut in {r.out}: {r.dossiers} Dossiers, {r.comparisons} verglichene Begriffe, "
        f"{r.files} Dateien, {_de(r.bytes / 1e6, 1)} MB, {_de(r.seconds, 1)} s"
    )
    click.echo(f"  Öffnen: {Path(r.out).resolve() / 'index.html'}")


@galerie.command("seed")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Ordner für die Dossiers.")
@click.option("--berlin", type=click.Path(file_okay=False), help="Arbeitsbereich der Berlin-Demo.")
@click.option("--deutschland", type=click.Path(file_okay=False), help="Arbeitsbereich der Deutschland-Demo.")
def galerie_seed(out: str, berlin: str | None, deutschland: str | None) -> None:
    """Die mitgelieferten Dossiers schreiben: Demos, Fachvorlagen, ein Beispiel-Positionspapier.

    \b
    Beispiel:
      planlabor galerie seed --berlin demo-workspace --out dossiers/
    """
    from planlabor.exchange.seed import build_seed

    reps = build_seed(
        Path(out),
        Path(berlin) if berlin else None,
        Path(deutschland) if deutschland else None,
        progress=click.echo,
    )
    click.echo(f"{len(reps)} Dossiers geschrieben in {out}")


@galerie.command("checkliste")
@click.option(
    "--vorlage", "templates", multiple=True, help="Fachvorlage(n) (sonst familienarmut, arbeit, armut)."
)
@click.option("--out", type=click.Path(dir_okay=False), help="Markdown-Datei (sonst Terminal).")
def galerie_checkliste(templates: tuple[str, ...], out: str | None) -> None:
    """Die Planlabor-Checkliste: welche Daten, Raumebenen, Indikatoren, welcher Bericht.

    \b
    Beispiel:
      planlabor galerie checkliste --vorlage jugendhilfe --out planlabor-checkliste.md
    """
    from planlabor.exchange.starter import starter_sections, write_starter

    if out:
        click.echo(f"Checkliste geschrieben: {write_starter(Path(out), list(templates) or None)}")
        return
    for n, sec in enumerate(starter_sections(list(templates) or None), 1):
        click.echo(f"{n}. {sec['title']}")
        for item in sec["items"]:
            click.echo(f"  [ ] {item}")


@template.command("diff")
@click.argument("a")
@click.argument("b")
@click.option("--changelog", type=click.Path(dir_okay=False), help="Eintrag oben in diese Markdown-Datei.")
def template_diff(a: str, b: str, changelog: str | None) -> None:
    """Zwei Vorlagen (Dateien, mitgelieferte oder Dossiers) Feld für Feld vergleichen.

    \b
    Beispiele:
      planlabor template diff sozialmonitoring-1.0.toml sozialmonitoring-2.0.toml
      planlabor template diff alt.toml neu.toml --changelog CHANGELOG.md
    """
    from planlabor.exchange.diff import append_changelog, diff_templates, render_diff

    d = diff_templates(a, b)
    click.echo("\n".join(render_diff(d)))
    if changelog:
        click.echo(f"Änderungsprotokoll: {append_changelog(Path(changelog), d)}")
