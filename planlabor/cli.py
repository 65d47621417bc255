"""Command line: parse options, call one library function, print.

Exit codes: 0 success, 1 bad input (message names file, row, column and what
was expected), 2 usage error.
"""

from __future__ import annotations

import json
import logging
import tempfile
import traceback
from datetime import date
from pathlib import Path
from typing import Any

import click

from planlabor.errors import InputError, PlanlaborError

log = logging.getLogger("planlabor")


class _UserError(click.ClickException):
    exit_code = 1

    def __init__(self, err: PlanlaborError) -> None:
        super().__init__(err.message)
        self.err = err

    def show(self, file: Any = None) -> None:
        click.echo(self.err.render(), err=True)


class _InternalError(click.ClickException):
    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"Interner Fehler: {self.message}", err=True)


class PlanlaborGroup(click.Group):
    """Turns library errors into friendly messages and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PlanlaborError as exc:
            log.debug("Fehler", exc_info=exc)
            raise _UserError(exc) from exc
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # output piped into e.g. `head` that stopped reading: end quietly
            import os
            import sys

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception as exc:
            path = _crash_log(ctx, traceback.format_exc())
            raise _InternalError(
                f"{type(exc).__name__}: {exc}. Das ist ein Programmfehler; Details in {path}. "
                "Bitte melden Sie ihn mit dieser Datei."
            ) from exc


def _crash_log(ctx: click.Context, text: str) -> Path:
    """Write the details of a crash to a new owner-only file: in the workspace's ``fehler/``
    folder, or (no workspace) a uniquely named file in the user's temporary folder."""
    import os
    from datetime import datetime

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        from planlabor.workspace import find_workspace

        root = ctx.find_root()
        folder = find_workspace(Path((root.obj or {}).get("dir") or ".")) / "fehler"
        folder.mkdir(mode=0o700, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"fehler-{stamp}-", suffix=".log", dir=folder)  # unique, 0600
        path = Path(name)
    except (PlanlaborError, OSError):
        fd, name = tempfile.mkstemp(prefix=f"planlabor-fehler-{stamp}-", suffix=".log")
        path = Path(name)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def _workspace(ctx: click.Context, read_only: bool = False) -> Any:
    from planlabor.workspace import Workspace

    ws = Workspace.open(ctx.obj.get("dir"), read_only=read_only)
    ctx.call_on_close(ws.close)
    return ws


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise InputError(
                f"{option} {v!r} hat nicht die Form A=B.",
                column=option,
                expected="A=B, z. B. 06200318=06200418",
            )
        a, b = v.split("=", 1)
        out[a] = b
    return out


def _lists(values: tuple[str, ...], option: str) -> dict[str, list[str]]:
    """``COL=a,b`` options as {COL: [a, b]}."""
    return {k: [p.strip() for p in v.split(",") if p.strip()] for k, v in _pairs(values, option).items()}


def _record(text: str) -> int:
    if not text.strip().isdigit():
        raise InputError(
            f"--set-key {text!r}: vor dem = steht die Nummer des Datensatzes.",
            column="--set-key",
            expected="NR=SCHLÜSSEL, z. B. 124=04030417",
        )
    return int(text)


def _date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    from planlabor.io.periods import parse_period, period_end

    try:
        return period_end(parse_period(value))
    except ValueError as exc:
        raise InputError(
            f"{option} {value!r} ist kein Datum.",
            column=option,
            expected="ein Datum wie 2021-01-01 oder 01.01.2021",
        ) from exc


def _echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@click.group(cls=PlanlaborGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--workspace",
    "workspace_dir",
    type=click.Path(file_okay=False),
    help="Ordner des Arbeitsbereichs (sonst der aktuelle Ordner oder darüber).",
)
@click.option("-v", "--verbose", is_flag=True, help="Technische Details ausgeben.")
@click.version_option(package_name="planlabor")
@click.pass_context
def cli(ctx: click.Context, workspace_dir: str | None, verbose: bool) -> None:
    """planlabor: Sozialmonitoring, Raumanalyse, Planung, Atlas und Berichte.

    \b
    Beispiel:
      planlabor init berlin --name "Berlin"
      cd berlin && planlabor areas import plr.shp --layer plr --id-column PLR_ID
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
    ctx.ensure_object(dict)
    ctx.obj["dir"] = workspace_dir


# ---------------------------------------------------------------------- init
@cli.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--name", help="Name des Arbeitsbereichs (sonst der Ordnername).")
@click.option("--municipality", default="", help="Kommune, z. B. 'Berlin'.")
@click.option(
    "--crs", default="EPSG:25833", show_default=True, help="Koordinatenreferenzsystem des Arbeitsbereichs."
)
@click.option(
    "--catalog-template",
    type=click.Choice(["leer", "berlin"]),
    default="leer",
    show_default=True,
    help="Startkatalog der Indikatoren.",
)
def init(directory: str, name: str | None, municipality: str, crs: str, catalog_template: str) -> None:
    """Einen Arbeitsbereich anlegen.

    \b
    Beispiel:
      planlabor init sozialmonitoring --name "Sozialmonitoring Musterstadt"
    """
    from planlabor.catalog.model import template_text
    from planlabor.workspace import Workspace

    text = template_text("berlin") if catalog_template == "berlin" else None
    ws = Workspace.init(directory, name=name, municipality=municipality, crs=crs, catalog_text=text)
    click.echo(f"Arbeitsbereich {ws.config.workspace.name!r} angelegt in {ws.root}")
    ws.close()


@cli.command()
@click.pass_context
def validate(ctx: click.Context) -> None:
    """planlabor.toml und den Indikatorkatalog prüfen.

    \b
    Beispiel:
      planlabor validate
    """
    ws = _workspace(ctx)
    warnings = ws.validate()
    click.echo(f"planlabor.toml gültig; Katalog mit {len(ws.catalog().indicators)} Indikatoren gültig.")
    for w in warnings:
        click.echo(f"Hinweis: {w}")


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
    ws = _workspace(ctx)
    opts = _import_options(kw, ws.config.imports.on_unmatched)
    report = ws.import_table(file, opts, dry_run=kw["dry_run"])
    if kw["as_json"]:
        _echo_json(report.as_dict())
        return
    _print_import(report)


def _import_options(kw: dict[str, Any], default_unmatched: str) -> Any:
    from planlabor.io.importer import ImportOptions
    from planlabor.io.table import ReadOptions

    return ImportOptions(
        layer=kw["layer"],
        format=kw["fmt"],
        id_column=kw["id_column"],
        period=kw["period"],
        period_column=kw["period_column"],
        stichtag=kw["stichtag"],
        variable_column=kw["variable_column"],
        value_column=kw["value_column"],
        columns=list(kw["columns"]) or None,
        exclude_columns=list(kw["exclude_column"]),
        read=ReadOptions(
            encoding=kw["encoding"],
            delimiter=kw["delimiter"],
            decimal=kw["decimal"],
            thousands=kw["thousands"],
            sheet=kw["sheet"],
            skip_rows=kw["skip_rows"],
            select=_lists(kw["select"], "--select"),
            variable_prefix=kw["variable_prefix"],
        ),
        missing_values=_pairs(tuple(kw["missing"]), "--missing") or None,
        on_unmatched=kw["on_unmatched"] or default_unmatched,  # type: ignore[arg-type]
        map_keys=_pairs(kw["map_key"], "--map-key"),
        changes=kw["changes"],
        other_levels=not kw["no_other_levels"],
        id_width=kw["id_width"],
        rename=_pairs(kw["rename"], "--rename"),
        variable_prefix=kw["variable_prefix"],
    )


def _print_import(r: Any) -> None:
    from planlabor.io.import_text import report_lines

    for line in r.lines() if hasattr(r, "lines") else report_lines(r):
        click.echo(line)


@cli.command("log")
@click.pass_context
def log_(ctx: click.Context) -> None:
    """Das Importprotokoll zeigen (Datei, Prüfsumme, Zeit, Optionen).

    \b
    Beispiel:
      planlabor log
    """
    ws = _workspace(ctx)
    df = ws.imports()

    def text(v: Any) -> str:
        return "" if v is None or (isinstance(v, float) and v != v) else str(v)

    for r in df.to_dict("records"):
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
    ws = _workspace(ctx)
    n = ws.revert(import_id)
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
    ws = _workspace(ctx)
    df = ws.quarantine(import_id)
    if df.empty:
        click.echo("Keine zurückgestellten Zeilen.")
        return
    summary = (
        df.groupby(["import_id", "area_id", "reason"])
        .agg(zeile=("source_row", "min"), werte=("variable", "count"))
        .reset_index()
    )
    for r in summary.to_dict("records"):
        click.echo(
            f"Import {r['import_id']}: Schlüssel {r['area_id']} (Zeile {r['zeile']}, "
            f"{r['werte']} Werte): {r['reason']}"
        )


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
    from planlabor.areas import dissolve_layer

    if area_id and key_prefix:
        raise click.UsageError("Bitte entweder --id oder --key-prefix angeben, nicht beides.")
    ws = _workspace(ctx)
    res = dissolve_layer(
        ws.store, layer, into, area_id=area_id, name=name, layer_name=layer_name, key_prefix=key_prefix
    )
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


# ------------------------------------------------------------------- compute
@cli.command()
@click.pass_context
def compute(ctx: click.Context) -> None:
    """Alle Indikatoren des Katalogs für alle Raumebenen und Zeiträume berechnen.

    \b
    Beispiel:
      planlabor compute
    """
    ws = _workspace(ctx)
    if not ws.catalog().all_indicators():
        click.echo(
            "Der Katalog hat noch keine Indikatoren – es gibt nichts zu berechnen.\n"
            "  Vorschläge aus den importierten Variablen: planlabor catalog suggest --apply\n"
            "  Ein fertiges Indikatorenset: planlabor template import familienarmut "
            "(Liste: planlabor template list)"
        )
        return
    r = ws.compute()
    click.echo(f"{r.indicators} Indikatoren berechnet, {r.values_written:,} Werte".replace(",", "."))
    for layer, n in r.by_layer.items():
        click.echo(f"  {layer}: {n:,} Werte".replace(",", "."))
    for ind, miss in r.missing_variables.items():
        click.echo(f"  Hinweis: {ind} fehlt {', '.join(miss)}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Als JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Überblick: Raumebenen, Variablen, Zeiträume und Indikatoren.

    \b
    Beispiel:
      planlabor status
    """
    ws = _workspace(ctx)
    st = ws.status()
    if as_json:
        _echo_json(st)
        return
    click.echo(f"Arbeitsbereich {st['workspace']} ({st['root']}); Katalog: {st['catalog']} Indikatoren")
    for r in st["layers"]:
        click.echo(f"  Raumebene {r['layer']}: {r['areas']} Gebiete")
    for r in st["observations"]:
        click.echo(
            f"  Werte auf {r['layer']}: {r['variables']} Variablen, {len(r['periods'])} Zeiträume "
            f"({r['periods'][0]} … {r['periods'][-1]})"
        )


# -------------------------------------------------------------------- export
@cli.command("export")
@click.option("--layer", required=True, help="Raumebene.")
@click.option("--indicator", "indicators", multiple=True, help="Indikator-ID (mehrfach möglich).")
@click.option(
    "--variable", "variables", multiple=True, help="Importierte Variable statt Indikatoren (intern)."
)
@click.option("--all-variables", is_flag=True, help="Alle importierten Variablen der Raumebene (intern).")
@click.option("--period", "periods", multiple=True, help="Zeitraum (mehrfach möglich).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "geojson", "gpkg"]), required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Zieldatei.")
@click.option("--public", is_flag=True, help="Nur öffentliche Indikatoren, mit Geheimhaltung.")
@click.option(
    "--csv-style",
    type=click.Choice(["machine", "excel-de"]),
    default="machine",
    show_default=True,
    help="CSV für Programme oder für deutsches Excel (; und ,).",
)
@click.option(
    "--shape",
    type=click.Choice(["wide", "long"]),
    default="wide",
    show_default=True,
    help="Eine Spalte je Indikator (wide) oder eine Zeile je Wert (long).",
)
@click.pass_context
def export_(
    ctx: click.Context,
    layer: str,
    indicators: tuple[str, ...],
    variables: tuple[str, ...],
    all_variables: bool,
    periods: tuple[str, ...],
    fmt: str,
    out: str,
    public: bool,
    csv_style: str,
    shape: str,
) -> None:
    """Indikatorwerte exportieren (CSV, XLSX mit Metadaten, GeoJSON, GeoPackage).

    Mit --variable oder --all-variables werden die importierten Variablen (intern) exportiert.

    \b
    Beispiele:
      planlabor export --layer bzr --format xlsx --out bzr.xlsx --public
      planlabor export --layer kreis --all-variables --format xlsx --out kreise.xlsx
      planlabor export --layer plr --indicator anteil_auslaender --period 2024-12-31 \\
          --format csv --csv-style excel-de --out plr.csv
    """
    from planlabor.io.export import ExportOptions
    from planlabor.io.periods import parse_period_option

    ws = _workspace(ctx)
    opts = ExportOptions(
        layer=layer,
        out=Path(out),
        format=fmt,  # type: ignore[arg-type]
        indicators=list(indicators) or None,
        periods=[parse_period_option(p) for p in periods] or None,
        public=public,
        csv_style=csv_style,  # type: ignore[arg-type]
        shape=shape,  # type: ignore[arg-type]
        variables=list(variables) if variables else ([] if all_variables else None),
    )
    r = ws.export(opts)
    what = "Variablen" if opts.variables is not None else "Indikatoren"
    click.echo(
        f"{r.rows} Zeilen nach {r.out} geschrieben ({len(r.indicators)} {what}, {len(r.periods)} Zeiträume)."
    )
    if public:
        click.echo(
            f"  Geheimhaltung: {r.suppressed_primary} primär, {r.suppressed_secondary} "
            "sekundär gesperrte Werte"
        )


# --------------------------------------------------------------------- index
@cli.command("index")
@click.argument("preset_or_spec")
@click.argument("input_file", required=False, type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Ergebnisdatei (.csv oder .xlsx).")
@click.option("--explain", is_flag=True, help="Die Methode in einfachem Deutsch erklären.")
def index_(preset_or_spec: str, input_file: str | None, out: str | None, explain: bool) -> None:
    """Einen Index (Vorlage oder eigene Definition) auf eine Tabelle anwenden.

    Vorlagen: mss2021 (Berliner Monitoring Soziale Stadtentwicklung 2021), gisd
    (Deprivationsindex nach Art des RKI-GISD), svi (Perzentilrang-Index nach Art des
    CDC-SVI), headline (Min-Max-Leitindikator). Die MSS-Vorlage liest das FIS-Broker-Format
    s_IndexInd_MSS2021_homogen und schreibt s_Indizes_MSS2021_homogen.

    \b
    Beispiele:
      planlabor index mss2021 --explain
      planlabor index mss2021 s_IndexInd_MSS2021_homogen.csv --out s_Indizes_MSS2021_homogen.csv
      planlabor index mein_index.toml kennzahlen.xlsx --out index.xlsx
    """
    from planlabor.indices.explain import explain as explain_text
    from planlabor.indices.run import index_file
    from planlabor.indices.spec import load_spec

    if explain:
        click.echo(explain_text(load_spec(preset_or_spec)))
        if not input_file:
            return
    if not input_file or not out:
        raise click.UsageError("INPUT und --out sind nötig (oder nur --explain).")
    r = index_file(preset_or_spec, input_file, out)
    click.echo(
        f"Index {r.spec}: {r.rows} Zeilen, {r.excluded} ausgeschlossen; {r.layout} geschrieben nach {r.out}"
    )
    for label, n in sorted(r.class_counts.items()):
        click.echo(f"  {label}: {n}")


# ------------------------------------------------------------------- rebase
@cli.command("rebase")
@click.option("--from", "source", required=True, help="Altes Gebietssystem.")
@click.option("--to", "target", required=True, help="Neues Gebietssystem.")
@click.option("--variable", "variables", multiple=True, help="Variable (mehrfach; sonst alle).")
@click.option(
    "--intensive", multiple=True, help="Variablen, die Quoten/Anteile sind (gemittelt, nicht summiert)."
)
@click.option("--period", "periods", multiple=True, help="Zeitraum (mehrfach; sonst alle).")
@click.option("--method", type=click.Choice(["area", "population"]), default="population", show_default=True)
@click.option(
    "--check",
    nargs=3,
    metavar="UMGESCHLÜSSELT ECHT STICHTAG",
    help="Fehler gegen echte Werte des neuen Systems am selben Stichtag berichten.",
)
@click.pass_context
def rebase_(
    ctx: click.Context,
    source: str,
    target: str,
    variables: tuple[str, ...],
    intensive: tuple[str, ...],
    periods: tuple[str, ...],
    method: str,
    check: tuple[str, str, str] | None,
) -> None:
    """Werte auf ein anderes Gebietssystem umschlüsseln (einheitlicher Gebietsstand).

    Umgeschlüsselte Werte tragen die Kennung 'geschaetzt' und überschreiben nie echte Werte.

    \b
    Beispiel:
      planlabor rebase --from plr2006 --to plr --variable inhabitants --period 2019-12-31 \\
          --period 2020-12-31 --check inhabitants EW 2020-12-31
    """
    from planlabor.areas.rebase import rebase, rebase_error
    from planlabor.io.periods import parse_period_option

    ws = _workspace(ctx)
    r = rebase(
        ws.store,
        source,
        target,
        list(variables) or None,
        [parse_period_option(p) for p in periods] or None,
        method,  # type: ignore[arg-type]
        list(intensive),
    )
    click.echo(
        f"{r.values} Werte von {source} nach {target} umgeschlüsselt ({method}; "
        f"{len(r.variables)} Variablen, {len(r.periods)} Zeiträume; Import Nr. {r.import_id})."
    )
    if r.skipped_existing:
        click.echo(f"  nicht überschrieben (echte Werte vorhanden): {', '.join(r.skipped_existing[:10])}")
    if check:
        e = rebase_error(ws.store, target, check[0], check[1], parse_period_option(check[2]))
        a = e.attrs
        click.echo(
            f"  Fehler am {check[2]} ({a['areas']} Gebiete): mittl. absoluter Fehler {a['mae']:.1f}, "
            f"MAPE {a['mape']:.1%}, Median {a['median_ape']:.2%}, "
            f"innerhalb 5 %: {a['within_5pct']:.0%}".replace(".", ",")
        )


# -------------------------------------------------------------- segregation
@cli.command("segregation")
@click.option("--layer", required=True, help="Raumebene, z. B. plr.")
@click.option("--group", required=True, help="Variable der Gruppe, z. B. inhabitants_foreigners.")
@click.option("--total", required=True, help="Variable der Gesamtbevölkerung, z. B. inhabitants.")
@click.option("--period", "periods", multiple=True, help="Zeitraum (mehrfach; sonst alle).")
@click.option(
    "--permutations",
    type=int,
    default=0,
    show_default=True,
    help="Permutationen für den p-Wert von D (z. B. 999).",
)
@click.option("--spatial", is_flag=True, help="Auch die räumliche Dissimilarität (Nachbarschaft) berechnen.")
@click.option(
    "--compare", "compare_periods", nargs=2, help="Veränderung von D zwischen zwei Zeiträumen testen."
)
@click.pass_context
def segregation_(
    ctx: click.Context,
    layer: str,
    group: str,
    total: str,
    periods: tuple[str, ...],
    permutations: int,
    spatial: bool,
    compare_periods: tuple[str, str] | None,
) -> None:
    """Segregation einer Gruppe: Dissimilarität, Isolation, Interaktion, Entropie, Gini.

    Die Ergebnisse werden als Werte gespeichert (Standortquotient je Gebiet als lq_GRUPPE,
    globale Maße auf der obersten Ebene als seg_MASS_GRUPPE) und erscheinen so in Atlas und Berichten.

    \b
    Beispiel:
      planlabor segregation --layer plr --group inhabitants_foreigners --total inhabitants \\
          --period 2021-12-31 --period 2024-12-31 --compare 2021-12-31 2024-12-31
    """
    from planlabor.io.periods import parse_period_option
    from planlabor.spatial import segregation as seg

    ws = _workspace(ctx)
    ps = [parse_period_option(p) for p in periods] or None
    results = seg.analyse(ws.store, layer, group, total, ps, permutations=permutations, spatial=spatial)
    for r in results:
        vals = "; ".join(f"{k} {v:.3f}".replace(".", ",") for k, v in r.values.items())
        p = f"; p(D) = {r.p_values['dissimilarity']:.3f}".replace(".", ",") if r.p_values else ""
        click.echo(
            f"{r.period}: {r.n_areas} Gebiete, Anteil {r.group_share:.1%}: {vals}{p}".replace(".", ",", 1)
        )
    if compare_periods:
        obs = ws.store.observations(layer, [group, total], [parse_period_option(p) for p in compare_periods])
        wide = obs.pivot_table(index=["period", "area_id"], columns="variable", values="value").reset_index()
        a, b = (wide[wide["period"] == parse_period_option(p)] for p in compare_periods)
        res = seg.compare(a, b, group, total, permutations=permutations or 99)
        click.echo(f"Veränderung von D: {res['difference']:+.3f}, p = {res['p_value']:.3f}".replace(".", ","))
    click.echo(f"Hinweis: {seg.CAVEATS}")


# ------------------------------------------------------------------ hotspots
@cli.command("hotspots")
@click.option("--layer", required=True, help="Raumebene, z. B. plr.")
@click.option("--variable", required=True, help="Variable oder Indikator, z. B. KI_02.")
@click.option("--period", required=True, help="Zeitraum, z. B. 2020-12-31.")
@click.option(
    "--weights",
    type=click.Choice(["queen", "rook", "distance"]),
    default="queen",
    show_default=True,
    help="Nachbarschaft: gemeinsame Kante oder Ecke (queen), Kante (rook), Entfernung.",
)
@click.option("--threshold", type=float, help="Entfernung in Metern für --weights distance.")
@click.option("--permutations", type=int, default=999, show_default=True)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Signifikanzniveau.")
@click.option("--fdr", is_flag=True, help="Falscherkennungsrate kontrollieren (Benjamini-Hochberg).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_context
def hotspots_(
    ctx: click.Context,
    layer: str,
    variable: str,
    period: str,
    weights: str,
    threshold: float | None,
    permutations: int,
    alpha: float,
    fdr: bool,
    seed: int,
) -> None:
    """Hot Spots: globales Moran's I, lokale Cluster (LISA) und Getis-Ord Gi*.

    Gespeichert werden je Gebiet lisa_VARIABLE (0 nicht signifikant, 1 hoch-hoch, 2 niedrig-hoch,
    3 niedrig-niedrig, 4 hoch-niedrig), lisa_p_VARIABLE und gi_z_VARIABLE.

    \b
    Beispiel:
      planlabor hotspots --layer plr --variable KI_02 --period 2020-12-31 --permutations 999 --fdr
    """
    from planlabor.io.periods import parse_period_option
    from planlabor.spatial.hotspots import analyse

    ws = _workspace(ctx)
    r = analyse(
        ws.store,
        layer,
        variable,
        parse_period_option(period),
        weights,
        threshold,
        permutations,
        alpha,
        fdr,
        seed,
    )
    click.echo(
        f"{variable} am {r.period} auf {layer} ({r.n} Gebiete, Nachbarschaft {r.weights}): "
        f"Moran's I = {r.moran_i:.3f}, p = {r.moran_p:.3f}".replace(".", ",", 2)
    )
    for label, n in r.local["cluster_label"].value_counts().items():
        click.echo(f"  {label}: {n}")
    if r.islands:
        click.echo(f"  ohne Nachbarn (Inseln): {', '.join(r.islands)}")
    for note in r.notes:
        click.echo(f"  Hinweis: {note}")


# ------------------------------------------------------------------ coverage
@cli.command("coverage")
@click.option("--type", "facility_type", required=True, help="Art der Einrichtung, z. B. kita.")
@click.option("--layer", required=True, help="Raumebene der Nachfrage, z. B. plr.")
@click.option("--demand", required=True, help="Nachfragevariable, z. B. inhabitants_age_below_6.")
@click.option("--period", required=True, help="Stichtag der Nachfrage.")
@click.option(
    "--distance",
    type=float,
    default=1000,
    show_default=True,
    help="Einzugsbereich (2SFCA) in Metern, mit --unit min in Minuten.",
)
@click.option("--within", type=float, help="Anteil der Nachfrage bis zu dieser Entfernung (m bzw. min).")
@click.option("--decay", type=click.Choice(["gaussian", "none"]), default="gaussian", show_default=True)
@click.option(
    "--barrierefrei",
    "accessible",
    type=click.Choice(["ja", "teilweise"]),
    help="Nur barrierefreie (ja) oder mindestens teilweise barrierefreie Einrichtungen.",
)
@click.option(
    "--network",
    "network",
    help="Auf dem Straßennetz statt Luftlinie: fuss, rad, auto oder rollstuhl ('planlabor network import').",
)
@click.option(
    "--unit",
    type=click.Choice(["m", "min"]),
    default="m",
    show_default=True,
    help="Mit --network: Wegstrecke in Metern oder Reisezeit in Minuten.",
)
@click.pass_context
def coverage_(
    ctx: click.Context,
    facility_type: str,
    layer: str,
    demand: str,
    period: str,
    distance: float,
    within: float | None,
    decay: str,
    accessible: str | None,
    network: str | None,
    unit: str,
) -> None:
    """Versorgung: Entfernung zur nächsten Einrichtung, Anteil in Reichweite, 2SFCA.

    Gespeichert je Gebiet: dist_TYP (Meter), sfca_TYP_DISTANZm (Plätze je 100 Nachfragende in
    Reichweite) und, mit --within, within_DISTANZm_TYP (1 = in Reichweite).  Mit --network
    zählt der Weg auf dem Straßennetz; die Namen enden dann auf das Verkehrsmittel
    (dist_kita_fuss, sfca_kita_fuss_1000m), mit --unit min in Minuten (zeit_kita_fuss,
    sfca_kita_fuss_10min).

    \b
    Beispiel:
      planlabor coverage --type kita --layer plr --demand inhabitants_age_below_6 \\
          --period 2022-12-31 --distance 1000 --within 500
      planlabor coverage --type kita --layer plr --demand inhabitants_age_below_6 \
          --period 2022-12-31 --barrierefrei ja
      planlabor coverage --type kita --layer plr --demand inhabitants_age_below_6 \\
          --period 2022-12-31 --network fuss --unit min --distance 10 --within 10
    """
    from planlabor.io.periods import parse_period_option
    from planlabor.spatial.coverage import analyse

    ws = _workspace(ctx)
    backend = None
    if network:
        from planlabor.network import network_backend

        backend = network_backend(ws.store, network, unit)  # type: ignore[arg-type]
    elif unit != "m":
        raise InputError(
            "Minuten gibt es nur auf dem Straßennetz.", column="--unit", hint="Geben Sie --network an."
        )
    r = analyse(
        ws.store, layer, facility_type, demand, parse_period_option(period), distance, within, decay,  # type: ignore[arg-type]
        backend=backend, accessible=accessible,
    )  # fmt: skip
    u = "Minuten" if r.unit == "min" else "m"
    how = f"Straßennetz, {backend.graph.profile.name}" if backend is not None else "Luftlinie"
    click.echo(
        f"{facility_type}: {r.city_ratio:.1f} Plätze je 100 ({demand}) insgesamt; "
        f"Median bis zur nächsten Einrichtung {r.table[r.nearest_column].median():.1f} {u} ({how})".replace(
            ".", ","
        )
    )
    if r.share_within is not None:
        click.echo(f"  Anteil der Nachfrage bis {within:g} {u}: {r.share_within:.1%}".replace(".", ","))
    click.echo(
        f"  2SFCA ({distance:g} {u}, {decay}): Median {r.table['sfca_per_100'].median():.1f} "
        "Plätze je 100".replace(".", ",")
    )
    for note in r.notes:
        click.echo(f"  Hinweis: {note}")


# ------------------------------------------------------------------- project
def _de(value: Any, decimals: int = 0) -> str:
    from planlabor.io.export import format_number_de

    return format_number_de(float(value), decimals)


def _periods_list(text: str | None) -> list[str] | None:
    from planlabor.io.periods import parse_period_option

    if not text:
        return None
    return [parse_period_option(p.strip(), stichtag=True) for p in text.split(",") if p.strip()]


@cli.command()
@click.option("--layer", required=True, help="Raumebene der Prognose, z. B. plr.")
@click.option("--base", "base", required=True, help="Basisstichtag (ein 31.12.), z. B. 2024-12-31.")
@click.option("--years", type=int, default=20, show_default=True, help="Prognosejahre.")
@click.option(
    "--calibrate",
    help="Frühere Stichtage für die Wanderungsraten (Residuenmethode), kommagetrennt, z. B. 2024-06-30.",
)
@click.option("--scenarios", type=click.Path(dir_okay=False), help="Eigene Szenarien (TOML).")
@click.option("--life-table", type=click.Path(dir_okay=False), help="Sterbetafel alter;geschlecht;qx.")
@click.option("--fertility", type=click.Path(dir_okay=False), help="Geburtenziffern alter;rate.")
@click.option("--tfr", type=float, help="Zusammengefasste Geburtenziffer (sonst 1,35, Deutschland 2023).")
@click.option("--types", "types_variable", help="Gebietstypen für die Raten, z. B. typ_kontext.")
@click.option(
    "--shrinkage",
    type=float,
    default=1000.0,
    show_default=True,
    help="Gewicht der Typ-/Stadtrate in Personen (Stabilisierung kleiner Gebiete).",
)
@click.option(
    "--min-size",
    type=int,
    default=8000,
    show_default=True,
    help="Gebiete darunter werden als nur eingeschränkt belastbar gekennzeichnet (SIKURS: 8.000–10.000).",
)
@click.option("--backtest", "backtest_target", help="Rückrechnung: Prognose bis zu diesem Stichtag prüfen.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Ordner für Ergebnistabellen (CSV; Einzeljahre als Parquet).",
)
@click.option("--no-save", is_flag=True, help="Nicht im Arbeitsbereich speichern.")
@click.pass_context
def project(
    ctx: click.Context,
    layer: str,
    base: str,
    years: int,
    calibrate: str | None,
    scenarios: str | None,
    life_table: str | None,
    fertility: str | None,
    tfr: float | None,
    types_variable: str | None,
    shrinkage: float,
    min_size: int,
    backtest_target: str | None,
    out: str | None,
    no_save: bool,
) -> None:
    """Kleinräumige Bevölkerungsprognose (Kohorten-Komponenten-Methode) in drei Varianten.

    Varianten: natuerlich (nur Geburten und Sterbefälle), extern (plus Außenwanderung),
    intern (plus Binnenwanderung und Neubau); eigene Szenarien aus --scenarios. Gespeichert
    werden je Gebiet und Jahr prog_VARIANTE_BAND (ew, u3, 3_6, 6_10, 10_16, 65plus, 80plus …),
    auch summiert auf die übergeordneten Ebenen. Mit --backtest wird stattdessen bis zu einem
    beobachteten Stichtag gerechnet und der Fehler gegen die naive Prognose (keine Veränderung)
    berichtet.

    \b
    Beispiele:
      planlabor project --layer plr --base 2024-12-31 --calibrate 2024-06-30 --years 15
      planlabor project --layer plr --base 2021-12-31 --calibrate 2021-06-30 --backtest 2024-12-31
    """
    from planlabor.projection import defaults as dflt
    from planlabor.projection.inputs import read_fertility, read_life_table, read_scenarios
    from planlabor.projection.model import Rates, base_scenarios
    from planlabor.projection.run import backtest, run_projection, save_projection

    ws = _workspace(ctx)
    base_p = _periods_list(base)
    assert base_p
    cal = _periods_list(calibrate)
    rates = Rates.defaults(tfr if tfr is not None else dflt.TFR_DEFAULT)
    if tfr is not None and not 0.3 <= tfr <= 5:
        raise InputError(f"--tfr {tfr} ist nicht plausibel.", column="--tfr", expected="0,3 bis 5")
    if life_table:
        rates.qx = read_life_table(life_table)
        rates.sources["sterbetafel"] = str(life_table)
    if fertility:
        rates.asfr = read_fertility(fertility)
        rates.sources["fruchtbarkeit"] = str(fertility)
    if backtest_target:
        target = _periods_list(backtest_target)
        assert target
        bt = backtest(ws.store, layer, base_p[0], target[0], cal, "intern", types_variable, shrinkage, rates)
        click.echo(
            f"Rückrechnung {layer}: {bt.base_period} → {bt.target_period}, Kalibrierung "
            f"{', '.join(bt.calibration_periods) or '(keine: nur natürliche Bewegung)'}"
        )
        click.echo(
            f"  {'Altersgruppe':<22} {'Gebiete':>7} {'MAPE Prognose':>14} {'MAPE naiv':>10} "
            f"{'WAPE Progn.':>12} {'WAPE naiv':>10}"
        )
        for r in bt.table.itertuples():
            click.echo(
                f"  {r.band:<22} {r.gebiete:>7} {_de(r.mape_prognose, 2) + ' %':>14} "
                f"{_de(r.mape_naiv, 2) + ' %':>10} "
                f"{_de(r.wape_prognose, 2) + ' %':>12} {_de(r.wape_naiv, 2) + ' %':>10}"
            )
        main = bt.levels[bt.levels["band"].isin(["insgesamt", "unter 6", "6 bis unter 15"])]
        if len(main):
            click.echo("  Nach Raumebene (Gebiete aufsummiert), MAPE Prognose / naiv:")
            for r in main.itertuples():
                click.echo(
                    f"    {r.ebene:<10} {r.band:<16} {r.gebiete:>5} Gebiete  {_de(r.mape_prognose, 2)} % / "
                    f"{_de(r.mape_naiv, 2)} %"
                )
        if out:
            d = Path(out)
            d.mkdir(parents=True, exist_ok=True)
            bt.table.to_csv(d / "rueckrechnung.csv", index=False, float_format="%.4f")
            bt.by_size.to_csv(d / "rueckrechnung_nach_groesse.csv", index=False, float_format="%.4f")
            bt.areas.to_csv(d / "rueckrechnung_gebiete.csv", index=False, float_format="%.2f")
            bt.levels.to_csv(d / "rueckrechnung_ebenen.csv", index=False, float_format="%.4f")
            click.echo(f"  Tabellen: {d}")
        return
    scen = base_scenarios() + (read_scenarios(scenarios) if scenarios else [])
    run = run_projection(
        ws.store, layer, base_p[0], years, cal, scen, rates, types_variable, shrinkage, min_size
    )
    proj = run.projection
    click.echo(
        f"Bevölkerungsprognose {layer} ab {run.base_period} für {len(proj.area_ids)} Gebiete, "
        f"{years} Jahre ({run.age_source})"
    )
    if run.calibration:
        click.echo(f"  Wanderungsraten aus {', '.join(run.calibration.periods)}")
    for note in run.notes:
        click.echo(f"  Hinweis: {note}")
    click.echo(
        f"  {len(run.small_areas)} Gebiete unter {_de(min_size)} Einw. sind gekennzeichnet "
        "(prognose_klein); Summen höherer Ebenen sind belastbarer."
    )
    f = proj.frame()
    show = [proj.base_year] + [y for y in proj.years if (y - proj.base_year) % 5 == 0 or y == proj.years[-1]]
    city = f[f["jahr"].isin(show)].groupby(["szenario", "band", "jahr"])["wert"].sum()
    labels = {"ew": "Einwohner", "u3": "unter 3", "3_6": "3 bis 6", "6_10": "6 bis 10", "10_16": "10 bis 16",
              "65plus": "65+", "80plus": "80+"}  # fmt: skip
    header = "".join(f"{y:>11}" for y in show)
    for s in proj.scenarios:
        click.echo(f"  Variante {s.id} ({s.name}):{header}")
        for b, label in labels.items():
            vals = "".join(f"{_de(city[(s.id, b, y)]):>11}" for y in show)
            click.echo(f"    {label:<{len(s.id) + len(s.name) + 13}}{vals}")
    if not no_save:
        import_id = save_projection(
            ws.store,
            run,
            {
                "layer": layer,
                "base": run.base_period,
                "years": years,
                "calibration": run.calibration.periods if run.calibration else [],
                "scenarios": [s.id for s in scen],
                "types": types_variable,
                "shrinkage": shrinkage,
                "min_size": min_size,
                "sources": rates.sources,
            },
        )
        click.echo(f"  Gespeichert als Import Nr. {import_id} (Variablen prog_VARIANTE_BAND).")
    if out:
        d = Path(out)
        d.mkdir(parents=True, exist_ok=True)
        f.to_csv(d / "prognose_altersgruppen.csv", index=False, float_format="%.2f")
        proj.single_years().to_parquet(d / "prognose_einzeljahre.parquet", index=False)
        if run.calibration:
            run.calibration.band_rates.to_csv(d / "wanderungsraten.csv", index=False, float_format="%.6f")
        click.echo(f"  Tabellen: {d}")


# ---------------------------------------------------------------------- plan
@cli.group("plan", cls=PlanlaborGroup)
def plan_() -> None:
    """Planungsmodule: Kita-Bedarfsplanung, Schulalter, Pflege und barrierefreies Wohnen."""


def _write_table(df: Any, out: str, sheet: str) -> None:
    from planlabor.io.safe_csv import write_csv

    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        df.to_excel(path, index=False, sheet_name=sheet)
    else:
        write_csv(df, path, index=False, float_format="%.2f")
    click.echo(f"  Tabelle: {path}")


@plan_.command("kita")
@click.option("--layer", required=True, help="Raumebene, z. B. plr.")
@click.option(
    "--period", help="Stichtag der Kinderzahlen (mit --prognose: kommagetrennte Jahre, sonst alle)."
)
@click.option(
    "--prognose", "scenario", help="Kinder aus der gespeicherten Prognose dieser Variante, z. B. intern."
)
@click.option(
    "--u3-quote", "u3", multiple=True, type=float, help="Bedarfsquote U3 in % (mehrfach: Szenarien)."
)
@click.option("--ue3-quote", "ue3", type=float, default=95.0, show_default=True, help="Bedarfsquote Ü3 in %.")
@click.option(
    "--usable-share",
    type=float,
    default=1.0,
    show_default=True,
    help="Anteil der genehmigten Plätze, der tatsächlich nutzbar ist (0–1).",
)
@click.option("--places-period", help="Stichtag der Platzzahlen (sonst der letzte bis --period).")
@click.option(
    "--neue-plaetze",
    "new_places",
    type=click.Path(dir_okay=False),
    help="Geplante Plätze gebiet;jahr;plaetze.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Tabelle als .xlsx oder .csv.")
@click.pass_context
def plan_kita(
    ctx: click.Context,
    layer: str,
    period: str | None,
    scenario: str | None,
    u3: tuple[float, ...],
    ue3: float,
    usable_share: float,
    places_period: str | None,
    new_places: str | None,
    out: str | None,
) -> None:
    """Kita-Bedarfsplanung: Kinder U3/Ü3, Plätze, Versorgungsquote, Bedarf und fehlende Plätze je Gebiet.

    Ohne --prognose für einen beobachteten Stichtag; mit --prognose für jedes Prognosejahr
    (gespeichert als kita_prog_VARIANTE_…).

    \b
    Beispiele:
      planlabor plan kita --layer plr --period 2024-12-31 --u3-quote 45 --u3-quote 50 \\
          --u3-quote 55 --ue3-quote 95 --out kita_bedarfsplan.xlsx
      planlabor plan kita --layer plr --prognose intern --period 2026-12-31,2030-12-31 \\
          --neue-plaetze neue_kitas.csv --out kita_bedarfsplan_prognose.xlsx
    """
    import pandas as pd

    from planlabor.io.periods import parse_period_option
    from planlabor.planning.kita import plan, plan_years, read_new_places

    ws = _workspace(ctx)
    extra = read_new_places(new_places) if new_places else None
    pp = parse_period_option(places_period) if places_period else None
    if scenario:
        periods = _periods_list(period) or sorted(
            set(ws.store.observations(layer, [f"prog_{scenario}_u3"])["period"])
        )
        if not periods:
            raise InputError(
                f"Auf {layer!r} gibt es keine Prognose {scenario!r}.",
                column="--prognose",
                hint="Rechnen Sie zuerst 'planlabor project'.",
            )
        plans = plan_years(ws.store, layer, scenario, periods, list(u3) or None, ue3, usable_share, pp, extra)
    else:
        if not period:
            raise InputError("Geben Sie --period (Stichtag) oder --prognose an.", column="--period")
        plans = [
            plan(
                ws.store,
                layer,
                parse_period_option(period),
                list(u3) or None,
                ue3,
                usable_share,
                pp,
                new_places=extra,
            )
        ]
    for p in plans:
        t = p.totals
        click.echo(
            f"Kita-Bedarfsplan {layer}, Kinder am {p.period} ({p.children_source}), "
            f"Plätze am {p.places_period}:"
        )
        click.echo(
            f"  U3 {_de(t['kinder_u3'])}, Ü3 {_de(t['kinder_ue3'])}, nutzbare Plätze "
            f"{_de(t['nutzbare_plaetze'])}, Versorgungsquote {_de(t['versorgungsquote'], 1)} %"
        )
        for q in p.u3_rates:
            click.echo(
                f"  U3-Quote {_de(q)} %: Bedarf {_de(t[f'bedarf_u3_{q:g}'])}, fehlende Plätze in Gebieten "
                f"mit Mangel {_de(t[f'fehlplaetze_u3_{q:g}'])}"
            )
    if out:
        table = pd.concat([p.table.assign(stichtag=p.period) for p in plans], ignore_index=True)
        _write_table(table, out, "Kita-Bedarf")


@plan_.command("schule")
@click.option("--layer", required=True, help="Raumebene, z. B. plr.")
@click.option("--prognose", "scenario", default="intern", show_default=True, help="Prognosevariante.")
@click.option("--out", type=click.Path(dir_okay=False), help="Tabelle als .xlsx oder .csv.")
@click.pass_context
def plan_schule(ctx: click.Context, layer: str, scenario: str, out: str | None) -> None:
    """Kinder im Grundschulalter (6–10) und in der Sekundarstufe I (10–16) je Gebiet und Jahr.

    \b
    Beispiel:
      planlabor plan schule --layer plr --prognose intern --out schulalter.xlsx
    """
    from planlabor.planning.demand import school_age

    ws = _workspace(ctx)
    r = school_age(ws.store, layer, scenario)
    click.echo(f"Schulalter {layer}, Prognose {scenario}:  {'6–10':>9} {'10–16':>9}")
    for row in r.totals.itertuples():
        click.echo(f"  {row.period}{'':>21}{_de(row.kinder_6_10):>9} {_de(row.kinder_10_16):>9}")
    if out:
        _write_table(r.table, out, "Schulalter")


@plan_.command("alter")
@click.option("--layer", required=True, help="Raumebene, z. B. plr.")
@click.option("--prognose", "scenario", default="intern", show_default=True, help="Prognosevariante.")
@click.option(
    "--pflegequote",
    multiple=True,
    help="Pflegequote je Altersgruppe, z. B. 80_85=0.3 (Gruppen 65_70 … 85_90, 90plus).",
)
@click.option("--anteil-65-79", "share_65", type=float, default=0.15, show_default=True,
              help="Anteil 65–79 mit Bedarf an barrierefreiem Wohnraum.")  # fmt: skip
@click.option("--anteil-80", "share_80", type=float, default=0.40, show_default=True,
              help="Anteil 80+ mit Bedarf an barrierefreiem Wohnraum.")  # fmt: skip
@click.option("--personen-je-haushalt", "persons", type=float, default=1.4, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Tabelle als .xlsx oder .csv.")
@click.pass_context
def plan_alter(
    ctx: click.Context,
    layer: str,
    scenario: str,
    pflegequote: tuple[str, ...],
    share_65: float,
    share_80: float,
    persons: float,
    out: str | None,
) -> None:
    """Ältere Menschen: 65+, 80+, Pflegebedürftige und Bedarf an barrierefreien Wohnungen je Gebiet.

    \b
    Beispiel:
      planlabor plan alter --layer plr --prognose intern --pflegequote 90plus=0.75 --out alter.xlsx
    """
    from planlabor.planning.demand import old_age
    from planlabor.projection import defaults as dflt

    rates = dict(dflt.CARE_RATES)
    for item in pflegequote:
        key, _, value = item.partition("=")
        try:
            rates[key.strip()] = float(value.replace(",", "."))
        except ValueError:
            raise InputError(
                f"--pflegequote {item!r} ist nicht lesbar.", column="--pflegequote", expected="GRUPPE=ANTEIL"
            ) from None
    ws = _workspace(ctx)
    r = old_age(ws.store, layer, scenario, rates, dflt.BarrierFreeAssumptions(share_65, share_80, persons))
    click.echo(f"Ältere Menschen {layer}, Prognose {scenario}:")
    click.echo(f"  {'Stichtag':<12}{'65+':>10}{'80+':>10}{'Pflegebed.':>12}{'barrierefreie Wohnungen':>25}")
    for row in r.totals.itertuples():
        click.echo(
            f"  {row.period:<12}{_de(row.ew_65plus):>10}{_de(row.ew_80plus):>10}"
            f"{_de(row.pflegebeduerftige):>12}{_de(row.barrierefrei_wohnungen):>25}"
        )
    if out:
        _write_table(r.table, out, "Alter")


# --------------------------------------------------------------------- atlas
@cli.group(cls=PlanlaborGroup)
def atlas() -> None:
    """Den öffentlichen Sozialatlas als statischen Ordner bauen."""


@atlas.command("build")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False), help="Zielordner (wird neu angelegt)."
)
@click.pass_context
def atlas_build(ctx: click.Context, out: str) -> None:
    """Statischen öffentlichen Atlas bauen: ein Ordner für jeden Webspace.

    Öffnet auch direkt von der Festplatte; enthält nur öffentliche Indikatoren mit gesperrten
    kleinen Fallzahlen.

    \b
    Beispiel:
      planlabor atlas build --out atlas/
      # ansehen: atlas/index.html im Browser öffnen
    """
    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of

    ws = _workspace(ctx, read_only=True)
    r = build_static(source_of(ws), Path(out))
    click.echo(
        f"Atlas gebaut in {r.out}: {r.files} Dateien, {_de(r.bytes / 1e6, 1)} MB "
        f"({_de(r.zipped_bytes / 1e6, 2)} MB gepackt), {len(r.layers)} Raumebenen, "
        f"{r.indicators} Indikatoren, "
        f"{_de(r.seconds, 1)} s"
    )
    click.echo(f"  Öffnen: {Path(r.out).resolve() / 'index.html'}")


def _serve(
    root: Path | None,
    ctx: click.Context | None,
    host: str,
    port: int,
    internal: bool = False,
    https: bool = False,
) -> None:
    import uvicorn

    from planlabor.atlas.access import LiveWorkspace
    from planlabor.atlas.server import create_app
    from planlabor.workspace import Workspace

    ws = Workspace.open(ctx.obj.get("dir") if ctx is not None else root, read_only=True)
    live = LiveWorkspace(ws.root)
    if internal:
        ws.auth()  # users of earlier versions move from the store into atlas-auth.sqlite (once)
    ws.close()
    # the server opens the store only while it builds an answer: commands keep working meanwhile
    app = create_app(
        live.source(),
        internal=internal,
        warm=True,
        secure_cookies=https,
        live=live,
        settings=ws.config.server,
    )
    click.echo(f"Sozialatlas: http://{host}:{port}/  (API: http://{host}:{port}/api/docs; Ende mit Strg+C)")
    if internal:
        click.echo(f"  Interne Ansicht nach Anmeldung: http://{host}:{port}/login")
    # bounded: idle keep-alive connections close after 5 s, at most 1,000 at once (then 503)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_keep_alive=5, limit_concurrency=1000)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse, an der der Server lauscht.")
@click.option("--port", type=int, default=8765, show_default=True, help="Port.")
@click.option("--internal", is_flag=True, help="Anmeldung für die interne Ansicht anbieten.")
@click.option("--https", is_flag=True, help="Sitzungs-Cookie nur über HTTPS senden (hinter TLS).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, internal: bool, https: bool) -> None:
    """Atlas und API starten (FastAPI): Karte, Profile, Vergleich, Tabellen, Downloads, OGC API – Features.

    \b
    Beispiel:
      planlabor serve --port 8765
      # im Browser: http://127.0.0.1:8765/ ; in QGIS: OGC API – Features http://127.0.0.1:8765/ogc
      planlabor serve --internal --host 0.0.0.0 --https   # hinter einem TLS-Proxy
    """
    _serve(None, ctx, host, port, internal, https)


# -------------------------------------------------------------------- report
@cli.group(cls=PlanlaborGroup)
def report() -> None:
    """Berichte aus den Daten: Sozialraumprofile und Methodenanhang (HTML, PDF, DOCX)."""


@report.command("profile")
@click.option("--layer", help="Raumebene der Profile (sonst die feinste des Arbeitsbereichs).")
@click.option("--area", "areas", multiple=True, help="Gebietsschlüssel (mehrfach möglich).")
@click.option("--all", "all_areas", is_flag=True, help="Ein Profil für jedes Gebiet der Ebene.")
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
@click.pass_context
def report_profile(
    ctx: click.Context,
    layer: str | None,
    areas: tuple[str, ...],
    all_areas: bool,
    period: str | None,
    fmt: str,
    out: str,
    workers: int,
    internal: bool,
) -> None:
    """Sozialraumprofile: Kennzahlen gegen Obergebiet und Stadt, Ränge, Zeitreihen, Lagekarte.

    Öffentliche Fassung (Standard): nur öffentliche Indikatoren, kleine Fallzahlen gesperrt (•).

    \b
    Beispiele:
      planlabor report profile --area 01100101 --format pdf --out stuelerstrasse.pdf
      planlabor report profile --all --format pdf --out profile/
      planlabor report profile --area 01100101 --format docx --out profile/
    """
    from rich.progress import Progress

    from planlabor.atlas.data import source_of
    from planlabor.io.periods import parse_period_option
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout, ProfileBuilder, write_profiles

    ws = _workspace(ctx, read_only=True)
    layer = layer or ws.finest_layer()
    ids = list(areas)
    if all_areas:
        ids = ws.store.areas(layer)["area_id"].astype(str).tolist()
    if not ids:
        raise InputError("Geben Sie --area ID oder --all an.", column="--area")
    builder = ProfileBuilder(ReportData(source_of(ws), public=not internal), Layout.of(ws), layer)
    p = parse_period_option(period, stichtag=True) if period else None
    if len(ids) > 1:
        with Progress(transient=True) as bar:
            task = bar.add_task("Sozialraumprofile", total=len(ids))
            r = write_profiles(
                builder, ids, fmt, Path(out), p, workers, lambda n, _t: bar.update(task, completed=n)
            )
    else:
        r = write_profiles(builder, ids, fmt, Path(out), p, workers)
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
@click.pass_context
def report_sozialbericht(
    ctx: click.Context,
    layer: str | None,
    period: str | None,
    fmt: str,
    out: str,
    min_residents: int,
    internal: bool,
) -> None:
    """Integrierter Sozialbericht: Kapitel je Fachthema mit Karten, Rangfolgen und Befunden in Sätzen.

    \b
    Beispiel:
      planlabor report sozialbericht --layer plr --format pdf --out sozialbericht.pdf
    """
    import time

    from planlabor.atlas.data import source_of
    from planlabor.io.periods import parse_period_option
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout, html_to_pdf, sozialbericht_html

    start = time.perf_counter()
    ws = _workspace(ctx, read_only=True)
    layer = layer or ws.finest_layer()
    p = parse_period_option(period, stichtag=True) if period else None
    data = ReportData(source_of(ws), public=not internal)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "docx":
        from planlabor.reports.render import sozialbericht_docx

        path.write_bytes(sozialbericht_docx(data, Layout.of(ws), layer, p, min_residents))
        click.echo(f"Sozialbericht geschrieben: {path} ({_de(time.perf_counter() - start, 1)} s)")
        return
    html = sozialbericht_html(data, Layout.of(ws), layer, p, min_residents)
    if fmt == "html":
        path.write_text(html, encoding="utf-8")
    else:
        html_to_pdf(html, path)
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
) -> None:
    """Vorlage für den Jugendhilfeausschuss: Kita-Bedarf gegen Plätze je Gebiet, mit Sachstand in Sätzen.

    \b
    Beispiel:
      planlabor report sheet --level bzr --period 2030-12-31 --prognose intern \\
          --format pdf --out jha_kita_2030.pdf
    """
    from planlabor.atlas.data import source_of
    from planlabor.io.periods import parse_period_option
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout, html_to_pdf
    from planlabor.reports.sheet import kita_sheet, sheet_docx, sheet_html

    ws = _workspace(ctx, read_only=True)
    layer = layer or ws.finest_layer()
    layout = Layout.of(ws)
    sheet = kita_sheet(
        ReportData(source_of(ws)), layer, parse_period_option(period, stichtag=True), level, scenario, u3, ue3
    )
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "docx":
        path.write_bytes(sheet_docx(sheet, layout))
    elif fmt == "html":
        path.write_text(sheet_html(sheet, layout), encoding="utf-8")
    else:
        html_to_pdf(sheet_html(sheet, layout), path)
    click.echo(f"Vorlage geschrieben: {path}")
    for f in sheet.findings:
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
    from planlabor.atlas.data import source_of
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout, html_to_pdf, methods_html

    ws = _workspace(ctx, read_only=True)
    html = methods_html(ReportData(source_of(ws), public=not internal), Layout.of(ws))
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        path.write_text(html, encoding="utf-8")
    else:
        html_to_pdf(html, path)
    click.echo(f"Methodenanhang geschrieben: {path}")


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
    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of
    from planlabor.workspace import Workspace

    with Workspace.open(Path(out), read_only=True) as ws:
        r = build_static(source_of(ws), Path(out) / "atlas")
    click.echo(
        f"Statischer Atlas: {Path(r.out).resolve() / 'index.html'} "
        f"({_de(r.zipped_bytes / 1e6, 2)} MB gepackt)"
    )
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
    with Workspace.open(out, read_only=True) as ws:
        r = build_static(source_of(ws), out / "atlas")
    click.echo(
        f"Statischer Atlas: {Path(r.out).resolve() / 'index.html'} "
        f"({_de(r.zipped_bytes / 1e6, 2)} MB gepackt)"
    )
    if not no_serve:
        _serve(out, None, "127.0.0.1", 8765)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``planlabor`` command (click exits with the code)."""
    cli.main(args=argv, prog_name="planlabor")


from planlabor import cli_daten as _cli_daten  # noqa: E402,F401  (registers formats and catalog)
from planlabor import cli_fach as _cli_fach  # noqa: E402,F401  (registers the Fachthemen commands)
from planlabor import cli_grid as _cli_grid  # noqa: E402,F401  (registers the grid commands)
from planlabor import cli_netz as _cli_netz  # noqa: E402,F401  (registers the network commands)
from planlabor import cli_user as _cli_user  # noqa: E402,F401  (registers the user commands)
