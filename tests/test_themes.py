"""Theme indicator sets (Fachthemen) as shipped templates with data-request checklists."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planlabor.catalog.checklist import checklist, write_checklist
from planlabor.catalog.exchange import SHIPPED, THEME_SETS, read_template
from planlabor.cli import cli
from planlabor.errors import InputError
from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace
from tests.conftest import write

EXPECTED = {
    "familienarmut": {"fa_sgb2_quote_u15", "fa_alleinerziehende_anteil", "fa_familien_im_leistungsbezug"},
    "wohnen": {
        "wo_mietbelastung",
        "wo_sozialwohnungen_anteil",
        "wo_wohnflaeche_je_person",
        "wo_umzugsmobilitaet",
    },
    "bildung": {"bi_betreuungsquote_u3", "bi_uebergang_gymnasium", "bi_ohne_abschluss"},
    "integration": {"mi_anteil_auslaendisch", "mi_einbuergerungsquote", "mi_sgb2_quote_auslaendisch"},
    "inklusion": {"in_schwerbehinderte_anteil", "in_kita_barrierefrei_anteil"},
    "jugendhilfe": {"jh_hze_je_1000", "jh_hze_heim_je_1000", "jh_35a_je_1000", "jh_inobhutnahmen_je_1000"},
    "arbeit": {
        "ar_arbeitslosenanteil",
        "ar_langzeitarbeitslose_anteil",
        "ar_sgb2_quote",
        "ar_beschaeftigungsquote",
        "ar_beschaeftigte_ohne_abschluss",
    },
    "armut": {
        "am_mindestsicherungsquote",
        "am_grundsicherung_alter_quote",
        "am_eingliederungshilfe_quote",
        "am_schuldnerquote",
        "am_einkommensteuer_je_ew",
        "am_niedrige_einkommen",
    },
}


@pytest.mark.parametrize("name", THEME_SETS)
def test_theme_set_is_complete(name: str) -> None:
    _header, cat = read_template(name)
    ids = {i.id for i in cat.indicators}
    assert EXPECTED[name] <= ids
    described = {v.id for v in cat.data_items}
    for ind in cat.indicators:
        # every indicator has a definition, a source, a polarity and only described variables
        assert ind.source and ind.theme in cat.themes
        assert set(ind.variables()) <= described, (ind.id, set(ind.variables()) - described)
    for item in cat.data_items:
        assert item.supplier, item.id  # the checklist names who delivers it
    assert SHIPPED[name]


def test_ids_unique_across_all_shipped_templates() -> None:
    seen: dict[str, str] = {}
    for name in SHIPPED:
        for ind in read_template(name)[1].indicators:
            assert ind.id not in seen, f"{ind.id} in {name} and {seen.get(ind.id)}"
            seen[ind.id] = name


def test_published_definitions() -> None:
    jh = {i.id: i for i in read_template("jugendhilfe")[1].indicators}
    hze = jh["jh_hze_je_1000"]
    assert hze.factor == 1000 and hze.denominator == ["einwohner_unter_21"] and hze.min_count == 3
    assert set(hze.numerator) == {
        "hze_ambulant",
        "hze_tagesgruppe",
        "hze_vollzeitpflege",
        "hze_heimerziehung",
        "hze_ise",
    }
    assert jh["jh_inobhutnahmen_je_1000"].denominator == ["einwohner_unter_18"]
    fa = {i.id: i for i in read_template("familienarmut")[1].indicators}
    assert fa["fa_sgb2_quote_u15"].numerator == ["sgb2_nef_unter_15"]
    assert fa["fa_sgb2_quote_u15"].polarity == "hoch_ist_schlecht"


def test_theme_sets_import_into_one_workspace_and_compute(grid_ws: Workspace, tmp_path: Path) -> None:
    # a planner imports all six sets; hand-computed values for the Jugendhilfe set
    for name in THEME_SETS:
        rep = grid_ws.import_template(name)
        assert rep.conflicts == [] and Path(rep.written_to or "").exists()
    cat = grid_ws.catalog()
    assert {"jh_hze_je_1000", "fa_sgb2_quote_u15", "bi_ohne_abschluss"} <= set(cat.ids())
    assert len(cat.data_items) >= 40  # the variable descriptions travel with the sets
    grid_ws.import_table(
        write(
            tmp_path / "hze.csv",
            "id;einwohner_unter_21;hze_ambulant;hze_tagesgruppe;hze_vollzeitpflege;hze_heimerziehung;hze_ise\n"
            "A1;2000;20;2;6;8;1\nA2;1000;5;0;3;2;0\nA3;1500;9;1;2;4;0\nA4;500;1;0;1;1;0\n",
        ),
        ImportOptions(layer="gebiet", period="2024"),
    )
    grid_ws.compute()
    v = grid_ws.store.indicator_values("gebiet", ["jh_hze_je_1000", "jh_hze_stationaer_anteil"], ["2024"])
    a1 = v[v["area_id"] == "A1"].set_index("indicator_id")["value"]
    assert a1["jh_hze_je_1000"] == pytest.approx((20 + 2 + 6 + 8 + 1) / 2000 * 1000)
    assert a1["jh_hze_stationaer_anteil"] == pytest.approx((6 + 8) / 37 * 100)
    d1 = grid_ws.store.indicator_values("bezirk", ["jh_hze_je_1000"], ["2024"]).set_index("area_id")["value"]
    assert d1["D1"] == pytest.approx((37 + 10) / 3000 * 1000)  # ratio of sums, not mean of ratios


def test_checklist_marks_what_the_workspace_has(grid_ws: Workspace, tmp_path: Path) -> None:
    grid_ws.import_table(
        write(tmp_path / "d.csv", "id;einwohner_unter_15;sgb2_nef_unter_15\nA1;100;9\n"),
        ImportOptions(layer="gebiet", period="2024"),
    )
    have = set(grid_ws.store.query_df("SELECT DISTINCT variable FROM observations")["variable"])
    cl = checklist(read_template("familienarmut")[1], have).set_index("Variable")
    assert cl.loc["sgb2_nef_unter_15", "Vorhanden"] == "ja"
    assert cl.loc["hh_alleinerziehend", "Vorhanden"] == "nein"
    assert "Bundesagentur für Arbeit" in cl.loc["sgb2_nef_unter_15", "Datenhalter"]
    assert "SGB-II-Quote unter 15-Jährige" in cl.loc["einwohner_unter_15", "Benötigt für"]
    for suffix in (".xlsx", ".csv", ".md", ".html"):
        out = write_checklist(cl.reset_index(), tmp_path / f"liste{suffix}", "Datenanforderung Familienarmut")
        assert out.stat().st_size > 500
    back = pd.read_excel(tmp_path / "liste.xlsx", skiprows=2, engine="calamine")
    assert list(back["Variable"]) == list(cl.index)
    assert "hh_mit_kindern_u18" in (tmp_path / "liste.csv").read_text(encoding="utf-8-sig")
    with pytest.raises(InputError, match="xlsx"):
        write_checklist(cl, tmp_path / "liste.pdf", "x")


def test_checklist_cli(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["template", "checklist", "jugendhilfe"])
    assert res.exit_code == 0 and "hze_heimerziehung" in res.output and "Jugendamt" in res.output
    out = tmp_path / "jh.xlsx"
    res = CliRunner().invoke(cli, ["template", "checklist", "jugendhilfe", "--out", str(out)])
    assert res.exit_code == 0 and out.exists()
    res = CliRunner().invoke(cli, ["template", "list"])
    assert all(n in res.output for n in THEME_SETS)


def test_variable_descriptions_round_trip(grid_ws: Workspace, tmp_path: Path) -> None:
    grid_ws.import_template("inklusion")
    out = grid_ws.export_template(tmp_path / "v.toml", name="Inklusion Musterstadt")
    raw = tomllib.loads(out.read_text(encoding="utf-8"))
    assert any(v["id"] == "kita_barrierefrei" for v in raw["variable"])
    other = Workspace.init(tmp_path / "b", name="B")
    other.import_template(out)
    a = {v.id: v for v in grid_ws.catalog().data_items}
    b = {v.id: v for v in other.catalog().data_items}
    assert a == b
    other.close()
