"""Rechnen und ausgeben: compute, status, export, index, rebase

Registered on the main command group of :mod:`planlabor.cli`.
"""

from __future__ import annotations

from pathlib import Path

import click

from planlabor.cli import _echo_json, _workspace, cli


# ------------------------------------------------------------------- compute
@cli.command()
@click.pass_context
def compute(ctx: click.Context) -> None:
    """Alle Indikatoren des Katalogs für alle Raumebenen und Zeiträume berechnen.

    \b
    Beispiel:
      planlabor compute
    """
    from planlabor.app.compute import compute as run

    r = run(ctx.obj.get("dir"))
    if r.empty_catalog:
        click.echo(
            "Der Katalog hat noch keine Indikatoren – es gibt nichts zu berechnen.\n"
            "  Vorschläge aus den importierten Variablen: planlabor catalog suggest --apply\n"
            "  Ein fertiges Indikatorenset: planlabor template import familienarmut "
            "(Liste: planlabor template list)"
        )
        return
    click.echo(f"{r.indicators} Indikatoren berechnet, {r.values_written:,} Werte".replace(",", "."))
    for layer, n in r.by_layer.items():
        click.echo(f"  {layer}: {n:,} Werte".replace(",", "."))
    for ind, miss in r.missing_variables.items():
        click.echo(f"  Hinweis: {ind} fehlt {', '.join(miss)}")
    if r.suppressed:
        primary = f"{r.suppressed.get('primär', 0):,}".replace(",", ".")
        secondary = f"{r.suppressed.get('sekundär', 0):,}".replace(",", ".")
        click.echo(f"Geheimhaltung: {primary} Werte primär, {secondary} sekundär gesperrt")


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
@click.option(
    "--ebene",
    "levels",
    multiple=True,
    help="Spalte mit dem Schlüssel einer höheren Ebene (mehrfach), z. B. kreis: bevölkerungsgewichtet "
    "aggregiert (GISD), je Ebene eine weitere Datei.",
)
def index_(
    preset_or_spec: str, input_file: str | None, out: str | None, explain: bool, levels: tuple[str, ...]
) -> None:
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
      planlabor index gisd gemeinden.csv --out gisd_gemeinden.csv --ebene kreis
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
    r = index_file(preset_or_spec, input_file, out, list(levels))
    click.echo(
        f"Index {r.spec}: {r.rows} Zeilen, {r.excluded} ausgeschlossen; {r.layout} geschrieben nach {r.out}"
    )
    for level, path in r.level_files.items():
        click.echo(f"  Ebene {level}: {path}")
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
