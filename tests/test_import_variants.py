"""A publisher's file as planners pass it on: opened in Excel and saved, turned on its side, keyed
by names only.  Built in code from the real GENESIS table 12411-0015 (Bevölkerungsstand der
Kreise); every variant must import with ``--layer`` alone and give the same values."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from planlabor.areas import AreaImportOptions
from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace

DE = Path(__file__).resolve().parents[1] / "planlabor" / "demo" / "data" / "deutschland"
YEARS = ["2014", "2015", "2016", "2017", "2018"]


def genesis_rows() -> list[list[str]]:
    """(key, name, 5 values) of every Kreis row of the original file, values as published."""
    text = (DE / "12411-0015.csv").read_text(encoding="latin-1").splitlines()
    rows = [r for r in csv.reader(text, delimiter=";") if r and r[0].isdigit() and len(r[0]) == 5]
    return [r[:7] for r in rows]


def value(ws: Workspace, variable: str, period: str, area: str) -> float:
    df = ws.store.observations(layer_id="kreis", variables=[variable], periods=[period])
    return float(df.loc[df["area_id"] == area, "value"].iloc[0])


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace.init(tmp_path / "ws", name="Kreise", crs="EPSG:25832")
    w.import_areas(
        DE / "VG5000_KRS.shp", AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN")
    )
    return w


def test_excel_saved_keys_as_numbers_and_dates_as_date_cells(ws: Workspace, tmp_path: Path) -> None:
    """Excel turns 01001 into the number 1001 and 31.12.2018 into a date cell; the rows of
    dissolved Kreise without values stay data rows (they used to end the table early)."""
    path = tmp_path / "12411-0015.xlsx"
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.append(["GENESIS-Tabelle: 12411-0015"])
    sh.append(["Bevölkerungsstand (Anzahl)"])
    sh.append([None, None, *["Stichtag"] * 5])
    sh.append([None, None, *[dt.datetime(int(y), 12, 31) for y in YEARS]])
    for key, name, *values in genesis_rows():
        sh.append([int(key), name, *[int(v) if v.isdigit() else None for v in values]])
    sh.append(["© Statistisches Bundesamt (Destatis), 2020"])
    wb.save(path)
    r = ws.import_table(path, ImportOptions(layer="kreis"))
    assert r.periods == [f"{y}-12-31" for y in YEARS]
    assert value(ws, r.variables[0], "2018-12-31", "01001") == 89504
    assert value(ws, r.variables[0], "2018-12-31", "16063") == 123025 + 42370  # Eisenach → Wartburgkreis
    assert value(ws, r.variables[0], "2018-12-31", "15001") > 0  # a Kreis after the dissolved rows
    states = {k["key"]: k["state"] for k in r.skipped_keys}
    assert states["3152"] == "Gebietsänderung"  # Göttingen 03152 without its zero, into 03159
    assert r.unmatched == {}


def test_names_only_with_city_and_landkreis_of_one_name(ws: Workspace, tmp_path: Path) -> None:
    """Keyed by the GENESIS names: "Osnabrück, kreisfreie Stadt" and "Osnabrück, Landkreis" are
    told apart, "Weiden in der Oberpfalz" finds VG5000's "Weiden i.d.OPf."; former Kreise
    "(bis 31.10.2016)" are not matched to today's Kreis of the same name."""
    path = tmp_path / "namen.csv"
    rows = [["Kreis", "Einwohner 2018"]] + [[r[1], r[6]] for r in genesis_rows()]
    path.write_text("\n".join(";".join(r) for r in rows), encoding="utf-8")
    r = ws.import_table(path, ImportOptions(layer="kreis"))
    v = r.variables[0]
    assert value(ws, v, "2018", "03404") == 164748 and value(ws, v, "2018", "03459") == 357343
    assert value(ws, v, "2018", "09363") == 42520 and value(ws, v, "2018", "09183") == 115250
    assert value(ws, v, "2018", "10046") == 87397  # Sankt Wendel ↔ St. Wendel
    assert v == "Einwohner"  # the year in the column name is the period
    states = {k["name"]: k["state"] for k in r.skipped_keys}
    assert states["Göttingen, Landkreis (bis 31.10.2016)"] == "aufgelöst"  # not today's Göttingen
    assert set(r.unmatched) <= {"Eisenach, kreisfreie Stadt"}


@pytest.mark.parametrize("by", ["key", "name"])
def test_areas_as_columns_are_turned(ws: Workspace, tmp_path: Path, by: str) -> None:
    """Years down the rows, one column per Kreis (by key or by name)."""
    data = [r for r in genesis_rows() if "bis" not in r[1] and "b." not in r[1]]
    head = ["Jahr"] + [r[0] if by == "key" else r[1] for r in data]
    lines = [head] + [[y] + [r[2 + i] for r in data] for i, y in enumerate(YEARS)]
    path = tmp_path / f"gedreht_{by}.csv"
    path.write_text("\n".join(";".join(x) for x in lines), encoding="utf-8")
    r = ws.import_table(path, ImportOptions(layer="kreis"))
    assert r.periods == YEARS
    assert value(ws, r.variables[0], "2015", "01001") == 85942
    assert value(ws, r.variables[0], "2018", "03459") == 357343
