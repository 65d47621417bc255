"""Import of observation tables: forms, periods, flags, keys, atomicity, versions."""

from pathlib import Path

import pytest

from planlabor.errors import InputError, NotFoundError
from planlabor.io.importer import ImportOptions, file_sha256
from planlabor.io.table import ReadOptions
from planlabor.workspace import Workspace
from tests.conftest import DATA, table_fingerprint, write


def obs(ws: Workspace, variable: str, period: str | None = None) -> dict[str, tuple]:
    df = ws.store.observations(variables=[variable], periods=[period] if period else None)
    return {
        r["area_id"]: (r["value"], r["flag"] if isinstance(r["flag"], str) else None)
        for r in df.to_dict("records")
    }


def test_wide_german_csv_with_flags(grid_ws: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "ew.csv",
        "Gebiet;ew;kinder;Bemerkung\nA1;1.234;10,5;ok\nA2;987;.;ok\nA3;-;x\nA4;-9999;…;neu\n".replace(
            ";x\n", ";x;ok\n"
        ),
        "cp1252",
    )
    report = grid_ws.import_table(
        path, ImportOptions(layer="gebiet", id_column="Gebiet", period="2021-12-31")
    )
    assert report.variables == ["ew", "kinder"]
    assert report.skipped_columns == {"Bemerkung": "Textspalte"}
    assert report.flag_counts == {
        "faellt_spaeter_an": 1,
        "nicht_sinnvoll": 1,
        "nichts_vorhanden": 1,
        "unbekannt_oder_geheim": 1,
        "ungueltig": 1,
    }
    ew = obs(grid_ws, "ew")
    assert ew["A1"] == (1234.0, None)
    assert ew["A3"][1] == "nichts_vorhanden" and ew["A3"][0] != ew["A3"][0]  # NaN, never a number
    assert ew["A4"][1] == "ungueltig"
    kinder = obs(grid_ws, "kinder")
    assert kinder["A1"] == (10.5, None)
    assert kinder["A2"][1] == "unbekannt_oder_geheim"


def test_long_table_with_period_column(grid_ws: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "long.csv",
        "gebiet,jahr,merkmal,wert\nA1,2020,ew,100\nA1,2021,ew,110\nA2,2021,ew,50\nA2,2021,kinder,5\n",
    )
    r = grid_ws.import_table(path, ImportOptions(layer="gebiet", id_column="gebiet"))
    assert r.periods == ["2020", "2021"]
    assert sorted(r.variables) == ["ew", "kinder"]
    assert obs(grid_ws, "ew", "2021")["A1"][0] == 110


def test_period_yyyymm_with_stichtag(grid_ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "z.csv", 'ZEIT;RAUMID;ew\n"202012";"A1";5\n"202106";"A2";6\n')
    r = grid_ws.import_table(path, ImportOptions(layer="gebiet", id_column="RAUMID", stichtag=True))
    assert r.periods == ["2020-12-31", "2021-06-30"]
    r = grid_ws.import_table(path, ImportOptions(layer="gebiet", id_column="RAUMID"), dry_run=True)
    assert r.periods == ["2020-12", "2021-06"]


def test_leading_zeros_kept_and_quoted_ids(ws: Workspace, tmp_path: Path) -> None:
    areas = write(tmp_path / "areas.csv", "key,name\n01001,Eins\n01002,Zwei\n")
    from planlabor.areas import AreaImportOptions

    ws.import_areas(areas, AreaImportOptions(layer="g", id_column="key", name_column="name"))
    assert ws.store.areas("g")["area_id"].tolist() == ["01001", "01002"]
    data = write(tmp_path / "d.csv", 'key,ew\n"01001",7\n01002,8\n')
    ws.import_table(data, ImportOptions(layer="g", id_column="key", period="2021"))
    assert obs(ws, "ew") == {"01001": (7.0, None), "01002": (8.0, None)}


def test_id_width_pads_keys(ws: Workspace, tmp_path: Path) -> None:
    from planlabor.areas import AreaImportOptions

    ws.import_areas(write(tmp_path / "a.csv", "key\n01001\n"), AreaImportOptions(layer="g", id_column="key"))
    r = ws.import_table(
        write(tmp_path / "d.csv", "key,ew\n1001,3\n"),
        ImportOptions(layer="g", id_column="key", period="2021", id_width=5),
    )
    assert r.areas_matched == 1


def test_unmatched_keys_refused_then_quarantined(grid_ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "u.csv", "id;ew\nA1;1\nXX;2\nA2;3\nA3;4\nA4;5\n")
    before = table_fingerprint(grid_ws)
    with pytest.raises(InputError) as exc:
        grid_ws.import_table(path, ImportOptions(layer="gebiet", period="2021", on_unmatched="refuse"))
    assert exc.value.row == 3 and "XX" in exc.value.message
    assert "quarantine" in (exc.value.hint or "")
    assert table_fingerprint(grid_ws) == before
    dry = grid_ws.import_table(path, ImportOptions(layer="gebiet", period="2021"), dry_run=True)
    assert dry.unmatched == {"XX": [3]} and dry.areas_matched == 4
    assert table_fingerprint(grid_ws) == before
    r = grid_ws.import_table(path, ImportOptions(layer="gebiet", period="2021"))  # auto: 4 of 5 keys found
    assert r.quarantined == 1 and r.n_values == 4
    assert any("zurückgestellt" in w for w in r.warnings)
    q = grid_ws.quarantine(r.import_id)
    assert q[["area_id", "source_row", "value"]].values.tolist() == [["XX", 3, 2.0]]


def test_mostly_unknown_keys_refused_by_default(grid_ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "u.csv", "id;ew\nA1;1\nXX;2\nYY;3\n")
    with pytest.raises(InputError) as exc:
        grid_ws.import_table(path, ImportOptions(layer="gebiet", period="2021"))
    assert "XX" in exc.value.message and "--layer" in (exc.value.hint or "")


def test_map_key(grid_ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "u.csv", "id;ew\nA1;1\nXX;2\n")
    r = grid_ws.import_table(path, ImportOptions(layer="gebiet", period="2021", map_keys={"XX": "A4"}))
    assert r.unmatched == {} and obs(grid_ws, "ew")["A4"] == (2.0, None)


def test_dry_run_changes_nothing(grid_ws: Workspace, tmp_path: Path) -> None:
    before = table_fingerprint(grid_ws)
    r = grid_ws.import_table(
        write(tmp_path / "d.csv", "id;ew\nA1;1\n"), ImportOptions(layer="gebiet", period="2021"), dry_run=True
    )
    assert r.dry_run and r.import_id is None and r.n_values == 1
    assert table_fingerprint(grid_ws) == before


def test_atomic_on_failure(grid_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grid_ws.import_table(
        write(tmp_path / "a.csv", "id;ew\nA1;1\n"), ImportOptions(layer="gebiet", period="2021")
    )
    before = table_fingerprint(grid_ws)
    store = grid_ws.store

    def boom(self, import_id, slices):  # type: ignore[no-untyped-def]
        raise RuntimeError("Stromausfall")  # after the rows were inserted

    monkeypatch.setattr(type(store), "_supersede", boom)
    with pytest.raises(RuntimeError):
        grid_ws.import_table(
            write(tmp_path / "b.csv", "id;ew\nA1;5\nA2;6\n"), ImportOptions(layer="gebiet", period="2021")
        )
    monkeypatch.undo()
    assert table_fingerprint(grid_ws) == before


def test_versions_kept_and_revertible(grid_ws: Workspace, tmp_path: Path) -> None:
    p1 = write(tmp_path / "v1.csv", "id;ew\nA1;100\nA2;200\n")
    p2 = write(tmp_path / "v2.csv", "id;ew\nA1;101\nA2;201\n")
    r1 = grid_ws.import_table(p1, ImportOptions(layer="gebiet", period="2021"))
    r2 = grid_ws.import_table(p2, ImportOptions(layer="gebiet", period="2021"))
    assert r2.superseded_slices == 1
    assert obs(grid_ws, "ew")["A1"][0] == 101
    old = grid_ws.store.observations(import_id=r1.import_id)
    assert old["value"].tolist() == [100.0, 200.0]
    log = grid_ws.imports().set_index("import_id")
    assert log.loc[r1.import_id, "sha256"] == file_sha256(p1)
    assert log.loc[r2.import_id, "file"] == str(p2)
    assert '"period": "2021"' in log.loc[r2.import_id, "options"]
    assert grid_ws.revert(r1.import_id) == 2
    assert obs(grid_ws, "ew")["A1"][0] == 100
    with pytest.raises(NotFoundError):
        grid_ws.revert(999)


def test_other_period_does_not_supersede(grid_ws: Workspace, tmp_path: Path) -> None:
    grid_ws.import_table(
        write(tmp_path / "a.csv", "id;ew\nA1;1\n"), ImportOptions(layer="gebiet", period="2020")
    )
    r = grid_ws.import_table(
        write(tmp_path / "b.csv", "id;ew\nA1;2\n"), ImportOptions(layer="gebiet", period="2021")
    )
    assert r.superseded_slices == 0
    assert len(grid_ws.store.observations(variables=["ew"])) == 2


@pytest.mark.parametrize(
    ("text", "row", "column", "fragment"),
    [
        ("id;ew\nA1;1\nA2;zwölf\n", 3, "ew", "zwölf"),
        ("id;ew\nA1;1\n;2\n", 3, "id", "ohne Gebietsschlüssel"),
        ("id;ew\nA1;1\nA1;2\n", 3, "id", "mehrfach"),
        ("id;ew\nA1;1,2.3\n", 2, "ew", "keine Zahl"),
    ],
)
def test_bad_cells_named(
    grid_ws: Workspace, tmp_path: Path, text: str, row: int, column: str, fragment: str
) -> None:
    before = table_fingerprint(grid_ws)
    with pytest.raises(InputError) as exc:
        grid_ws.import_table(
            write(tmp_path / "bad.csv", text),
            ImportOptions(layer="gebiet", period="2021", columns=["ew"], read=ReadOptions(decimal=",")),
        )
    err = exc.value
    assert (err.row, err.column) == (row, column)
    assert fragment in err.message
    assert str(err.file).endswith("bad.csv")
    assert table_fingerprint(grid_ws) == before


def test_bad_period_value(grid_ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        grid_ws.import_table(
            write(tmp_path / "p.csv", "id;jahr;ew\nA1;2021;1\nA2;Ende;2\n"), ImportOptions(layer="gebiet")
        )
    assert (exc.value.row, exc.value.column) == (3, "jahr")


def test_no_period_gives_hint(grid_ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        grid_ws.import_table(write(tmp_path / "p.csv", "id;ew\nA1;1\n"), ImportOptions(layer="gebiet"))
    assert "--period" in (exc.value.hint or "")


def test_unknown_layer(grid_ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as exc:
        grid_ws.import_table(
            write(tmp_path / "p.csv", "id;ew\nA1;1\n"), ImportOptions(layer="plr", period="2021")
        )
    assert "gebiet" in (exc.value.expected or "")


def test_custom_missing_marker(grid_ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "id;ew\nA1;o.W.\nA2;4\n")
    with pytest.raises(InputError):
        grid_ws.import_table(path, ImportOptions(layer="gebiet", period="2021", columns=["ew"]))
    grid_ws.import_table(
        path, ImportOptions(layer="gebiet", period="2021", missing_values={"o.W.": "fehlend"})
    )
    assert obs(grid_ws, "ew")["A1"][1] == "fehlend"


def test_xlsx_and_xls(ws: Workspace, tmp_path: Path) -> None:
    import openpyxl

    from planlabor.areas import AreaImportOptions

    ws.import_areas(
        write(tmp_path / "a.csv", "PLR\n01100101\n01100102\n01100103\n"),
        AreaImportOptions(layer="plr", id_column="PLR"),
    )
    r = ws.import_table(DATA / "legacy.xls", ImportOptions(layer="plr", id_column="PLR"))
    assert r.periods == ["2021"] and r.variables == ["Einwohner", "Ausländer"]
    assert obs(ws, "Einwohner")["01100103"] == (5000.5, None)
    assert obs(ws, "Ausländer")["01100102"][1] == "unbekannt_oder_geheim"
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.title = "Daten"
    sh.append(["PLR", "Stichtag", "EW"])
    sh.append(["01100101", "31.12.2022", 10])
    sh.append(["01100102", "31.12.2022", None])
    wb.create_sheet("Info").append(["Quelle"])
    wb.save(tmp_path / "t.xlsx")
    r = ws.import_table(
        tmp_path / "t.xlsx", ImportOptions(layer="plr", id_column="PLR", read=ReadOptions(sheet="Daten"))
    )
    assert r.periods == ["2022-12-31"]
    assert obs(ws, "EW")["01100102"][1] == "fehlend"


def test_markers_that_read_as_numbers_are_flagged_and_numbers_are_not(
    grid_ws: Workspace, tmp_path: Path
) -> None:
    """The number is parsed before the markers are compared (issue #22): a marker that is also a
    number (``-9999``, a custom ``999``, quoted or not) is still flagged; ``9.999`` is a number.
    Columns named like the import's own fields (``state``, ``layer_id``) stay plain variables."""
    path = write(
        tmp_path / "m.csv",
        'Gebiet;state;layer_id\nA1;-9999;9.999\nA2;"-9999";999\nA3;999;1.234,5\nA4;.;-\n',
        "cp1252",
    )
    opts = ImportOptions(layer="gebiet", id_column="Gebiet", period="2021", missing_values={"999": "geheim"})
    report = grid_ws.import_table(path, opts)
    assert report.variables == ["state", "layer_id"] and report.n_values == 8
    state = obs(grid_ws, "state")
    assert state["A1"][1] == state["A2"][1] == "ungueltig" and state["A1"][0] != state["A1"][0]
    assert state["A3"][1] == "geheim" and state["A4"][1] == "unbekannt_oder_geheim"
    layer = obs(grid_ws, "layer_id")
    assert layer["A1"] == (9999.0, None) and layer["A3"] == (1234.5, None)
    assert layer["A2"][1] == "geheim" and layer["A4"][1] == "nichts_vorhanden"
