"""Commands of the street network: import, description, isochrones, export, planned-facility
scenario (registered on the main command group of :mod:`planlabor.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from planlabor.cli import PlanlaborGroup, _de, _echo_json, _workspace, cli
from planlabor.errors import InputError

PROFILE_HELP = "Verkehrsmittel: fuss, rad, auto oder rollstuhl."


@cli.group(cls=PlanlaborGroup)
def network() -> None:
    """Straßen- und Wegenetz aus OpenStreetMap: Erreichbarkeit zu Fuß, mit Rad, Auto, Rollstuhl."""


@network.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def network_import(ctx: click.Context, file: str) -> None:
    """Das Wegenetz aus einem OSM-Auszug einlesen (.osm.pbf, .osm, .osm.gz); ersetzt das bisherige.

    Für jedes Verkehrsmittel gelten die OSM-Zugangsregeln; für den Rollstuhl fallen Treppen,
    grobe Beläge, Steigungen über 6 %, hohe Bordsteine und enge Sperren weg.

    \b
    Beispiel:
      planlabor network import heidelberg.osm.pbf
    """
    from planlabor.network import import_network

    ws = _workspace(ctx)
    r = import_network(ws.store, file, ws.config.workspace.crs)
    click.echo(
        f"Wegenetz importiert (Import {r.import_id}): {_de(r.ways)} Wege, {_de(r.nodes)} Knoten, "
        f"{_de(r.edges)} Kanten in {_de(r.seconds, 1)} s"
    )
    from planlabor.network.profiles import PROFILES

    for pid, km in r.km.items():
        blocked = r.blocked.get(pid, 0)
        extra = f", {_de(blocked)} Sperren (Knoten)" if blocked else ""
        click.echo(f"  {PROFILES[pid].name}: {_de(km, 1)} km{extra}")
    if r.isochrones_removed:
        click.echo(f"  {_de(r.isochrones_removed)} gespeicherte Isochronen des alten Netzes gelöscht.")
    for w in r.warnings:
        click.echo(f"  Hinweis: {w}")


@network.command("info")
@click.option("--json", "as_json", is_flag=True, help="Als JSON.")
@click.pass_context
def network_info_(ctx: click.Context, as_json: bool) -> None:
    """Das importierte Wegenetz beschreiben.

    \b
    Beispiel:
      planlabor network info
    """
    from planlabor.network import network_info

    ws = _workspace(ctx, read_only=True)
    info = network_info(ws.store)
    if as_json:
        _echo_json(info)
        return
    if info is None:
        click.echo("Noch kein Wegenetz importiert ('planlabor network import stadt.osm.pbf').")
        return
    click.echo(
        f"Wegenetz aus {info['file']} (Import {info['import_id']}, {info['imported_at']}): "
        f"{_de(info['ways'])} Wege, {_de(info['nodes'])} Knoten, {_de(info['edges'])} Kanten, {info['crs']}"
    )
    for p in info["profiles"]:
        speed = f"{_de(p['kmh'], 1)} km/h" if p["kmh"] else "Höchstgeschwindigkeit je Straße"
        click.echo(f"  {p['name']} ({p['id']}): {_de(p['km'], 1)} km, {speed}")


@network.command("isochrones")
@click.option("--type", "facility_type", required=True, help="Art der Einrichtung, z. B. kita.")
@click.option("--profile", "profile_id", default="fuss", show_default=True, help=PROFILE_HELP)
@click.option(
    "--minutes", "minutes", type=float, multiple=True, required=True, help="Reisezeit (mehrfach), z. B. 10."
)
@click.option("--kmh", type=float, help="Eigene Geschwindigkeit (fuss, rad, rollstuhl), z. B. 4.")
@click.option("--out", type=click.Path(dir_okay=False), help="Auch als Datei schreiben (.geojson, .gpkg).")
@click.option("--stored", is_flag=True, help="Nicht neu berechnen, die gespeicherten ausgeben.")
@click.pass_context
def network_isochrones(
    ctx: click.Context,
    facility_type: str,
    profile_id: str,
    minutes: tuple[float, ...],
    kmh: float | None,
    out: str | None,
    stored: bool,
) -> None:
    """Isochronen: von wo aus jede Einrichtung in der Reisezeit erreichbar ist (gespeichert).

    \b
    Beispiel:
      planlabor network isochrones --type kita --profile fuss --minutes 5 --minutes 10 \\
          --out kita_isochronen.geojson
    """
    from planlabor.network import compute_isochrones, profile, stored_isochrones, write_isochrones

    ws = _workspace(ctx, read_only=stored)
    if stored:
        prof = profile(profile_id).id
        parts = [
            stored_isochrones(ws.store, facility_type, prof, m, ws.config.workspace.crs) for m in minutes
        ]
        import pandas as pd

        frame = pd.concat(parts, ignore_index=True).set_crs(ws.config.workspace.crs, allow_override=True)
        if frame.empty:
            raise InputError(
                f"Für {facility_type!r} ({prof}) sind keine Isochronen gespeichert.",
                hint="Berechnen Sie sie ohne --stored.",
            )
    else:
        r = compute_isochrones(ws.store, facility_type, profile_id, list(minutes), kmh)
        frame = r.frame
        for m in r.minutes:
            sel = frame[frame["minutes"] == m]
            click.echo(
                f"{len(sel)} Isochronen {m:g} Minuten {r.profile.name} ({facility_type}): "
                f"Median {_de(sel['area_m2'].median() / 1e6, 2)} km²"
            )
        if r.far:
            click.echo(
                f"  Hinweis: {len(r.far)} Einrichtung(en) über 300 m vom Wegenetz: {', '.join(r.far[:10])}"
            )
    if out:
        path = write_isochrones(frame, out)
        click.echo(f"Geschrieben: {path}")


@network.command("export")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--profile", "profile_id", help="Nur die Wege dieses Verkehrsmittels.")
@click.pass_context
def network_export(ctx: click.Context, out: str, profile_id: str | None) -> None:
    """Das Wegenetz als Linien ausgeben (.gpkg, .geojson), z. B. zur Prüfung in QGIS.

    \b
    Beispiel:
      planlabor network export wegenetz.gpkg --profile rollstuhl
    """
    from planlabor.network.storage import export_network

    ws = _workspace(ctx, read_only=True)
    n = export_network(ws.store, out, profile_id)
    click.echo(f"Geschrieben: {out} ({_de(n)} Kanten)")


def _point(text: str, option: str) -> tuple[float, float]:
    """``8.69,49.41`` or ``8,69;49,41`` or ``8,69 49,41`` as (x, y)."""
    t = text.strip()
    if ";" in t:
        parts = [p.replace(",", ".") for p in t.split(";")]
    elif t.count(",") == 1:
        parts = t.split(",")
    else:
        parts = [p.replace(",", ".") for p in t.split()]
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        raise InputError(
            f"{option} {text!r} ist kein Punkt.",
            column=option,
            expected="Länge,Breite wie 8.6934,49.4093 (oder 8,6934;49,4093)",
        ) from None
    return x, y


@network.command("scenario")
@click.option("--type", "facility_type", required=True, help="Art der Einrichtung, z. B. kita.")
@click.option("--layer", required=True, help="Raumebene der Nachfrage, z. B. plr.")
@click.option("--demand", required=True, help="Nachfragevariable, z. B. inhabitants_age_below_6.")
@click.option("--period", required=True, help="Stichtag der Nachfrage.")
@click.option(
    "--at", "points", multiple=True, required=True, help="Lage der geplanten Einrichtung (mehrfach)."
)
@click.option("--capacity", "capacities", type=float, multiple=True, required=True, help="Plätze (je --at).")
@click.option("--name", "names", multiple=True, help="Name (je --at).")
@click.option("--crs", default="EPSG:4326", show_default=True, help="Koordinatensystem von --at.")
@click.option(
    "--network", "network_profile", help="Auf dem Straßennetz: " + PROFILE_HELP + " Sonst Luftlinie."
)
@click.option("--unit", type=click.Choice(["m", "min"]), default="m", show_default=True)
@click.option("--distance", type=float, default=1000, show_default=True, help="Einzugsbereich (m bzw. min).")
@click.option("--within", type=float, help="Anteil in Reichweite bis zu diesem Wert (m bzw. min).")
@click.option("--decay", type=click.Choice(["gaussian", "none"]), default="gaussian", show_default=True)
@click.option("--barrierefrei", "accessible", type=click.Choice(["ja", "teilweise"]))
@click.option("--out", type=click.Path(dir_okay=False), help="Ergebnis als .geojson (Karte) oder .csv.")
@click.pass_context
def network_scenario(ctx: click.Context, **kw: Any) -> None:
    """Szenario: wie ändert eine geplante Einrichtung die Versorgung je Gebiet? (nichts gespeichert)

    \b
    Beispiel:
      planlabor network scenario --type kita --layer plr --demand inhabitants_age_below_6 \\
          --period 2022-12-31 --at 8.6934,49.4093 --capacity 60 --network fuss --unit min \\
          --distance 10 --out szenario.geojson
    """
    from planlabor.io.periods import parse_period_option
    from planlabor.network import PlannedFacility, network_backend, scenario

    ws = _workspace(ctx, read_only=True)
    if len(kw["capacities"]) != len(kw["points"]):
        raise InputError("Geben Sie je --at genau eine --capacity an.", column="--capacity")
    planned = _planned(kw["points"], kw["capacities"], kw["names"], kw["crs"], ws.config.workspace.crs)
    backend = None
    if kw["network_profile"]:
        backend = network_backend(ws.store, kw["network_profile"], kw["unit"])
    elif kw["unit"] != "m":
        raise InputError(
            "Minuten gibt es nur auf dem Straßennetz.", column="--unit", hint="Geben Sie --network an."
        )
    r = scenario(
        ws.store, kw["layer"], kw["facility_type"], kw["demand"], parse_period_option(kw["period"]),
        [PlannedFacility(x, y, c, n) for x, y, c, n in planned], kw["distance"], kw["within"], kw["decay"],
        backend, kw["accessible"],
    )  # fmt: skip
    _print_scenario(r)
    if kw["out"]:
        _write_scenario(ws, r, Path(kw["out"]))


def _planned(
    points: tuple[str, ...], capacities: tuple[float, ...], names: tuple[str, ...], crs: str, target: str
) -> list[tuple[float, float, float, str]]:
    from pyproj import Transformer

    xy = [_point(p, "--at") for p in points]
    tr = Transformer.from_crs(crs, target, always_xy=True)
    out = []
    for i, ((x, y), cap) in enumerate(zip(xy, capacities, strict=True)):
        tx, ty = tr.transform(x, y)
        out.append((float(tx), float(ty), float(cap), names[i] if i < len(names) else f"geplant {i + 1}"))
    return out


def _print_scenario(r: Any) -> None:
    u = "Minuten" if r.unit == "min" else "m"
    from planlabor.network.profiles import PROFILES

    how = f"Straßennetz, {PROFILES[r.network].name}" if r.network else "Luftlinie"
    click.echo(
        f"Szenario {r.facility_type}, {len(r.planned)} geplante Einrichtung(en), Einzugsbereich "
        f"{_de(r.distance, 1)} {u} ({how}):"
    )
    click.echo(
        f"  Plätze je 100 ({r.demand_variable}) insgesamt: {_de(r.city_before, 1)} → {_de(r.city_after, 1)}"
    )
    if r.share_before is not None:
        click.echo(
            f"  Anteil der Nachfrage bis {_de(r.within, 1)} {u}: "
            f"{_de(r.share_before * 100, 1)} % → {_de(r.share_after * 100, 1)} %"
        )
    changed = r.changed.sort_values("sfca_change", ascending=False)
    click.echo(f"  {len(changed)} Gebiet(e) mit veränderter Versorgung (2SFCA, Plätze je 100):")
    for rec in changed.head(15).itertuples():
        click.echo(
            f"    {rec.area_id} {rec.name}: {_de(rec.sfca_before, 1)} → {_de(rec.sfca_after, 1)} "
            f"({'+' if rec.sfca_change >= 0 else ''}{_de(rec.sfca_change, 1)})"
        )
    if len(changed) > 15:
        click.echo(f"    … und {len(changed) - 15} weitere")
    for note in r.notes:
        click.echo(f"  Hinweis: {note}")


def _write_scenario(ws: Any, r: Any, path: Path) -> None:
    import json

    from planlabor.network import scenario_geojson

    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".geojson", ".json"):
        data = scenario_geojson(ws.store, r, ws.config.workspace.crs)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    elif suffix == ".csv":
        r.table.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig", float_format="%.4f")
    else:
        raise InputError(
            f"Das Dateiformat {suffix or '(ohne Endung)'} wird nicht unterstützt.",
            file=path,
            expected=".geojson oder .csv",
        )
    click.echo(f"Geschrieben: {path}")
