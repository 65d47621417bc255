"""The Deutschland demo: Länder, Kreise, Gemeindeverbände and Gemeinden from VG5000 with the
publishers' own files, imported exactly as downloaded.

Every step is what a planner outside Berlin does with the commands of
``docs/eigene-daten.md``: areas from the BKG geometry, Länder and Deutschland formed by key
prefix (official names built in), then the publishers' tables — GENESIS, Regionalstatistik,
Statistik der BA, INKAR, IRIS — each with ``--layer`` alone; IRIS' Gemeindeverband values re-based
onto the Gemeinden (flagged ``geschaetzt``); the theme sets "Arbeit" and
"Armut und Reichtum" plus a starter catalog from the imported variables; compute; a static
atlas and a Kreis profile.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

# (file, layer, renames) in the order a planner would import them
PUBLISHER_FILES: list[tuple[str, str, dict[str, str]]] = [
    ("12411-0015.csv", "kreis", {"bevoelkerungsstand": "einwohner"}),
    ("31211-01-01-4.xlsx", "kreis", {}),
    ("22541-01-01-4.csv", "kreis", {}),
    (
        "Kreise_WO_Zeitreihe.xlsx",
        "kreis",
        {
            "svb_kreise_wo_anzahl_insgesamt": "svb_wo",
            "svb_kreise_wo_anzahl_ohne_berufsabschluss": "svb_wo_ohne_berufsabschluss",
        },
    ),
    ("E_Schuldnerquote.xls", "kreis", {}),
    ("inkar_sdg_etc.csv", "kreis", {}),
    ("IRIS_Einkommenssteuer_Gemeindeverbaende_2022.csv", "gemeindeverband", {}),
    ("continuous_Einwohner.parquet", "gemeinde", {"Einwohner": "einwohner_zensus"}),
]
PROFILE_AREA = "03241"  # Region Hannover: a Kreis with Gemeinden, Gemeindeverbände and a Land above


def data_dir() -> Path:
    from planlabor.demo import data_dir as root

    return root() / "deutschland"


def build_demo_de(out: Path, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build the Deutschland demo workspace in ``out``; a summary of what was built."""
    from planlabor.catalog.model import template_text
    from planlabor.demo import DEMO_MARKER, _prepare
    from planlabor.workspace import Workspace

    say = progress or (lambda _msg: None)
    out = Path(out).resolve()
    _prepare(out)
    ws = Workspace.init(
        out,
        name="Deutschland (Demo)",
        municipality="Deutschland",
        crs="EPSG:25832",
        catalog_text=template_text("arbeit") + "\n" + _without_themes(template_text("armut")),
    )
    (out / DEMO_MARKER).write_text("planlabor demo\n", encoding="utf-8")
    try:
        say("Raumebenen aus VG5000: Kreise, Länder, Deutschland, Gemeinden, Gemeindeverbände …")
        layers = _areas(ws)
        say("Dateien der Statistikämter, der BA und des BBSR importieren (je nur --layer) …")
        imports = [_import(ws, name, layer, renames) for name, layer, renames in PUBLISHER_FILES]
        say("IRIS-Einkommensteuer der Gemeindeverbände auf die Gemeinden umschlüsseln (geschätzt) …")
        rebased = _rebase_to_gemeinden(ws)
        say("Startkatalog aus den importierten Variablen, Indikatoren berechnen …")
        suggested = _suggest(ws)
        computed = ws.compute()
        exports = out / "exporte"
        exports.mkdir(exist_ok=True)
        say("Kreisprofil und Export …")
        profile = _profile(ws, exports)
    finally:
        ws.close()
    return {
        "root": str(out),
        "layers": layers,
        "imports": imports,
        "rebased": rebased,
        "suggested": suggested,
        "indicators": computed.indicators,
        "values": computed.values_written,
        "suppressed": dict(computed.suppressed),
        "profile": profile,
        "exports": str(exports),
    }


def _without_themes(text: str) -> str:
    """A second template's text without its ``themes`` line (one list per catalog file)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("themes ="))


def _areas(ws: Any) -> dict[str, int]:
    from planlabor.areas import AreaImportOptions, dissolve_layer

    src = data_dir()
    ws.import_areas(
        src / "VG5000_KRS.shp",
        AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN", layer_name="Kreise"),
    )
    dissolve_layer(ws.store, "kreis", "land", key_prefix=2)
    dissolve_layer(ws.store, "land", "bund", area_id="DG", name="Deutschland", layer_name="Deutschland")
    ws.import_areas(
        src / "VG5000_GEM.shp",
        AreaImportOptions(
            layer="gemeinde",
            id_column="ARS",
            name_column="GEN",
            layer_name="Gemeinden",
            parent_layer="kreis",
            parent_prefix=5,
        ),
    )
    dissolve_layer(ws.store, "gemeinde", "gemeindeverband", key_prefix=9, layer_name="Gemeindeverbände")
    return {lay.layer_id: len(ws.store.areas(lay.layer_id)) for lay in ws.store.layers()}


def _import(ws: Any, name: str, layer: str, renames: dict[str, str]) -> dict[str, Any]:
    from planlabor.io.importer import ImportOptions

    period = "2011-05-09" if name.endswith(".parquet") else None  # Zensus 2011 reference date
    r = ws.import_table(data_dir() / name, ImportOptions(layer=layer, rename=renames, period=period))
    if hasattr(r, "lines"):  # a Zensus grid, assigned to the Gemeinden by cell centres
        return {
            "file": name,
            "format": "zensus-gitter",
            "layer": layer,
            "variables": len(r.variables),
            "values": len(r.variables) * (r.areas_total - len(r.areas_without_cells)),
            "areas": r.areas_total - len(r.areas_without_cells),
            "quarantined": 0,
        }
    return {
        "file": name,
        "format": r.format,
        "layer": layer,
        "variables": len(r.variables),
        "values": r.n_values,
        "areas": r.areas_matched,
        "quarantined": r.quarantined,
    }


def _rebase_to_gemeinden(ws: Any) -> int:
    """IRIS publishes the income tax share per Gemeindeverband only: each Gemeinde gets the value
    of its Gemeindeverband (``planlabor areas crosswalk`` + ``planlabor rebase --intensive``),
    flagged ``geschaetzt`` in every output, so the Gemeinde layer has a second indicator with 25
    years next to the Zensus population (for the atlas' scatter and change charts)."""
    from planlabor.areas.rebase import build_crosswalk, rebase

    build_crosswalk(ws.store, "gemeindeverband", "gemeinde", method="area")
    r = rebase(ws.store, "gemeindeverband", "gemeinde", ["q_einkst_bev"], None, "area", ["q_einkst_bev"])
    return r.values


def _suggest(ws: Any) -> int:
    from planlabor.catalog.suggest import apply, suggest

    items = suggest(ws.store, ws.catalog())
    if items:
        apply(ws.catalog_paths()[0], items)
    return len(items)


def _profile(ws: Any, exports: Path) -> str:
    from planlabor.atlas.data import source_of
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout, ProfileBuilder, write_profiles

    builder = ProfileBuilder(ReportData(source_of(ws), public=True), Layout.of(ws), "kreis")
    target = exports / "berichte" / f"profil_kreis_{PROFILE_AREA}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    r = write_profiles(builder, [PROFILE_AREA], "html", target, None, 1)
    return str(r.files[0])
