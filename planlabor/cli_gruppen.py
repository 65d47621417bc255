"""Commands of named area groups: ``planlabor gruppe liste|anlegen|loeschen`` (issue 19;
registered on the main command group of :mod:`planlabor.cli`).  Thin adapter over
:mod:`planlabor.app.groups`."""

from __future__ import annotations

import csv
from pathlib import Path

import click

from planlabor.cli import PlanlaborGroup, _echo_json, cli
from planlabor.errors import InputError

HEADERS = {"area_id", "id", "gebiet", "schluessel", "schlüssel", "gebietsschlüssel"}


@cli.group(cls=PlanlaborGroup)
def gruppe() -> None:
    """Benannte Gebietsgruppen: eine Auswahl von Gebieten einer Ebene, von Berichten genutzt."""


@gruppe.command("liste")
@click.option("--layer", help="Nur Gruppen dieser Raumebene.")
@click.option("--json", "as_json", is_flag=True, help="Als JSON (mit allen Gebietsschlüsseln).")
@click.pass_context
def gruppe_liste(ctx: click.Context, layer: str | None, as_json: bool) -> None:
    """Die gespeicherten Gebietsgruppen zeigen.

    \b
    Beispiel:
      planlabor gruppe liste
    """
    from planlabor.app.groups import list_groups

    groups = list_groups(ctx.obj.get("dir"), layer)
    if as_json:
        _echo_json(groups)
        return
    if not groups:
        click.echo("Keine Gebietsgruppen gespeichert.")
        return
    for g in groups:
        who = f", {g['created_by']}" if g["created_by"] else ""
        click.echo(f"{g['name']}: {g['areas']} Gebiete ({g['layer']}), {g['created_at']}{who}")


def _keys_from_file(path: str) -> list[str]:
    """Area keys from a CSV: the column headed ``area_id``/``Schluessel``/… (the atlas's
    selection file), else the first column; lines starting with ``#`` are comments."""
    lines = [x for x in Path(path).read_text(encoding="utf-8-sig").splitlines() if x.strip() and x[0] != "#"]
    if not lines:
        return []
    dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t") if len(lines) > 1 else csv.excel
    rows = [r for r in csv.reader(lines, dialect) if r]
    head = [c.strip().lower() for c in rows[0]]
    col = next((i for i, c in enumerate(head) if c in HEADERS), None)
    if col is not None:
        rows = rows[1:]
    return [r[col or 0].strip() for r in rows if len(r) > (col or 0)]


@gruppe.command("anlegen")
@click.argument("name")
@click.option("--layer", required=True, help="Raumebene der Gebiete, z. B. plr.")
@click.option("--area", "areas", multiple=True, help="Gebietsschlüssel (mehrfach möglich).")
@click.option(
    "--datei",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV mit den Gebietsschlüsseln in der ersten Spalte (z. B. die Auswahl-CSV des Atlas).",
)
@click.option("--ersetzen", is_flag=True, help="Eine Gruppe gleichen Namens ersetzen.")
@click.pass_context
def gruppe_anlegen(
    ctx: click.Context, name: str, layer: str, areas: tuple[str, ...], datei: str | None, ersetzen: bool
) -> None:
    """Eine Gebietsgruppe aus Gebietsschlüsseln anlegen.

    \b
    Beispiele:
      planlabor gruppe anlegen "Nord-Neukölln" --layer plr --area 08100101 --area 08100102
      planlabor gruppe anlegen Fokusgebiete --layer plr --datei auswahl.csv
    """
    from planlabor.app.groups import save_group

    keys = list(areas) + (_keys_from_file(datei) if datei else [])
    if not keys:
        raise InputError("Geben Sie Gebiete mit --area ID oder --datei auswahl.csv an.", column="--area")
    g = save_group(ctx.obj.get("dir"), name, layer, keys, replace=ersetzen)
    click.echo(f"Gebietsgruppe {g['name']!r} gespeichert: {g['areas']} Gebiete ({g['layer']})")


@gruppe.command("loeschen")
@click.argument("name")
@click.pass_context
def gruppe_loeschen(ctx: click.Context, name: str) -> None:
    """Eine Gebietsgruppe löschen.

    \b
    Beispiel:
      planlabor gruppe loeschen Fokusgebiete
    """
    from planlabor.app.groups import delete_group

    g = delete_group(ctx.obj.get("dir"), name)
    click.echo(f"Gebietsgruppe {g['name']!r} gelöscht ({g['areas']} Gebiete).")


@gruppe.command("vergleich")
@click.argument("name")
@click.option("--period", help="Stand höchstens dieser Zeitraum (sonst der jüngste je Indikator).")
@click.option("--intern", "internal", is_flag=True, help="Interne Werte (ohne Sperrung).")
@click.option("--out", type=click.Path(dir_okay=False), help="Tabelle als CSV (Excel, Semikolon).")
@click.pass_context
def gruppe_vergleich(
    ctx: click.Context, name: str, period: str | None, internal: bool, out: str | None
) -> None:
    """Eine Gebietsgruppe mit der Stadt vergleichen: Mittelwert und Median je Indikator.

    \b
    Beispiel:
      planlabor gruppe vergleich "Nord-Neukölln" --out nord_neukoelln_vergleich.csv
    """
    from planlabor.app.groups import compare_group
    from planlabor.cli import _de

    r = compare_group(ctx.obj.get("dir"), name, period, internal)
    click.echo(f"Gebietsgruppe {r['name']!r} ({r['areas']} Gebiete, {r['layer']}) gegen alle Gebiete:")
    for row in r["rows"]:
        click.echo(
            f"  {row['name']} ({row['period']}): Gruppe {_de(row['group_mean'], 2)} "
            f"(Median {_de(row['group_median'], 2)}, n = {row['group_n']}), Stadt {_de(row['city_mean'], 2)} "
            f"(Median {_de(row['city_median'], 2)}, n = {row['city_n']})"
        )
    if out:
        import pandas as pd

        pd.DataFrame(r["rows"]).to_csv(out, sep=";", decimal=",", index=False, encoding="utf-8-sig")
        click.echo(f"Tabelle geschrieben: {out}")
