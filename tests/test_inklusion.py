"""Inklusion / Teilhabeplanung: UN-BRK action plan progress and facility accessibility feeding
the coverage analysis."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from planlabor.atlas.data import source_of
from planlabor.errors import InputError
from planlabor.io.importer import ImportOptions
from planlabor.planning.actionplan import progress
from planlabor.planning.measures import measures
from planlabor.reports.aktionsplan import aktionsplan_html
from planlabor.reports.render import Layout
from planlabor.spatial.coverage import analyse
from planlabor.spatial.facilities import import_facilities
from planlabor.workspace import Workspace
from tests.conftest import table_fingerprint, write

PLAN = (
    "id;name;handlungsfeld;zustaendig;frist;status;indikatoren\n"
    "1.1;Barrierefreie Schulen;Bildung;Schulamt;2024-12-31;umgesetzt;anteil_kinder\n"
    "1.2;Inklusionsassistenz;Bildung;Jugendamt;2025-06-30;begonnen;\n"
    "2.1;Leitsystem;Mobilität;Tiefbauamt;2024-06-30;verzögert;\n"
    "2.2;Rampen;Mobilität;Tiefbauamt;2027-12-31;geplant;\n"
    "3.1;Leichte Sprache;Information;Presseamt;2023-12-31;aufgegeben;\n"
)


def test_action_plan_progress(grid_ws: Workspace, tmp_path: Path) -> None:
    grid_ws.register_measures(write(tmp_path / "ap.csv", PLAN), "aktionsplan")
    items = measures(grid_ws.store, "aktionsplan")
    assert len(items) == 5 and measures(grid_ws.store, "massnahme") == []
    p = progress(items, date(2025, 12, 31))
    f = p.by_field.set_index("handlungsfeld")
    assert f.loc["Bildung", "umgesetzt"] == 1 and f.loc["Bildung", "begonnen"] == 1
    assert f.loc["Bildung", "ueberfaellig"] == 1  # 1.2 is past its deadline and not done
    assert f.loc["Mobilität", "ueberfaellig"] == 1  # 2.1; 2.2 is not due yet
    assert f.loc["Information", "ueberfaellig"] == 0  # dropped items are not overdue
    assert [m.measure_id for m in p.overdue] == ["2.1", "1.2"]  # by deadline
    assert p.share_done == pytest.approx(1 / 5)
    html = aktionsplan_html(p, source_of(grid_ws), Layout.of(grid_ws))
    assert "Überfällige Maßnahmen" in html and "Tiefbauamt" in html and "20 %" in html
    with pytest.raises(InputError, match="Status"):
        grid_ws.register_measures(
            write(tmp_path / "bad.csv", PLAN.replace("geplant", "irgendwann")), "aktionsplan"
        )


FACILITIES = "id;x;y;plaetze;barrierefrei\nK1;390500;5820500;50;ja\nK2;391500;5820500;40;teilweise\nK3;392500;5820500;60;nein\nK4;393500;5820500;30;\n"


def test_accessibility_counts_and_coverage(grid_ws: Workspace, tmp_path: Path) -> None:
    grid_ws.import_table(
        write(tmp_path / "ew.csv", "id;kinder\nA1;100\nA2;100\nA3;100\nA4;100\n"),
        ImportOptions(layer="gebiet", period="2024-12-31"),
    )
    r = import_facilities(
        grid_ws.store, write(tmp_path / "k.csv", FACILITIES), "kita", "gebiet", "2024-12-31", "EPSG:25833",
        capacity_column="plaetze", id_column="id", x_column="x", y_column="y", source_crs="EPSG:25833",
        accessible_column="barrierefrei",
    )  # fmt: skip
    assert any("ohne Angabe" in w for w in r.warnings)
    obs = grid_ws.store.observations("gebiet", None, ["2024-12-31"]).set_index(["area_id", "variable"])[
        "value"
    ]
    assert obs[("A1", "kita_barrierefrei")] == 1 and obs[("A2", "kita_teilweise_barrierefrei")] == 1
    assert obs[("A3", "kita_barrierefrei")] == 0 and obs[("A4", "kita_barrierefrei_unbekannt")] == 1
    full = analyse(grid_ws.store, "gebiet", "kita", "kinder", "2024-12-31", 1000, save=False)
    bf = analyse(grid_ws.store, "gebiet", "kita", "kinder", "2024-12-31", 1000, accessible="ja")
    part = analyse(
        grid_ws.store, "gebiet", "kita", "kinder", "2024-12-31", 1000, accessible="teilweise", save=False
    )
    assert full.city_ratio == pytest.approx(180 / 400 * 100)
    assert bf.city_ratio == pytest.approx(50 / 400 * 100) and part.city_ratio == pytest.approx(90 / 400 * 100)
    assert bf.table.set_index("area_id")["nearest_m"]["A3"] == pytest.approx(2000)  # to K1 only
    saved = grid_ws.store.observations("gebiet", ["dist_kita_bf"], None)
    assert len(saved) == 4
    # the Inklusion template turns the counts into its indicator
    grid_ws.import_template("inklusion")
    grid_ws.compute()
    v = grid_ws.store.indicator_values(
        "stadt", ["in_kita_barrierefrei_anteil", "in_kita_teilweise_barrierefrei_anteil"], None
    )
    v = v.set_index("indicator_id")["value"]
    assert v["in_kita_barrierefrei_anteil"] == pytest.approx(25.0) and v[
        "in_kita_teilweise_barrierefrei_anteil"
    ] == pytest.approx(50.0)


def test_bad_accessibility_value(grid_ws: Workspace, tmp_path: Path) -> None:
    before = table_fingerprint(grid_ws)
    with pytest.raises(InputError, match="Barrierefreiheit") as err:
        import_facilities(
            grid_ws.store, write(tmp_path / "k.csv", FACILITIES.replace("teilweise", "vielleicht")), "kita", "gebiet",
            "2024-12-31", "EPSG:25833", id_column="id", x_column="x", y_column="y", source_crs="EPSG:25833",
            accessible_column="barrierefrei",
        )  # fmt: skip
    assert err.value.column == "barrierefrei" and err.value.row == 3  # K2 is line 3 of the file
    assert table_fingerprint(grid_ws) == before
