"""Berichte: report profile, sozialbericht, sheet, methods

Registered on the main command group of :mod:`planlabor.cli`.
"""

from __future__ import annotations

import click

from planlabor.cli import PlanlaborGroup, _de, cli
from planlabor.errors import InputError

# -------------------------------------------------------------------- report

ENGINE = click.option(
    "--engine",
    type=click.Choice(["typst", "weasyprint"]),
    default="typst",
    show_default=True,
    help="PDF-Erzeugung: typst (schnell) oder weasyprint (aus der HTML-Vorlage).",
)


@cli.group(cls=PlanlaborGroup)
def report() -> None:
    """Berichte aus den Daten: Sozialraumprofile und Methodenanhang (HTML, PDF, DOCX)."""


@report.command("profile")
@click.option("--layer", help="Raumebene der Profile (sonst die feinste des Arbeitsbereichs).")
@click.option("--area", "areas", multiple=True, help="Gebietsschlüssel (mehrfach möglich).")
@click.option("--all", "all_areas", is_flag=True, help="Ein Profil für jedes Gebiet der Ebene.")
@click.option("--gruppe", help="Ein Profil je Gebiet der gespeicherten Gebietsgruppe (gruppe liste).")
@click.option("--period", help="Stand (sonst der jüngste beobachtete Stichtag).")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "docx"]), default="pdf", show_default=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(),
    help="Datei (.html/.pdf/.docx) oder Ordner (eine Datei je Gebiet).",
)
@click.option("--workers", type=int, default=2, show_default=True, help="Parallele Prozesse für PDF.")
@click.option(
    "--intern", "internal", is_flag=True, help="Interne Fassung: auch interne Indikatoren, ohne Sperrung."
)
@ENGINE
@click.pass_context
def report_profile(
    ctx: click.Context,
    layer: str | None,
    areas: tuple[str, ...],
    all_areas: bool,
    gruppe: str | None,
    period: str | None,
    fmt: str,
    out: str,
    workers: int,
    internal: bool,
    engine: str,
) -> None:
    """Sozialraumprofile: Kennzahlen gegen Obergebiet und Stadt, Ränge, Zeitreihen, Lagekarte.

    Öffentliche Fassung (Standard): nur öffentliche Indikatoren, kleine Fallzahlen gesperrt (•).

    \b
    Beispiele:
      planlabor report profile --area 01100101 --format pdf --out stuelerstrasse.pdf
      planlabor report profile --all --format pdf --out profile/
      planlabor report profile --area 01100101 --format docx --out profile/
      planlabor report profile --area 01100101 --engine weasyprint --out stuelerstrasse.pdf
      planlabor report profile --gruppe Fokusgebiete --format html --out profile/
    """
    from planlabor.app.publish import profiles

    where = ctx.obj.get("dir")
    ids = ["*"] if all_areas else list(areas)
    if gruppe:  # the group's areas on the group's layer (an aggregate needs counts, not rates)
        from planlabor.app import opened
        from planlabor.app.groups import stored_group

        with opened(where, read_only=True) as ws:
            g = stored_group(ws.store, gruppe)
        ids, layer = ids + g["keys"], g["layer"]
    if not ids:
        raise InputError("Geben Sie --area ID, --gruppe NAME oder --all an.", column="--area")
    if ids == ["*"] or len(ids) > 1:
        from rich.progress import Progress  # not for one profile: rich costs a tenth of its time

        with Progress(transient=True) as bar:
            task = bar.add_task("Sozialraumprofile", total=None)
            r = profiles(
                where, out, ids, layer, period, fmt, internal, workers,
                lambda n, t, *_: bar.update(task, completed=n, total=t), engine=engine,
            )  # fmt: skip
    else:
        r = profiles(where, out, ids, layer, period, fmt, internal, workers, engine=engine)
    click.echo(
        f"{len(r.files)} Datei(en) geschrieben nach {out} in {_de(r.seconds, 1)} s "
        f"({_de(r.per_file, 2)} s je Profil){' – interne Fassung' if internal else ''}"
    )


@report.command("sozialbericht")
@click.option("--layer", help="Raumebene der Karten und Rangfolgen (sonst die feinste).")
@click.option("--period", help="Stand (sonst der jüngste beobachtete Stichtag).")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "docx"]), default="pdf", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Zieldatei.")
@click.option("--min-residents", type=int, default=300, show_default=True,
              help="Gebiete darunter ohne Rangfolge (stark schwankende Quoten).")  # fmt: skip
@click.option("--intern", "internal", is_flag=True, help="Interne Fassung.")
@ENGINE
@click.option("--gruppe", help="Kapitel, das diese gespeicherte Gebietsgruppe mit der Stadt vergleicht.")
@click.pass_context
def report_sozialbericht(
    ctx: click.Context,
    layer: str | None,
    period: str | None,
    fmt: str,
    out: str,
    min_residents: int,
    internal: bool,
    engine: str,
    gruppe: str | None,
) -> None:
    """Integrierter Sozialbericht: Kapitel je Fachthema mit Karten, Rangfolgen und Befunden in Sätzen.

    \b
    Beispiele:
      planlabor report sozialbericht --layer plr --format pdf --out sozialbericht.pdf
      planlabor report sozialbericht --gruppe Fokusgebiete --out sozialbericht.pdf
      planlabor report sozialbericht --engine weasyprint --out sozialbericht.pdf
    """
    import time

    from planlabor.app.publish import sozialbericht

    start = time.perf_counter()
    path = sozialbericht(
        ctx.obj.get("dir"), out, fmt, layer, period, min_residents, internal, engine=engine, group=gruppe
    )
    click.echo(f"Sozialbericht geschrieben: {path} ({_de(time.perf_counter() - start, 1)} s)")


@report.command("sheet")
@click.option("--layer", help="Planungsebene (Kinder und Plätze; sonst die feinste).")
@click.option("--level", help="Ebene der Vorlage, z. B. bzr (sonst --layer).")
@click.option("--period", required=True, help="Stichtag, z. B. 2024-12-31 oder ein Prognosejahr 2030-12-31.")
@click.option("--prognose", "scenario", help="Kinder aus der gespeicherten Prognose dieser Variante.")
@click.option("--u3-quote", "u3", type=float, default=50.0, show_default=True)
@click.option("--ue3-quote", "ue3", type=float, default=95.0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "docx"]), default="pdf", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Zieldatei.")
@click.option(
    "--befragung", "consultation", help="Antworten dieser Befragung je Gebiet daneben (Beteiligung)."
)
@click.option(
    "--thema", "subject", help="Positionen der Akteure zu dieser Maßnahme oder Entscheidung daneben."
)
@click.pass_context
def report_sheet(
    ctx: click.Context,
    layer: str | None,
    level: str | None,
    period: str,
    scenario: str | None,
    u3: float,
    ue3: float,
    fmt: str,
    out: str,
    consultation: str | None = None,
    subject: str | None = None,
) -> None:
    """Vorlage für den Jugendhilfeausschuss: Kita-Bedarf gegen Plätze je Gebiet, mit Sachstand in Sätzen.

    \b
    Beispiel:
      planlabor report sheet --level bzr --period 2030-12-31 --prognose intern \\
          --format pdf --out jha_kita_2030.pdf
      planlabor report sheet --level bzr --period 2024-12-31 --befragung jugend2026 \\
          --thema "Kita-Bedarfsplanung 2030" --out jha_beteiligung.pdf
    """
    from planlabor.app.publish import committee_sheet

    r = committee_sheet(
        ctx.obj.get("dir"), out, period, layer=layer, level=level, scenario=scenario, u3=u3, ue3=ue3, fmt=fmt,
        consultation=consultation, subject=subject,
    )  # fmt: skip
    click.echo(f"Vorlage geschrieben: {r.path}")
    for f in r.findings:
        click.echo(f"  {f}")


@report.command("methods")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"]), default="pdf", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Zieldatei.")
@click.option("--intern", "internal", is_flag=True, help="Auch interne Indikatoren aufführen.")
@click.pass_context
def report_methods(ctx: click.Context, fmt: str, out: str, internal: bool) -> None:
    """Methodenanhang: Definition, Berechnung, Quelle und Datenstand jedes Indikators; Geheimhaltungsregel.

    \b
    Beispiel:
      planlabor report methods --format pdf --out methodenanhang.pdf
    """
    from planlabor.app.publish import methods_annex

    path = methods_annex(ctx.obj.get("dir"), out, fmt, internal)
    click.echo(f"Methodenanhang geschrieben: {path}")
