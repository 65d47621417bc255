"""Attack suite, numbers: values are finite or flagged at the store's door; every importer
(the theme importers included) refuses inf/NaN and impossible values naming file, row and column
(issue 15, points 2 and 7)."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pytest
from shapely.geometry import LineString, Point, Polygon

from planlabor.areas import AreaImportOptions
from planlabor.atlas.build import build_static
from planlabor.atlas.data import source_of
from planlabor.errors import InputError, examples
from planlabor.planning.controlling import read_targets
from planlabor.spatial.facilities import import_facilities
from planlabor.store.guard import finite_table
from planlabor.workspace import Workspace
from tests.attack import fill
from tests.conftest import table_fingerprint, write

KLR_HEAD = "Produkt;Kostenstelle;Jahr;Gebiet;Kosten;Fälle\n"
GOOD = "Hilfen zur Erziehung;KST 1;2023;A1;1.200.000,00;40\n"


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("HzE;KST 1;2023;A2;inf;10\n", "Kosten"),
        ("HzE;KST 1;2023;A2;NaN;10\n", "Kosten"),
        ("HzE;KST 1;2023;A2;-Infinity;10\n", "Kosten"),
        ("HzE;KST 1;2023;A2;300,00;nan\n", "Fälle"),
        ("HzE;KST 1;2023;A2;300,00;-3\n", "Fälle"),
        ("HzE;KST 1;2023;A2;-300,00;3\n", "Kosten"),
        ("HzE;KST 1;2023;A2;1e400;3\n", "Kosten"),
    ],
)
def test_controlling_refuses_non_finite_and_negative(
    grid_ws: Workspace, tmp_path: Path, row: str, column: str
) -> None:
    before = table_fingerprint(grid_ws)
    f = write(tmp_path / "klr.csv", KLR_HEAD + GOOD + row)
    with pytest.raises(InputError) as err:
        grid_ws.import_controlling(f, layer="gebiet")
    e = err.value
    assert e.row == 3 and e.column == column and str(f) == str(e.file)
    assert "Nichts wurde importiert" in e.message
    assert table_fingerprint(grid_ws) == before


def test_targets_refuse_nan_soll_and_negative_tolerance(tmp_path: Path) -> None:
    head = "produkt;kennzahl;zeitraum;soll;toleranz\n"
    for bad, col in (("HzE;kosten_je_fall;2024;nan;5\n", "soll"), ("HzE;kosten;2024;100;-5\n", "toleranz")):
        with pytest.raises(InputError) as err:
            read_targets(write(tmp_path / "soll.csv", head + bad))
        assert err.value.column == col and err.value.row == 2
    with pytest.raises(InputError, match="fehlt"):
        read_targets(write(tmp_path / "leer.csv", head + "HzE;kosten;2024;;5\n"))


@pytest.mark.parametrize("budget", ["nan", "inf", "-5000", "-Infinity"])
def test_measures_refuse_bad_budgets(grid_ws: Workspace, tmp_path: Path, budget: str) -> None:
    fill(grid_ws, tmp_path)
    text = (
        "id;name;thema;ebene;gebiete;beginn;ende;budget;zielindikator\n"
        "M1;Familienzentrum;Armut;gebiet;A1;1.1.2022;31.12.2025;1000;anteil_kinder\n"
        f"M2;Stadtteilmütter;Armut;gebiet;A2;1.1.2022;31.12.2025;{budget};anteil_kinder\n"
    )
    before = grid_ws.store.query_df("SELECT count(*) AS n FROM measures")["n"].iloc[0]
    with pytest.raises(InputError) as err:
        grid_ws.register_measures(write(tmp_path / "m.csv", text))
    assert err.value.row == 3 and err.value.column == "budget"
    assert grid_ws.store.query_df("SELECT count(*) AS n FROM measures")["n"].iloc[0] == before


def test_a_refused_import_leaves_publishing_working(grid_ws: Workspace, tmp_path: Path) -> None:
    """The issue's path: an inf in a KLR export took 'atlas build' down.  Refused now, and the
    store's door would have turned it into a flagged missing value anyway."""
    fill(grid_ws, tmp_path)
    with pytest.raises(InputError):
        grid_ws.import_controlling(write(tmp_path / "k.csv", KLR_HEAD + GOOD.replace("40", "inf")), "gebiet")
    grid_ws.store.record_observations(
        "test",
        "gebiet",
        __import__("pandas").DataFrame(
            {
                "layer_id": "gebiet",
                "area_id": ["A1", "A2"],
                "variable": "ew",
                "period": "2022-12-31",
                "value": [math.inf, -math.inf],
            }
        ),
        {},
    )
    got = grid_ws.store.query_df(
        "SELECT value, flag FROM observations WHERE period = '2022-12-31' ORDER BY area_id"
    )
    assert got["value"].isna().all() and list(got["flag"]) == ["ungueltig", "ungueltig"]
    grid_ws.compute()
    report = build_static(source_of(grid_ws), tmp_path / "atlas")
    assert report.files > 3


def test_the_store_door_turns_non_finite_into_missing(ws: Workspace) -> None:
    store = ws.store
    store.execute("CREATE TEMP TABLE t (v DOUBLE, flag VARCHAR)")
    store.insert_arrow(
        "t",
        pa.table(
            {
                "v": pa.array([1.0, math.nan, math.inf, -math.inf, None]),
                "flag": pa.array([None] * 5, pa.string()),
            }
        ),
    )
    store.execute("INSERT INTO t VALUES (?, ?)", [math.nan, None])
    rows = store.query_arrow("SELECT v, flag FROM t").to_pylist()
    assert [r["v"] for r in rows] == [1.0, None, None, None, None, None]  # NULL, never NaN or inf
    assert [r["flag"] for r in rows] == [None, None, "ungueltig", "ungueltig", None, None]
    assert store.query_df("SELECT 1.0 / 0.0 AS x")["x"].isna().all()  # no inf from arithmetic
    t = finite_table(pa.table({"x": pa.array([math.inf, 2.0])}))
    assert t.column("x").to_pylist() == [None, 2.0]


def test_facility_capacities_and_coordinates_are_checked_with_the_right_row(
    grid_ws: Workspace, tmp_path: Path
) -> None:
    x0, y0 = 390000, 5820000

    def run(text: str, crs: str = "EPSG:25833") -> InputError:
        with pytest.raises(InputError) as err:
            import_facilities(
                grid_ws.store,
                write(tmp_path / "f.csv", text),
                "kita",
                "gebiet",
                "2023",
                "EPSG:25833",
                capacity_column="plaetze",
                x_column="x",
                y_column="y",
                source_crs=crs,
            )
        return err.value

    head = "x;y;plaetze\n"
    ok = f"{x0 + 100};{y0 + 500};20\n"
    for cap in ("-5", "inf", "nan"):
        e = run(head + ok + f"{x0 + 200};{y0 + 500};{cap}\n")
        assert e.row == 3 and e.column == "plaetze", (cap, e)  # the file row (header is row 1)
    e = run(head + ok + f"inf;{y0 + 500};20\n")
    assert e.row == 3 and "keine Zahlen" in e.message
    e = run(head + ok, crs="EPSG:4326")  # metres declared as WGS 84
    assert "außerhalb der Erde" in e.message and "--source-crs" in (e.hint or "")


def test_area_layers_must_be_polygons_with_finite_coordinates(grid_ws: Workspace, tmp_path: Path) -> None:
    before = table_fingerprint(grid_ws)
    opts = AreaImportOptions(layer="neu", id_column="id", name_column="name")
    pts = gpd.GeoDataFrame(
        {"id": ["P1", "P2"], "name": ["a", "b"]},
        geometry=[Point(390000, 5820000), LineString([(390000, 5820000), (391000, 5821000)])],
        crs="EPSG:25833",
    )
    pts.to_file(tmp_path / "punkte.gpkg")
    with pytest.raises(InputError, match="Flächen"):
        grid_ws.import_areas(tmp_path / "punkte.gpkg", opts)
    nan = gpd.GeoDataFrame(
        {"id": ["N1", "N2"], "name": ["a", "b"]},
        geometry=[
            Polygon([(390000, 5820000), (391000, 5820000), (391000, 5821000)]),
            Polygon([(390000, 5820000), (math.nan, 5820000), (391000, 5821000)]),
        ],
        crs="EPSG:25833",
    )
    nan.to_file(tmp_path / "nan.gpkg")
    with pytest.raises(InputError) as err:
        grid_ws.import_areas(tmp_path / "nan.gpkg", opts)
    assert err.value.row == 2 and "keine Zahlen" in err.value.message
    wgs = nan.iloc[:1].set_crs("EPSG:4326", allow_override=True)
    wgs.to_file(tmp_path / "falsch.gpkg")
    with pytest.raises(InputError, match="außerhalb der Erde"):
        grid_ws.import_areas(tmp_path / "falsch.gpkg", opts)
    assert table_fingerprint(grid_ws) == before


def test_examples_lists_a_few_and_the_count() -> None:
    text = examples(("x" * 1000 + str(i) for i in range(100_000)), n=5, maxlen=60)
    assert len(text) < 500 and "100000 insgesamt" in text and text.count("…") == 6
    assert examples([]) == "" and examples(["a"]) == "a"
