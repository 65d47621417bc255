"""Werte importieren: import, log, revert, quarantine

Registered on the main command group of :mod:`planlabor.cli`.
"""

from __future__ import annotations

from typing import Any

import click

from planlabor.cli import _echo_json, cli


# -------------------------------------------------------------------- import
@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--layer", required=True, help="Raumebene der Schlüssel, z. B. kreis oder plr.")
@click.option("--format", "fmt", help="Dateiformat erzwingen (sonst erkannt; Liste: planlabor formats).")
@click.option("--id-column", help="Spalte mit den Gebietsschlüsseln (sonst erkannt).")
@click.option("--period", help="Zeitraum aller Werte, nur wenn die Datei keinen nennt, z. B. 2021-12-31.")
@click.option("--period-column", help="Spalte mit dem Zeitraum, z. B. ZEIT.")
@click.option(
    "--stichtag", is_flag=True, help="Zeiträume als Stichtag am Periodenende speichern (202012 → 2020-12-31)."
)
@click.option("--sheet", help="Tabellenblatt (XLSX/XLS; sonst alle Blätter mit Werten).")
@click.option("--skip-rows", type=int, default=0, help="Zeilen am Anfang überspringen (selten nötig).")
@click.option("--encoding", help="Zeichenkodierung, z. B. utf-8, cp1252 (sonst erkannt).")
@click.option("--delimiter", help="Trennzeichen, z. B. ';' (sonst erkannt).")
@click.option("--decimal", type=click.Choice([",", "."]), help="Dezimalzeichen (sonst erkannt).")
@click.option("--thousands", help="Tausendertrennzeichen ('' für keins; sonst erkannt).")
@click.option("--columns", "columns", multiple=True, help="Nur diese Spalten/Variablen (Muster wie KI_*).")
@click.option(
    "--exclude-column", multiple=True, help="Spalten/Variablen auslassen (Muster wie *_percentage)."
)
@click.option("--variable-column", help="Lange Tabelle: Spalte mit dem Variablennamen.")
@click.option("--value-column", help="Lange Tabelle: Spalte mit dem Wert.")
@click.option("--missing", multiple=True, help="Fehlwert-Zeichen ZEICHEN=KENNUNG, z. B. 'k.A.=fehlend'.")
@click.option(
    "--on-unmatched",
    type=click.Choice(["auto", "refuse", "quarantine", "skip"]),
    help="Unbekannte Schlüssel: auto (zurückstellen, wenn die meisten passen), refuse, quarantine, skip.",
)
@click.option("--map-key", multiple=True, help="Schlüssel umsetzen ALT=NEU.")
@click.option("--changes", type=click.Path(dir_okay=False), help="Tabelle der Gebietsänderungen (alt;neu).")
@click.option(
    "--no-other-levels", is_flag=True, help="Zeilen anderer Ebenen nicht in deren Raumebenen importieren."
)
@click.option("--id-width", type=int, help="Schlüssel links mit Nullen auf diese Länge auffüllen.")
@click.option("--rename", multiple=True, help="Variable umbenennen ALT=NEU.")
@click.option("--select", multiple=True, help="Eurostat-Tabelle: nur DIMENSION=CODE[,CODE…], z. B. sex=T.")
@click.option(
    "--variable-prefix", help="Anfang aller Variablennamen, z. B. ew (Eurostat: sonst der Dateiname)."
)
@click.option("--dry-run", is_flag=True, help="Nur zeigen, was erkannt und importiert würde.")
@click.option("--json", "as_json", is_flag=True, help="Bericht als JSON.")
@click.pass_context
def import_(ctx: click.Context, file: str, **kw: Any) -> None:
    """Eine Tabelle mit Werten je Gebiet importieren: das Format wird erkannt.

    GENESIS/Regionalstatistik, INKAR, IRIS, Statistik der BA, Statistik Austria, Stadt Wien,
    BFS (PC-Axis, STAT-TAB, Atlas), Eurostat und jede Tabelle (CSV, XLSX, XLS, ODS) – auch
    mit Titelzeilen, mehrzeiligen Köpfen, Jahren als Spaltenköpfen, Schlüssel und Name in einer
    Zelle. Zeilen anderer Ebenen (Deutschland, Länder) gehen in deren Raumebene oder werden
    gemeldet. Fehlwert-Zeichen werden als Kennung gespeichert, nie als Zahl. Der Import ist
    atomar und versioniert; --dry-run zeigt vorher, was erkannt wurde.

    \b
    Beispiele:
      planlabor import 12411-0015.csv --layer kreis --dry-run
      planlabor import E_Schuldnerquote.xls --layer kreis
      planlabor import einwohner-2021-12.csv --layer plr --period 2021-12-31
      planlabor import EWR_L21_202412E_Matrix.csv --layer plr --id-column RAUMID \\
          --period-column ZEIT --stichtag --map-key 06200318=06200418
      planlabor import demo_r_pjanaggr3.tsv --layer nuts3 --select unit=NR --select sex=T \\
          --select geo=DE???,AT???,CH??? --variable-prefix ew
    """
    from planlabor.app import imports

    where = ctx.obj.get("dir")
    use = imports.preview_import if kw["dry_run"] else imports.import_file
    outcome = use(where, file, kw)
    if kw["as_json"]:
        _echo_json(outcome.report)
        return
    for line in outcome.lines:
        click.echo(line)


@cli.command("log")
@click.pass_context
def log_(ctx: click.Context) -> None:
    """Das Importprotokoll zeigen (Datei, Prüfsumme, Zeit, Optionen).

    \b
    Beispiel:
      planlabor log
    """
    from planlabor.app.imports import import_log

    def text(v: Any) -> str:
        return "" if v is None else str(v)

    for r in import_log(ctx.obj.get("dir")):
        source = text(r["file"]) or "(berechnet)"
        click.echo(
            f"{r['import_id']:>4}  {str(r['imported_at'])[:19]}  {r['kind']:<14} "
            f"{text(r['layer_id']):<10} {r['values_imported']:>10}  {source}"
        )
        click.echo(f"      sha256 {text(r['sha256']) or '-'}  Optionen {r['options']}")


@cli.command()
@click.argument("import_id", type=int)
@click.pass_context
def revert(ctx: click.Context, import_id: int) -> None:
    """Die Werte eines früheren Imports wieder gültig machen.

    \b
    Beispiel:
      planlabor revert 3
    """
    from planlabor.app.imports import revert_import

    n = revert_import(ctx.obj.get("dir"), import_id)
    click.echo(
        f"{n} Werte aus Import Nr. {import_id} sind wieder gültig. Rechnen Sie neu mit 'planlabor compute'."
    )


@cli.command()
@click.option("--import", "import_id", type=int, help="Nur Zeilen dieses Imports.")
@click.pass_context
def quarantine(ctx: click.Context, import_id: int | None) -> None:
    """Zurückgestellte Zeilen (unbekannte Gebietsschlüssel) zeigen.

    \b
    Beispiel:
      planlabor quarantine --import 7
    """
    from planlabor.app.imports import quarantine_summary

    summary = quarantine_summary(ctx.obj.get("dir"), import_id)
    if not summary:
        click.echo("Keine zurückgestellten Zeilen.")
        return
    for r in summary:
        click.echo(
            f"Import {r['import_id']}: Schlüssel {r['area_id']} (Zeile {r['zeile']}, "
            f"{r['werte']} Werte): {r['reason']}"
        )
