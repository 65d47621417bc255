"""Zensus grid: cell ids, the reader (2022/2011 CSV, Parquet), assignment and aggregation by
centroid and by area share, the import into a layer, and the command."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

from planlabor.areas import AreaImportOptions
from planlabor.areas.keys_grid import format_cell_ids, is_cell_id, parse_cell_ids
from planlabor.cli import cli
from planlabor.errors import InputError, NotFoundError
from planlabor.io.zensus import read_grid, sniff
from planlabor.spatial.grid import cell_overlaps, centres_in_polygons
from planlabor.spatial.grid_import import import_grid
from planlabor.workspace import Workspace
from tests.conftest import DATA, DEMO, table_fingerprint, write

ZENSUS = DATA / "zensus2011_1km"
VG5000_GEM = DEMO.parent / "deutschland" / "VG5000_GEM.shp"  # shipped with the Deutschland demo
TOTAL_2011 = 80_212_528  # inhabitants in the 1 km grid of the Zensus 2011 (SOURCES.md)


# --------------------------------------------------------------------------- cell ids
def test_cell_ids_both_ways() -> None:
    keys = parse_cell_ids(
        [
            "CRS3035RES1000mN2689000E4337000",
            "1kmN2689E4337",
            "CRS3035RES100mN2689100E4337200",
            "100mN26891E43372",
            "CRS3035RES10000mN2680000E4330000",
            "10kmN268E433",
        ]
    )
    assert keys.x.tolist() == [4337000, 4337000, 4337200, 4337200, 4330000, 4330000]
    assert keys.y.tolist() == [2689000, 2689000, 2689100, 2689100, 2680000, 2680000]
    assert keys.size.tolist() == [1000, 1000, 100, 100, 10000, 10000]
    assert keys.centre_x.tolist()[:3] == [4337500, 4337500, 4337250]
    assert format_cell_ids(keys.x, keys.y, keys.size).tolist()[::2] == [
        "CRS3035RES1000mN2689000E4337000",
        "CRS3035RES100mN2689100E4337200",
        "CRS3035RES10000mN2680000E4330000",
    ]
    assert format_cell_ids(keys.x, keys.y, keys.size, style="2011").tolist()[1::2] == [
        "1kmN2689E4337",
        "100mN26891E43372",
        "10kmN268E433",
    ]
    assert is_cell_id(" CRS3035RES100mN2689100E4337200 ") and not is_cell_id("01001000")


def test_cell_id_errors_name_file_row_column() -> None:
    with pytest.raises(InputError) as err:
        parse_cell_ids(["1kmN2689E4337", "N2689E4337"], file="z.csv", column="Gitter_ID_1km", lines=[2, 7])
    assert (err.value.row, err.value.column, str(err.value.file)) == (7, "Gitter_ID_1km", "z.csv")
    assert "CRS3035RES1000mN2689000E4337000" in (err.value.expected or "")
    with pytest.raises(InputError, match="kein Vielfaches"):
        parse_cell_ids(["CRS3035RES1000mN2689500E4337000"])


# ------------------------------------------------------------- publisher layouts
def _real_cells(n: int = 400) -> pd.DataFrame:
    """Real cells of the Zensus 2011 (Flensburg and around: the first populated cells in the north)."""
    cols = {}
    for var in ("Einwohner", "Alter_D", "Auslaender_A"):
        df = pd.read_parquet(ZENSUS / f"continuous_{var}.parquet")
        cols[var] = df.set_index(["x", "y"])[var]
    df = pd.DataFrame(cols).reset_index()
    north = df[df["y"] > 3_500_000].sort_values(["y", "x"], ascending=[False, True])
    return north.head(n).reset_index(drop=True)


def _de(v: float) -> str:
    return "–" if v == -9 else f"{v:g}".replace(".", ",")


def write_2022(path: Path, cells: pd.DataFrame, size: int = 1000, encoding: str = "utf-8") -> Path:
    """The publisher's Zensus 2022 layout, written from real values (–1 cells are not listed)."""
    name = {100: "100m", 1000: "1km"}[size]
    ids = format_cell_ids(cells["x"] - size // 2, cells["y"] - size // 2, size)
    lines = [f"GITTER_ID_{name};x_mp_{name};y_mp_{name};Einwohner;Durchschnittsalter"]
    for i, r in cells.reset_index(drop=True).iterrows():
        if r["Einwohner"] < 0:
            continue
        lines.append(f"{ids[i]};{r['x']};{r['y']};{int(r['Einwohner'])};{_de(r['Alter_D'])}")
    return write(path, "\n".join(lines) + "\n", encoding)


def test_2022_layout_from_real_values(tmp_path: Path) -> None:
    cells = _real_cells()
    path = write_2022(tmp_path / "Zensus2022_Bevoelkerungszahl_1km-Gitter.csv", cells)
    assert sniff(path) >= 0.99
    grid = read_grid(path)
    assert (grid.layout, grid.cell_size, grid.period) == ("zensus2022", 1000, "2022-05-15")
    ew = grid.frame[grid.frame["variable"] == "Einwohner"]
    populated = cells[cells["Einwohner"] >= 0]
    assert ew["value"].sum() == populated["Einwohner"].sum()
    assert ew["line"].iloc[0] == 2 and ew["cell_id"].iloc[0].startswith("CRS3035RES1000mN")
    age = grid.frame[grid.frame["variable"] == "Durchschnittsalter"].set_index("line")
    secret = populated.reset_index(drop=True)["Alter_D"] == -9
    assert secret.any()
    assert (age.loc[age["raw"] == "–", "flag"] == "gesperrt").all()
    assert int((age["flag"] == "gesperrt").sum()) == int(secret.sum())
    # every published mean age arrives unchanged, decimal commas included
    known = populated.reset_index(drop=True)["Alter_D"].to_numpy()
    got = age["value"].to_numpy()
    assert np.array_equal(got[known >= 0], known[known >= 0])
    assert (known % 1 != 0).any() and age["raw"].str.contains(",").any()


def test_2022_layout_in_cp1252_and_with_blank_lines(tmp_path: Path) -> None:
    cells = _real_cells(50)
    path = write_2022(tmp_path / "Zensus2022_1km.csv", cells, encoding="cp1252")
    text = path.read_bytes().replace(b"\n", b"\r\n", 3).replace(b"\r\n", b"\r\n\r\n", 2)
    path.write_bytes(text)
    grid = read_grid(path)
    assert (grid.frame["raw"] == "–").any()  # the en dash survives cp1252
    # lines: header 1, blank 2, first cell 3, blank 4, second cell 5
    assert grid.frame["line"].tolist()[:3] == [3, 5, 6]


def test_2011_layout(tmp_path: Path) -> None:
    cells = _real_cells(200)
    ids = format_cell_ids(cells["x"] - 500, cells["y"] - 500, 1000, style="2011")
    text = "Gitter_ID_1km;x_mp_1km;y_mp_1km;Einwohner\n" + "".join(
        f"{i};{x};{y};{e}\n"
        for i, x, y, e in zip(ids, cells["x"], cells["y"], cells["Einwohner"], strict=True)
    )
    path = write(tmp_path / "Zensus_Bevoelkerung_1km-Gitter.csv", text)
    grid = read_grid(path)
    assert (grid.layout, grid.period) == ("zensus2011", "2011-05-09")
    assert int((grid.frame["flag"] == "fehlend").sum()) == int((cells["Einwohner"] == -1).sum())
    assert grid.frame["value"].sum() == cells.loc[cells["Einwohner"] > 0, "Einwohner"].sum()


def test_100m_ids_both_spellings(tmp_path: Path) -> None:
    a = write(
        tmp_path / "a.csv",
        "GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner\n"
        "CRS3035RES100mN2689100E4337200;4337250;2689150;12\n"
        "CRS3035RES100mN2689100E4337300;4337350;2689150;–\n",
    )
    b = write(tmp_path / "b.csv", "Gitter_ID_100m;Einwohner\n100mN26891E43372;12\n100mN26891E43373;-9\n")
    for path in (a, b):
        grid = read_grid(path)
        assert grid.cell_size == 100
        assert grid.frame["x"].tolist() == [4337250, 4337350]
        assert grid.frame["flag"].fillna("").tolist() == ["", "gesperrt"]


def test_note_column_is_not_a_variable(tmp_path: Path) -> None:
    path = write(
        tmp_path / "Zensus2022_Durchschnittsalter_1km-Gitter.csv",
        "GITTER_ID_1km;x_mp_1km;y_mp_1km;Durchschnittsalter;werterlaeuternde_Zeichen\n"
        "CRS3035RES1000mN2689000E4337000;4337500;2689500;44,53;\n"
        "CRS3035RES1000mN2689000E4338000;4338500;2689500;–;KLAMMERN\n",
    )
    grid = read_grid(path)
    assert grid.variables == ["Durchschnittsalter"]
    assert grid.frame["value"].iloc[0] == pytest.approx(44.53)
    assert any("werterlaeuternde_Zeichen" in w and "1 nicht leer" in w for w in grid.warnings)


def test_2022_numbers_are_german(tmp_path: Path) -> None:
    path = write(
        tmp_path / "Zensus2022_Bevoelkerungszahl_10km-Gitter.csv",
        "GITTER_ID_10km;x_mp_10km;y_mp_10km;Einwohner\n"
        "CRS3035RES10000mN2680000E4330000;4335000;2685000;12.345\n"
        "CRS3035RES10000mN2680000E4340000;4345000;2685000;987\n",
    )
    grid = read_grid(path)
    assert grid.cell_size == 10_000 and grid.frame["value"].tolist() == [12_345, 987]


def test_parquet_conversion() -> None:
    path = ZENSUS / "continuous_Einwohner.parquet"
    assert sniff(path) >= 0.9
    grid = read_grid(path)
    assert (grid.layout, grid.cell_size, grid.period) == ("parquet", 1000, "2011-05-09")
    assert len(grid.frame) == 361_478
    assert int(grid.frame["flag"].isna().sum()) == 214_633
    assert grid.frame["value"].sum() == TOTAL_2011


def test_sniff_says_no_to_other_tables(tmp_path: Path) -> None:
    other = write(tmp_path / "kreise.csv", "ARS;Name;Einwohner\n01001;Flensburg;90000\n")
    assert sniff(other) == 0.0
    assert sniff(DATA / "deutschland" / "vg5000_kreise_2021.geojson") == 0.0
    points = tmp_path / "punkte.parquet"  # x/y that are not cell centres of the grid
    pd.DataFrame({"x": [390123.4, 391000.0], "y": [5820000.2, 5821000.0], "plaetze": [40, 55]}).to_parquet(
        points
    )
    assert sniff(points) < 0.5


@pytest.mark.parametrize(
    ("text", "row", "column", "what"),
    [
        (
            "GITTER_ID_1km;Einwohner\nCRS3035RES1000mN2689000E4337000;12\nkein;3\n",
            3,
            "GITTER_ID_1km",
            "Gitterzellen-ID",
        ),
        (
            "GITTER_ID_1km;Einwohner\nCRS3035RES1000mN2689000E4337000;12\nCRS3035RES1000mN2690000E4337000;zwölf\n",
            3,
            "Einwohner",
            "keine Zahl",
        ),
        (
            "GITTER_ID_1km;Einwohner\nCRS3035RES1000mN2689000E4337000;1\n\nCRS3035RES1000mN2690000E4337000\n",
            4,
            None,
            "nicht so viele Felder",
        ),
        (
            "GITTER_ID_1km;Einwohner\nCRS3035RES1000mN2689000E4337000;1.234\nCRS3035RES1000mN2690000E4337000;44.5\n",
            3,
            "Einwohner",
            "keine Zahl",
        ),
        (
            "GITTER_ID_1km;x_mp_1km;y_mp_1km;Einwohner\nCRS3035RES1000mN2689000E4337000;4337000;2689500;1\n",
            2,
            "x_mp_1km",
            "passt nicht",
        ),
        (
            "GITTER_ID_1km;Einwohner\nCRS3035RES1000mN2689000E4337000;1\nCRS3035RES1000mN2689000E4337000;2\n",
            3,
            "GITTER_ID_1km",
            "zweimal",
        ),
    ],
)
def test_bad_files_are_refused_with_row_and_column(
    tmp_path: Path, text: str, row: int, column: str | None, what: str
) -> None:
    with pytest.raises(InputError, match=what) as err:
        read_grid(write(tmp_path / "z.csv", text))
    assert (err.value.row, err.value.column) == (row, column)


# ----------------------------------------------- hand-built areas, both methods by hand
X0, Y0 = 4_000_000, 3_000_000
HAND_CELLS = {
    # (column, row): (Einwohner, Durchschnittsalter) of the 1 km cell; "–" = suppressed
    (0, 0): ("100", "40"),
    (1, 0): ("200", "30"),
    (2, 0): ("300", "50"),
    (3, 0): ("40", "45"),  # A/B cover only its left quarter
    (0, 1): ("10", "60"),
    (1, 1): ("20", "20"),
    (2, 1): ("–", "35"),  # inhabitants suppressed: the mean of this cell cannot be weighted
    (6, 0): ("7", "99"),  # outside every area
}


def hand_workspace(tmp_path: Path) -> Workspace:
    """Areas A = [0, 1.4 km] × [0, 2 km] and B = [1.4 km, 3.25 km] × [0, 2 km] from (X0, Y0),
    written in EPSG:3035 and stored in EPSG:25832 (the import transforms them back)."""
    gdf = gpd.GeoDataFrame(
        {"id": ["A", "B"], "name": ["Nord", "Süd"]},
        geometry=[box(X0, Y0, X0 + 1400, Y0 + 2000), box(X0 + 1400, Y0, X0 + 3250, Y0 + 2000)],
        crs="EPSG:3035",
    )
    gdf.to_file(tmp_path / "areas.gpkg")
    ws = Workspace.init(tmp_path / "ws", name="Gitter", crs="EPSG:25832")
    ws.import_areas(
        tmp_path / "areas.gpkg", AreaImportOptions(layer="bezirk", id_column="id", name_column="name")
    )
    return ws


def hand_file(tmp_path: Path) -> Path:
    lines = ["GITTER_ID_1km;x_mp_1km;y_mp_1km;Einwohner;Durchschnittsalter"]
    for (c, r), (ew, age) in HAND_CELLS.items():
        x, y = X0 + c * 1000, Y0 + r * 1000
        lines.append(f"CRS3035RES1000mN{y}E{x};{x + 500};{y + 500};{ew};{age}")
    return write(tmp_path / "Zensus2022_hand_1km-Gitter.csv", "\n".join(lines) + "\n")


def _values(ws: Workspace, variable: str) -> dict[str, tuple[float, str | None]]:
    df = ws.store.observations("bezirk", [variable])
    return {
        r.area_id: (r.value, r.flag if isinstance(r.flag, str) else None) for r in df.itertuples(index=False)
    }


def test_centroid_by_hand(tmp_path: Path) -> None:
    ws = hand_workspace(tmp_path)
    r = import_grid(ws.store, hand_file(tmp_path), "bezirk", method="zentroid", weight="Einwohner")
    # A holds the centres of column 0; B those of columns 1 and 2; (3, 0) and (6, 0) are outside
    ew = _values(ws, "Einwohner")
    assert ew["A"] == (100 + 10, None)
    assert ew["B"] == (200 + 300 + 20, "teilsumme")  # (2, 1) suppressed
    age = _values(ws, "Durchschnittsalter")
    assert age["A"][0] == pytest.approx((100 * 40 + 10 * 60) / 110)
    assert age["B"] == (pytest.approx((200 * 30 + 300 * 50 + 20 * 20) / 520), "teilsumme")
    assert (r.cells_read, r.cells_assigned, r.cells_outside) == (8, 6, 2)
    ew_sum = r.variables[0]
    assert (ew_sum.total_before, ew_sum.total_outside, ew_sum.total_after) == (677, 47, 630)
    assert ew_sum.cells_suppressed == 1 and ew_sum.areas_partial == 1
    assert r.period == "2022-05-15" and r.import_id is not None
    log = ws.store.imports().iloc[-1]
    assert log["kind"] == "observations" and "Zensus2022_hand" in log["file"] and len(log["sha256"]) == 64


def test_area_share_by_hand(tmp_path: Path) -> None:
    ws = hand_workspace(tmp_path)
    r = import_grid(ws.store, hand_file(tmp_path), "bezirk", method="flaeche", weight="Einwohner")
    # column 1 is split 40 % A / 60 % B; (3, 0) is a quarter inside B and goes wholly to B
    ew = _values(ws, "Einwohner")
    assert ew["A"][0] == pytest.approx(100 + 10 + 0.4 * (200 + 20))
    assert ew["A"][1] == "geschaetzt"
    assert ew["B"][0] == pytest.approx(0.6 * (200 + 20) + 300 + 40)
    assert ew["B"][1] == "geschaetzt_unvollstaendig"
    age = _values(ws, "Durchschnittsalter")
    a_num = 100 * 40 + 10 * 60 + 0.4 * (200 * 30 + 20 * 20)
    b_num = 0.6 * (200 * 30 + 20 * 20) + 300 * 50 + 40 * 45
    assert age["A"][0] == pytest.approx(a_num / (110 + 0.4 * 220))
    assert age["B"][0] == pytest.approx(b_num / (0.6 * 220 + 300 + 40))
    assert (r.cells_assigned, r.cells_outside, r.cells_partly_outside) == (7, 1, 1)
    v = r.variables[0]
    assert v.total_after == pytest.approx(v.total_before - v.total_outside)  # 677 − 7
    assert v.total_partly_outside == pytest.approx(40 * 0.75)
    assert any("nur teilweise" in w for w in r.warnings)


def test_area_all_suppressed_is_gesperrt_and_dry_run_stores_nothing(tmp_path: Path) -> None:
    ws = hand_workspace(tmp_path)
    path = write(
        tmp_path / "z.csv",
        f"GITTER_ID_1km;Einwohner\nCRS3035RES1000mN{Y0}E{X0};–\nCRS3035RES1000mN{Y0}E{X0 + 2000};5\n",
    )
    before = table_fingerprint(ws)
    r = import_grid(ws.store, path, "bezirk", period="2024-12-31", dry_run=True)
    assert r.dry_run and r.import_id is None and table_fingerprint(ws) == before
    assert r.variables[0].areas_suppressed == 1
    import_grid(ws.store, path, "bezirk", period="2024-12-31")
    assert _values(ws, "Einwohner")["A"] == (pytest.approx(float("nan"), nan_ok=True), "gesperrt")
    assert _values(ws, "Einwohner")["B"] == (5, None)


def test_reimport_supersedes_and_revert_restores(tmp_path: Path) -> None:
    ws = hand_workspace(tmp_path)
    first = import_grid(ws.store, hand_file(tmp_path), "bezirk", method="zentroid").import_id
    import_grid(ws.store, hand_file(tmp_path), "bezirk", method="flaeche")
    assert _values(ws, "Einwohner")["A"][1] == "geschaetzt"
    assert first is not None
    ws.revert(first)
    assert _values(ws, "Einwohner")["A"] == (110, None)


def test_refusals_change_nothing(tmp_path: Path) -> None:
    ws = hand_workspace(tmp_path)
    before = table_fingerprint(ws)
    undated = write(tmp_path / "gitter.csv", f"GITTER_ID_1km;Einwohner\nCRS3035RES1000mN{Y0}E{X0};5\n")
    with pytest.raises(InputError, match="Stichtag") as err:
        import_grid(ws.store, undated, "bezirk")
    assert err.value.column == "--period"
    with pytest.raises(NotFoundError):
        import_grid(ws.store, hand_file(tmp_path), "kreis")
    with pytest.raises(InputError, match="in keiner der Dateien"):
        import_grid(ws.store, hand_file(tmp_path), "bezirk", weight="Haushalte")
    assert table_fingerprint(ws) == before


def test_command(tmp_path: Path) -> None:
    ws = hand_workspace(tmp_path)
    ws.close()
    runner = CliRunner()
    args = ["-C", str(tmp_path / "ws"), "grid", "import", str(hand_file(tmp_path)), "--layer", "bezirk"]
    res = runner.invoke(cli, [*args, "--methode", "flaeche", "--gewicht", "Einwohner", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "Probelauf" in res.output and "nach Flächenanteil" in res.output
    assert "Durchschnittsalter | Mittelwert, gewichtet mit Einwohner" in res.output
    res = runner.invoke(cli, [*args, "--variable", "Einwohner=ew"])
    assert res.exit_code == 0, res.output
    assert "Import Nr. 2" in res.output and "ew | Anzahl" in res.output and "677 | 47 | 630" in res.output
    res = runner.invoke(cli, [*args, "--methode", "raster"])
    assert res.exit_code == 2


# ---------------------------------------------- the vectorised geometry against GEOS
def test_scanline_and_overlaps_match_shapely() -> None:
    plr = gpd.read_file(DEMO / "lor_2021" / "lor_planungsraeume_2021.shp").to_crs("EPSG:3035")
    polys = plr.geometry.values[:80]
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    s = 250.0
    xs = np.arange(np.floor(minx / s) * s, maxx, s) + s / 2
    ys = np.arange(np.floor(miny / s) * s, maxy, s) + s / 2
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    # centroid: every centre is in the polygon GEOS says (no centre lies on a border here)
    ours = centres_in_polygons(gx, gy, s, polys)
    tree = shapely.STRtree(shapely.points(gx, gy))
    pi, ci = tree.query(polys, predicate="contains")
    theirs = np.full(len(gx), -1)
    theirs[ci] = pi
    assert (ours == theirs).all()
    # area share: the same pairs and areas as shapely.intersection
    area, poly, cell = cell_overlaps(gx, gy, s, polys)
    squares = shapely.box(gx - s / 2, gy - s / 2, gx + s / 2, gy + s / 2)
    qi, qc = shapely.STRtree(squares).query(polys, predicate="intersects")
    ref = shapely.area(shapely.intersection(polys[qi], squares[qc]))
    keep = ref > 1e-6
    a = pd.Series(area, index=pd.MultiIndex.from_arrays([poly, cell])).sort_index()
    b = pd.Series(ref[keep], index=pd.MultiIndex.from_arrays([qi[keep], qc[keep]])).sort_index()
    assert a.index.equals(b.index)
    assert np.allclose(a.to_numpy(), b.to_numpy(), atol=1e-4)


# ------------------------------------------------------ all of Germany, exact sums
@pytest.mark.slow
def test_germany_centroid_keeps_every_inhabitant(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "de", name="Deutschland", crs="EPSG:25832")
    ws.import_areas(VG5000_GEM, AreaImportOptions(layer="gemeinde", id_column="ARS", name_column="GEN"))
    r = import_grid(ws.store, ZENSUS / "continuous_Einwohner.parquet", "gemeinde", method="zentroid")
    v = r.variables[0]
    stored = ws.store.observations("gemeinde", ["Einwohner"])
    assert len(stored) == 10_978 and r.period == "2011-05-09"
    assert v.total_before == TOTAL_2011
    assert stored["value"].sum() + v.total_outside == TOTAL_2011  # exact: every cell once
    assert stored["value"].sum() == v.total_after
    assert r.cells_outside > 0 and v.total_outside > 0  # coast and borders, reported
    assert set(stored["flag"].dropna()) <= {"fehlend"}
    assert len(r.areas_without_cells) == int(stored["value"].isna().sum())
    # Flensburg (010010000000): the sum of the cells whose centre GEOS finds in the town
    town = (
        gpd.read_file(VG5000_GEM).set_index("ARS").loc[["010010000000"]].to_crs("EPSG:3035").geometry.iloc[0]
    )
    cells = pd.read_parquet(ZENSUS / "continuous_Einwohner.parquet")
    inside = shapely.contains_xy(town, cells["x"].to_numpy(float), cells["y"].to_numpy(float))
    expected = cells.loc[inside & (cells["Einwohner"] > 0), "Einwohner"].sum()
    assert stored.set_index("area_id").loc["010010000000", "value"] == expected == 78_089
    # by area share the cells partly outside give their whole value to the Gemeinden they touch
    r2 = import_grid(ws.store, ZENSUS / "continuous_Einwohner.parquet", "gemeinde", method="flaeche")
    v2 = r2.variables[0]
    total2 = ws.store.observations("gemeinde", ["Einwohner"])["value"].sum()
    assert total2 == pytest.approx(TOTAL_2011 - v2.total_outside, abs=0.01)
    assert v2.total_outside < v.total_outside and r2.cells_partly_outside > 0


def test_overlapping_areas_first_wins_or_shares() -> None:
    from planlabor.spatial.grid import assign_cells

    polys = np.array([box(0, 0, 20, 10), box(10, 0, 30, 10)])
    x, y = np.array([5.0, 15.0, 25.0]), np.array([5.0, 5.0, 5.0])
    assert centres_in_polygons(x, y, 10, polys).tolist() == [0, 0, 1]
    a = assign_cells(x, y, 10, polys, "flaeche")
    pairs = sorted(zip(a.cell.tolist(), a.area.tolist(), a.weight.tolist(), strict=True))
    assert pairs == [(0, 0, 1.0), (1, 0, 0.5), (1, 1, 0.5), (2, 1, 1.0)]
    assert a.covered.tolist() == [1.0, 2.0, 1.0]


def test_registry_recognises_grid_files_and_import_assigns_them(tmp_path: Path) -> None:
    from planlabor.io.readers import REGISTRY, detect

    assert "zensus-gitter" in [r.name for r in REGISTRY]
    path = hand_file(tmp_path)
    assert detect(path)[0].name == "zensus-gitter"
    ws = hand_workspace(tmp_path)
    ws.close()
    # 'planlabor import' takes a grid file like any other: the cells are assigned by their centres
    res = CliRunner().invoke(
        cli, ["-C", str(tmp_path / "ws"), "import", str(path), "--layer", "bezirk", "--period", "2022-05-15"]
    )
    assert res.exit_code == 0, res.output
    assert "Zellmittelpunkt im Gebiet" in res.output
    res = CliRunner().invoke(cli, ["formats"])
    assert "zensus-gitter" in res.output
