"""Area layers: formats, reprojection, repair, hierarchy, validity periods."""

from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, box

from planlabor.areas import AreaImportOptions, dissolve_layer, link_by_containment, link_by_table
from planlabor.areas.hierarchy import ancestor_table, layer_chain
from planlabor.errors import InputError, NotFoundError
from planlabor.workspace import Workspace
from tests.conftest import DATA, DEMO, PLR2006, PLR2006_FILE, table_fingerprint, write


def test_shapefile_and_hierarchy_from_table(ws: Workspace) -> None:
    lor = DEMO / "lor_2021"
    ws.import_areas(
        lor / "lor_bezirksregionen_2021.shp",
        AreaImportOptions(layer="bzr", id_column="BZR_ID", name_column="BZR_NAME"),
    )
    r = ws.import_areas(
        lor / "lor_planungsraeume_2021.shp",
        AreaImportOptions(
            layer="plr", id_column="PLR_ID", name_column="PLR_NAME", valid_from=date(2021, 1, 1)
        ),
    )
    assert r.n_areas == 542 and r.repaired == [] and r.crs_from == "EPSG:25833"
    res = link_by_table(
        ws.store, "plr", "bzr", lor / "LOR_2021.csv", "Planungsraum (Nummer)", "Bezirksregion (Nummer)"
    )
    assert res["linked"] == 542 and res["without_parent"] == []
    plr = ws.store.areas("plr").set_index("area_id")
    assert plr.loc["01100101", "name"] == "Stülerstraße"
    assert plr.loc["01100101", "parent_id"] == "011001"
    # keys encode the hierarchy: the table agrees with the 6-digit prefix everywhere
    assert (plr["parent_id"] == plr.index.str.slice(0, 6)).all()
    assert ws.store.layer("plr").valid_from == date(2021, 1, 1)


def test_reprojection_and_id_pattern(ws: Workspace) -> None:
    r = ws.import_areas(
        DEMO / "lor_2021" / "bezirksgrenzen.shp",
        AreaImportOptions(
            layer="bezirk", id_column="Schluessel", id_pattern=r"^110000(\d\d)$", name_column="Gemeinde_n"
        ),
    )
    assert (r.crs_from, r.crs_to) == ("EPSG:4326", "EPSG:25833")
    areas = ws.store.areas("bezirk", geometry=True).set_index("area_id")
    assert areas.loc["01", "name"] == "Mitte"
    geom = shapely.from_wkb(areas.loc["01", "geom"])
    # Mitte lies around E 390 000, N 5 820 000 in UTM 33N
    assert 385_000 < geom.centroid.x < 395_000 and 5_815_000 < geom.centroid.y < 5_825_000
    # area close to the published 39.47 km²
    assert abs(geom.area / 1e6 - 39.47) < 0.3


def test_containment_with_ambiguity_report(ws: Workspace, tmp_path: Path) -> None:
    parents = gpd.GeoDataFrame(
        {"id": ["P1", "P2"]}, geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs="EPSG:25833"
    )
    children = gpd.GeoDataFrame(
        {"id": ["C1", "C2", "C3", "C4"]},
        geometry=[
            box(1, 1, 4, 4),
            box(11, 1, 14, 4),
            box(8, 1, 13, 4),  # C3: 40 % in P1, 60 % in P2
            box(30, 30, 31, 31),
        ],
        crs="EPSG:25833",
    )
    parents.to_file(tmp_path / "p.gpkg")
    children.to_file(tmp_path / "c.gpkg")
    ws.import_areas(tmp_path / "p.gpkg", AreaImportOptions(layer="p", id_column="id"))
    ws.import_areas(tmp_path / "c.gpkg", AreaImportOptions(layer="c", id_column="id"))
    res = link_by_containment(ws.store, "c", "p")
    assert res["ambiguous"] == [{"area_id": "C3", "candidates": {"P2": 0.6, "P1": 0.4}}]
    assert res["without_parent"] == ["C4"]
    parents_of = ws.store.areas("c").set_index("area_id")["parent_id"].to_dict()
    assert parents_of["C1"] == "P1" and parents_of["C2"] == "P2" and parents_of["C3"] == "P2"


def test_real_pgr_in_bezirke_by_containment(ws: Workspace) -> None:
    lor = DEMO / "lor_2021"
    ws.import_areas(
        lor / "bezirksgrenzen.shp",
        AreaImportOptions(layer="bezirk", id_column="Schluessel", id_pattern=r"^110000(\d\d)$"),
    )
    ws.import_areas(lor / "lor_prognoseraeume_2021.shp", AreaImportOptions(layer="pgr", id_column="PGR_ID"))
    res = link_by_containment(ws.store, "pgr", "bezirk")
    assert res["ambiguous"] == [] and res["linked"] == 58
    pgr = ws.store.areas("pgr").set_index("area_id")
    # the PGR key starts with the Bezirk number: containment agrees with the keys
    assert (pgr["parent_id"] == pgr.index.str.slice(0, 2)).all()


def test_invalid_geometry_repaired_and_reported(ws: Workspace, tmp_path: Path) -> None:
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    assert not bowtie.is_valid
    gdf = gpd.GeoDataFrame({"id": ["ok", "bad"]}, geometry=[box(5, 5, 6, 6), bowtie], crs="EPSG:25833")
    gdf.to_file(tmp_path / "g.geojson", driver="GeoJSON")
    r = ws.import_areas(tmp_path / "g.geojson", AreaImportOptions(layer="g", id_column="id"))
    assert r.repaired == ["bad"]
    geom = shapely.from_wkb(ws.store.areas("g", geometry=True).set_index("area_id").loc["bad", "geom"])
    assert geom.is_valid and abs(geom.area - 2.0) < 1e-9


def test_two_area_systems_side_by_side(ws: Workspace) -> None:
    ws.import_areas(
        DEMO / "lor_2021" / "lor_planungsraeume_2021.shp",
        AreaImportOptions(layer="plr", id_column="PLR_ID", valid_from=date(2021, 1, 1)),
    )
    r = ws.import_areas(PLR2006_FILE, PLR2006)
    assert r.n_areas == 448 and any("04030417" in w for w in r.warnings)
    layers = {lay.layer_id: lay for lay in ws.store.layers()}
    assert layers["plr"].valid_from == date(2021, 1, 1) and layers["plr2006"].valid_to == date(2020, 12, 31)
    assert len(ws.store.areas("plr")) == 542 and len(ws.store.areas("plr2006")) == 448


def test_duplicate_key_in_real_2006_file_names_both_records(ws: Workspace) -> None:
    with pytest.raises(InputError) as exc:
        ws.import_areas(
            DEMO / "lor_2006" / "lor_planungsraeume_2006.shp",
            AreaImportOptions(layer="plr2006", id_column="broker Dow", name_column="PLANUNGSRA"),
        )
    assert "06010102" in exc.value.message and "124, 205" in exc.value.message
    assert "--set-key 124=" in (exc.value.hint or "")


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_missing_crs(ws: Workspace, tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[box(0, 0, 1, 1)])
    gdf.to_file(tmp_path / "nocrs.shp")
    (tmp_path / "nocrs.prj").unlink(missing_ok=True)
    with pytest.raises(InputError) as exc:
        ws.import_areas(tmp_path / "nocrs.shp", AreaImportOptions(layer="x", id_column="id"))
    assert "--source-crs" in (exc.value.hint or "")
    r = ws.import_areas(
        tmp_path / "nocrs.shp", AreaImportOptions(layer="x", id_column="id", source_crs="EPSG:25833")
    )
    assert r.n_areas == 1


def test_unknown_parent_refused_atomically(grid_ws: Workspace, tmp_path: Path) -> None:
    before = table_fingerprint(grid_ws)
    path = write(tmp_path / "k.csv", "id,bez\nK1,D1\nK2,D9\n")
    with pytest.raises(InputError) as exc:
        grid_ws.import_areas(
            path, AreaImportOptions(layer="k", id_column="id", parent_layer="bezirk", parent_column="bez")
        )
    assert "D9" in exc.value.message
    assert table_fingerprint(grid_ws) == before


def test_unknown_columns_and_layers(grid_ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "k.csv", "id,bez\nK1,D1\n")
    with pytest.raises(InputError) as exc:
        grid_ws.import_areas(path, AreaImportOptions(layer="k", id_column="ID_X"))
    assert exc.value.column == "ID_X" and "bez" in (exc.value.expected or "")
    with pytest.raises(NotFoundError):
        grid_ws.import_areas(
            path, AreaImportOptions(layer="k", id_column="id", parent_layer="land", parent_column="bez")
        )


def test_prefix_hierarchy_and_ancestors(grid_ws: Workspace) -> None:
    assert layer_chain(grid_ws.store, "gebiet") == ["gebiet", "bezirk", "stadt"]
    anc = ancestor_table(grid_ws.store, "gebiet")
    a1 = anc[anc["area_id"] == "A1"].set_index("anc_layer")["anc_id"].to_dict()
    assert a1 == {"gebiet": "A1", "bezirk": "D1", "stadt": "C"}


def test_dissolve(grid_ws: Workspace) -> None:
    res = dissolve_layer(grid_ws.store, "gebiet", "bezirk2")
    assert res["areas"] == 2
    geoms = grid_ws.store.areas("bezirk2", geometry=True).set_index("area_id")["geom"]
    assert shapely.from_wkb(geoms["D1"]).area == pytest.approx(2_000_000)


@pytest.mark.parametrize(
    ("path", "id_column", "n"),
    [
        (DATA / "deutschland" / "vg5000_kreise_2021.geojson", "ARS", 401),
        (DATA / "dach" / "nuts" / "NUTS_RG_20M_2021_4326_LEVL_3.geojson", "NUTS_ID", 1512),
        (DATA / "dach" / "nuts" / "NUTS_RG_20M_2021_4326_LEVL_2.geojson", "NUTS_ID", 333),
        (DATA / "dach" / "at" / "laender_995_geo.json", "iso", 9),
        (DATA / "dach" / "at" / "graetzl_nr2024.geojson", "Graetzl_ID", 137),
        (DATA / "dach" / "at" / "graetzl_2022-09-08.json", "Graetzl_ID", 137),
        (DATA / "dach" / "ch" / "basel" / "geojson" / "wohnviertel.json", "ZTXT", 21),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else str(v),
)
def test_real_geo_files(ws: Workspace, path: Path, id_column: str, n: int) -> None:
    r = ws.import_areas(path, AreaImportOptions(layer="x", id_column=id_column))
    assert r.n_areas == n and r.crs_to == "EPSG:25833"


@pytest.mark.parametrize("name", ["gemeinden_995_geo.json", "bezirke_995_geo.json"])
def test_austrian_files_with_stacked_vienna(ws: Workspace, name: str) -> None:
    """Vienna is published as a whole and its districts on top: duplicates are not the issue,
    overlaps are; the import keeps every feature (keys are unique)."""
    r = ws.import_areas(DATA / "dach" / "at" / name, AreaImportOptions(layer="at", id_column="iso"))
    assert r.n_areas in (2118, 117)
