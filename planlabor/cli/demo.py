"""Der Demo-Arbeitsbereich: demo

Registered on the main command group of :mod:`planlabor.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from planlabor.cli import _de, cli
from planlabor.cli.atlas import _serve


# ---------------------------------------------------------------------- demo
@cli.command()
@click.option(
    "--out",
    default="demo-workspace",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Ordner für den Demo-Arbeitsbereich (wird neu angelegt).",
)
@click.option(
    "--region",
    type=click.Choice(["berlin", "deutschland"]),
    default="berlin",
    show_default=True,
    help="Berlin (Planungsräume) oder Deutschland (Länder, Kreise, Gemeinden aus VG5000).",
)
@click.option(
    "--no-serve",
    is_flag=True,
    help="Nur aufbauen, exportieren und den statischen Atlas bauen, nicht anzeigen.",
)
def demo(out: str, region: str, no_serve: bool) -> None:
    """Einen Demo-Arbeitsbereich aus mitgelieferten echten Daten bauen (Berlin oder Deutschland).

    \b
    Beispiele:
      planlabor demo --out berlin-demo --no-serve
      planlabor demo --region deutschland --out deutschland-demo --no-serve
    """
    from planlabor.demo import build_demo

    def progress(msg: str) -> None:
        click.echo(msg)

    if region == "deutschland":
        _demo_de(Path(out), no_serve, progress)
        return
    res = build_demo(Path(out), progress=progress)
    click.echo(f"Demo fertig in {res['root']}; Exporte in {res['exports']}")
    prog = res["projection"]
    fehl = prog["kita_fehlplaetze_u3_50"]
    click.echo(
        f"Prognose (Variante intern): {_de(prog['ew_2040'])} Einwohner:innen 2040; fehlende Kita-Plätze "
        f"bei U3-Quote 50 %: {_de(fehl['2026-12-31'])} (2026) → {_de(fehl['2030-12-31'])} (2030)"
    )
    eff = res["effect"]
    click.echo(
        f"Wirkungsanalyse der Beispielmaßnahme M01: {_de(eff['estimate'], 2)} Prozentpunkte "
        f"(95-%-KI {_de(eff['ci'][0], 2)} bis {_de(eff['ci'][1], 2)}); D-A-CH: "
        f"{res['dach']['layers'].get('nuts3', 0)} NUTS-3-Regionen; Berichte in {res['exports']}/berichte"
    )
    sup = res.get("suppressed") or {}
    click.echo(
        f"Geheimhaltung über alle Ebenen, Zeiträume und Indikatoren: {_de(sup.get('primär', 0))} Werte "
        f"primär, {_de(sup.get('sekundär', 0))} sekundär gesperrt (prüfen: planlabor geheimhaltung pruefen)"
    )
    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of
    from planlabor.workspace import Workspace

    with Workspace.open(Path(out), read_only=True) as ws:
        r = build_static(source_of(ws), Path(out) / "atlas")
    click.echo(
        f"Statischer Atlas: {Path(r.out).resolve() / 'index.html'} "
        f"({_de(r.zipped_bytes / 1e6, 2)} MB gepackt)"
    )
    _demo_galerie(Path(out), "berlin")
    if not no_serve:
        from planlabor.demo import missing_modules

        lacking = missing_modules("fastapi", "uvicorn")
        if lacking:
            click.echo(
                "Der Server startet nicht: dafür fehlt das Zusatzpaket „atlas“ ("
                + ", ".join(lacking)
                + "). Installieren Sie es mit: pip install 'planlabor[atlas]'. Den statischen Atlas "
                "können Sie ohne Server öffnen (index.html oben)."
            )
            return
        _serve(Path(out), None, "127.0.0.1", 8765)


def _demo_galerie(out: Path, region: str) -> None:
    from planlabor.exchange.seed import demo_gallery

    g = demo_gallery(out, region)
    click.echo(f"Galerie der Planungsansätze: {Path(g.out).resolve() / 'index.html'} ({g.dossiers} Dossiers)")


def _demo_de(out: Path, no_serve: bool, progress: Any) -> None:
    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of
    from planlabor.demo.deutschland import build_demo_de
    from planlabor.workspace import Workspace

    res = build_demo_de(out, progress=progress)
    for imp in res["imports"]:
        click.echo(
            f"  {imp['file']}: {imp['format']}, {imp['variables']} Variablen, {_de(imp['values'])} Werte, "
            f"{imp['areas']} Gebiete ({imp['layer']})"
        )
    click.echo(
        f"Demo fertig in {res['root']}: {_de(res['indicators'])} Indikatoren, {_de(res['values'])} Werte; "
        f"Kreisprofil {res['profile']}"
    )
    sup = res.get("suppressed") or {}
    click.echo(
        f"Geheimhaltung: {_de(sup.get('primär', 0))} Werte primär, {_de(sup.get('sekundär', 0))} sekundär "
        "gesperrt (prüfen: planlabor geheimhaltung pruefen)"
    )
    with Workspace.open(out, read_only=True) as ws:
        r = build_static(source_of(ws), out / "atlas")
    click.echo(
        f"Statischer Atlas: {Path(r.out).resolve() / 'index.html'} "
        f"({_de(r.zipped_bytes / 1e6, 2)} MB gepackt)"
    )
    _demo_galerie(out, "deutschland")
    if not no_serve:
        _serve(out, None, "127.0.0.1", 8765)
