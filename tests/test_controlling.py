"""Controlling: KLR import (German numbers, versioning, errors), Kennzahlen as indicators per
area, Soll/Ist with traffic lights and trend, the demo's invented Kita figures and the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from planlabor.cli import cli
from planlabor.errors import InputError
from planlabor.io.importer import ImportOptions
from planlabor.planning.controlling import ampel, kennzahlen, read_klr, read_targets, soll_ist, store_targets
from planlabor.reports.controlling import controlling_html
from planlabor.reports.render import Layout
from planlabor.workspace import Workspace
from tests.conftest import table_fingerprint, write

KLR = (
    "Produkt;Kostenstelle;Jahr;Gebiet;Kosten;Fälle\n"
    "Hilfen zur Erziehung;KST 1;2023;A1;1.200.000,00;40\n"
    "Hilfen zur Erziehung;KST 1;2023;A2;300.000,00;10\n"
    "Hilfen zur Erziehung;KST 2;2024;A1;1.400.000,00;42\n"
    "Hilfen zur Erziehung;KST 2;2024;A2;450.000,00;12\n"
)


def test_ampel_rules() -> None:
    assert ampel(100, 100, 5, "hoch_ist_schlecht") == "gruen"
    assert ampel(104, 100, 5, "hoch_ist_schlecht") == "gelb"
    assert ampel(106, 100, 5, "hoch_ist_schlecht") == "rot"
    assert ampel(96, 100, 5, "hoch_ist_gut") == "gelb"
    assert ampel(94, 100, 5, "hoch_ist_gut") == "rot"
    assert ampel(np.nan, 100, 5, "hoch_ist_gut") == "offen"


def test_klr_import_kennzahlen_and_soll_ist(grid_ws: Workspace, tmp_path: Path) -> None:
    grid_ws.import_table(
        write(
            tmp_path / "ew.csv",
            "id;ew;kinder;sgb2;publ;idx\nA1;1000;200;10;1;1\nA2;500;100;5;1;1\nA3;800;90;3;1;1\nA4;700;60;2;1;1\n",
        ),
        ImportOptions(layer="gebiet", period="2024-12-31"),
    )
    rep = grid_ws.import_controlling(
        write(tmp_path / "klr.csv", KLR), layer="gebiet", reference="kinder", reference_name="Kinder"
    )
    assert rep.rows == 4 and rep.products == ["Hilfen zur Erziehung"] and rep.observations == 8
    assert (grid_ws.root / "vorlagen" / "controlling.toml").exists()
    grid_ws.compute()
    v = grid_ws.store.indicator_values("gebiet", None, ["2024-12-31"]).set_index(["area_id", "indicator_id"])[
        "value"
    ]
    assert v[("A1", "ctrl_hilfen_zur_erziehung_kosten_je_fall")] == pytest.approx(1_400_000 / 42)
    assert v[("A1", "ctrl_hilfen_zur_erziehung_faelle_je_1000")] == pytest.approx(42 / 200 * 1000)
    d1 = grid_ws.store.indicator_values(
        "bezirk", ["ctrl_hilfen_zur_erziehung_kosten_je_fall"], ["2024-12-31"]
    )
    assert d1.set_index("area_id")["value"]["D1"] == pytest.approx(1_850_000 / 54)  # ratio of sums
    k = kennzahlen(grid_ws.store).set_index("period")
    assert k.loc["2023", "kosten_je_fall"] == pytest.approx(1_500_000 / 50)
    targets = write(
        tmp_path / "soll.csv",
        "produkt;kennzahl;zeitraum;soll;toleranz;kontrakt\n"
        "Hilfen zur Erziehung;kosten_je_fall;2024;33000;5;Kontrakt HzE\n"
        "Hilfen zur Erziehung;faelle;2024;60;;Kontrakt HzE\n",
    )
    store_targets(grid_ws.store, read_targets(targets), targets)
    t = soll_ist(grid_ws.store).set_index("kennzahl")
    ist = 1_850_000 / 54
    assert t.loc["kosten_je_fall", "ist"] == pytest.approx(ist)
    assert t.loc["kosten_je_fall", "ampel"] == "gelb"  # 34,259 € is within 5 % above 33,000 €
    assert t.loc["kosten_je_fall", "trend"] == "↑" and not t.loc["kosten_je_fall", "trend_besser"]
    assert (
        t.loc["faelle", "ampel"] == "rot"
    )  # 54 cases against 60 with the default 5 % tolerance... is below 57
    html = controlling_html(soll_ist(grid_ws.store), kennzahlen(grid_ws.store), Layout.of(grid_ws))
    assert "in der Toleranz" in html and "verfehlt" in html and "34.259" in html


def test_klr_reimport_supersedes_and_keeps(grid_ws: Workspace, tmp_path: Path) -> None:
    grid_ws.import_controlling(write(tmp_path / "a.csv", KLR), layer="gebiet")
    rep = grid_ws.import_controlling(
        write(tmp_path / "b.csv", KLR.replace("1.400.000,00", "1.500.000,00")), layer="gebiet"
    )
    assert rep.superseded == 2
    k = kennzahlen(grid_ws.store).set_index("period")
    assert k.loc["2024", "kosten"] == pytest.approx(1_950_000)
    all_rows = grid_ws.store.query_df("SELECT count(*) AS n FROM controlling")["n"].iloc[0]
    assert all_rows == 8  # the first import stays retrievable


@pytest.mark.parametrize(
    ("text", "match", "row"),
    [
        (KLR.replace("1.200.000,00", "viel"), "kein Betrag", 2),
        (KLR.replace(";2023;A2", ";20x3;A2"), "kein Zeitraum", 3),
        (KLR.replace(";A2;", ";Z9;"), "Gebietsschlüssel", 3),
    ],
)
def test_bad_klr_changes_nothing(grid_ws: Workspace, tmp_path: Path, text: str, match: str, row: int) -> None:
    before = table_fingerprint(grid_ws)
    with pytest.raises(InputError, match=match) as err:
        grid_ws.import_controlling(write(tmp_path / "x.csv", text), layer="gebiet")
    assert err.value.row == row
    assert table_fingerprint(grid_ws) == before


def test_klr_without_area_keys(tmp_path: Path) -> None:
    f = write(tmp_path / "k.csv", "produkt;jahr;kosten;faelle\nSchuldnerberatung;2024;250000;500\n")
    frame = read_klr(f)
    assert frame["area_id"].isna().all() and frame["costs"].iloc[0] == 250000
    with pytest.raises(InputError, match=r"Fälle|faelle"):
        read_klr(write(tmp_path / "k2.csv", "produkt;jahr;kosten\nA;2024;1\n"))


def test_atlas_shows_soll_ist_only_internally(berlin: Workspace) -> None:
    from planlabor.atlas.data import meta_payload, source_of

    assert meta_payload(source_of(berlin), public=True)["controlling"] == []
    internal = meta_payload(source_of(berlin), public=False)["controlling"]
    assert {r["ampel"] for r in internal} <= {"gruen", "gelb", "rot"} and len(internal) == 3
    assert meta_payload(source_of(berlin))["actionplan"]["items"] == 7


def test_demo_kita_controlling(berlin: Workspace) -> None:
    t = soll_ist(berlin.store).set_index(["kennzahl", "zeitraum"])
    assert set(t["ampel"]) <= {"gruen", "gelb", "rot"} and len(t) == 3
    assert all("erfunden" in k for k in t["kontrakt"])  # the invented figures say so
    v = berlin.store.indicator_values("bezirk", ["ctrl_kindertagesbetreuung_kosten_je_fall"], ["2024-12-31"])
    assert len(v) == 12 and v["value"].between(10_000, 16_000).all()


def test_controlling_cli(tmp_path: Path) -> None:
    run = CliRunner().invoke
    ws = tmp_path / "ws"
    assert run(cli, ["init", str(ws)]).exit_code == 0
    klr = write(
        tmp_path / "k.csv",
        "produkt;jahr;kosten;faelle\nSchuldnerberatung;2023;240000;480\nSchuldnerberatung;2024;250000;500\n",
    )
    soll = write(
        tmp_path / "s.csv",
        "produkt;kennzahl;zeitraum;soll;toleranz\nSchuldnerberatung;kosten_je_fall;2024;480;5\n",
    )
    for args in (["controlling", "import", str(klr)], ["controlling", "soll", str(soll)]):
        res = run(cli, ["-C", str(ws), *args])
        assert res.exit_code == 0, res.output
    res = run(cli, ["-C", str(ws), "controlling", "status"])
    assert (
        res.exit_code == 0 and "Schuldnerberatung" in res.output and "gelb" in res.output
    )  # 500 € vs 480 € + 5 %
    res = run(cli, ["-C", str(ws), "report", "controlling", "--out", str(tmp_path / "c.html")])
    assert res.exit_code == 0 and "in der Toleranz" in (tmp_path / "c.html").read_text(encoding="utf-8")


def test_klr_from_xlsx(tmp_path: Path) -> None:
    import pandas as pd

    pd.DataFrame(
        {
            "Produkt": ["Eingliederungshilfe", "Eingliederungshilfe"],
            "Haushaltsjahr": [2024, 2025],
            "Aufwand": [1234567.89, 1300000.0],
            "Fallzahl": [310, 325],
        }
    ).to_excel(tmp_path / "klr.xlsx", index=False)
    frame = read_klr(tmp_path / "klr.xlsx")
    assert frame["period"].tolist() == ["2024", "2025"]
    assert frame["costs"].iloc[0] == pytest.approx(1234567.89) and frame["cases"].iloc[1] == 325


def test_second_product_keeps_the_first_and_its_reference(grid_ws: Workspace, tmp_path: Path) -> None:
    grid_ws.import_controlling(
        write(tmp_path / "a.csv", KLR), layer="gebiet", reference="kinder", reference_name="Kinder"
    )
    other = KLR.replace("Hilfen zur Erziehung", "Schulsozialarbeit")
    grid_ws.import_controlling(write(tmp_path / "b.csv", other), layer="gebiet")
    ids = set(grid_ws.catalog().ids())
    for p in ("hilfen_zur_erziehung", "schulsozialarbeit"):
        assert {f"ctrl_{p}_kosten_je_fall", f"ctrl_{p}_faelle_je_1000"} <= ids
    ind = grid_ws.catalog().get("ctrl_schulsozialarbeit_faelle_je_1000")
    assert ind is not None and ind.denominator == ["kinder"] and ind.name.endswith("je 1.000 Kinder")
