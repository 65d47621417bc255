"""Publishers' original files imported with ``--layer`` alone, exact at named cells.

The German files and VG5000 come with the Deutschland demo (``planlabor/demo/data/deutschland``);
the Austrian and Swiss ones are in ``tests/data/publishers`` (SOURCES.md there).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planlabor.areas import AreaImportOptions, dissolve_layer
from planlabor.errors import InputError
from planlabor.io.importer import ImportOptions
from planlabor.io.readers import detect
from planlabor.io.table import ReadOptions
from planlabor.workspace import Workspace

DE = Path(__file__).resolve().parents[1] / "planlabor" / "demo" / "data" / "deutschland"
PUB = Path(__file__).parent / "data" / "publishers"


def value(
    ws: Workspace, layer: str, variable: str, period: str, area: str
) -> tuple[float | None, str | None]:
    df = ws.store.observations(layer_id=layer, variables=[variable], periods=[period])
    row = df[df["area_id"] == area]
    assert len(row) == 1, f"{layer}/{variable}/{period}/{area}: {len(row)} Zeilen"
    v = row["value"].iloc[0]
    f = row["flag"].iloc[0]
    return (None if v != v else float(v)), (f if isinstance(f, str) else None)


@pytest.fixture(scope="module")
def de(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Kreise from VG5000, Länder and Deutschland by key prefix, Gemeinden and Gemeindeverbände."""
    ws = Workspace.init(tmp_path_factory.mktemp("de") / "ws", name="Deutschland", crs="EPSG:25832")
    ws.import_areas(
        DE / "VG5000_KRS.shp", AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN")
    )
    dissolve_layer(ws.store, "kreis", "land", key_prefix=2)
    dissolve_layer(ws.store, "land", "bund", area_id="DG", name="Deutschland")
    ws.import_areas(
        DE / "VG5000_GEM.shp",
        AreaImportOptions(
            layer="gemeinde", id_column="ARS", name_column="GEN", parent_layer="kreis", parent_prefix=5
        ),
    )
    dissolve_layer(ws.store, "gemeinde", "gemeindeverband", key_prefix=9)
    return ws


@pytest.mark.parametrize(
    ("path", "reader"),
    [
        (DE / "12411-0015.csv", "genesis"),
        (DE / "22541-01-01-4.csv", "genesis"),
        (DE / "31211-01-01-4.xlsx", "regionalstatistik_xlsx"),
        (DE / "Kreise_WO_Zeitreihe.xlsx", "ba"),
        (DE / "E_Schuldnerquote.xls", "inkar"),
        (DE / "inkar_sdg_etc.csv", "inkar_csv"),
        (DE / "IRIS_Einkommenssteuer_Gemeindeverbaende_2022.csv", "iris"),
        (PUB / "OGD_gest_kalwo_GEST_KALWOCHE_100.csv", "statistik_austria"),
        (PUB / "vie-bez-biz-pop-den-2002f.csv", "wien_ogd"),
        (PUB / "bfs_elections_results.px", "pcaxis"),
        (PUB / "27600_131.xlsx", "bfs_atlas"),
    ],
    ids=lambda x: x.name if isinstance(x, Path) else x,
)
def test_each_file_is_recognised(path: Path, reader: str) -> None:
    assert detect(path)[0].name == reader


def test_dissolve_by_key_prefix_gives_named_laender(de: Workspace) -> None:
    land = de.store.areas("land").set_index("area_id")["name"]
    assert len(land) == 16 and land["01"] == "Schleswig-Holstein" and land["16"] == "Thüringen"
    assert de.store.layer("kreis").parent_layer == "land"
    kreis = de.store.areas("kreis").set_index("area_id")["parent_id"]
    assert kreis["01001"] == "01" and kreis["09162"] == "09"
    # Gemeinde → Gemeindeverband → Kreis: the new level is inserted into the hierarchy
    assert de.store.layer("gemeinde").parent_layer == "gemeindeverband"
    assert de.store.layer("gemeindeverband").parent_layer == "kreis"


def test_genesis_dates_as_headers_and_territorial_changes(de: Workspace) -> None:
    r = de.import_table(DE / "12411-0015.csv", ImportOptions(layer="kreis"))
    assert r.format == "genesis" and r.variables == ["bevoelkerungsstand"]
    assert r.periods == ["2014-12-31", "2015-12-31", "2016-12-31", "2017-12-31", "2018-12-31"]
    assert value(de, "kreis", "bevoelkerungsstand", "2018-12-31", "01001") == (89504.0, None)
    # Göttingen and Osterode (dissolved 2016) sum into the new Landkreis Göttingen 03159
    assert value(de, "kreis", "bevoelkerungsstand", "2014-12-31", "03159") == (250220 + 73793, None)
    # Eisenach (dissolved 2021) into Wartburgkreis: the 2023 territory
    assert value(de, "kreis", "bevoelkerungsstand", "2018-12-31", "16063") == (123025 + 42370, None)
    states = {k["key"]: k["state"] for k in r.skipped_keys}
    assert states["16056"] == "Gebietsänderung" and states["03201"] == "Gebietsänderung"  # Region Hannover
    assert states["13001"] == "aufgelöst"  # Greifswald, Kreisreform Mecklenburg-Vorpommern 2011
    assert r.unmatched == {} and r.quarantined == 0


def test_regionalstatistik_csv_other_levels_and_date_column(de: Workspace) -> None:
    r = de.import_table(DE / "22541-01-01-4.csv", ImportOptions(layer="kreis"))
    assert r.periods == ["2002-12-31"]
    assert value(de, "kreis", "tageseinrichtungen_fuer_kinder_insgesamt", "2002-12-31", "01001") == (
        57.0,
        None,
    )
    assert value(de, "kreis", "tageseinrichtungen_fuer_kinder_kinderkrippen", "2002-12-31", "01001") == (
        None,
        "nichts_vorhanden",
    )
    # Deutschland (DG) and the Länder rows go to their layers
    assert value(de, "bund", "tageseinrichtungen_fuer_kinder_insgesamt", "2002-12-31", "DG") == (
        48017.0,
        None,
    )
    assert value(de, "land", "tageseinrichtungen_fuer_kinder_insgesamt", "2002-12-31", "01") == (1635.0, None)
    # … and the three Gemeinden the table shows inside Kreise (AGS 03241001 = ARS 032410001001)
    assert r.other_layers == {"bund": 1, "land": 16, "gemeinde": 3}
    # the Regierungsbezirke have no layer: reported, not an error
    assert any(k["key"] == "031" and k["state"] == "Ebene ohne Raumebene" for k in r.skipped_keys)


def test_regionalstatistik_xlsx_merged_headers_and_title_date(de: Workspace) -> None:
    r = de.import_table(DE / "31211-01-01-4.xlsx", ImportOptions(layer="kreis"))
    assert r.periods == ["2011-05-09"] and "Titel" in r.period_source
    assert value(de, "kreis", "gebaeude_mit_wohnraum", "2011-05-09", "01001") == (16787.0, None)
    assert value(de, "kreis", "gebaeude_mit_wohnraum_wohnheime", "2011-05-09", "01001") == (39.0, None)
    labels = r.variable_labels["gebaeude_mit_wohnraum_wohnheime"]
    assert (
        labels["label"] == "Gebäude mit Wohnraum – Art des Gebäudes – Wohnheime"
        and labels["unit"] == "Anzahl"
    )


def test_ba_key_and_name_in_one_cell_and_two_sheets(de: Workspace) -> None:
    r = de.import_table(DE / "Kreise_WO_Zeitreihe.xlsx", ImportOptions(layer="kreis"))
    assert (
        "svb_kreise_wo_anzahl_insgesamt" in r.variables
        and "svb_kreise_wo_anteile_abschluss_unbekannt" in r.variables
    )
    assert len(r.periods) == 20 and r.periods[0] == "2002-06-30"
    assert value(de, "kreis", "svb_kreise_wo_anzahl_insgesamt", "2002-06-30", "01001") == (25587.0, None)
    assert value(de, "bund", "svb_kreise_wo_anzahl_insgesamt", "2002-06-30", "DG") == (27468453.0, None)
    # no qualification data between 30.06.2011 and 31.12.2012: "." = kein Nachweis
    assert value(de, "kreis", "svb_kreise_wo_anzahl_ohne_berufsabschluss", "2012-06-30", "01001")[1] == (
        "unbekannt_oder_geheim"
    )
    assert r.variable_labels["svb_kreise_wo_anzahl_insgesamt"]["kind"] == "anzahl"
    assert r.variable_labels["svb_kreise_wo_anteile_abschluss_unbekannt"]["kind"] == "anteil"


def test_inkar_xls_years_in_second_row_and_metadata(de: Workspace) -> None:
    r = de.import_table(DE / "E_Schuldnerquote.xls", ImportOptions(layer="kreis"))
    assert r.variables == ["schuldnerquote"] and r.periods[0] == "2004" and r.periods[-1] == "2021"
    assert value(de, "kreis", "schuldnerquote", "2004", "01001") == (16.94, None)
    assert r.variable_labels["schuldnerquote"]["label"].startswith("Private Schuldner je 100 Einwohner")


def test_inkar_csv_quoted_german_numbers_and_years_per_column(de: Workspace) -> None:
    r = de.import_table(DE / "inkar_sdg_etc.csv", ImportOptions(layer="kreis"))
    assert set(r.periods) == {"2016", "2017"}
    assert value(de, "kreis", "haushalte_mit_niedrigem_einkommen", "2016", "01001") == (34.8, None)
    assert value(de, "kreis", "einwohnerdichte", "2017", "01001") == (1560.0, None)


def test_iris_year_in_column_name_and_names_for_unnamed_areas(de: Workspace) -> None:
    before = de.store.areas("gemeindeverband").set_index("area_id")["name"]
    assert before.isna().sum() > 1000  # Gemeindeverbände formed by key prefix have no names yet
    r = de.import_table(
        DE / "IRIS_Einkommenssteuer_Gemeindeverbaende_2022.csv", ImportOptions(layer="gemeindeverband")
    )
    assert r.variables == ["q_einkst_bev"] and len(r.periods) == 25
    assert value(de, "gemeindeverband", "q_einkst_bev", "1998", "010010000") == (297.44, None)
    after = de.store.areas("gemeindeverband").set_index("area_id")["name"]
    assert after.isna().sum() < 10 and after["010515163"] == "Burg-St. Michaelisdonn"


def test_years_as_columns_never_become_variables(de: Workspace, tmp_path: Path) -> None:
    """The trap of the issue: --skip-rows 1 --period on INKAR stored variables "2004" … "2021"."""
    opts = ImportOptions(layer="kreis", period="2021-12-31", read=ReadOptions(skip_rows=1))
    with pytest.raises(InputError) as exc:
        de.import_table(DE / "E_Schuldnerquote.xls", opts, dry_run=True)
    assert "--period" in (exc.value.hint or "") + exc.value.message
    with pytest.raises(InputError):
        de.import_table(
            DE / "E_Schuldnerquote.xls", ImportOptions(layer="kreis", period="2021"), dry_run=True
        )
    plain = tmp_path / "jahre.csv"
    plain.write_text("Kennziffer;Name;2019;2020\n01001;Flensburg;1;2\n01002;Kiel;3;4\n", encoding="utf-8")
    r = de.import_table(plain, ImportOptions(layer="kreis"), dry_run=True)
    assert r.periods == ["2019", "2020"] and r.variables == ["jahre"]


def test_vienna_district_keys_in_every_form(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "wien", name="Wien", crs="EPSG:31256")
    ws.import_areas(PUB / "BEZIRKSGRENZEOGD.json", AreaImportOptions(layer="bezirk", id_column="BEZNR"))
    r = ws.import_table(PUB / "vie-bez-biz-pop-den-2002f.csv", ImportOptions(layer="bezirk"))
    assert r.areas_matched == 23 and r.key_forms == {"Wiener Bezirkskennziffer": 23}
    assert r.periods[0] == "2002-01-01" and len(r.periods) == 23
    assert value(ws, "bezirk", "POP_VALUE", "2002-01-01", "1") == (17630.0, None)
    assert any(k["key"] == "90000" for k in r.skipped_keys)  # Wien as a whole: no layer of its own


def test_statistik_austria_codes_weeks_and_bundeslaender(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "at", name="AT")
    table = tmp_path / "bl.csv"
    table.write_text("id;name\n" + "\n".join(f"{i};BL{i}" for i in range(1, 10)) + "\n", encoding="utf-8")
    ws.import_areas(table, AreaImportOptions(layer="bundesland", id_column="id", name_column="name"))
    r = ws.import_table(PUB / "OGD_gest_kalwo_GEST_KALWOCHE_100.csv", ImportOptions(layer="bundesland"))
    assert r.areas_matched == 9 and r.periods[0] == "2000-W01"
    assert value(ws, "bundesland", "anz_altersgr65_1_c11_1", "2000-W01", "1") == (8.0, None)
    assert value(ws, "bundesland", "anz_altersgr65_1_c11_2", "2000-W01", "1") == (2.0, None)


@pytest.fixture(scope="module")
def ch(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace.init(tmp_path_factory.mktemp("ch") / "ws", name="Schweiz", crs="EPSG:2056")
    ws.import_areas(
        PUB / "K4polg20230101vf_ch2007Poly.shp",
        AreaImportOptions(layer="gemeinde", id_column="id", name_column="name"),
    )
    kantone = ws.root / "kantone.csv"
    kantone.write_text(
        "nr;name\n1;Zürich\n2;Bern\n3;Luzern\n4;Uri\n5;Schwyz\n6;Obwalden\n7;Nidwalden\n8;Glarus\n9;Zug\n"
        "10;Freiburg\n11;Solothurn\n12;Basel-Stadt\n13;Basel-Landschaft\n14;Schaffhausen\n"
        "15;Appenzell Ausserrhoden\n16;Appenzell Innerrhoden\n17;St. Gallen\n18;Graubünden\n19;Aargau\n"
        "20;Thurgau\n21;Tessin\n22;Waadt\n23;Wallis\n24;Neuenburg\n25;Genf\n26;Jura\n",
        encoding="utf-8",
    )
    ws.import_areas(kantone, AreaImportOptions(layer="kanton", id_column="nr", name_column="name"))
    return ws


def test_bfs_atlas_numbers_as_text_and_mergers_quarantined(ch: Workspace) -> None:
    r = ch.import_table(PUB / "27600_131.xlsx", ImportOptions(layer="gemeinde"))
    assert r.periods == ["2020"]
    assert value(ch, "gemeinde", "steuerbares_einkommen", "2020", "1") == (110.559, None)
    assert value(ch, "gemeinde", "steuerbares_einkommen_pro_einwohner_in", "2020", "1")[0] == pytest.approx(
        54895.233366435
    )
    # Gemeinden merged between 2020 (data) and 2023 (geometry): quarantined and reported
    assert 50 < r.quarantined < 200 and any("--changes" in w for w in r.warnings)


def test_pcaxis_kantone_by_official_abbreviation(ch: Workspace) -> None:
    r = ch.import_table(PUB / "bfs_elections_results.px", ImportOptions(layer="kanton"))
    assert r.areas_matched == 26 and r.key_forms == {"amtliches Kürzel": 26}
    assert value(ch, "kanton", "svp_parteistimmen", "2023", "1") == (4375043.0, None)
    assert value(ch, "kanton", "svp_parteistaerke_in", "2023", "1")[0] == pytest.approx(27.3546187)
    with pytest.raises(InputError):  # the Kanton file is not a Gemeinde file
        ch.import_table(PUB / "bfs_elections_results.px", ImportOptions(layer="gemeinde"))
