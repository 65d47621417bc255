"""Exports: machine CSV, German Excel CSV, XLSX with metadata, GeoJSON, GeoPackage; --public."""

from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from planlabor.errors import InputError, NotFoundError
from planlabor.io.export import ExportOptions, format_number_de
from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace
from tests.conftest import write


@pytest.fixture
def exported(grid_ws: Workspace, tmp_path: Path) -> Workspace:
    grid_ws.import_table(
        write(
            tmp_path / "d.csv",
            "id;ew;kinder;sgb2;publ;idx\nA1;1000;100;2;10;1,5\nA2;3000;600;300;20;-0,5\n"
            "A3;1500;50;40;;2\nA4;2000;100;60;-9999;x\n",
        ),
        ImportOptions(layer="gebiet", period="2021-12-31"),
    )
    grid_ws.compute()
    return grid_ws


def test_machine_csv_round_trip(exported: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    r = exported.export(ExportOptions(layer="gebiet", out=out, format="csv"))
    df = pd.read_csv(out, dtype={"area_id": str})
    store = exported.store.indicator_values("gebiet").pivot(
        index="area_id", columns="indicator_id", values="value"
    )
    for iid in ("einwohner", "anteil_kinder", "sgb2_quote", "intern"):
        assert df.set_index("area_id")[iid].to_dict() == pytest.approx(store[iid].to_dict(), nan_ok=True)
    assert r.rows == 4 and "intern" in r.indicators
    assert df.set_index("area_id").loc["A4", "anteil_publ__status"] == "ungueltig"


def test_public_csv_german_excel(exported: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    r = exported.export(
        ExportOptions(layer="gebiet", out=out, format="csv", csv_style="excel-de", public=True)
    )
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig").splitlines()
    assert text[0].split(";")[:4] == ["Gebiet", "Name", "Zeitraum", "Einwohner:innen"]
    assert "Interner Wert" not in text[0] and "intern" not in r.indicators
    rows = {line.split(";")[0].strip('"=').replace('""', ""): line.split(";") for line in text[1:]}
    header = text[0].split(";")
    col = header.index("SGB-II-Quote (%)")
    assert rows["A1"][col] == "•"  # 2 recipients < 3: primary
    assert rows["A2"][col] == "•"  # only sibling in D1: derivable from D1's total, so secondary
    assert rows["A3"][col] == "2,7" and rows["A1"][2] == "31.12.2021"
    assert rows["A2"][header.index("Einwohner:innen")] == "3.000"
    assert r.suppressed_primary == 1 and r.suppressed_secondary == 1


def test_xlsx_with_metadata(exported: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    exported.export(ExportOptions(layer="bezirk", out=out, format="xlsx", public=True))
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Daten", "Metadaten"]
    data = wb["Daten"]
    assert [c.value for c in data[1]][:4] == ["Gebiet", "Name", "Zeitraum", "Einwohner:innen"]
    assert data["A2"].value == "D1" and data["D2"].value == 4000
    assert data["D2"].number_format == "#,##0"
    meta = [[c.value for c in row] for row in wb["Metadaten"].iter_rows()]
    flat = " ".join(str(v) for row in meta for v in row if v)
    assert "Fallzahlen unter 3" in flat and "kinder / ew × 100" in flat
    assert "öffentlich" in flat


def test_geojson_and_gpkg(exported: Workspace, tmp_path: Path) -> None:
    exported.export(
        ExportOptions(
            layer="gebiet",
            out=tmp_path / "g.geojson",
            format="geojson",
            indicators=["einwohner", "anteil_kinder"],
        )
    )
    g = gpd.read_file(tmp_path / "g.geojson")
    assert g.crs.to_epsg() == 4326 and len(g) == 4
    assert g.set_index("area_id").loc["A2", "anteil_kinder"] == pytest.approx(20.0)
    exported.export(ExportOptions(layer="gebiet", out=tmp_path / "g.gpkg", format="gpkg"))
    p = gpd.read_file(tmp_path / "g.gpkg")
    assert p.crs.to_epsg() == 25833 and "sgb2_quote" in p.columns


def test_errors(exported: Workspace, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        exported.export(ExportOptions(layer="land", out=tmp_path / "x.csv"))
    with pytest.raises(NotFoundError):
        exported.export(ExportOptions(layer="gebiet", out=tmp_path / "x.csv", indicators=["gibtsnicht"]))
    with pytest.raises(InputError, match="nicht öffentlich"):
        exported.export(
            ExportOptions(layer="gebiet", out=tmp_path / "x.csv", indicators=["intern"], public=True)
        )
    with pytest.raises(NotFoundError):
        exported.export(ExportOptions(layer="gebiet", out=tmp_path / "x.csv", periods=["1999"]))


def test_long_shape(exported: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "l.csv"
    exported.export(ExportOptions(layer="stadt", out=out, format="csv", shape="long"))
    df = pd.read_csv(out)
    assert set(df.columns) >= {"area_id", "indicator_id", "value", "flag", "suppressed"}


def test_german_numbers() -> None:
    assert format_number_de(1234567.891, 2) == "1.234.567,89"
    assert format_number_de(0.5, 0) == "0"
    # a confidence interval's limit rounding to zero is never "-0,0"
    assert format_number_de(-0.04, 1) == "0,0" and format_number_de(-0.0, 2) == "0,00"
    assert format_number_de(-0.06, 1) == "-0,1"
