"""Own data, first try: layouts written as publishers write them, a workspace from files to atlas."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from planlabor.areas import AreaImportOptions, dissolve_layer
from planlabor.catalog.suggest import apply, suggest
from planlabor.errors import InputError
from planlabor.io.export import ExportOptions
from planlabor.io.importer import ImportOptions
from planlabor.io.readers import detect
from planlabor.workspace import Workspace

KREISE = {"01001": "Flensburg", "01002": "Kiel", "02000": "Hamburg", "03241": "Region Hannover"}


def obs(
    ws: Workspace, variable: str, layer: str = "kreis"
) -> dict[tuple[str, str], tuple[float | None, str | None]]:
    df = ws.store.observations(layer_id=layer, variables=[variable])
    return {
        (r.area_id, r.period): (
            None if r.value != r.value else float(r.value),
            r.flag if isinstance(r.flag, str) else None,
        )
        for r in df.itertuples()
    }


@pytest.fixture()
def kws(tmp_path: Path) -> Workspace:
    """Four Kreise (boxes) without a geometry-less layer yet; EPSG:25832."""
    ws = Workspace.init(tmp_path / "ws", name="Kreise", crs="EPSG:25832")
    gdf = gpd.GeoDataFrame(
        {"ARS": list(KREISE), "GEN": list(KREISE.values())},
        geometry=[box(500000 + i * 1000, 5900000, 501000 + i * 1000, 5901000) for i in range(4)],
        crs="EPSG:25832",
    )
    gdf.to_file(tmp_path / "kreise.gpkg")
    ws.import_areas(
        tmp_path / "kreise.gpkg", AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN")
    )
    return ws


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding, newline="")
    return path


def test_genesis_flat_file_older_form(kws: Workspace, tmp_path: Path) -> None:
    f = write(
        tmp_path / "12411-0015_de_flat.csv",
        "Statistik_Code;Statistik_Label;Zeit_Code;Zeit_Label;Zeit;1_Merkmal_Code;1_Merkmal_Label;"
        "1_Auspraegung_Code;1_Auspraegung_Label;2_Merkmal_Code;2_Merkmal_Label;2_Auspraegung_Code;"
        "2_Auspraegung_Label;BEVSTD__Bevoelkerungsstand__Anzahl;BEVSTD__Bevoelkerungsstand__q\n"
        "12411;Fortschreibung;STAG;Stichtag;31.12.2023;KREISE;Kreise;01001;Flensburg;GES;Geschlecht;GESM;männlich;"
        "45123;e\n"
        "12411;Fortschreibung;STAG;Stichtag;31.12.2023;KREISE;Kreise;01001;Flensburg;GES;Geschlecht;GESW;weiblich;"
        "46000;e\n"
        "12411;Fortschreibung;STAG;Stichtag;31.12.2023;KREISE;Kreise;01002;Kiel;GES;Geschlecht;GESM;männlich;-;\n",
    )
    assert detect(f)[0].name == "genesis_flat"
    r = kws.import_table(f, ImportOptions(layer="kreis"))
    assert set(r.variables) == {"bevstd_gesm", "bevstd_gesw"} and r.periods == ["2023-12-31"]
    assert obs(kws, "bevstd_gesm")[("01001", "2023-12-31")] == (45123.0, None)
    assert obs(kws, "bevstd_gesm")[("01002", "2023-12-31")] == (None, "nichts_vorhanden")


def test_genesis_flat_file_newer_form_zipped(kws: Workspace, tmp_path: Path) -> None:
    inner = (
        "statistics_code;statistics_label;time_code;time_label;time;1_variable_code;1_variable_label;"
        "1_variable_attribute_code;1_variable_attribute_label;value;value_unit;value_variable_code;"
        "value_variable_label;value_q\n"
        "21111;Schulen;JAHR;Jahr;2023;KREISE;Kreise;01001;Flensburg;1234;Anzahl;BIL001;Schüler;e\n"
        "21111;Schulen;JAHR;Jahr;2023;KREISE;Kreise;02000;Hamburg;200000;Anzahl;BIL001;Schüler;e\n"
    )
    z = tmp_path / "21111-0001_de_flat.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("21111-0001_de_flat.csv", inner)
    assert detect(z)[0].name == "genesis_flat"
    r = kws.import_table(z, ImportOptions(layer="kreis"))
    assert r.variables == ["bil001"] and r.variable_labels["bil001"]["unit"] == "Anzahl"
    assert obs(kws, "bil001")[("02000", "2023")] == (200000.0, None)


def test_stattab_export_with_dots_and_other_levels(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ch", name="CH")
    write(tmp_path / "g.csv", "nr;name\n1;Aeugst am Albis\n2;Affoltern am Albis\n261;Zürich\n")
    ws.import_areas(
        tmp_path / "g.csv", AreaImportOptions(layer="gemeinde", id_column="nr", name_column="name")
    )
    f = write(
        tmp_path / "px-x-0102010000_101.csv",
        '"Ständige Wohnbevölkerung nach Kanton, Bezirk und Gemeinde"\n\n'
        '"Kanton (-) / Bezirk (>>) / Gemeinde (......)";"2021";"2022"\n'
        '"- Zürich";"1553423";"1564662"\n'
        '">> Bezirk Affoltern";"56384";"56911"\n'
        '"......0001 Aeugst am Albis";"1997";"2008"\n'
        '"......0002 Affoltern am Albis";"12838";"13018"\n'
        '"......0261 Zürich";"421878";"423193"\n',
        encoding="cp1252",
    )
    assert detect(f)[0].name == "bfs_stattab"
    r = ws.import_table(f, ImportOptions(layer="gemeinde"))
    assert r.areas_matched == 3 and r.periods == ["2021", "2022"]
    assert obs(ws, r.variables[0], "gemeinde")[("261", "2022")] == (423193.0, None)
    assert {k["name"] for k in r.skipped_keys} == {"Zürich", "Bezirk Affoltern"}


def test_names_as_keys_with_padded_markers_and_ambiguity(tmp_path: Path) -> None:
    """A Hamburg Stadtteil profile: keyed by name, ".    " for suppressed values."""
    ws = Workspace.init(tmp_path / "hh", name="HH")
    write(tmp_path / "st.csv", "id;name\n101;Hamburg-Altstadt\n102;HafenCity\n103;Neustadt\n")
    ws.import_areas(
        tmp_path / "st.csv", AreaImportOptions(layer="stadtteil", id_column="id", name_column="name")
    )
    f = write(
        tmp_path / "stadtteilprofile.csv",
        "Stadtteil;Einwohner;Unter 18-Jährige\nHamburg-Altstadt;2547;216\nHafenCity;7454;.    \n"
        "Neustadt;12818;1375\nHamburg insgesamt;1892122;320000\n",
    )
    r = ws.import_table(f, ImportOptions(layer="stadtteil", period="2022-12-31"))
    assert r.areas_matched == 3 and "Name" in r.key_forms
    assert obs(ws, "Unter 18-Jährige", "stadtteil")[("102", "2022-12-31")] == (None, "unbekannt_oder_geheim")
    write(tmp_path / "st2.csv", "id;name\n101;Hamburg-Altstadt\n102;Neustadt\n103;Neustadt\n")
    ws.import_areas(
        tmp_path / "st2.csv", AreaImportOptions(layer="doppelt", id_column="id", name_column="name")
    )
    with pytest.raises(InputError) as exc:
        ws.import_table(f, ImportOptions(layer="doppelt", period="2022-12-31"))
    assert "Neustadt" in exc.value.message and "102" in exc.value.message


def test_reimporting_a_table_layer_keeps_its_link(kws: Workspace, tmp_path: Path) -> None:
    dissolve_layer(kws.store, "kreis", "land", key_prefix=2)
    assert kws.store.areas("kreis").set_index("area_id")["parent_id"]["03241"] == "03"
    table = write(
        tmp_path / "kreise.csv", "ARS;GEN\n01001;Flensburg\n01002;Kiel\n02000;Hamburg\n03241;Hannover\n"
    )
    r = kws.import_areas(table, AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN"))
    assert kws.store.layer("kreis").parent_layer == "land"
    assert kws.store.areas("kreis").set_index("area_id")["parent_id"]["03241"] == "03"
    assert any("übernommen" in w for w in r.warnings)


def test_new_workspace_is_never_a_dead_end(kws: Workspace, tmp_path: Path) -> None:
    dissolve_layer(kws.store, "kreis", "land", key_prefix=2)
    f = write(
        tmp_path / "svb.csv",
        "Kennziffer;Name;SvB insgesamt;SvB ohne Abschluss;Quote\n"
        "01001;Flensburg;30000;3000;12,5\n01002;Kiel;90000;9900;10,1\n02000;Hamburg;900000;81000;9,0\n"
        "03241;Hannover;500000;40000;8,2\n",
    )
    kws.import_table(f, ImportOptions(layer="kreis", period="2023"))
    out = tmp_path / "vars.csv"
    rep = kws.export(ExportOptions(layer="kreis", out=out, variables=[]))
    assert rep.rows == 4 and "SvB insgesamt" in out.read_text(encoding="utf-8")
    with pytest.raises(InputError):
        kws.export(ExportOptions(layer="kreis", out=out, variables=[], public=True))
    items = suggest(kws.store, kws.catalog())
    kinds = {s.id: s.kind for s in items}
    assert kinds["svb_insgesamt"] == "anzahl" and kinds["Quote"] == "wert"
    assert kinds["anteil_svb_ohne_abschluss"] == "quote"  # a share of the table's total
    apply(kws.catalog_paths()[0], items)
    r = kws.compute()
    assert r.indicators == len(items)
    land = kws.store.indicator_values("land", ["svb_insgesamt"], None).set_index("area_id")["value"]
    assert land["01"] == 120000  # counts are summed up to the Länder


def test_atlas_and_profile_on_any_area_system(kws: Workspace, tmp_path: Path) -> None:
    """Areas without names (formed by key prefix) and a layer without geometry never crash."""
    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import meta_payload, source_of, values_payload

    dissolve_layer(kws.store, "kreis", "land", key_prefix=2, names={})
    kws.store.execute("UPDATE areas SET name = NULL WHERE layer_id = 'land'")
    write(tmp_path / "tab.csv", "id;name\n01001;Flensburg\n01002;Kiel\n")
    kws.import_areas(
        tmp_path / "tab.csv", AreaImportOptions(layer="tabelle", id_column="id", name_column="name")
    )
    f = write(
        tmp_path / "d.csv", "Kennziffer;Einwohner\n01001;90000\n01002;240000\n02000;1800000\n03241;1100000\n"
    )
    kws.import_table(f, ImportOptions(layer="kreis", period="2023"))
    kws.import_table(f, ImportOptions(layer="tabelle", period="2023", on_unmatched="skip"))
    apply(kws.catalog_paths()[0], suggest(kws.store, kws.catalog()))
    kws.compute()
    src = source_of(kws)
    assert values_payload(src, "land", public=True)["names"][0] == "01"  # the key stands in for the name
    layers = {lay["id"]: lay for lay in meta_payload(src)["layers"]}
    assert layers["tabelle"]["geometry"] is False and layers["kreis"]["geometry"] is True
    r = build_static(src, tmp_path / "atlas")
    assert "tabelle" in r.layers and (tmp_path / "atlas" / "data" / "geo_tabelle.js").exists()
    assert kws.finest_layer() == "kreis"


def test_compute_without_indicators_says_what_to_do(kws: Workspace) -> None:
    from click.testing import CliRunner

    from planlabor.cli import cli

    res = CliRunner().invoke(cli, ["-C", str(kws.root), "compute"])
    assert res.exit_code == 0 and "catalog suggest" in res.output


@pytest.mark.slow
def test_deutschland_demo_from_files_to_atlas_and_profile(tmp_path: Path) -> None:
    from planlabor.atlas.build import build_static
    from planlabor.atlas.data import source_of
    from planlabor.demo.deutschland import build_demo_de

    res = build_demo_de(tmp_path / "de")
    assert res["layers"] == {"bund": 1, "gemeinde": 10978, "gemeindeverband": 4594, "kreis": 400, "land": 16}
    assert all(i["areas"] >= 398 for i in res["imports"] if i["layer"] == "kreis")
    assert all(i["quarantined"] <= 10 * 25 for i in res["imports"])  # at most ten changed areas × 25 years
    html = Path(res["profile"]).read_text(encoding="utf-8")
    assert "Region Hannover" in html and "Deutschland" in html and "Schuldnerquote" in html
    with Workspace.open(tmp_path / "de", read_only=True) as ws:
        sq = ws.store.indicator_values("kreis", ["am_schuldnerquote"], ["2021"]).set_index("area_id")["value"]
        assert sq["01001"] == pytest.approx(14.79) and len(sq) == 400
        r = build_static(source_of(ws), tmp_path / "atlas")
    assert {"kreis", "land", "bund"} <= set(r.layers)
