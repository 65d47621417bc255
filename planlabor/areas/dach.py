"""The D-A-CH area layers from the files in ``shared/data/dach`` (see its SOURCES.md).

* ``staat``: Deutschland, Österreich, Schweiz (NUTS 0, dissolved from NUTS 2);
* ``nuts2`` (parent ``staat``) and ``nuts3`` (parent ``nuts2``): NUTS 2021 of DE, AT, CH (GISCO 1:20 Mio.);
* ``lau_at`` (parent ``nuts3``): Austrian Gemeinden 2021 (LAU), Vienna as one Gemeinde;
* ``graetzl_wien`` (parent ``lau_at``): the 137 Grätzl (neighbourhoods) of Vienna (APA, NR 2024);
* ``zaehlgebiet_wien`` (parent ``graetzl_wien``): the 1,368 Zählgebiete of Vienna (mapping table,
  no geometry), so that statistics by Zählgebiet add up to Grätzl, Wien and AT130;
* ``lau_ch`` (parent ``nuts3``): the communes of Basel-Stadt (LAU; from the Wohnviertel);
* ``wohnviertel_bs`` (parent ``lau_ch``): the 21 Wohnviertel of Basel-Stadt.

Quirks of the files handled here: the NUTS files cover all of Europe (kept: ``CNTR_CODE`` DE,
AT, CH); the Austrian Gemeinde file stacks the 23 Vienna districts (``90101`` … ``92301``) on top
of Vienna as a whole (``90001``), so the districts are left out of the LAU layer; the Basel
Wohnviertel carry their commune only in the lookup table ``raumeinheiten.tsv`` (one row per
Wohnbezirk).  Austrian Gemeinden are linked to the Austrian NUTS 3 region of largest overlap
(the coarse 1:20 Mio. NUTS borders make a few border Gemeinden ambiguous, which the report
lists); the Basel communes to their canton's NUTS 3 region through the lookup table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planlabor.areas.layers import AreaImportOptions, import_areas
from planlabor.areas.linking import dissolve_layer, link_by_containment, link_by_mapping
from planlabor.errors import NotFoundError
from planlabor.store import Store

COUNTRIES = {"DE": "Deutschland", "AT": "Österreich", "CH": "Schweiz"}
CANTON_NUTS3 = {"12": "CH031", "13": "CH032"}  # BFS canton number → NUTS 3 (Basel-Stadt, -Landschaft)
VIENNA_DISTRICTS = [f"9{d:02d}01" for d in range(1, 24)]

# Eurostat tables: file, --select, --variable-prefix, layer
EUROSTAT_TABLES: list[tuple[str, dict[str, list[str]], str, str]] = [
    ("demo_r_pjanaggr3.tsv", {"unit": ["NR"], "sex": ["T"]}, "ew", "nuts3"),
    ("reg_area3.tsv", {"landuse": ["TOTAL"], "unit": ["KM2"]}, "flaeche_km2", "nuts3"),
    ("estat_nama_10r_3gdp.tsv", {"unit": ["PPS_EU27_2020_HAB"]}, "bip_kks_je_ew", "nuts3"),
    ("tgs00010.tsv", {"sex": ["T"]}, "alq_ilo", "nuts2"),
    ("tgs00107.tsv", {}, "arope", "nuts2"),
]
LEVEL_PATTERN = {"nuts3": "???", "nuts2": "??"}
# tables of the Statistisches Amt Basel-Stadt read into wohnviertel_bs
BASEL_TABLES = ["4822.tsv", "4823.tsv", "4827.tsv", "4836.tsv", "4839.tsv", "5202.tsv"]


@dataclass
class DachReport:
    layers: dict[str, int] = field(default_factory=dict)
    ambiguous: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)  # file → values imported
    warnings: list[str] = field(default_factory=list)


def _file(source: Path, *parts: str) -> Path:
    path = source.joinpath(*parts)
    if not path.exists():
        raise NotFoundError(
            f"Die Datei {path} fehlt.",
            file=path,
            expected="den Ordner dach/ mit nuts/, at/, ch/basel/ und stats/ (siehe SOURCES.md)",
            hint="Geben Sie den Ordner an, der SOURCES.md und die Unterordner enthält.",
        )
    return path


def import_dach_layers(store: Store, source: Path, crs: str, lau: bool = True) -> DachReport:
    """Import the D-A-CH layers of the table above (each import atomic, replaced if present);
    ``lau=False``: only NUTS (e.g. for the demo, which ships only the NUTS files)."""
    rep = DachReport()
    _import_nuts(store, source, crs, rep)
    if not lau:
        return rep
    _import_austria(store, source, crs, rep)
    _import_basel(store, source, crs, rep)
    return rep


def _import_nuts(store: Store, source: Path, crs: str, rep: DachReport) -> None:
    """NUTS 2 and NUTS 3 of DE, AT, CH, and the states dissolved from NUTS 2."""
    where = {"CNTR_CODE": list(COUNTRIES)}
    r = import_areas(
        store,
        _file(source, "nuts", "NUTS_RG_20M_2021_4326_LEVL_2.geojson"),
        AreaImportOptions(
            layer="nuts2", id_column="NUTS_ID", name_column="NUTS_NAME", layer_name="NUTS 2", where=where
        ),
        crs,
    )
    rep.layers["nuts2"] = r.n_areas
    nuts2 = store.areas("nuts2")["area_id"]
    dissolve_layer(
        store, "nuts2", "staat", layer_name="Staat", group_of={a: a[:2] for a in nuts2}, names=COUNTRIES
    )
    rep.layers["staat"] = len(COUNTRIES)
    r = import_areas(
        store,
        _file(source, "nuts", "NUTS_RG_20M_2021_4326_LEVL_3.geojson"),
        AreaImportOptions(
            layer="nuts3",
            id_column="NUTS_ID",
            name_column="NUTS_NAME",
            layer_name="NUTS 3",
            parent_layer="nuts2",
            parent_prefix=4,
            where=where,
        ),
        crs,
    )
    rep.layers["nuts3"] = r.n_areas


def _import_austria(store: Store, source: Path, crs: str, rep: DachReport) -> None:
    """Austrian Gemeinden (LAU, without the Vienna districts stacked on Vienna) linked to NUTS 3,
    the Grätzl of Vienna under the Gemeinde Wien and the Zählgebiete under their Grätzl."""
    r = import_areas(
        store,
        _file(source, "at", "gemeinden_995_geo.json"),
        AreaImportOptions(
            layer="lau_at",
            id_column="iso",
            name_column="name",
            layer_name="Gemeinden Österreich (LAU)",
            where_not={"iso": VIENNA_DISTRICTS},
        ),
        crs,
    )
    rep.layers["lau_at"] = r.n_areas
    rep.ambiguous["lau_at"] = link_by_containment(
        store, "lau_at", "nuts3", min_share=0.5, parent_prefix="AT"
    )["ambiguous"]
    # Vienna: 137 Grätzl (neighbourhoods) under the Gemeinde Wien, and the 1,368 Zählgebiete
    # (statistical districts, no geometry in the shared files) under their Grätzl, so that
    # statistics by Zählgebiet add up to Grätzl, Wien and AT130
    r = import_areas(
        store,
        _file(source, "at", "graetzl_nr2024.geojson"),
        AreaImportOptions(
            layer="graetzl_wien", id_column="Graetzl_ID", name_column="Graetzl_Name", layer_name="Grätzl Wien"
        ),
        crs,
    )
    rep.layers["graetzl_wien"] = r.n_areas
    graetzl = store.areas("graetzl_wien")
    link_by_mapping(store, "graetzl_wien", "lau_at", graetzl.assign(parent_id="90001"))
    r = import_areas(
        store,
        _file(source, "at", "mapping_graetzl_zg_2022-09-08.xlsx"),
        AreaImportOptions(
            layer="zaehlgebiet_wien",
            id_column="zgeb",
            layer_name="Zählgebiete Wien",
            parent_layer="graetzl_wien",
            parent_column="graetzl_id",
        ),
        crs,
    )
    rep.layers["zaehlgebiet_wien"] = r.n_areas


def _import_basel(store: Store, source: Path, crs: str, rep: DachReport) -> None:
    """Basel-Stadt: the Wohnviertel, the communes (LAU) dissolved from them by the lookup table,
    and the communes linked to their canton's NUTS 3 region."""
    r = import_areas(
        store,
        _file(source, "ch", "basel", "geojson", "wohnviertel.json"),
        AreaImportOptions(
            layer="wohnviertel_bs",
            id_column="TXT",
            name_column="name",
            layer_name="Wohnviertel Basel-Stadt",
            source_crs="EPSG:4326",
        ),
        crs,
    )
    rep.layers["wohnviertel_bs"] = r.n_areas
    units = pd.read_csv(
        _file(source, "ch", "basel", "geojson", "raumeinheiten.tsv"),
        sep="\t",
        dtype=str,
        encoding="utf-8-sig",
    )
    units = units.drop_duplicates("wohnviertel_id")
    commune = dict(zip(units["wohnviertel_id"].str.lstrip("0"), units["gemeinde_id_bfs"], strict=True))
    names = dict(zip(units["gemeinde_id_bfs"], units["gemeinde_name"], strict=True))
    dissolve_layer(
        store,
        "wohnviertel_bs",
        "lau_ch",
        layer_name="Gemeinden Basel-Stadt (LAU)",
        group_of=commune,
        names=names,
    )
    rep.layers["lau_ch"] = len(set(commune.values()))
    # the Swiss NUTS 3 regions are the cantons: the communes' canton comes from the lookup table
    # (the coarse NUTS borders would put Riehen into Lörrach)
    canton = dict(zip(units["gemeinde_id_bfs"], units["kanton_id_bfs"], strict=True))
    lau_ch = store.areas("lau_ch")
    link_by_mapping(
        store, "lau_ch", "nuts3", lau_ch.assign(parent_id=lau_ch["area_id"].map(canton).map(CANTON_NUTS3))
    )
    rep.ambiguous["lau_ch"] = []


def eurostat_imports(source: Path) -> list[tuple[Path, dict[str, list[str]], str, str]]:
    """The Eurostat tables of the D-A-CH comparison with their import options, restricted to
    the D-A-CH regions of the target layer (``DE???`` … for NUTS 3)."""
    out = []
    for name, select, prefix, layer in EUROSTAT_TABLES:
        sel = dict(select)
        sel["geo"] = [c + LEVEL_PATTERN[layer] for c in COUNTRIES]
        out.append((_file(source, "stats", name), sel, prefix, layer))
    return out
