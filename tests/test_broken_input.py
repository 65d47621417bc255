"""Property-based: broken files fed to every importer give a clear error and change nothing."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planlabor.areas import AreaImportOptions, link_by_table
from planlabor.catalog.model import load_catalog
from planlabor.config import load_config
from planlabor.errors import PlanlaborError
from planlabor.io.importer import ImportOptions
from planlabor.spatial.facilities import import_facilities
from planlabor.workspace import Workspace
from tests.conftest import DEMO, table_fingerprint

SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

cell = st.sampled_from(
    [
        "A1",
        "A2",
        "A3",
        "X9",
        "",
        ".",
        "-",
        "x",
        "1",
        "1.234,5",
        "12,5",
        "abc",
        '"',
        '"A1"',
        "-9999",
        "…",
        "2021",
        "202012",
        "31.12.2021",
        "1e400",
        "nan",
        " ",
        "Ä",
    ]
)
row = st.lists(cell, min_size=0, max_size=6)
delim = st.sampled_from([";", ",", "\t", "|"])
encoding = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])


def _text(header: list[str], rows: list[list[str]], d: str) -> str:
    return "\n".join(d.join(r) for r in [header, *rows]) + "\n"


def _expect_clean(ws: Workspace, action) -> None:  # type: ignore[no-untyped-def]
    before = table_fingerprint(ws)
    try:
        action()
    except PlanlaborError as exc:
        text = exc.render()
        assert exc.message and "Traceback" not in text
        assert table_fingerprint(ws) == before


@SETTINGS
@given(
    header=st.lists(
        st.sampled_from(["id", "jahr", "ew", "kinder", "", "id", "wert", "merkmal"]), min_size=0, max_size=6
    ),
    rows=st.lists(row, max_size=8),
    d=delim,
    enc=encoding,
    period=st.sampled_from([None, "2021"]),
)
def test_table_import_never_crashes(
    grid_ws: Workspace,
    tmp_path: Path,
    header: list[str],
    rows: list[list[str]],
    d: str,
    enc: str,
    period: str | None,
) -> None:
    path = tmp_path / "f.csv"
    try:
        path.write_bytes(_text(header, rows, d).encode(enc))
    except UnicodeEncodeError:
        return
    _expect_clean(grid_ws, lambda: grid_ws.import_table(path, ImportOptions(layer="gebiet", period=period)))


@SETTINGS
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".xls", ".tsv", ".ods"]))
def test_random_bytes_as_table(grid_ws: Workspace, tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"r{suffix}"
    path.write_bytes(data)
    _expect_clean(grid_ws, lambda: grid_ws.import_table(path, ImportOptions(layer="gebiet", period="2021")))


@SETTINGS
@given(cut=st.integers(min_value=0, max_value=3000), junk=st.binary(max_size=20))
def test_mutated_real_file(grid_ws: Workspace, tmp_path: Path, cut: int, junk: bytes) -> None:
    src = (DEMO / "einwohner_ewr" / "EWR_L21_202412E_Matrix.csv").read_bytes()[:6000]
    path = tmp_path / "m.csv"
    path.write_bytes(src[:cut] + junk + src[cut:])
    _expect_clean(
        grid_ws,
        lambda: grid_ws.import_table(
            path, ImportOptions(layer="gebiet", id_column="RAUMID", stichtag=True, on_unmatched="quarantine")
        ),
    )


@SETTINGS
@given(
    data=st.binary(max_size=300),
    suffix=st.sampled_from([".geojson", ".json", ".shp", ".gpkg", ".csv", ".xlsx"]),
)
def test_area_import_never_crashes(grid_ws: Workspace, tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"a{suffix}"
    path.write_bytes(data)
    _expect_clean(grid_ws, lambda: grid_ws.import_areas(path, AreaImportOptions(layer="neu", id_column="id")))


@SETTINGS
@given(rows=st.lists(row, max_size=6), d=delim)
def test_area_table_and_link_never_crash(
    grid_ws: Workspace, tmp_path: Path, rows: list[list[str]], d: str
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(_text(["id", "parent"], rows, d), encoding="utf-8")
    _expect_clean(
        grid_ws,
        lambda: grid_ws.import_areas(
            path,
            AreaImportOptions(layer="neu", id_column="id", parent_layer="bezirk", parent_column="parent"),
        ),
    )
    _expect_clean(grid_ws, lambda: link_by_table(grid_ws.store, "gebiet", "bezirk", path, "id", "parent"))


@SETTINGS
@given(text=st.text(max_size=200))
def test_geojson_text_as_facilities(grid_ws: Workspace, tmp_path: Path, text: str) -> None:
    path = tmp_path / "f.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [' + text, encoding="utf-8")
    _expect_clean(
        grid_ws,
        lambda: import_facilities(
            grid_ws.store, path, "kita", "gebiet", "2022", "EPSG:25833", capacity_column="e_platz"
        ),
    )


@settings(max_examples=80, deadline=None)
@given(text=st.text(max_size=300))
def test_catalog_and_config_parsers(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    folder = tmp_path_factory.mktemp("cfg")
    for loader, name in ((load_catalog, "catalog.toml"), (load_config, "planlabor.toml")):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        try:
            loader(path)
        except PlanlaborError as exc:
            assert exc.message


def test_facilities_bad_capacity(grid_ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "k.geojson"
    path.write_text(
        '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:25833"}},'
        '"features":[{"type":"Feature","properties":{"e_platz":"viele"},'
        '"geometry":{"type":"Point","coordinates":[390500,5820500]}}]}',
        encoding="utf-8",
    )
    before = table_fingerprint(grid_ws)
    with pytest.raises(PlanlaborError) as exc:
        import_facilities(
            grid_ws.store, path, "kita", "gebiet", "2022", "EPSG:25833", capacity_column="e_platz"
        )
    assert exc.value.column == "e_platz" and exc.value.row == 1
    assert table_fingerprint(grid_ws) == before
