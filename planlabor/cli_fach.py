"""Commands of the Fachthemen: D-A-CH comparison, measures and effect estimates, controlling,
action plans (registered on the main command group of :mod:`planlabor.cli`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from planlabor.cli import PlanlaborGroup, _de, _echo_json, _workspace, cli, report


def _write_doc(html: str, out: str) -> Path:
    """Write a report as HTML or (by the file ending) PDF."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".pdf":
        from planlabor.reports.render import html_to_pdf

        html_to_pdf(html, path)
    else:
        path.write_text(html, encoding="utf-8")
    click.echo(f"Geschrieben: {path}")
    return path


def _layout(ws: Any) -> Any:
    from planlabor.reports.render import Layout

    return Layout.of(ws)


# ------------------------------------------------------------------------ D-A-CH
@cli.group(cls=PlanlaborGroup)
def dach() -> None:
    """Sozialplanung international: Raumebenen und Indikatoren für Deutschland, Österreich, Schweiz."""


@dach.command("setup")
@click.argument("source", type=click.Path(file_okay=False, exists=True))
@click.option("--no-tables", is_flag=True, help="Nur die Raumebenen, keine Eurostat-Tabellen.")
@click.option("--no-template", is_flag=True, help="Die Vorlage 'dach' nicht übernehmen.")
@click.pass_context
def dach_setup(ctx: click.Context, source: str, no_tables: bool, no_template: bool) -> None:
    """Raumebenen NUTS 0/2/3, LAU (Österreich, Basel) und die Eurostat-Tabellen einlesen.

    SOURCE ist der Ordner mit nuts/, at/, ch/basel/ und stats/ (siehe dessen SOURCES.md).
    Danach 'planlabor compute'.

    \b
    Beispiel:
      planlabor dach setup ../shared/data/dach && planlabor compute
    """
    ws = _workspace(ctx)
    r = ws.setup_dach(source, tables=not no_tables, template=not no_template)
    for layer, n in r.layers.items():
        click.echo(f"Raumebene {layer}: {n} Gebiete")
    for layer, amb in r.ambiguous.items():
        if amb:
            click.echo(
                f"  {layer}: {len(amb)} Gebiete nicht eindeutig einer NUTS-3-Region zugeordnet (größte Überdeckung gewählt)"
            )
    for name, n in r.tables.items():
        click.echo(f"Tabelle {name}: {_de(n)} Werte")
    for w in r.warnings:
        click.echo(f"  Hinweis: {w}")


@cli.command("compare")
@click.option("--layer", required=True, help="Raumebene, z. B. nuts3.")
@click.option("--area", required=True, help="Gebietsschlüssel, z. B. DE300.")
@click.option(
    "--indicator", "indicators", multiple=True, help="Indikator (mehrfach; sonst die D-A-CH-Indikatoren)."
)
@click.option("--period", help="Stand höchstens dieser Zeitraum.")
@click.option("--k", type=int, default=5, show_default=True, help="Zahl der Vergleichsgebiete.")
@click.option(
    "--je-land", "per_group", type=int, help="Die N ähnlichsten aus jedem Land (jeder obersten Einheit)."
)
@click.option("--intern", "internal", is_flag=True, help="Auch interne Indikatoren, ohne Sperrung.")
@click.option("--out", type=click.Path(dir_okay=False), help="Bericht als .html oder .pdf.")
@click.pass_context
def compare_(
    ctx: click.Context,
    layer: str,
    area: str,
    indicators: tuple[str, ...],
    period: str | None,
    k: int,
    per_group: int | None,
    internal: bool,
    out: str | None,
) -> None:
    """Vergleichsregionen: die ähnlichsten Gebiete eines Gebiets, auch über Grenzen hinweg.

    \b
    Beispiel:
      planlabor compare --layer nuts3 --area DE300 --je-land 2 --out vergleich-berlin.pdf
    """
    from planlabor.atlas.data import source_of
    from planlabor.reports.vergleich import compare_region, vergleich_html

    ws = _workspace(ctx, read_only=out is None)
    c = compare_region(
        source_of(ws), layer, area, list(indicators) or None, period, k, per_group, not internal
    )
    click.echo(f"Vergleichsgebiete für {c.names[area]} ({area}) nach {len(c.rows)} Indikatoren:")
    for a, d in zip(c.peers.table["area_id"], c.peers.table["distance"], strict=True):
        click.echo(f"  {a:<8} {c.names[a]:<40} {c.groups.get(a, ''):<12} Abstand {_de(d, 2)}")
    if out:
        _write_doc(vergleich_html(c, _layout(ws)), out)


@report.command("vergleich")
@click.option("--layer", required=True, help="Raumebene, z. B. nuts3.")
@click.option("--area", required=True, help="Gebietsschlüssel, z. B. DE300.")
@click.option("--indicator", "indicators", multiple=True, help="Indikator (mehrfach).")
@click.option("--k", type=int, default=5, show_default=True)
@click.option("--je-land", "per_group", type=int, default=2, show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Zieldatei .html oder .pdf.")
@click.pass_context
def report_vergleich(
    ctx: click.Context, layer: str, area: str, indicators: tuple[str, ...], k: int, per_group: int, out: str
) -> None:
    """Regionenvergleich als Bericht: ein Gebiet gegen seine ähnlichsten Gebiete mit Harmonisierungshinweisen.

    \b
    Beispiel:
      planlabor report vergleich --layer nuts3 --area AT130 --out wien-vergleich.pdf
    """
    from planlabor.atlas.data import source_of
    from planlabor.reports.vergleich import compare_region, vergleich_html

    ws = _workspace(ctx)
    c = compare_region(source_of(ws), layer, area, list(indicators) or None, None, k, per_group)
    _write_doc(vergleich_html(c, _layout(ws)), out)


# ------------------------------------------------------------------ measures
@cli.group("massnahme", cls=PlanlaborGroup)
def massnahme() -> None:
    """Maßnahmenregister: Gebiete, Thema, Laufzeit, Budget, Zielindikator."""


@massnahme.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.pass_context
def massnahme_import(ctx: click.Context, file: str) -> None:
    """Maßnahmen aus einer Tabelle (CSV/XLSX) registrieren; jede Änderung wird eine neue Version.

    Spalten: id, name, thema, ebene, gebiete, beginn, ende, budget, zielindikator, beschreibung,
    oeffentlich (siehe docs/fachthemen.md).

    \b
    Beispiel:
      planlabor massnahme import massnahmen.csv
    """
    ws = _workspace(ctx)
    items = ws.register_measures(file, "massnahme")
    click.echo(f"{len(items)} Maßnahme(n) registriert: {', '.join(m.measure_id for m in items)}")


@massnahme.command("list")
@click.option("--json", "as_json", is_flag=True, help="Als JSON.")
@click.pass_context
def massnahme_list(ctx: click.Context, as_json: bool) -> None:
    """Die registrierten Maßnahmen zeigen.

    \b
    Beispiel:
      planlabor massnahme list
    """
    from planlabor.planning.measures import measures

    ws = _workspace(ctx, read_only=True)
    items = measures(ws.store, "massnahme")
    if as_json:
        _echo_json([m.as_dict() for m in items])
        return
    if not items:
        click.echo("Keine Maßnahmen registriert ('planlabor massnahme import').")
    for m in items:
        when = f"{m.start_date or '?'} bis {m.end_date or 'offen'}"
        budget = f", {_de(m.budget)} €" if m.budget else ""
        click.echo(f"{m.measure_id}: {m.name} ({m.theme or 'ohne Thema'}; {when}{budget})")
        click.echo(f"    {m.layer_id}: {', '.join(m.areas) or '–'}; Ziel: {m.target_indicator or '–'}")


@massnahme.command("remove")
@click.argument("measure_id")
@click.pass_context
def massnahme_remove(ctx: click.Context, measure_id: str) -> None:
    """Eine Maßnahme beenden (frühere Versionen bleiben erhalten).

    \b
    Beispiel:
      planlabor massnahme remove M01
    """
    from planlabor.planning.measures import remove

    ws = _workspace(ctx)
    remove(ws.store, measure_id)
    click.echo(f"Maßnahme {measure_id} entfernt.")


@cli.command("wirkung")
@click.argument("measure_id")
@click.option("--indikator", "indicator", help="Indikator (sonst der Zielindikator der Maßnahme).")
@click.option("--vergleich", "comparison", type=click.Choice(["nachbarn", "typ"]), default="nachbarn", show_default=True,
              help="Vergleichsgebiete: die ähnlichsten (nachbarn) oder alle desselben Typs (typ).")  # fmt: skip
@click.option("--k", type=int, default=10, show_default=True, help="Zahl der Vergleichsgebiete (nachbarn).")
@click.option(
    "--merkmal",
    "features",
    multiple=True,
    help="Merkmal für die Ähnlichkeit (mehrfach; sonst die Index-Eingänge).",
)
@click.option("--typ", "type_indicator", help="Typisierung für --vergleich typ, z. B. typ_kontext.")
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Irrtumswahrscheinlichkeit.")
@click.option("--seed", type=int, default=0, show_default=True, help="Startwert der Placebo-Ziehungen.")
@click.option("--out", type=click.Path(dir_okay=False), help="Bericht als .html oder .pdf.")
@click.option("--json", "as_json", is_flag=True, help="Ergebnis als JSON.")
@click.pass_context
def wirkung(
    ctx: click.Context,
    measure_id: str,
    indicator: str | None,
    comparison: str,
    k: int,
    features: tuple[str, ...],
    type_indicator: str | None,
    alpha: float,
    seed: int,
    out: str | None,
    as_json: bool,
) -> None:
    """Wirkungsanalyse einer Maßnahme: Differenz-von-Differenzen mit Vergleichsgebieten und Ereignisstudie.

    Das Ergebnis wird gespeichert und erscheint im Atlas und in Berichten.

    \b
    Beispiele:
      planlabor wirkung M01
      planlabor wirkung M01 --vergleich typ --typ typ_kontext --out wirkung-m01.pdf
    """
    from planlabor.planning.effects import evaluate_measure, save_estimate
    from planlabor.planning.measures import get_measure
    from planlabor.reports.wirkung import wirkung_html

    ws = _workspace(ctx)
    m = get_measure(ws.store, measure_id)
    catalog = ws.catalog()
    result, reading = evaluate_measure(
        ws.store, catalog, m, indicator, comparison, k, list(features) or None, type_indicator, alpha, seed
    )
    save_estimate(ws.store, m.measure_id, result, reading)
    if as_json:
        _echo_json({**result.summary(), "reading": reading})
    else:
        click.echo(reading["statement"])
        click.echo(reading["verdict"])
        click.echo(reading["pretrend"])
        click.echo(reading["method"])
    if out:
        d = catalog.get(result.indicator)
        _write_doc(wirkung_html(m, result.summary(), reading, d, _layout(ws)), out)


@report.command("wirkung")
@click.argument("measure_id")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Zieldatei .html oder .pdf.")
@click.pass_context
def report_wirkung(ctx: click.Context, measure_id: str, out: str) -> None:
    """Die zuletzt gespeicherte Wirkungsanalyse einer Maßnahme als Bericht.

    \b
    Beispiel:
      planlabor report wirkung M01 --out wirkung-m01.pdf
    """
    from planlabor.errors import NotFoundError
    from planlabor.planning.effects import latest_estimates
    from planlabor.planning.measures import get_measure
    from planlabor.reports.wirkung import wirkung_html

    ws = _workspace(ctx)
    m = get_measure(ws.store, measure_id)
    est = latest_estimates(ws.store).get(measure_id)
    if est is None:
        raise NotFoundError(
            f"Für {measure_id} gibt es noch keine Wirkungsanalyse.", hint=f"planlabor wirkung {measure_id}"
        )
    _write_doc(wirkung_html(m, est, est["reading"], ws.catalog().get(est["indicator"]), _layout(ws)), out)


# ---------------------------------------------------------------- controlling
@cli.group("controlling", cls=PlanlaborGroup)
def controlling() -> None:
    """Sozialplanung und Controlling: Kosten und Fälle (KLR), Kennzahlen, Soll-Ist."""


@controlling.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--layer", help="Raumebene der Gebietsschlüssel, falls die Fälle welche tragen.")
@click.option("--produkt-spalte", help="Spalte mit dem Produkt (sonst erkannt).")
@click.option("--kostenstelle-spalte", help="Spalte mit der Kostenstelle.")
@click.option("--zeitraum-spalte", help="Spalte mit dem Zeitraum.")
@click.option("--kosten-spalte", help="Spalte mit den Kosten.")
@click.option("--faelle-spalte", help="Spalte mit den Fällen (oder Plätzen).")
@click.option("--gebiet-spalte", help="Spalte mit dem Gebietsschlüssel.")
@click.option("--bezug", help="Bezugsbevölkerung für 'Fälle je 1.000', z. B. inhabitants.")
@click.option("--bezug-name", default="", help="Name der Bezugsbevölkerung, z. B. 'Kinder unter 6'.")
@click.pass_context
def controlling_import(
    ctx: click.Context,
    file: str,
    layer: str | None,
    produkt_spalte: str | None,
    kostenstelle_spalte: str | None,
    zeitraum_spalte: str | None,
    kosten_spalte: str | None,
    faelle_spalte: str | None,
    gebiet_spalte: str | None,
    bezug: str | None,
    bezug_name: str,
) -> None:
    """Einen KLR-Export (CSV/XLSX) einlesen: Kosten und Fälle je Produkt, Kostenstelle und Zeitraum.

    Tragen die Zeilen Gebietsschlüssel, entstehen Kennzahlen je Gebiet als Indikatoren
    (Kosten je Fall, Fälle je 1.000) – nach 'planlabor compute' in Atlas und Berichten.

    \b
    Beispiel:
      planlabor controlling import klr-kita-2024.xlsx --layer bezirk --bezug inhabitants_age_below_6 \\
          --bezug-name "Kinder unter 6"
    """
    ws = _workspace(ctx)
    columns = {
        "product": produkt_spalte,
        "cost_centre": kostenstelle_spalte,
        "period": zeitraum_spalte,
        "costs": kosten_spalte,
        "cases": faelle_spalte,
        "area": gebiet_spalte,
    }
    r = ws.import_controlling(file, layer, columns, bezug, bezug_name)
    click.echo(
        f"Import Nr. {r.import_id}: {r.rows} Zeilen, Produkte {', '.join(r.products)}, Zeiträume {', '.join(r.periods)}"
    )
    if r.superseded:
        click.echo(f"  {r.superseded} frühere Produkt-Zeitraum-Stände ersetzt (bleiben abrufbar).")
    if r.observations:
        click.echo(
            f"  {r.areas} Gebiete: Kennzahlen in vorlagen/controlling.toml – jetzt 'planlabor compute'."
        )


@controlling.command("soll")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.pass_context
def controlling_soll(ctx: click.Context, file: str) -> None:
    """Soll-Werte aus Kontrakten einlesen (produkt, kennzahl, zeitraum, soll, toleranz, richtung, kontrakt).

    \b
    Beispiel:
      planlabor controlling soll kontrakte-2024.csv
    """
    from planlabor.planning.controlling import read_targets, store_targets

    ws = _workspace(ctx)
    t = read_targets(file)
    store_targets(ws.store, t, file)
    click.echo(f"{len(t)} Soll-Werte eingelesen.")


def _population(ws: Any, variable: str | None) -> dict[str, float] | None:
    """Year → the value of ``variable`` on the layer with a single area (the city)."""
    if not variable:
        return None
    from planlabor.io.periods import period_end

    df = ws.store.query_df(
        "SELECT o.period, sum(o.value) AS v FROM observations o WHERE o.superseded_by IS NULL AND o.variable = ? "
        "AND o.layer_id = (SELECT layer_id FROM areas GROUP BY layer_id HAVING count(*) = 1 LIMIT 1) GROUP BY 1",
        [variable],
    )
    out: dict[str, float] = {}
    for p, v in zip(df["period"], df["v"], strict=True):
        out[str(period_end(p).year)] = float(v)
    return out


@controlling.command("status")
@click.option("--einwohner", help="Einwohnervariable für 'Fälle je 1.000' (Stadtebene).")
@click.option("--json", "as_json", is_flag=True, help="Als JSON.")
@click.pass_context
def controlling_status(ctx: click.Context, einwohner: str | None, as_json: bool) -> None:
    """Soll-Ist-Vergleich mit Ampel und Trend.

    \b
    Beispiel:
      planlabor controlling status
    """
    from planlabor.planning.controlling import soll_ist

    ws = _workspace(ctx, read_only=True)
    t = soll_ist(ws.store, _population(ws, einwohner))
    if as_json:
        _echo_json(t.to_dict("records"))
        return
    if t.empty:
        click.echo("Keine Soll-Werte ('planlabor controlling soll').")
    symbols = {"gruen": "● grün", "gelb": "● gelb", "rot": "● rot", "offen": "○ offen"}
    for r in t.to_dict("records"):
        ist = "–" if r["ist"] != r["ist"] else _de(r["ist"], 2)
        click.echo(
            f"{r['produkt']} · {r['bezeichnung']} · {r['zeitraum']}: Soll {_de(r['soll'], 2)}, Ist {ist} "
            f"→ {symbols[r['ampel']]} {r['trend']}"
        )


@report.command("controlling")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Zieldatei .html oder .pdf.")
@click.option("--einwohner", help="Einwohnervariable für 'Fälle je 1.000'.")
@click.option("--hinweis", default="", help="Hinweis über der Tabelle (z. B. 'Beispielzahlen').")
@click.pass_context
def report_controlling(ctx: click.Context, out: str, einwohner: str | None, hinweis: str) -> None:
    """Controlling-Bericht: Soll-Ist mit Ampel und Trend, Kosten und Fälle je Produkt.

    \b
    Beispiel:
      planlabor report controlling --out controlling-2024.pdf
    """
    from planlabor.planning.controlling import kennzahlen, soll_ist
    from planlabor.reports.controlling import controlling_html

    ws = _workspace(ctx)
    pop = _population(ws, einwohner)
    _write_doc(
        controlling_html(soll_ist(ws.store, pop), kennzahlen(ws.store, pop), _layout(ws), hinweis), out
    )


# ---------------------------------------------------------------- action plans
@cli.group("aktionsplan", cls=PlanlaborGroup)
def aktionsplan() -> None:
    """Inklusion / Teilhabeplanung: Aktionsplan zur UN-Behindertenrechtskonvention."""


@aktionsplan.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.pass_context
def aktionsplan_import(ctx: click.Context, file: str) -> None:
    """Maßnahmen des Aktionsplans einlesen (id, name, handlungsfeld, zustaendig, frist, status, indikatoren …).

    \b
    Beispiel:
      planlabor aktionsplan import aktionsplan-unbrk.xlsx
    """
    ws = _workspace(ctx)
    items = ws.register_measures(file, "aktionsplan")
    click.echo(f"{len(items)} Maßnahme(n) des Aktionsplans eingelesen.")


@aktionsplan.command("status")
@click.option("--stichtag", help="Stand zu diesem Tag (sonst heute), z. B. 2025-12-31.")
@click.pass_context
def aktionsplan_status(ctx: click.Context, stichtag: str | None) -> None:
    """Fortschritt je Handlungsfeld und überfällige Maßnahmen.

    \b
    Beispiel:
      planlabor aktionsplan status --stichtag 2025-12-31
    """
    from planlabor.cli import _date
    from planlabor.planning.actionplan import progress
    from planlabor.planning.measures import measures

    ws = _workspace(ctx, read_only=True)
    p = progress(measures(ws.store, "aktionsplan"), _date(stichtag, "--stichtag") or date.today())
    click.echo(
        f"{len(p.items)} Maßnahmen, {_de(p.share_done * 100)} % umgesetzt, {len(p.overdue)} überfällig"
    )
    for r in p.by_field.to_dict("records"):
        click.echo(
            f"  {r['handlungsfeld']}: {r['umgesetzt']}/{r['gesamt']} umgesetzt, {r['begonnen']} begonnen, "
            f"{r['ueberfaellig']} überfällig"
        )
    for m in p.overdue:
        click.echo(
            f"  überfällig: {m.measure_id} {m.name} (Frist {m.deadline}, {m.responsible or 'ohne Zuständigkeit'})"
        )


@report.command("aktionsplan")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Zieldatei .html oder .pdf.")
@click.option("--stichtag", help="Stand zu diesem Tag (sonst heute).")
@click.option("--titel", default="Aktionsplan UN-BRK", show_default=True)
@click.pass_context
def report_aktionsplan(ctx: click.Context, out: str, stichtag: str | None, titel: str) -> None:
    """Fortschrittsbericht des Aktionsplans mit den verknüpften Indikatoren.

    \b
    Beispiel:
      planlabor report aktionsplan --out fortschritt-unbrk.pdf
    """
    from planlabor.atlas.data import source_of
    from planlabor.cli import _date
    from planlabor.planning.actionplan import progress
    from planlabor.planning.measures import measures
    from planlabor.reports.aktionsplan import aktionsplan_html

    ws = _workspace(ctx)
    p = progress(measures(ws.store, "aktionsplan"), _date(stichtag, "--stichtag") or date.today())
    _write_doc(aktionsplan_html(p, source_of(ws), _layout(ws), titel), out)
