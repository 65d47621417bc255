"""The analyses of the Werkstatt page *Analysen*: their options (as on the command line) and how
each result becomes a table (:class:`~planlabor.app.analysis_forms.AnalysisResult`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planlabor.app import analyses as uc
from planlabor.app.analysis_forms import (
    Analysis,
    AnalysisResult,
    Option,
    atlas_href,
    indicators_using,
    table_of,
)

LAYER = Option("layer", "--layer", "Raumebene", "layer", required=True)
SEED = Option("seed", "--seed", "Startwert der Zufallszahlen", "int", 0)
TAB = (".csv", ".txt", ".xlsx")  # file kinds of a table upload (the form's accept)
PROJECTION_FILES = (  # the projection's file options, uploaded in the form (as --life-table … on the CLI)
    Option("life_table", "--life-table", "Sterbetafel (alter;geschlecht;qx)", "file", choices=TAB),
    Option("fertility", "--fertility", "Geburtenziffern (alter;rate)", "file", choices=TAB),
    Option(
        "scenarios",
        "--scenarios",
        "Szenarien (TOML) mit ihren Neubau-/Eckwert-Tabellen",
        "file",
        choices=(".toml", *TAB),
        multiple=True,
    ),
)


def _links(result: AnalysisResult, catalog: Any, layer: str, names: list[str], period: str | None) -> None:
    for ind in indicators_using(catalog, names):
        result.links.append(
            {"label": f"{ind.name} im Atlas öffnen", "href": atlas_href(layer, ind.id, period)}
        )
    result.links.append(
        {"label": f"Raumebene {layer} im Atlas öffnen", "href": atlas_href(layer, None, period)}
    )


def _de(v: float, digits: int = 3) -> str:
    return f"{v:.{digits}f}".replace(".", ",")


def _count(v: Any) -> int | None:
    return None if v is None or v != v else round(float(v))


def _n(v: float) -> str:
    return f"{v:,.0f}".replace(",", ".")


def segregation_table(out: Any, kw: dict[str, Any], catalog: Any) -> AnalysisResult:
    res = AnalysisResult("segregation", "Segregation", stored=[f"lq_{kw['group']}", f"seg_*_{kw['group']}"])
    measures = list(out.results[0].values) if out.results else []
    res.columns = ["Zeitraum", "Gebiete", "Anteil der Gruppe (%)", *measures, "p(D)"]
    for r in out.results:
        p = r.p_values.get("dissimilarity") if r.p_values else None
        res.rows.append([r.period, r.n_areas, r.group_share * 100, *(r.values[m] for m in measures), p])
    res.total_rows = len(res.rows)
    if out.change:
        res.summary.append(
            f"Veränderung von D: {out.change['difference']:+.3f}, p = {_de(out.change['p_value'])}".replace(
                ".", ","
            )
        )
    if out.results:
        from planlabor.spatial.segregation import CAVEATS

        res.notes.append(CAVEATS)
        _links(res, catalog, out.layer, [kw["group"], kw["total"]], out.results[-1].period)
    return res


def hotspots_table(r: Any, kw: dict[str, Any], catalog: Any) -> AnalysisResult:
    v = r.variable
    res = AnalysisResult("hotspots", "Hot Spots", stored=[f"lisa_{v}", f"lisa_p_{v}", f"gi_z_{v}"])
    res.summary.append(
        f"{v} am {r.period} auf {r.layer} ({r.n} Gebiete, Nachbarschaft {r.weights}): "
        f"Moran's I = {_de(r.moran_i)}, p = {_de(r.moran_p)}"
    )
    for label, n in r.local["cluster_label"].value_counts().items():
        res.summary.append(f"{label}: {n} Gebiete")
    if r.islands:
        res.notes.append(f"ohne Nachbarn (Inseln): {', '.join(r.islands)}")
    res.notes += list(r.notes)
    cols = {"area_id": "Gebiet", "value": "Wert", "cluster_label": "Cluster", "p": "p", "gi_z": "Gi* (z)"}
    table_of(r.local, cols, res)
    _links(res, catalog, r.layer, [v], r.period)
    return res


def coverage_table(r: Any, kw: dict[str, Any], catalog: Any) -> AnalysisResult:
    from planlabor.spatial.coverage import variable_names

    names = variable_names(r)
    u = "Minuten" if r.unit == "min" else "m"
    res = AnalysisResult("coverage", "Versorgung", stored=list(names.values()))
    res.summary.append(
        f"{r.facility_type}: {_de(r.city_ratio, 1)} Plätze je 100 ({r.demand_variable}) insgesamt"
    )
    res.summary.append(
        f"Median bis zur nächsten Einrichtung: {_de(float(r.table[r.nearest_column].median()), 1)} {u}"
    )
    if r.share_within is not None:
        res.summary.append(f"Anteil der Nachfrage bis {r.within:g} {u}: {_de(r.share_within * 100, 1)} %")
    res.notes += list(r.notes)
    cols = {
        "area_id": "Gebiet",
        "demand": "Nachfrage",
        r.nearest_column: f"nächste Einrichtung ({u})",
        "within": "in Reichweite",
        "sfca_per_100": "2SFCA: Plätze je 100",
    }
    table_of(r.table, cols, res)
    _links(res, catalog, r.layer, [*names.values(), r.demand_variable], r.period)
    return res


def typology_table(out: Any, kw: dict[str, Any], catalog: Any) -> AnalysisResult:
    r = out.result
    res = AnalysisResult("typology", "Typisierung", stored=[out.variable])
    res.summary.append(
        f"{r.k} Typen ({r.method}) auf {out.layer} am {out.period}, Silhouette {_de(r.silhouette, 2)}; "
        f"gespeichert als {out.variable} (Import Nr. {out.import_id})"
    )
    res.summary += list(r.descriptions)
    cols = {"typ": "Typ", "gebiete": "Gebiete", **{c: f"Mittel {out.names.get(c, c)}" for c in r.columns}}
    table_of(r.profiles, cols, res)
    _links(res, catalog, out.layer, [out.variable, *r.columns], out.period)
    return res


BANDS = {
    "ew": "Einwohner",
    "u3": "unter 3",
    "3_6": "3 bis 6",
    "6_10": "6 bis 10",
    "10_16": "10 bis 16",
    "65plus": "65+",
    "80plus": "80+",
}


def projection_table(out: Any, kw: dict[str, Any], catalog: Any) -> AnalysisResult:
    run = out.run
    proj = run.projection
    res = AnalysisResult("projection", "Bevölkerungsprognose", stored=["prog_VARIANTE_BAND"])
    res.summary.append(
        f"Prognose {run.layer} ab {run.base_period} für {len(proj.area_ids)} Gebiete, "
        f"{len(proj.years)} Jahre ({run.age_source})"
        + (f"; gespeichert als Import Nr. {out.import_id}" if out.import_id is not None else "")
    )
    res.notes += list(run.notes)
    f = proj.frame()
    show = [proj.base_year] + [y for y in proj.years if (y - proj.base_year) % 5 == 0 or y == proj.years[-1]]
    city = f[f["jahr"].isin(show)].groupby(["szenario", "band", "jahr"])["wert"].sum()
    res.columns = ["Variante", "Altersgruppe", *(str(y) for y in show)]
    for s in proj.scenarios:
        for band, label in BANDS.items():
            res.rows.append([s.name, label, *(_count(city.get((s.id, band, y))) for y in show)])
    res.total_rows = len(res.rows)
    _links(res, catalog, run.layer, [f"prog_{s.id}_ew" for s in proj.scenarios], None)
    return res


def kita_table(plans: Any, kw: dict[str, Any], catalog: Any) -> AnalysisResult:
    res = AnalysisResult("kita", "Kita-Bedarfsplan", stored=["kita_versorgungsquote", "kita_bedarf_u3_Q"])
    for p in plans:
        t = p.totals
        res.summary.append(
            f"{p.period} ({p.children_source}): U3 {_n(t['kinder_u3'])}, Ü3 {_n(t['kinder_ue3'])}, nutzbare "
            f"Plätze {_n(t['nutzbare_plaetze'])}, Versorgungsquote {_de(t['versorgungsquote'], 1)} %"
        )
    last = plans[-1]
    cols = {
        "area_id": "Gebiet",
        "name": "Name",
        "u3": "Kinder U3",
        "ue3": "Kinder Ü3",
        "plaetze": "Plätze",
        "versorgungsquote": "Versorgungsquote (%)",
    }
    for q in last.u3_rates:
        cols[f"bedarf_u3_{q:g}"] = f"Bedarf (U3 {q:g} %)"
        cols[f"fehlplaetze_u3_{q:g}"] = f"fehlende Plätze (U3 {q:g} %)"
    table_of(last.table, cols, res)
    _links(res, catalog, last.layer, ["kita_versorgungsquote"], last.period)
    return res


def index_table(r: Any, kw: dict[str, Any], catalog: Any) -> AnalysisResult:
    res = AnalysisResult(
        "index", "Index", files=[Path(r.out).name, *(Path(p).name for p in r.level_files.values())]
    )
    res.summary.append(f"Index {r.spec}: {r.rows} Zeilen, {r.excluded} ausgeschlossen ({r.layout})")
    res.columns = ["Klasse", "Gebiete"]
    res.rows = [[label, n] for label, n in sorted(r.class_counts.items())]
    res.total_rows = len(res.rows)
    return res


def _segregation(where: Any, compare: list[str] | None = None, progress: Any = None, **kw: Any) -> Any:
    if compare is not None and len(compare) != 2:
        from planlabor.errors import InputError

        raise InputError(
            "Zum Vergleich genau zwei Zeiträume angeben.",
            column="--compare",
            expected="2021-12-31, 2024-12-31",
        )
    pair = tuple(compare) if compare else None
    return uc.segregation(where, compare=pair, progress=progress, **kw)  # type: ignore[arg-type]


ANALYSES: dict[str, Analysis] = {
    a.id: a
    for a in (
        Analysis(
            "index",
            "Index (Vorlage auf eine Tabelle)",
            "index",
            "Einen zusammengesetzten Index (MSS 2021, GISD, SVI, Leitindikator) auf eine hochgeladene "
            "Tabelle anwenden.",
            (
                Option(
                    "preset",
                    "PRESET_OR_SPEC",
                    "Indexvorlage",
                    "choice",
                    "mss2021",
                    True,
                    ("mss2021", "gisd", "svi", "headline"),
                ),
                Option("input_file", "INPUT_FILE", "Tabelle (CSV oder Excel)", "file", required=True),
                Option("levels", "--ebene", "Höhere Ebenen (Spalten, kommagetrennt)", "list", ()),
            ),
            uc.composite_index,
            index_table,
        ),
        Analysis(
            "typology",
            "Typisierung",
            None,
            "Gebiete nach mehreren Merkmalen zu Typen zusammenfassen (k-means oder Ward), gespeichert "
            "als Variable.",
            (
                LAYER,
                Option("period", "--period", "Zeitraum", "period", required=True),
                Option(
                    "columns",
                    "--columns",
                    "Merkmale (Variablen oder Indikatoren, kommagetrennt)",
                    "list",
                    required=True,
                ),
                Option("k", "--k", "Zahl der Typen", "int", 5),
                Option("method", "--method", "Verfahren", "choice", "kmeans", choices=("kmeans", "ward")),
                SEED,
                Option("variable", "--variable", "Name der Typ-Variable", "text", "typ"),
            ),
            uc.typology,
            typology_table,
        ),
        Analysis(
            "segregation",
            "Segregation",
            "segregation",
            "Dissimilarität, Isolation, Interaktion, Entropie und Gini einer Gruppe.",
            (
                LAYER,
                Option(
                    "group",
                    "--group",
                    "Variable der Gruppe",
                    required=True,
                    help="z. B. inhabitants_foreigners",
                ),
                Option(
                    "total",
                    "--total",
                    "Variable der Gesamtbevölkerung",
                    required=True,
                    help="z. B. inhabitants",
                ),
                Option("periods", "--period", "Zeiträume (kommagetrennt; leer: alle)", "list", ()),
                Option("permutations", "--permutations", "Permutationen für p(D)", "int", 0),
                Option("spatial", "--spatial", "Auch räumliche Dissimilarität", "flag", False),
                Option("compare", "--compare", "Veränderung von D zwischen zwei Zeiträumen", "list"),
                SEED,
            ),
            _segregation,
            segregation_table,
        ),
        Analysis(
            "hotspots",
            "Hot Spots",
            "hotspots",
            "Globales Moran's I, lokale Cluster (LISA) und Getis-Ord Gi*.",
            (
                LAYER,
                Option("variable", "--variable", "Variable oder Indikator", required=True),
                Option("period", "--period", "Zeitraum", "period", required=True),
                Option(
                    "weights",
                    "--weights",
                    "Nachbarschaft",
                    "choice",
                    "queen",
                    choices=("queen", "rook", "distance"),
                ),
                Option("threshold", "--threshold", "Entfernung in Metern (bei distance)", "float"),
                Option("permutations", "--permutations", "Permutationen", "int", 999),
                Option("alpha", "--alpha", "Signifikanzniveau", "float", 0.05),
                Option("fdr", "--fdr", "Falscherkennungsrate kontrollieren", "flag", False),
                SEED,
            ),
            uc.hotspots,
            hotspots_table,
        ),
        Analysis(
            "coverage",
            "Versorgung",
            "coverage",
            "Entfernung zur nächsten Einrichtung, Anteil in Reichweite und 2SFCA je Gebiet.",
            (
                Option("facility_type", "--type", "Art der Einrichtung", required=True, help="z. B. kita"),
                LAYER,
                Option(
                    "demand",
                    "--demand",
                    "Nachfragevariable",
                    required=True,
                    help="z. B. inhabitants_age_below_6",
                ),
                Option("period", "--period", "Stichtag der Nachfrage", "period", required=True),
                Option("distance", "--distance", "Einzugsbereich (m bzw. min)", "float", 1000.0),
                Option("within", "--within", "Anteil bis zu dieser Entfernung", "float"),
                Option(
                    "decay",
                    "--decay",
                    "Abfall mit der Entfernung",
                    "choice",
                    "gaussian",
                    choices=("gaussian", "none"),
                ),
                Option(
                    "accessible",
                    "--barrierefrei",
                    "Nur barrierefreie Einrichtungen",
                    "choice",
                    choices=("ja", "teilweise"),
                ),
                Option(
                    "network",
                    "--network",
                    "Auf dem Straßennetz",
                    "choice",
                    choices=("fuss", "rad", "auto", "rollstuhl"),
                ),
                Option("unit", "--unit", "Einheit mit Straßennetz", "choice", "m", choices=("m", "min")),
            ),
            uc.coverage,
            coverage_table,
        ),
        Analysis(
            "projection",
            "Bevölkerungsprognose",
            "project",
            "Kleinräumige Prognose (Kohorten-Komponenten) in drei Varianten, gespeichert als "
            "prog_VARIANTE_BAND.",
            (
                LAYER,
                Option("base", "--base", "Basisstichtag (31.12.)", "period", required=True),
                Option("years", "--years", "Prognosejahre", "int", 20),
                Option(
                    "calibrate",
                    "--calibrate",
                    "Frühere Stichtage für die Wanderungsraten (kommagetrennt)",
                    "list",
                ),
                Option("tfr", "--tfr", "Zusammengefasste Geburtenziffer (leer: 1,35)", "float"),
                Option("types", "--types", "Gebietstypen für die Raten", help="z. B. typ_kontext"),
                Option("shrinkage", "--shrinkage", "Gewicht der Typ-/Stadtrate (Personen)", "float", 1000.0),
                Option("min_size", "--min-size", "Mindestgröße belastbarer Gebiete", "int", 8000),
                *PROJECTION_FILES,
            ),
            uc.projection,
            projection_table,
        ),
        Analysis(
            "kita",
            "Kita-Bedarfsplan",
            "plan kita",
            "Kinder U3/Ü3, Plätze, Versorgungsquote, Bedarf und fehlende Plätze je Gebiet.",
            (
                LAYER,
                Option("period", "--period", "Stichtag (mit Prognose: Stichtage kommagetrennt)"),
                Option("scenario", "--prognose", "Kinder aus der Prognosevariante", help="z. B. intern"),
                Option("u3", "--u3-quote", "Bedarfsquoten U3 in % (mehrere: Leerzeichen)", "floats"),
                Option("ue3", "--ue3-quote", "Bedarfsquote Ü3 in %", "float", 95.0),
                Option("usable_share", "--usable-share", "Nutzbarer Anteil der Plätze (0–1)", "float", 1.0),
                Option("places_period", "--places-period", "Stichtag der Platzzahlen", "period"),
            ),
            uc.kita_plan,
            kita_table,
        ),
    )
}
