"""The Berlin demo: a workspace built from real open data shipped with planlabor.

Steps (each is what a planner would do with the command line):

1. areas: Bezirke (reprojected from EPSG:4326), Stadt (dissolved), Prognoseräume (assigned to
   Bezirke by spatial containment), Bezirksregionen (parent from the key prefix) and the 542
   Planungsräume 2021 (parent from the hierarchy table ``LOR_2021.csv``);
2. population 2021–2024 half-yearly, the register extracts with fine age bands for 31.12.2024
   (wrongly published key corrected explicitly) and 31.12.2025, the MSS 2021 context indicators;
3. Kitas assigned to the Planungsräume (count and approved places);
4. population projection 2026–2040 (cohort-component, three variants), the Kita plan
   2026–2030, school-age and old-age demand from it;
5. all indicators computed on all levels; exports written; the integrated report (HTML, PDF),
   the method appendix and the 542 Sozialraumprofile (HTML) (CSV, German Excel CSV, XLSX,
   GeoJSON, GeoPackage; internal and public).

Data origin and licences: ``planlabor/demo/data/NOTICE.md``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from planlabor.errors import WorkspaceError

DEMO_MARKER = ".planlabor-demo"


def data_dir() -> Path:
    """Folder of the shipped demo data."""
    return Path(str(resources.files("planlabor.demo").joinpath("data")))


def _prepare(out: Path) -> None:
    if out.exists():
        if (out / DEMO_MARKER).exists():
            shutil.rmtree(out)
        elif any(out.iterdir()):
            raise WorkspaceError(
                f"Der Ordner {out} ist nicht leer und kein früherer Demo-Arbeitsbereich.",
                hint="Wählen Sie mit --out einen neuen oder leeren Ordner.",
            )


def missing_modules(*names: str) -> list[str]:
    """Which of the optional modules ``names`` are not installed (without importing them)."""
    import importlib.util

    return [n for n in names if importlib.util.find_spec(n) is None]


def reports_if_installed(ws: Any, folder: Path, effect: Any, say: Callable[[str], None]) -> list[str]:
    """The demo's reports, or one German sentence naming the extra when it is not installed
    (a plain ``pip install planlabor`` has no PDF engine)."""
    lacking = missing_modules("jinja2", "weasyprint", "docx", "matplotlib")
    if lacking:
        say(
            "Berichte übersprungen: dafür fehlt das Zusatzpaket „reports“ ("
            + ", ".join(lacking)
            + "). Installieren Sie es mit: pip install 'planlabor[reports]'"
        )
        return []
    say("Berichte: Sozialbericht (HTML, PDF), Methodenanhang, 542 Sozialraumprofile (HTML) …")
    return _reports(ws, folder) + _fach_reports(ws, folder, effect)


def build_demo(
    out: Path, progress: Callable[[str], None] | None = None, exports: bool = True
) -> dict[str, Any]:
    """Build the Berlin demo workspace in ``out`` and return a summary."""
    from planlabor.catalog.model import template_text
    from planlabor.workspace import Workspace

    say = progress or (lambda _msg: None)
    out = Path(out).resolve()
    _prepare(out)
    ws = Workspace.init(
        out,
        name="Berlin (Demo)",
        municipality="Berlin",
        crs="EPSG:25833",
        catalog_text=template_text("berlin"),
    )
    (out / DEMO_MARKER).write_text("planlabor demo\n", encoding="utf-8")
    try:
        steps = _import_and_compute(ws, say)
        export_dir = out / "exporte"
        export_dir.mkdir(parents=True, exist_ok=True)
        steps["rebased"]["error"].to_csv(
            export_dir / "umschluesselung_fehler_2020-12-31.csv", float_format="%.4f"
        )
        written = ["umschluesselung_fehler_2020-12-31.csv"]
        analyses = _analyses(ws, export_dir, written, say)
        for name, table in steps["prog"].pop("tables").items():
            table.to_csv(export_dir / name, index=False, float_format="%.2f")
            written.append(name)
        say("Sensitivität des Armutsindex …")
        analyses["sens"] = _sensitivity(ws, export_dir)
        written += _write_typology(steps["typ"], export_dir)
        if exports:
            written += _write_exports(ws, export_dir, say)
            written += reports_if_installed(ws, export_dir / "berichte", steps["effect"], say)
        return _summary(out, export_dir, written, steps, analyses)
    finally:
        ws.close()


def _import_and_compute(ws: Any, say: Callable[[str], None]) -> dict[str, Any]:
    """Import areas, tables and Kitas, rebase 2019–2020, build typology, projection, D-A-CH
    comparison and Fachthemen, compute all indicators and the effect of measure M01; return the
    result of each step by name."""
    from planlabor.demo import berlin_import as imp

    src = data_dir() / "berlin"
    say("Raumebenen: Bezirke, Stadt, Prognoseräume, Bezirksregionen, Planungsräume …")
    link = imp.import_lor_areas(ws, src)
    say("Einwohner:innen 2019–2024 (halbjährlich; bis 2020 auf den alten Planungsräumen) …")
    n_imports = imp.import_population(ws, src)
    say("Registerdaten mit feinen Altersgruppen (31.12.2024, 31.12.2025) …")
    imp.import_register(ws, src)
    say("MSS 2021 Kontextindikatoren …")
    imp.import_mss(ws, src)
    say("Umschlüsselung 2019–2020 auf die Planungsräume 2021 (nach Einwohner:innen) …")
    rebased = _rebase(ws)
    say("Kitas den Planungsräumen zuordnen …")
    kita = imp.import_kitas(ws, src)
    say("Typologie der Planungsräume (k-Means, 5 Typen) …")
    typ = _typology(ws)
    say("Bevölkerungsprognose 2026–2040 (Basis 31.12.2025, Wanderungsraten 2025) und Bedarfe …")
    prog = _projection(ws)
    say("D-A-CH-Vergleich: NUTS 0/2/3 von Deutschland, Österreich, Schweiz und Eurostat-Tabellen …")
    dach = ws.setup_dach(data_dir() / "dach", lau=False)
    say("Fachthemen: Maßnahme, Kita-Controlling und Aktionsplan UN-BRK (erfundene Beispiele) …")
    fach = _fachthemen(ws)
    say("Indikatoren und Indizes berechnen …")
    comp = ws.compute()
    say("Wirkungsanalyse der Beispielmaßnahme M01 …")
    effect = _effect(ws)
    return {
        "link": link,
        "n_imports": n_imports,
        "rebased": rebased,
        "kita": kita,
        "typ": typ,
        "prog": prog,
        "dach": dach,
        "fach": fach,
        "comp": comp,
        "effect": effect,
    }


def _analyses(ws: Any, export_dir: Path, written: list[str], say: Callable[[str], None]) -> dict[str, Any]:
    """Run segregation, Kita coverage, Kita plan and hot spots; write their tables to
    ``export_dir`` (names appended to ``written``) and return the results by name."""
    from planlabor.planning.kita import plan as kita_plan
    from planlabor.spatial.coverage import analyse as coverage
    from planlabor.spatial.hotspots import analyse as hotspots
    from planlabor.spatial.segregation import analyse

    say("Segregation der Ausländer:innen 2021–2024 …")
    seg = analyse(
        ws.store,
        "plr",
        "inhabitants_foreigners",
        "inhabitants",
        [p for p in PERIODS_2021_2024],
        permutations=0,
    )
    say("Kita-Versorgung: Entfernung, 500-m-Reichweite, 2SFCA 1 km …")
    cov = coverage(ws.store, "plr", "kita", "inhabitants_age_below_6", "2022-12-31", 1000, within=500)
    cov.table.to_csv(export_dir / "kita_versorgung_2022.csv", index=False, float_format="%.2f")
    written.append("kita_versorgung_2022.csv")
    say("Kita-Bedarfsplan 31.12.2024 (U3-Quoten 45/50/55 %, Ü3 95 %) …")
    kplan = kita_plan(ws.store, "plr", "2024-12-31")
    kplan.table.to_csv(export_dir / "kita_bedarfsplan_2024.csv", index=False, float_format="%.2f")
    written.append("kita_bedarfsplan_2024.csv")
    say("Hot Spots der Alleinerziehenden (MSS KI 2, LISA) …")
    lisa = hotspots(ws.store, "plr", "KI_02", "2020-12-31", permutations=999, seed=1)
    lisa.local.to_csv(export_dir / "hotspots_alleinerziehende_2020.csv", index=False, float_format="%.5f")
    written.append("hotspots_alleinerziehende_2020.csv")
    return {"seg": seg, "cov": cov, "kplan": kplan, "lisa": lisa}


def _write_typology(typ: dict[str, Any], export_dir: Path) -> list[str]:
    """Write the type profiles (CSV) and their German description (text); return the names written
    (with the sensitivity table written before)."""
    typ["profiles"].to_csv(export_dir / "typologie_profile.csv", index=False, float_format="%.4f")
    (export_dir / "typologie_profile.txt").write_text(
        f"Typologie der Planungsräume: k-Means, 5 Typen, Startwert 1, Silhouette "
        f"{typ['silhouette']:.3f}".replace(".", ",")
        + "\n\n"
        + "\n".join(typ["descriptions"])
        + "\n",
        encoding="utf-8",
    )
    return ["typologie_profile.csv", "typologie_profile.txt", "sensitivitaet_armutsindex.csv"]


def _write_exports(ws: Any, export_dir: Path, say: Callable[[str], None]) -> list[str]:
    """Export PLR, BZR and Bezirke as CSV (internal), German Excel CSV and XLSX (public), and the
    public PLR of 31.12.2024 as GeoJSON and GeoPackage; return the file names."""
    from planlabor.io.export import ExportOptions

    say("Exporte schreiben …")
    written = []
    for layer in ("plr", "bzr", "bezirk"):
        for fmt, style, public, suffix in (
            ("csv", "machine", False, ".csv"),
            ("csv", "excel-de", True, "_excel.csv"),
            ("xlsx", "machine", True, ".xlsx"),
        ):
            name = f"{layer}{'_oeffentlich' if public else '_intern'}{suffix}"
            ws.export(
                ExportOptions(
                    layer=layer,
                    out=export_dir / name,
                    format=fmt,  # type: ignore[arg-type]
                    csv_style=style,  # type: ignore[arg-type]
                    public=public,
                )
            )
            written.append(name)
    for fmt in ("geojson", "gpkg"):
        name = f"plr_2024-12-31_oeffentlich.{fmt}"
        ws.export(
            ExportOptions(
                layer="plr",
                out=export_dir / name,
                format=fmt,  # type: ignore[arg-type]
                periods=["2024-12-31"],
                public=True,
            )
        )
        written.append(name)
    return written


def _summary(
    out: Path, export_dir: Path, written: list[str], steps: dict[str, Any], analyses: dict[str, Any]
) -> dict[str, Any]:
    """The summary of the demo build: files written and the key figures of each step."""
    kita, comp, typ, effect = steps["kita"], steps["comp"], steps["typ"], steps["effect"]
    seg, cov, kplan, lisa = analyses["seg"], analyses["cov"], analyses["kplan"], analyses["lisa"]
    return {
        "root": str(out),
        "exports": str(export_dir),
        "files": written,
        "imports": steps["n_imports"] + 3,
        "kitas": kita.n_facilities,
        "kita_places": kita.capacity_total,
        "ambiguous_pgr": steps["link"]["ambiguous"],
        "values": comp.values_written,
        "suppressed": comp.suppressed,
        "silhouette": typ["silhouette"],
        "rebase_error": steps["rebased"]["error"].attrs,
        "moran_ki02": lisa.moran_i,
        "kita_share_500m": cov.share_within,
        "kita_plan": kplan.totals,
        "kita_places_per_100_u6": cov.city_ratio,
        "lisa_clusters": lisa.local["cluster"].value_counts().to_dict(),
        "segregation": {r.period: round(r.values["dissimilarity"], 4) for r in seg},
        "sensitivity_max_share": float(analyses["sens"]["anteil_klassenwechsel"].max()),
        "projection": steps["prog"],
        "dach": {"layers": steps["dach"].layers, "tables": steps["dach"].tables},
        "controlling": steps["fach"]["controlling"],
        "effect": {
            "estimate": effect[0].estimate,
            "ci": [effect[0].ci_low, effect[0].ci_high],
            "statement": effect[1]["statement"],
        },
    }


PERIODS_2021_2024 = [f"{y}-{md}" for y in range(2021, 2025) for md in ("06-30", "12-31")]


def _rebase(ws: Any) -> dict[str, Any]:
    """Population 2019–2020 from the 448 old PLR onto the 542 PLR of 2021, split by the
    residents of the new PLR at 30.06.2021; checked against the MSS residents of 31.12.2020."""
    from planlabor.areas.rebase import build_crosswalk, rebase, rebase_error

    build_crosswalk(ws.store, "plr2006", "plr", "population", "inhabitants", "2021-06-30")
    report = rebase(
        ws.store, "plr2006", "plr", None, ["2019-12-31", "2020-06-30", "2020-12-31"], "population"
    )
    error = rebase_error(ws.store, "plr", "inhabitants", "EW", "2020-12-31")
    return {"report": report, "error": error}


def _projection(ws: Any) -> dict[str, Any]:
    """Cohort-component projection of the 542 PLR from the register extract of 31.12.2025
    (migration rates from 31.12.2024 → 31.12.2025), then the Kita plan 2026–2030, school age and
    old-age demand from the internal-migration variant."""
    from planlabor.planning.demand import old_age, school_age
    from planlabor.planning.kita import plan_years
    from planlabor.projection.run import run_projection, save_projection

    run = run_projection(ws.store, "plr", "2025-12-31", 15, ["2024-12-31"])
    save_projection(ws.store, run, {"layer": "plr", "base": "2025-12-31", "calibration": ["2024-12-31"]})
    kita = plan_years(ws.store, "plr", "intern", [f"{y}-12-31" for y in range(2026, 2031)])
    school = school_age(ws.store, "plr", "intern")
    old = old_age(ws.store, "plr", "intern")
    f = run.projection.frame()
    city = f[f["szenario"] == "intern"].groupby(["band", "jahr"])["wert"].sum()
    import pandas as pd

    return {
        "areas": len(run.projection.area_ids),
        "small_areas": len(run.small_areas),
        "ew_2040": float(city[("ew", 2040)]),
        "u3_2030": float(city[("u3", 2030)]),
        "kita_fehlplaetze_u3_50": {p.period: p.totals["fehlplaetze_u3_50"] for p in kita},
        "pflegebeduerftige_2040": float(old.totals["pflegebeduerftige"].iloc[-1]),
        "tables": {
            "prognose_altersgruppen_plr.csv": f,
            "kita_bedarfsplan_prognose_2026-2030.csv": pd.concat(
                [p.table.assign(stichtag=p.period) for p in kita], ignore_index=True
            ),
            "schulalter_prognose.csv": school.table,
            "alter_pflege_wohnen_prognose.csv": old.table,
        },
    }


def _reports(ws: Any, folder: Path) -> list[str]:
    """The integrated report as HTML and PDF, the method appendix and one profile per PLR."""
    from planlabor.atlas.data import source_of
    from planlabor.reports import sozialbericht
    from planlabor.reports.data import ReportData
    from planlabor.reports.methods import methods_html
    from planlabor.reports.render import Layout, ProfileBuilder, html_to_pdf, write_profiles

    folder.mkdir(parents=True, exist_ok=True)
    data = ReportData(source_of(ws))
    layout = Layout.of(ws)
    report = sozialbericht.gather(data, layout, "plr")
    sozialbericht.write(report, "html", folder / "sozialbericht.html")
    sozialbericht.write(report, "pdf", folder / "sozialbericht.pdf")  # typst
    html_to_pdf(methods_html(data, layout), folder / "methodenanhang.pdf")
    ids = ws.store.areas("plr")["area_id"].astype(str).tolist()
    write_profiles(ProfileBuilder(data, layout, "plr"), ids, "html", folder / "profile")
    return [
        "berichte/sozialbericht.html",
        "berichte/sozialbericht.pdf",
        "berichte/methodenanhang.pdf",
        f"berichte/profile/ ({len(ids)} Sozialraumprofile, HTML)",
    ]


def _fachthemen(ws: Any) -> dict[str, Any]:
    """The invented examples of the Fachthemen: a measure against family poverty in Gropiusstadt,
    Kita costs per place per Bezirk with contract targets, and an action plan (UN-BRK)."""
    from planlabor.planning.controlling import read_targets, soll_ist, store_targets

    ex = data_dir() / "beispiele"
    ws.register_measures(ex / "massnahmen_ERFUNDEN.csv", "massnahme")
    ws.register_measures(ex / "aktionsplan_unbrk_ERFUNDEN.csv", "aktionsplan")
    klr = ws.import_controlling(
        ex / "kita_klr_ERFUNDEN.csv",
        layer="bezirk",
        columns={"cases": "Belegte Plätze", "area": "Bezirk"},
        reference="inhabitants_age_below_6",
        reference_name="Kinder unter 6",
    )
    store_targets(
        ws.store, read_targets(ex / "kita_kontrakte_ERFUNDEN.csv"), ex / "kita_kontrakte_ERFUNDEN.csv"
    )
    table = soll_ist(ws.store)
    return {
        "controlling": {
            "rows": klr.rows,
            "ampel": table[["zeitraum", "kennzahl", "ampel"]].to_dict("records"),
        }
    }


def _effect(ws: Any) -> Any:
    """Effect of the invented measure M01 on its target indicator, against the 10 PLR most
    similar on the inputs of the poverty index before the start; the estimate is stored."""
    from planlabor.planning.effects import evaluate_measure, save_estimate
    from planlabor.planning.measures import get_measure

    m = get_measure(ws.store, "M01")
    result, reading = evaluate_measure(ws.store, ws.catalog(), m, k=10)
    save_estimate(ws.store, "M01", result, reading)
    return result, reading


def _fach_reports(ws: Any, folder: Path, effect: Any) -> list[str]:
    """Effect report, controlling report, D-A-CH comparison of Berlin, action-plan progress (HTML)
    and the data-request checklists of the six theme sets (XLSX)."""
    from planlabor.atlas.data import source_of
    from planlabor.planning.actionplan import progress
    from planlabor.planning.controlling import kennzahlen, soll_ist
    from planlabor.planning.measures import get_measure, measures
    from planlabor.reports.aktionsplan import aktionsplan_html
    from planlabor.reports.controlling import controlling_html
    from planlabor.reports.render import Layout
    from planlabor.reports.vergleich import compare_region, vergleich_html
    from planlabor.reports.wirkung import wirkung_html

    layout = Layout.of(ws)
    src = source_of(ws)
    result, reading = effect
    m = get_measure(ws.store, "M01")
    files = {
        "wirkung_M01.html": wirkung_html(
            m, result.summary(), reading, ws.catalog().get(result.indicator), layout
        ),
        "controlling_kita.html": controlling_html(
            soll_ist(ws.store), kennzahlen(ws.store), layout, "Erfundene Beispielzahlen für die Demo."
        ),
        "vergleich_berlin_nuts3.html": vergleich_html(
            compare_region(src, "nuts3", "DE300", per_group=2), layout
        ),
        "aktionsplan_unbrk.html": aktionsplan_html(
            progress(measures(ws.store, "aktionsplan"), date(2025, 12, 31)),
            src,
            layout,
            "Aktionsplan UN-BRK (Beispiel)",
        ),
    }
    for name, html in files.items():
        (folder / name).write_text(html, encoding="utf-8")
    written = [f"berichte/{n}" for n in files]
    # the data requests of the theme sets, marked with what the demo already holds
    from planlabor.catalog.checklist import checklist, write_checklist
    from planlabor.catalog.exchange import THEME_SETS, read_template

    have = set(ws.store.query_df("SELECT DISTINCT variable FROM observations")["variable"])
    for name in THEME_SETS:
        catalog = read_template(name)[1]
        write_checklist(
            checklist(catalog, have), folder / f"datenanforderung_{name}.xlsx", f"Datenanforderung {name}"
        )
        written.append(f"berichte/datenanforderung_{name}.xlsx")
    return written


TYPOLOGY_INDICATORS = ["KI_01", "KI_02", "KI_03", "KI_04", "KI_07", "KI_09", "KI_10", "KI_11"]


def _typology(ws: Any) -> dict[str, Any]:
    """k-means typology of the 542 PLR on MSS context indicators, stored as observations."""
    from planlabor.indices.typology import store_typology, typology

    obs = ws.store.observations("plr", TYPOLOGY_INDICATORS, ["2020-12-31"])
    wide = obs.pivot_table(index="area_id", columns="variable", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(ws.store.areas("plr")["area_id"])
    catalog = ws.catalog()
    names = {v: (catalog.get(v.lower()).name if catalog.get(v.lower()) else v) for v in TYPOLOGY_INDICATORS}
    res = typology(wide.reset_index(), TYPOLOGY_INDICATORS, k=5, method="kmeans", seed=1, names=names)
    store_typology(ws.store, "plr", "2020-12-31", "typ_kontext", wide.index.astype(str).tolist(), res)
    return {"silhouette": res.silhouette, "profiles": res.profiles, "descriptions": res.descriptions}


def _sensitivity(ws: Any, export_dir: Path) -> Any:
    from planlabor.indices.catalog_run import index_input, spec_of
    from planlabor.indices.sensitivity import sensitivity

    catalog = ws.catalog()
    ref = next(r for r in catalog.indices if r.id == "armutsindex")
    local, frame = index_input(ws.store, ref, spec_of(ref, ws.root))
    table = sensitivity(local, frame, "status")
    table.to_csv(export_dir / "sensitivitaet_armutsindex.csv", index=False, float_format="%.4f")
    return table
