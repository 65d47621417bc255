"""Untouched official files and the path empty cell → NaN → text "nan" through every reader.

The MSS 2021 index input (FIS-Broker ``s_IndexInd_MSS2021_homogen``, unchanged: Pankower Tor has an
empty ``EW`` cell) must reproduce the published result ``s_Indizes_MSS2021_homogen`` byte for byte,
and so must inputs in the published layout with empty cells, ``None`` or ``-9999`` in any column.
Every other reader of text cells is fed empty cells and must never produce the word ``nan``/``None``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from planlabor.errors import InputError
from planlabor.indices.run import index_file
from planlabor.io.geo import read_attribute_table
from planlabor.io.importer import ImportOptions
from planlabor.io.missing import as_text, text_column
from planlabor.testing import assert_no_missing_as_text
from planlabor.workspace import Workspace
from tests.conftest import DATA, write

MSS_IN = DATA / "berlin" / "mss_2021" / "s_IndexInd_MSS2021_homogen.csv"
MSS_OUT = DATA / "berlin" / "mss_2021" / "s_Indizes_MSS2021_homogen.csv"


def test_official_mss_file_reproduces_the_published_result(tmp_path: Path) -> None:
    rep = index_file("mss2021", MSS_IN, tmp_path / "out.csv")
    assert rep.rows == 542 and rep.excluded == 6
    assert (tmp_path / "out.csv").read_bytes() == MSS_OUT.read_bytes()


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write_layout(rows: list[list[str]], path: Path) -> Path:
    """The FIS-Broker layout: comma-separated, PLR_ID and BEZ_ID quoted, nothing else quoted."""
    lines = [",".join(rows[0])]
    for r in rows[1:]:
        lines.append(",".join(f'"{v}"' if i in (1, 4) else v for i, v in enumerate(r)))
    return write(path, "\n".join(lines) + "\n")


@pytest.mark.parametrize("missing", ["", "None", "-9999"])
def test_missing_cells_anywhere_give_the_published_result(tmp_path: Path, missing: str) -> None:
    rows = _rows(MSS_IN)
    head = rows[0]
    numeric = [i for i, c in enumerate(head) if c not in ("ZEIT", "PLR_ID", "PLR_NAME", "BEZ_ID", "KOM")]
    unused = [head.index(c) for c in head if c[:2] in ("S2", "D2") or c.endswith(("_SD_GR", "_AG_GR"))]
    changed = set()
    for r in rows[1:]:
        if r[-1] != "gültig":  # excluded rows: every number, the population included
            for i in numeric:
                r[i] = missing
            changed.add(r[1])
        else:  # valid rows: every column the method does not use
            for i in unused:
                r[i] = missing
    assert "03400831" in changed and len(changed) == 6
    src = _write_layout(rows, tmp_path / "in.csv")
    index_file("mss2021", src, tmp_path / "out.csv")
    got, want = _rows(tmp_path / "out.csv"), _rows(MSS_OUT)
    assert len(got) == 543
    for g, w in zip(got, want, strict=True):
        assert g[:3] + g[4:] == w[:3] + w[4:]  # every code and label of all 542 PLR
        assert g[3] == (missing if g[1] in changed else w[3])  # EW is passed through as read


def test_empty_population_of_a_valid_row_is_named_not_nan(tmp_path: Path) -> None:
    rows = _rows(MSS_IN)
    rows[1][3] = "abc"
    src = _write_layout(rows, tmp_path / "in.csv")
    with pytest.raises(InputError) as exc:
        index_file("mss2021", src, tmp_path / "out.csv")
    assert exc.value.column == "EW" and exc.value.row == 2 and "'abc'" in exc.value.message


# ----------------------------------------------------------------- every reader of text cells


def test_cells_helpers() -> None:
    s = pd.Series(["a", None, float("nan"), pd.NA, " b ", 0], dtype=object)
    assert text_column(s).tolist() == ["a", "", "", "", "b", "0"]
    assert as_text(pd.NaT) == ""


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_attribute_tables_keep_empty_cells_empty(tmp_path: Path, suffix: str) -> None:
    frame = pd.DataFrame({"id": ["01", "02", "03"], "name": ["Nord", None, "Süd"], "wert": ["1", "", None]})
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, sep=";", index=False)
    else:
        frame.to_excel(path, index=False)
    df = read_attribute_table(path)
    assert df["name"].tolist() == ["Nord", "", "Süd"] and df["wert"].tolist() == ["1", "", ""]
    assert df["id"].tolist() == ["01", "02", "03"]


def test_no_reader_turns_an_empty_cell_into_nan(grid_ws: Workspace, tmp_path: Path) -> None:
    from planlabor.planning.controlling import read_klr
    from planlabor.planning.measures import read_measures, register
    from planlabor.spatial.facilities import import_facilities

    # observations: an empty value cell is a missing value with its flag, not a number or text
    grid_ws.import_table(
        write(
            tmp_path / "d.csv", "id;jahr;ew;kinder\nA1;2021;100;\nA2;2021;;5\nA3;2021;80;7\nA4;2021;90;9\n"
        ),
        ImportOptions(layer="gebiet", period_column="jahr"),
    )
    obs = grid_ws.store.observations("gebiet", ["kinder", "ew"]).set_index(["area_id", "variable"])
    assert pd.isna(obs.loc[("A1", "kinder"), "value"]) and obs.loc[("A1", "kinder"), "flag"] == "fehlend"
    # areas: an empty name is no name
    gpd.GeoDataFrame(
        {"id": ["Z1", "Z2"], "name": ["Zentrum", None], "p": ["C", "C"]},
        geometry=[Point(0, 0).buffer(1), Point(5, 5).buffer(1)],
        crs="EPSG:25833",
    ).to_file(tmp_path / "z.geojson", driver="GeoJSON")
    from planlabor.areas import AreaImportOptions

    grid_ws.import_areas(
        tmp_path / "z.geojson", AreaImportOptions(layer="zone", id_column="id", name_column="name")
    )
    assert grid_ws.store.areas("zone").set_index("area_id")["name"].isna().tolist() == [False, True]
    # facilities: an empty name is no name, an empty capacity no capacity, an empty key an error
    pts = gpd.GeoDataFrame(
        {"nr": ["K1", "K2"], "name": [None, "Kita Ost"], "plaetze": ["40", None]},
        geometry=[Point(390500, 5820500), Point(391500, 5820500)],
        crs="EPSG:25833",
    )
    pts.to_file(tmp_path / "k.geojson", driver="GeoJSON")
    import_facilities(
        grid_ws.store, tmp_path / "k.geojson", "kita", "gebiet", "2022", "EPSG:25833",
        capacity_column="plaetze", id_column="nr", name_column="name",
    )  # fmt: skip
    names = grid_ws.store.query_df("SELECT facility_id, name FROM facilities ORDER BY facility_id")
    assert names["name"].isna().tolist() == [True, False]
    pts.assign(nr=[None, "K2"]).to_file(tmp_path / "k2.geojson", driver="GeoJSON")
    with pytest.raises(InputError, match="keinen Schlüssel"):
        import_facilities(
            grid_ws.store, tmp_path / "k2.geojson", "kita", "gebiet", "2022", "EPSG:25833", id_column="nr"
        )
    # measures: empty optional cells stay empty
    m = read_measures(
        write(tmp_path / "m.csv", "id;name;thema;ebene;gebiete;beginn;beschreibung\nM1;Treff;;gebiet;A1;;\n")
    )[0]
    assert (m.theme, m.description, m.start_date, m.areas) == ("", "", None, ("A1",))
    register(grid_ws.store, [m])
    # KLR: an empty cost centre is none
    klr = read_klr(write(tmp_path / "k.csv", "Produkt;Kostenstelle;Jahr;Kosten;Fälle\nKita;;2023;1000;10\n"))
    assert klr["cost_centre"].tolist() == [None]
    assert_no_missing_as_text(grid_ws)


def test_empty_area_keys_in_planning_inputs_are_named(tmp_path: Path) -> None:
    from planlabor.planning.kita import read_new_places
    from planlabor.projection.inputs import read_housing

    bad = write(tmp_path / "h.csv", "gebiet;jahr;personen\nA1;2025;100\n;2026;50\n")
    with pytest.raises(InputError) as exc:
        read_housing(bad)
    assert exc.value.row == 3 and exc.value.column == "gebiet"
    with pytest.raises(InputError, match="Gebietsschlüssel fehlt"):
        read_new_places(str(write(tmp_path / "p.csv", "gebiet;jahr;plaetze\n;2025;10\n")))


def test_index_engine_reads_ids_and_keep_rules_as_text(tmp_path: Path) -> None:
    from planlabor.indices.engine import apply_index
    from planlabor.indices.spec import load_spec

    rows = _rows(MSS_IN)
    rows[1][-1] = ""  # an empty KOM is not 'gültig': the row is excluded, not kept as 'nan'
    df = pd.read_csv(io.StringIO("\n".join(",".join(r) for r in rows)), dtype=str)
    res = apply_index(load_spec("mss2021"), df)
    assert bool(res.table["excluded"].iloc[0]) and "nan" not in set(res.table["id"])
