"""``planlabor geheimhaltung …``: the audit of everything published (registered on the main
command group of :mod:`planlabor.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from planlabor.cli import PlanlaborGroup, _de, _echo_json, _workspace, cli


@cli.group(cls=PlanlaborGroup)
def geheimhaltung() -> None:
    """Geheimhaltung: prüfen, ob sich gesperrte Werte aus Veröffentlichtem errechnen lassen."""


def _interval(lo: float, hi: float) -> str:
    def f(x: float) -> str:
        return "∞" if x == float("inf") else _de(x, 3)

    return f"{f(lo)} bis {f(hi)}"


@geheimhaltung.command("pruefen")
@click.option(
    "--ausgabe",
    "outputs",
    multiple=True,
    type=click.Path(exists=True),
    help="Veröffentlichte Datei oder Ordner (mehrfach), z. B. der statische Atlas oder Exporte.",
)
@click.option("--liste", type=click.Path(dir_okay=False), help="Alle geprüften Zellen als CSV.")
@click.option("--json", "as_json", is_flag=True, help="Ergebnis als JSON.")
@click.pass_context
def pruefen(ctx: click.Context, outputs: tuple[str, ...], liste: str | None, as_json: bool) -> None:
    """Alles Veröffentlichte angreifen: Spielraum jedes gesperrten Werts per linearer Optimierung.

    Angenommen wird, dass jemand alle öffentlichen Werte aller Raumebenen, Zeiträume und
    Indikatoren kennt (mit Zählern und Nennern), dass sich die Gebiete aufsummieren und die
    Beziehungen zwischen den Variablen gelten. Für jede gesperrte Fallzahl wird der kleinste
    und größte damit vereinbare Wert berechnet. Ist der Spielraum einer Fallzahl unter der
    Mindestfallzahl enger als das Schutzintervall, endet der Befehl mit Code 1 und nennt die
    Zelle. Mit --ausgabe werden zusätzlich veröffentlichte Dateien Zelle für Zelle geprüft.

    \b
    Beispiele:
      planlabor geheimhaltung pruefen
      planlabor geheimhaltung pruefen --ausgabe atlas --ausgabe exporte/bzr_oeffentlich.xlsx
    """
    from planlabor.confidentiality.audit import audit

    ws = _workspace(ctx, read_only=True)  # an audit changes nothing; the server may read meanwhile
    rep = audit(ws.store, ws.catalog(), ws.rules(), [Path(p) for p in outputs] or None)
    f = rep.findings
    if liste:
        Path(liste).parent.mkdir(parents=True, exist_ok=True)
        f.to_csv(liste, index=False, float_format="%.15g")
    if as_json:
        _echo_json(_summary(rep))
    else:
        _print(rep, ws.rules())
    if not rep.ok:
        ctx.exit(1)


def _summary(rep: Any) -> dict[str, Any]:
    f = rep.findings
    return {
        "ok": rep.ok,
        "checked": len(f),
        "sensitive": int(f["sensitive"].sum()),
        "failures": rep.failures.to_dict("records"),
        "leaks": rep.leaks,
        "relations": rep.relations,
        "sources": rep.sources,
        "seconds": round(rep.seconds, 2),
    }


def _print(rep: Any, rules: Any) -> None:
    f = rep.findings
    n_sens = int(f["sensitive"].sum())
    click.echo(
        f"Geprüft: {len(f)} nicht veröffentlichte Fallzahlen, davon {n_sens} unter der "
        f"Mindestfallzahl; Schutzintervall ±{_de(rules.protection_percent, 0)} %, mindestens "
        f"{_de(rules.width(), 0)} ({_de(rep.seconds, 1)} s)."
    )
    for s in rep.sources:
        click.echo(f"  Quelle: {s}")
    for r in rep.relations:
        click.echo(f"  Beziehung: {r}")
    for _, r in rep.failures.iterrows():
        how = (
            "wird veröffentlicht"
            if r["published"]
            else f"eingrenzbar auf {_interval(r['lower'], r['upper'])}, "
            f"nötig {_interval(r['need_lower'], r['need_upper'])}"
        )
        click.echo(
            f"AUFGEDECKT: Ebene {r['layer_id']}, Gebiet {r['area_id']}, {r['period']}, "
            f"{r['term']} = {_de(r['value'], 3)}: {how}"
        )
    for msg in rep.leaks:
        click.echo(f"AUFGEDECKT: {msg}")
    if rep.ok:
        click.echo("Ergebnis: kein gesperrter Wert lässt sich aus dem Veröffentlichten errechnen.")
    else:
        click.echo(
            f"Ergebnis: {len(rep.failures) + len(rep.leaks)} Zelle(n) aufgedeckt. "
            "Lösung: 'planlabor compute' neu rechnen (die Sperrung wird dabei neu bestimmt) "
            "und die Ausgaben neu erzeugen."
        )
