"""Every real table file of the shared data goes through the importer (dry run) or fails clearly."""

from pathlib import Path

import pytest

from planlabor.areas import AreaImportOptions
from planlabor.errors import InputError
from planlabor.io.importer import ImportOptions
from planlabor.io.table import ReadOptions, read_table
from planlabor.workspace import Workspace
from tests.conftest import DATA, DEMO, PLR2006, PLR2006_FILE

POPULATION = sorted((DEMO / "einwohner").glob("*.csv"))


def _keys_layer(ws: Workspace, name: str, keys: list[str]) -> None:
    path = ws.root / f"{name}.csv"
    path.write_text("key\n" + "\n".join(keys) + "\n", encoding="utf-8")
    ws.import_areas(path, AreaImportOptions(layer=name, id_column="key"))


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Layers holding the keys of the real files (old and new PLR, Basel Wohnviertel, NUTS)."""
    import geopandas as gpd

    ws = Workspace.init(tmp_path_factory.mktemp("real") / "ws", name="Real")
    ws.import_areas(
        DEMO / "lor_2021" / "lor_planungsraeume_2021.shp",
        AreaImportOptions(layer="plr", id_column="PLR_ID", name_column="PLR_NAME"),
    )
    ws.import_areas(PLR2006_FILE, PLR2006)
    _keys_layer(ws, "wohnviertel", [str(i) for i in range(1, 20)] + ["20", "30"])
    nuts = gpd.read_file(DATA / "dach" / "nuts" / "NUTS_RG_20M_2021_4326_LEVL_2.geojson")
    _keys_layer(ws, "nuts2", nuts["NUTS_ID"].tolist())
    return ws


@pytest.mark.parametrize("path", POPULATION, ids=lambda p: p.name)
def test_population_files(keyed: Workspace, path: Path) -> None:
    old = any(y in path.name for y in ("2019-", "2020-"))
    layer = "plr2006" if old else "plr"
    r = keyed.import_table(
        path,
        ImportOptions(layer=layer, id_column="id", period="2021-12-31", exclude_columns=["*_percentage"]),
        dry_run=True,
    )
    assert r.unmatched == {}
    assert r.areas_matched == (448 if old else 542)
    assert "inhabitants" in r.variables and r.flag_counts == {}


def test_known_value_plr_01100101(keyed: Workspace) -> None:
    path = DEMO / "einwohner" / "berlin-lor-population-2021-02-t2-planning-areas.csv"
    r = keyed.import_table(
        path,
        ImportOptions(layer="plr", id_column="id", period="2021-12-31", exclude_columns=["*_percentage"]),
    )
    df = keyed.store.observations(variables=["inhabitants", "inhabitants_age_below_6"], import_id=r.import_id)
    v = df.set_index(["area_id", "variable"])["value"]
    assert v[("01100101", "inhabitants")] == 3406
    assert v[("01100101", "inhabitants_age_below_6")] == 161


def test_ewr_2024_wrong_key_is_surfaced(keyed: Workspace) -> None:
    path = DEMO / "einwohner_ewr" / "EWR_L21_202412E_Matrix.csv"
    r = keyed.import_table(
        path,
        ImportOptions(layer="plr", id_column="RAUMID", stichtag=True, exclude_columns=["PGR"]),
        dry_run=True,
    )
    assert r.unmatched == {"06200318": [262]}
    assert r.periods == ["2024-12-31"]
    # two suppressed rows (empty fields): one is imported with flags, the other has the unknown key
    assert r.flag_counts == {"fehlend": len(r.variables)}
    with pytest.raises(InputError) as exc:
        keyed.import_table(
            path, ImportOptions(layer="plr", id_column="RAUMID", stichtag=True, on_unmatched="refuse")
        )
    assert "06200318" in exc.value.message and exc.value.row == 262


def test_ewr_2025_quoted_and_na(keyed: Workspace) -> None:
    path = DEMO / "einwohner_ewr" / "EWR_L21_202512E_Matrix.csv"
    r = keyed.import_table(
        path,
        ImportOptions(layer="plr", id_column="RAUMID", stichtag=True, exclude_columns=["PGR"]),
        dry_run=True,
    )
    assert r.unmatched == {} and r.areas_matched == 542
    assert r.flag_counts == {"fehlend": 2 * len(r.variables)}  # NA in two rows
    assert "BEZ" in r.skipped_columns and "E_E00_01" in r.variables


def test_ewr_2020_old_system(keyed: Workspace) -> None:
    path = DEMO / "einwohner_ewr" / "EWR202012E_Matrix.csv"
    r = keyed.import_table(
        path, ImportOptions(layer="plr2006", id_column="RAUMID", stichtag=True), dry_run=True
    )
    assert r.areas_matched == 448 and r.unmatched == {}
    assert r.periods == ["2020-12-31"]


def test_mss_context_indicators(keyed: Workspace) -> None:
    path = DEMO / "mss_2021" / "mss_2021_kontext_indikatoren.csv"
    r = keyed.import_table(
        path, ImportOptions(layer="plr", id_column="PLR_ID", stichtag=True, exclude_columns=["*_GR"])
    )
    assert r.periods == ["2020-12-31"]
    assert r.skipped_columns["KOM"] == "Textspalte" and "BEZ_ID" in r.skipped_columns
    # six invalid PLR × 17 value columns are -9999; KI_08, KI_14, KI_15 are empty on the new PLR
    assert r.flag_counts["ungueltig"] == 6 * 17
    ki01 = keyed.store.observations(variables=["KI_01"], import_id=r.import_id).set_index("area_id")
    assert ki01.loc["01100101", "value"] == 2.82
    assert ki01.loc["03400831", "flag"] == "ungueltig"


def test_lor_hierarchy_table_reads() -> None:
    raw = read_table(DEMO / "lor_2021" / "LOR_2021.csv")
    assert raw.n_rows == 542 and raw.columns[1] == "Planungsraum (Nummer)"


@pytest.mark.parametrize("name", ["4822", "4823", "4827", "4836", "4839"])
def test_basel_indicator_tables(keyed: Workspace, name: str) -> None:
    path = DATA / "dach" / "ch" / "basel" / "data" / f"{name}.tsv"
    r = keyed.import_table(path, ImportOptions(layer="wohnviertel", id_column="wohnviertel_id"), dry_run=True)
    # the Basel reader: zero-padded ids ("07" in 4823) are the layer's keys ("7"); no 'Rang', no names
    assert r.unmatched == {}
    assert "rang" not in r.variables and not any("wohnviertel" in v for v in r.variables)
    assert r.n_values == 21 * len(r.variables) and r.periods in (["2025"], ["2022"])


def test_basel_population_by_name_table() -> None:
    # names only, no keys: read as a plain table (the planner maps names with --map-key)
    raw = read_table(DATA / "dach" / "ch" / "basel" / "data" / "6502.tsv")
    assert raw.columns[0] == "Wohnviertel" and raw.n_rows == 22


def test_basel_density_quoted_header() -> None:
    # quoted header; the year sits in the column names ('Einwohner 2024', 'Bevölkerungsdichte 2005')
    raw = read_table(DATA / "dach" / "ch" / "basel" / "data" / "5202.tsv")
    assert raw.columns[0] == "WohnviertelId" and raw.n_rows == 21 * 6
    rows = raw.con.execute(f"SELECT * FROM {raw.name} WHERE WohnviertelId = '1'").df()
    got = {(r.variable, r.period): r.value for r in rows.itertuples()}
    assert got[("einwohner", "2024")] == "2239" and got[("bevoelkerungsdichte", "2005")] == "55.247"
    raw.close()


def test_basel_lookup_table() -> None:
    raw = read_table(DATA / "dach" / "ch" / "basel" / "geojson" / "raumeinheiten.tsv")
    assert "wohnviertel_id" in raw.columns


def test_austrian_mapping_xlsx() -> None:
    raw = read_table(DATA / "dach" / "at" / "mapping_graetzl_zg_2022-09-08.xlsx")
    assert raw.columns == ["beznr", "zgeb", "graetzl_id", "graetzl_name"] and raw.n_rows == 1368


@pytest.mark.parametrize("path", sorted((DATA / "dach" / "stats").glob("*.tsv")), ids=lambda p: p.name)
def test_eurostat_tables_read_as_long_tables(keyed: Workspace, path: Path) -> None:
    """Eurostat packs dimensions into one column and adds flags to values (``20.6 b``): the
    reader unpacks them; the NUTS 2 rows of all Europe match the NUTS 2 layer."""
    raw = read_table(path, ReadOptions(select={"geo": ["??[0-9A-Z][0-9A-Z]"]}))
    assert raw.columns == ["geo", "period", "variable", "value"] and raw.n_rows > 0
    raw.close()
    r = keyed.import_table(
        path,
        ImportOptions(
            layer="nuts2", read=ReadOptions(select={"geo": ["??[0-9A-Z][0-9A-Z]"]}), on_unmatched="quarantine"
        ),
        dry_run=True,
    )
    assert r.n_values > 0 and r.areas_matched > 20  # AROPE covers fewer countries
