"""The import steps of the Berlin demo: the LOR area layers, the population tables and the Kitas
(each step is what a planner would do with ``planlabor areas import`` / ``planlabor import``)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any


def import_lor_areas(ws: Any, src: Path) -> dict[str, Any]:
    """Import Bezirke, Stadt (dissolved), Prognoseräume (linked by containment), Bezirksregionen
    (parent by key prefix), Planungsräume 2021 (parent from ``LOR_2021.csv``) and the 448
    Planungsräume of the system 2006; return the containment link report of the Prognoseräume."""
    from planlabor.areas import AreaImportOptions, dissolve_layer, link_by_containment, link_by_table

    lor = src / "lor_2021"
    valid = date(2021, 1, 1)
    ws.import_areas(
        lor / "bezirksgrenzen.shp",
        AreaImportOptions(
            layer="bezirk",
            id_column="Schluessel",
            id_pattern=r"^110000(\d\d)$",
            name_column="Gemeinde_n",
            layer_name="Bezirke",
            valid_from=valid,
        ),
    )
    dissolve_layer(ws.store, "bezirk", "stadt", area_id="11", name="Berlin", layer_name="Stadt")
    ws.import_areas(
        lor / "lor_prognoseraeume_2021.shp",
        AreaImportOptions(
            layer="pgr",
            id_column="PGR_ID",
            name_column="PGR_NAME",
            layer_name="Prognoseräume",
            valid_from=valid,
        ),
    )
    link: dict[str, Any] = link_by_containment(ws.store, "pgr", "bezirk")
    ws.import_areas(
        lor / "lor_bezirksregionen_2021.shp",
        AreaImportOptions(
            layer="bzr",
            id_column="BZR_ID",
            name_column="BZR_NAME",
            layer_name="Bezirksregionen",
            parent_layer="pgr",
            parent_prefix=4,
            valid_from=valid,
        ),
    )
    ws.import_areas(
        lor / "lor_planungsraeume_2021.shp",
        AreaImportOptions(
            layer="plr",
            id_column="PLR_ID",
            name_column="PLR_NAME",
            layer_name="Planungsräume",
            valid_from=valid,
        ),
    )
    link_by_table(
        ws.store, "plr", "bzr", lor / "LOR_2021.csv", "Planungsraum (Nummer)", "Bezirksregion (Nummer)"
    )
    # the previous system (448 PLR, until 2020); one record carries a wrongly published key
    ws.import_areas(
        src / "lor_2006" / "lor_planungsraeume_2006.shp",
        AreaImportOptions(
            layer="plr2006",
            id_column="broker Dow",
            name_column="PLANUNGSRA",
            layer_name="Planungsräume (System 2006)",
            valid_to=date(2020, 12, 31),
            set_keys={124: "04030417"},
        ),
    )
    return link


def import_population(ws: Any, src: Path) -> int:
    """Import the half-yearly population tables 2019–2024 (until 2020 on the old Planungsräume)
    and return how many files were imported."""
    from planlabor.io.importer import ImportOptions

    n_imports = 0
    for f in sorted((src / "einwohner").glob("berlin-lor-population-*-t*-planning-areas.csv")):
        m = re.search(r"(\d{4})-(\d{2})-(t\d)", f.name)
        assert m, f.name
        year, half, table = m.groups()
        period = f"{year}-06-30" if half == "01" else f"{year}-12-31"
        exclude = ["*_percentage"]
        if table == "t2":  # t1 already carries these two counts
            exclude += ["inhabitants", "inhabitants_foreigners"]
        layer = "plr2006" if year in ("2019", "2020") else "plr"
        ws.import_table(f, ImportOptions(layer=layer, id_column="id", period=period, exclude_columns=exclude))
        n_imports += 1
    return n_imports


def import_register(ws: Any, src: Path) -> None:
    """Import the register extracts with fine age bands of 31.12.2024 (one wrongly published key
    corrected explicitly) and 31.12.2025."""
    from planlabor.io.importer import ImportOptions

    ewr = src / "einwohner_ewr"
    ws.import_table(
        ewr / "EWR_L21_202412E_Matrix.csv",
        ImportOptions(
            layer="plr",
            id_column="RAUMID",
            period_column="ZEIT",
            stichtag=True,
            exclude_columns=["PGR"],
            map_keys={"06200318": "06200418"},
        ),
    )
    ws.import_table(
        ewr / "EWR_L21_202512E_Matrix.csv",
        ImportOptions(
            layer="plr", id_column="RAUMID", period_column="ZEIT", stichtag=True, exclude_columns=["PGR"]
        ),
    )


def import_mss(ws: Any, src: Path) -> None:
    """Import the context indicators of the Monitoring Soziale Stadtentwicklung 2021."""
    from planlabor.io.importer import ImportOptions

    ws.import_table(
        src / "mss_2021" / "mss_2021_kontext_indikatoren.csv",
        ImportOptions(
            layer="plr",
            id_column="PLR_ID",
            period_column="ZEIT",
            stichtag=True,
            exclude_columns=["*_SD_GR", "*_AG_GR"],
        ),
    )


def import_kitas(ws: Any, src: Path) -> Any:
    """Assign the Kitas of 2022 to the Planungsräume (count and approved places)."""
    from planlabor.spatial.facilities import import_facilities

    return import_facilities(
        ws.store,
        src / "einrichtungen" / "kindertagesstaetten.geojson",
        "kita",
        "plr",
        "2022-12-31",
        ws.config.workspace.crs,
        capacity_column="e_platz",
        id_column="e_nr",
        name_column="e_name",
    )
