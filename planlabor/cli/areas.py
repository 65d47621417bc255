"""Raumebenen und Einrichtungen: areas …, facilities import

Registered on the main command group of :mod:`planlabor.cli`.
"""

from __future__ import annotations

import click

from planlabor.cli import PlanlaborGroup, _date, _lists, _pairs, _record, _workspace, cli


# --------------------------------------------------------------------- areas
@cli.group(cls=PlanlaborGroup)
def areas() -> None:
    """Raumebenen importieren, verknüpfen und anzeigen."""


@areas.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--layer", required=True, help="ID der Raumebene, z. B. plr.")
@click.option("--id-column", required=True, help="Spalte mit dem Gebietsschlüssel.")
@click.option("--name-column", help="Spalte mit dem Gebietsnamen.")
@click.option("--layer-name", help="Anzeigename der Raumebene, z. B. 'Planungsräume'.")
@click.option("--parent-layer", help="Übergeordnete Raumebene.")
@click.option("--parent-column", help="Spalte mit dem Schlüssel des übergeordneten Gebiets.")
@click.option("--parent-prefix", type=int, help="Übergeordneter Schlüssel = die ersten N Zeichen (LOR, AGS).")
@click.option("--valid-from", help="Gültig ab (Datum).")
@click.option("--valid-to", help="Gültig bis (Datum).")
@click.option("--source-crs", help="Koordinatenreferenzsystem, falls die Datei keins nennt.")
@click.option("--id-width", type=int, help="Schlüssel links mit Nullen auffüllen.")
@click.option("--id-pattern", help="Schlüssel = erste Gruppe dieses regulären Ausdrucks.")
@click.option(
    "--set-key",
    multiple=True,
    help="Falsch veröffentlichten Schlüssel eines Datensatzes ersetzen: NR=SCHLÜSSEL.",
)
@click.option("--where", multiple=True, help="Nur Gebiete mit SPALTE=WERT[,WERT…] (Muster wie DE*).")
@click.option("--where-not", multiple=True, help="Gebiete mit SPALTE=WERT[,WERT…] auslassen.")
@click.pass_context
def areas_import(
    ctx: click.Context,
    file: str,
    layer: str,
    id_column: str,
    name_column: str | None,
    layer_name: str | None,
    parent_layer: str | None,
    parent_column: str | None,
    parent_prefix: int | None,
    valid_from: str | None,
    valid_to: str | None,
    source_crs: str | None,
    id_width: int | None,
    id_pattern: str | None,
    set_key: tuple[str, ...],
    where: tuple[str, ...],
    where_not: tuple[str, ...],
) -> None:
    """Eine Raumebene aus Shapefile, GeoPackage, GeoJSON oder Tabelle importieren.

    Geometrien werden in das Koordinatenreferenzsystem des Arbeitsbereichs
    umprojiziert, ungültige repariert und gemeldet.

    \b
    Beispiel:
      planlabor areas import lor_planungsraeume_2021.shp --layer plr --id-column PLR_ID \\
          --name-column PLR_NAME --parent-layer bzr --parent-prefix 6 --valid-from 2021-01-01
      planlabor areas import NUTS_RG_20M_2021_4326_LEVL_3.geojson --layer nuts3 --id-column NUTS_ID \
          --name-column NUTS_NAME --where CNTR_CODE=DE,AT,CH --parent-layer nuts2 --parent-prefix 4
    """
    from planlabor.areas import AreaImportOptions

    ws = _workspace(ctx)
    opts = AreaImportOptions(
        layer=layer,
        id_column=id_column,
        name_column=name_column,
        layer_name=layer_name,
        parent_layer=parent_layer,
        parent_column=parent_column,
        parent_prefix=parent_prefix,
        valid_from=_date(valid_from, "--valid-from"),
        valid_to=_date(valid_to, "--valid-to"),
        source_crs=source_crs,
        id_width=id_width,
        id_pattern=id_pattern,
        set_keys={_record(k): v for k, v in _pairs(set_key, "--set-key").items()},
        where=_lists(where, "--where"),
        where_not=_lists(where_not, "--where-not"),
    )
    r = ws.import_areas(file, opts)
    click.echo(f"Raumebene {r.layer!r}: {r.n_areas} Gebiete importiert (Import Nr. {r.import_id}).")
    if r.crs_from and r.crs_from != r.crs_to:
        click.echo(f"  umprojiziert von {r.crs_from} nach {r.crs_to}")
    for w in r.warnings:
        click.echo(f"  Hinweis: {w}")


@areas.command("link")
@click.option("--layer", required=True, help="Untergeordnete Raumebene.")
@click.option("--parent-layer", required=True, help="Übergeordnete Raumebene.")
@click.option("--table", type=click.Path(dir_okay=False), help="Hierarchietabelle, z. B. LOR_2021.csv.")
@click.option("--id-column", help="Spalte der Tabelle mit dem Schlüssel der Raumebene.")
@click.option("--parent-column", help="Spalte der Tabelle mit dem übergeordneten Schlüssel.")
@click.option("--spatial", is_flag=True, help="Durch räumliche Lage zuordnen (größte Überdeckung).")
@click.option(
    "--min-share",
    type=float,
    default=0.95,
    show_default=True,
    help="Unter diesem Überdeckungsanteil gilt die Zuordnung als mehrdeutig.",
)
@click.pass_context
def areas_link(
    ctx: click.Context,
    layer: str,
    parent_layer: str,
    table: str | None,
    id_column: str | None,
    parent_column: str | None,
    spatial: bool,
    min_share: float,
) -> None:
    """Eine Raumebene einer übergeordneten zuordnen (Tabelle oder räumlich).

    \b
    Beispiele:
      planlabor areas link --layer plr --parent-layer bzr --table LOR_2021.csv \\
          --id-column "Planungsraum (Nummer)" --parent-column "Bezirksregion (Nummer)"
      planlabor areas link --layer pgr --parent-layer bezirk --spatial
    """
    from planlabor.areas import link_by_containment, link_by_table

    ws = _workspace(ctx)
    if spatial == bool(table):
        raise click.UsageError("Geben Sie entweder --table oder --spatial an.")
    if table:
        if not id_column or not parent_column:
            raise click.UsageError("--table braucht --id-column und --parent-column.")
        res = link_by_table(ws.store, layer, parent_layer, table, id_column, parent_column)
    else:
        res = link_by_containment(ws.store, layer, parent_layer, min_share=min_share)
    click.echo(f"{res['linked']} Gebiete von {layer!r} zugeordnet zu {parent_layer!r}.")
    for amb in res.get("ambiguous", []):
        cands = ", ".join(f"{k} {v:.1%}".replace(".", ",") for k, v in amb["candidates"].items())
        click.echo(f"  mehrdeutig: {amb['area_id']} → {cands}")
    if res.get("without_parent"):
        click.echo(f"  ohne übergeordnetes Gebiet: {', '.join(res['without_parent'][:20])}")


@areas.command("dissolve")
@click.option("--layer", required=True, help="Raumebene, die zusammengefasst wird.")
@click.option("--into", "into", required=True, help="ID der neuen Raumebene.")
@click.option("--id", "area_id", help="Alles zu einem Gebiet mit diesem Schlüssel zusammenfassen.")
@click.option("--name", help="Name dieses Gebiets.")
@click.option(
    "--key-prefix", type=int, help="Gebiete mit gleichen ersten N Stellen des Schlüssels zusammenfassen."
)
@click.option("--layer-name", help="Anzeigename der neuen Raumebene.")
@click.pass_context
def areas_dissolve(
    ctx: click.Context,
    layer: str,
    into: str,
    area_id: str | None,
    name: str | None,
    key_prefix: int | None,
    layer_name: str | None,
) -> None:
    """Eine übergeordnete Raumebene durch Zusammenfassen bilden.

    Mit --key-prefix bilden die ersten Stellen der Schlüssel die neue Ebene (AGS/ARS: 2 Land,
    3 Regierungsbezirk, 5 Kreis, 9 Gemeindeverband; österreichische Gemeindekennziffer: 1
    Bundesland, 3 Bezirk); amtliche Namen der Länder, Regierungsbezirke und Bundesländer sind
    eingebaut. Ohne --key-prefix und --id wird nach den übergeordneten Gebieten zusammengefasst.

    \b
    Beispiele:
      planlabor areas dissolve --layer kreis --into land --key-prefix 2
      planlabor areas dissolve --layer bezirk --into stadt --id 11 --name Berlin
    """
    from planlabor.app.areas import dissolve

    if area_id and key_prefix:
        raise click.UsageError("Bitte entweder --id oder --key-prefix angeben, nicht beides.")
    res = dissolve(ctx.obj.get("dir"), layer, into, key_prefix, area_id, name, layer_name)
    click.echo(f"Raumebene {res['layer']!r} mit {res['areas']} Gebiet(en) gebildet.")
    if res.get("unnamed"):
        click.echo(
            f"  {res['unnamed']} Gebiet(e) ohne Namen; "
            "Namen kommen mit dem ersten Datenimport, der sie nennt."
        )


@areas.command("crosswalk")
@click.option("--from", "source", required=True, help="Altes Gebietssystem, z. B. plr2006.")
@click.option("--to", "target", required=True, help="Neues Gebietssystem, z. B. plr.")
@click.option(
    "--method",
    type=click.Choice(["area", "population"]),
    default="population",
    show_default=True,
    help="Aufteilung nach Fläche oder nach Einwohner:innen (dasymetrisch).",
)
@click.option("--weight-variable", help="Einwohnervariable des neuen Systems, z. B. inhabitants.")
@click.option("--weight-period", help="Stichtag dieser Variablen, z. B. 2021-06-30.")
@click.pass_context
def areas_crosswalk(
    ctx: click.Context,
    source: str,
    target: str,
    method: str,
    weight_variable: str | None,
    weight_period: str | None,
) -> None:
    """Die Zuordnung zwischen zwei Gebietssystemen aus ihren Grenzen bilden (einmal, wiederverwendbar).

    \b
    Beispiel:
      planlabor areas crosswalk --from plr2006 --to plr --method population \\
          --weight-variable inhabitants --weight-period 2021-06-30
    """
    from planlabor.areas.rebase import build_crosswalk
    from planlabor.io.periods import parse_period_option

    ws = _workspace(ctx)
    r = build_crosswalk(
        ws.store,
        source,
        target,
        method,  # type: ignore[arg-type]
        weight_variable,
        parse_period_option(weight_period) if weight_period else None,
    )
    click.echo(
        f"Zuordnung {source} → {target} ({method}): {r.pieces} Teilflächen; "
        f"nicht abgedeckt: {r.uncovered_share:.4%} der Fläche".replace(".", ",")
    )
    if r.sources_without_target:
        click.echo(f"  ohne Gegenstück: {', '.join(r.sources_without_target[:20])}")
    if r.fallback_to_area:
        click.echo(f"  ohne Einwohner:innen, nach Fläche aufgeteilt: {', '.join(r.fallback_to_area[:20])}")


@areas.command("list")
@click.pass_context
def areas_list(ctx: click.Context) -> None:
    """Die Raumebenen mit Anzahl, Hierarchie und Gültigkeit zeigen.

    \b
    Beispiel:
      planlabor areas list
    """
    from planlabor.areas.layers import layer_summary

    ws = _workspace(ctx, read_only=False)
    for r in layer_summary(ws.store):
        valid = f"{r['valid_from'] or '…'} bis {r['valid_to'] or '…'}"
        click.echo(
            f"{r['layer']:<12} {r['areas']:>6} Gebiete  übergeordnet: "
            f"{r['parent_layer'] or '-':<10} gültig {valid}  ({r['name']})"
        )


@areas.command("names")
@click.argument("layer")
@click.option("--singular", help="Name für ein Gebiet, z. B. Planungsraum.")
@click.option("--plural", help="Name für mehrere Gebiete (Name der Raumebene), z. B. Planungsräume.")
@click.pass_context
def areas_names(ctx: click.Context, layer: str, singular: str | None, plural: str | None) -> None:
    """Anzeigenamen einer Raumebene setzen: Einzahl und Mehrzahl.

    Profile, Atlas und Berichte schreiben „Planungsraum 01100313“ für ein Gebiet und
    „Planungsräume“ für die Ebene. Ohne Angabe wird die Einzahl aus der Mehrzahl abgeleitet.

    \b
    Beispiel:
      planlabor areas names plr --singular Planungsraum --plural Planungsräume
    """
    from planlabor.areas.names import layer_names, set_layer_names

    ws = _workspace(ctx, read_only=False)
    set_layer_names(ws.store, layer, singular, plural)
    one, many = layer_names(ws.store)[layer]
    click.echo(f"{layer}: Einzahl „{one}“, Mehrzahl „{many}“")


# ---------------------------------------------------------------- facilities
@cli.group(cls=PlanlaborGroup)
def facilities() -> None:
    """Einrichtungen (Kitas, Schulen, Pflege …) importieren und Gebieten zuordnen."""


@facilities.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--type", "facility_type", required=True, help="Art der Einrichtung, z. B. kita.")
@click.option("--layer", required=True, help="Raumebene für die Zuordnung, z. B. plr.")
@click.option("--period", required=True, help="Stichtag des Bestands, z. B. 2022-12-31.")
@click.option("--capacity-column", help="Spalte mit der Platzzahl, z. B. e_platz.")
@click.option("--id-column", help="Spalte mit dem Einrichtungsschlüssel.")
@click.option("--name-column", help="Spalte mit dem Namen.")
@click.option("--x-column", help="Tabelle: Spalte mit der x-Koordinate (Rechtswert, Länge).")
@click.option("--y-column", help="Tabelle: Spalte mit der y-Koordinate (Hochwert, Breite).")
@click.option("--source-crs", help="Koordinatenreferenzsystem der Tabelle, z. B. EPSG:25833.")
@click.option("--accessible-column", help="Spalte mit der Barrierefreiheit (ja / teilweise / nein).")
@click.pass_context
def facilities_import(
    ctx: click.Context,
    file: str,
    facility_type: str,
    layer: str,
    period: str,
    capacity_column: str | None,
    id_column: str | None,
    name_column: str | None,
    x_column: str | None,
    y_column: str | None,
    source_crs: str | None,
    accessible_column: str | None,
) -> None:
    """Einrichtungen oder Fälle mit Koordinaten importieren; Anzahl und Plätze je Gebiet speichern.

    Fälle (z. B. Hilfen zur Erziehung) aus einer Tabelle mit Koordinaten werden je Gebiet
    gezählt (TYP_anzahl); veröffentlichte Ausgaben sperren kleine Fallzahlen nach den
    Regeln der Geheimhaltung.

    \b
    Beispiel:
      planlabor facilities import kindertagesstaetten.geojson --type kita --layer plr \\
          --period 2022-12-31 --capacity-column e_platz --id-column e_nr --name-column e_name
      planlabor facilities import kitas.csv --type kita --layer plr --period 2024-12-31 \
          --x-column x --y-column y --source-crs EPSG:25833 --accessible-column barrierefrei
    """
    from planlabor.spatial.facilities import import_facilities

    ws = _workspace(ctx)
    r = import_facilities(
        ws.store,
        file,
        facility_type,
        layer,
        period,
        ws.config.workspace.crs,
        capacity_column=capacity_column,
        id_column=id_column,
        name_column=name_column,
        x_column=x_column,
        y_column=y_column,
        source_crs=source_crs,
        accessible_column=accessible_column,
    )
    click.echo(
        f"{r.n_facilities} Einrichtungen ({facility_type}) importiert, {r.n_assigned} "
        f"Gebieten von {layer!r} zugeordnet (Import Nr. {r.import_id})."
    )
    for w in r.warnings:
        click.echo(f"  Hinweis: {w}")
