"""D-A-CH: Eurostat and Basel readers, the NUTS/LAU layers, harmonised indicators (checked by
hand against the published files) and the comparison of a region with its peers across borders."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planlabor.atlas.data import meta_payload, source_of
from planlabor.cli import cli
from planlabor.errors import InputError
from planlabor.indices.peers import find_peers
from planlabor.io.eurostat import read_eurostat
from planlabor.io.importer import ImportOptions
from planlabor.io.table import ReadOptions
from planlabor.reports.render import Layout
from planlabor.reports.vergleich import compare_region, vergleich_html
from planlabor.workspace import Workspace
from tests.conftest import DATA, table_fingerprint, write

DACH = DATA / "dach"


@pytest.fixture(scope="module")
def dach(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path_factory.mktemp("dach") / "ws", name="D-A-CH", crs="EPSG:3035")
    ws.setup_dach(DACH)
    ws.compute()
    yield ws
    ws.close()


def eurostat_cell(file: str, key: str, year: str) -> float:
    """A value read by hand from a Eurostat TSV (independent of the reader)."""
    lines = (DACH / "stats" / file).read_text(encoding="utf-8").splitlines()
    years = [h.strip() for h in lines[0].split("\t")[1:]]
    for line in lines[1:]:
        cells = line.split("\t")
        if cells[0] == key:
            return float(re.sub(r"[a-z ]", "", cells[1 + years.index(year)]))
    raise KeyError(key)


def test_layers(dach: Workspace) -> None:
    n = {lay.layer_id: len(dach.store.areas(lay.layer_id)) for lay in dach.store.layers()}
    assert n == {
        "staat": 3, "nuts2": 54, "nuts3": 462, "lau_at": 2095, "lau_ch": 3, "wohnviertel_bs": 21,
        "graetzl_wien": 137, "zaehlgebiet_wien": 1368,
    }  # fmt: skip
    parents = {lay.layer_id: lay.parent_layer for lay in dach.store.layers()}
    assert parents["nuts3"] == "nuts2" and parents["nuts2"] == "staat"
    assert (
        parents["lau_at"] == "nuts3"
        and parents["wohnviertel_bs"] == "lau_ch"
        and parents["lau_ch"] == "nuts3"
    )
    at = dach.store.areas("lau_at").set_index("area_id")
    assert "90001" in at.index and "90101" not in at.index  # Vienna once, not its 23 districts too
    assert at.loc["90001", "parent_id"] == "AT130"  # Wien
    assert at.loc["10101", "parent_id"] == "AT112"  # Eisenstadt → Nordburgenland
    bs = dach.store.areas("wohnviertel_bs").set_index("area_id")
    assert bs.loc["7", "parent_id"] == "2701" and bs.loc["20", "parent_id"] == "2703"  # Riehen
    ch = dach.store.areas("lau_ch").set_index("area_id")
    assert ch.loc["2701", "name"] == "Basel" and ch.loc["2701", "parent_id"] == "CH031"
    assert dach.store.areas("staat").set_index("area_id").loc["AT", "name"] == "Österreich"


def test_vienna_zaehlgebiete_add_up_to_graetzl(dach: Workspace, tmp_path: Path) -> None:
    zg = dach.store.areas("zaehlgebiet_wien").set_index("area_id")
    assert zg.loc["1010", "parent_id"] == "101"  # Innere Stadt
    g = dach.store.areas("graetzl_wien").set_index("area_id")
    assert g.loc["101", "name"] == "Innere Stadt" and set(g["parent_id"]) == {"90001"}
    # counts by Zählgebiet (here: one per Zählgebiet) add up to Grätzl, Vienna and AT130
    rows = "zg;n\n" + "".join(f"{a};1\n" for a in zg.index)
    dach.import_table(
        write(tmp_path / "zg.csv", rows),
        ImportOptions(layer="zaehlgebiet_wien", id_column="zg", period="2024"),
    )
    from planlabor.catalog.model import Catalog
    from planlabor.indicators import compute_indicators

    cat = Catalog.model_validate(
        {"indicator": [{"id": "zg_anzahl", "name": "Zählgebiete", "numerator": ["n"]}]}
    )
    compute_indicators(dach.store, cat)
    v = dach.store.indicator_values("graetzl_wien", ["zg_anzahl"], ["2024"]).set_index("area_id")["value"]
    assert v["101"] == (zg["parent_id"] == "101").sum()
    wien = dach.store.indicator_values("lau_at", ["zg_anzahl"], ["2024"]).set_index("area_id")["value"]
    assert wien["90001"] == 1368
    dach.compute()  # back to the workspace's own catalog for the other tests


def test_eurostat_values_and_quarantine(dach: Workspace) -> None:
    obs = dach.store.observations("nuts3", ["ew_total", "ew_y_lt15"], ["2024"]).set_index(
        ["area_id", "variable"]
    )
    assert obs.loc[("DE300", "ew_total"), "value"] == eurostat_cell(
        "demo_r_pjanaggr3.tsv", "A,NR,T,TOTAL,DE300", "2024"
    )
    assert obs.loc[("AT130", "ew_y_lt15"), "value"] == eurostat_cell(
        "demo_r_pjanaggr3.tsv", "A,NR,T,Y_LT15,AT130", "2024"
    )
    # ':' is a missing value with a flag, never a number
    gdp = dach.store.observations("nuts3", ["bip_kks_je_ew"], ["2022"]).set_index("area_id")
    assert pd.isna(gdp.loc["CH031", "value"]) and gdp.loc["CH031", "flag"] == "fehlend"
    # codes of the NUTS 2024 Thüringen reform wait in the quarantine instead of being lost
    q = dach.quarantine()
    assert {"DEG0Q", "DEG0V"} <= set(q["area_id"])


def test_harmonised_indicators_by_hand(dach: Workspace) -> None:
    def cell(age: str, geo: str) -> float:
        return eurostat_cell("demo_r_pjanaggr3.tsv", f"A,NR,T,{age},{geo}", "2024")

    v = dach.store.indicator_values("nuts3", None, ["2024"]).pivot(
        index="area_id", columns="indicator_id", values="value"
    )
    for geo in ("DE300", "AT130", "CH031"):
        assert v.loc[geo, "dach_jugendquotient"] == pytest.approx(
            cell("Y_LT15", geo) / cell("Y15-64", geo) * 100
        )
        assert v.loc[geo, "dach_altenquotient"] == pytest.approx(
            cell("Y_GE65", geo) / cell("Y15-64", geo) * 100
        )
        area = eurostat_cell("reg_area3.tsv", f"A,TOTAL,KM2,{geo}", "2024")
        assert v.loc[geo, "dach_dichte"] == pytest.approx(cell("TOTAL", geo) / area)
    # Austria as a whole: ratio of sums over its 35 NUTS 3 regions
    staat = dach.store.indicator_values("staat", ["dach_jugendquotient"], ["2024"]).set_index("area_id")[
        "value"
    ]
    at = [g for g in dach.store.areas("nuts3")["area_id"] if g.startswith("AT")]
    assert staat["AT"] == pytest.approx(
        sum(cell("Y_LT15", g) for g in at) / sum(cell("Y15-64", g) for g in at) * 100
    )
    # Basel: published fractions shown in percent / per 100
    bs = dach.store.indicator_values("wohnviertel_bs", ["bs_altersquotient", "bs_sozialhilfequote"], None)
    bs = bs.set_index(["area_id", "indicator_id"])["value"]
    assert bs[("16", "bs_altersquotient")] == pytest.approx(0.1372619475 * 100)
    assert bs[("7", "bs_sozialhilfequote")] == pytest.approx(1.4)
    # every D-A-CH indicator documents its harmonisation
    for ind in dach.catalog().indicators:
        if ind.theme == "D-A-CH-Vergleich":
            assert len(ind.harmonisation) > 40, ind.id


def test_eurostat_reader_options_and_errors(tmp_path: Path) -> None:
    raw = read_eurostat(DACH / "stats" / "tgs00107.tsv", {"geo": ["AT1?"]}, "arope")
    rows = raw.con.execute(f"SELECT geo, period, variable, value FROM {raw.name} ORDER BY 1, 2").df()
    assert set(rows["geo"]) == {"AT11", "AT12", "AT13"} and set(rows["variable"]) == {"arope"}
    at13 = rows[(rows["geo"] == "AT13") & (rows["period"] == "2014")]["value"].iloc[0]
    assert at13 == "28.4"  # '28.4 e': number kept, flag counted
    assert any("geschätzt" in w for w in raw.warnings)
    raw.close()
    bad = write(tmp_path / "bad.tsv", "unit,geo\\time\t2019 \t2020 \nPC,AT11\t1.5 \tabc \n")
    with pytest.raises(InputError) as err:
        read_eurostat(bad)
    assert err.value.row == 2 and err.value.column == "2020"
    with pytest.raises(InputError, match="Dimension 'sexx'"):
        read_eurostat(DACH / "stats" / "tgs00010.tsv", {"sexx": ["T"]})


def test_failed_eurostat_import_changes_nothing(dach: Workspace, tmp_path: Path) -> None:
    before = table_fingerprint(dach)
    with pytest.raises(InputError):  # all of Europe into the D-A-CH layer: unknown keys refused
        dach.import_table(
            DACH / "stats" / "tgs00010.tsv",
            ImportOptions(layer="nuts2", read=ReadOptions(select={"sex": ["T"]})),
        )
    assert table_fingerprint(dach) == before


def test_basel_reader_normalises_keys(dach: Workspace) -> None:
    # 4823 has zero-padded keys ('08'), 4822 unpadded ('7'): both land on the Wohnviertel
    obs = dach.store.observations(
        "wohnviertel_bs", ["anteil_auslaender", "sozialhilfequote", "bezueger"], None
    )
    assert set(obs[obs["variable"] == "anteil_auslaender"]["area_id"]) == set(
        dach.store.areas("wohnviertel_bs")["area_id"]
    )
    one = obs.set_index(["area_id", "variable"])["value"]
    assert one[("8", "anteil_auslaender")] == pytest.approx(0.2409958387)
    assert one[("7", "bezueger")] == 131


def test_find_peers_by_hand() -> None:
    values = pd.DataFrame({"a": [0.0, 1.0, 2.0, 10.0], "b": [0.0, 0.0, 1.0, 1.0]}, index=["T", "P", "Q", "R"])
    groups = pd.Series({"T": "X", "P": "X", "Q": "Y", "R": "Y"})
    p = find_peers(values, "T", k=2)
    z = (values - values.mean()) / values.std(ddof=0)
    expect = ((z - z.loc["T"]) ** 2).sum(axis=1) ** 0.5
    assert list(p.table["area_id"]) == ["T", "P", "Q"]
    assert p.table.set_index("area_id")["distance"]["Q"] == pytest.approx(expect["Q"])
    per = find_peers(values, "T", groups=groups, per_group=1)
    assert list(per.table["area_id"]) == ["T", "P", "Q"] and list(per.table["group"]) == ["X", "X", "Y"]


def test_comparison_across_borders(dach: Workspace, tmp_path: Path) -> None:
    c = compare_region(source_of(dach), "nuts3", "DE300", per_group=2)
    groups = [c.groups[a] for a in c.peers.table["area_id"]]
    assert groups[0] == "Deutschland" and {"Österreich", "Schweiz"} <= set(groups)
    assert c.peers.table["area_id"].iloc[1] == "AT130"  # Berlin's nearest peer is Vienna
    # the GDP comparison uses a year in which all three countries have values
    gdp = next(r for r in c.rows if r["id"] == "dach_bip_kks_je_ew")
    assert gdp["period"] <= "2019"
    html = vergleich_html(c, Layout.of(dach))
    assert "Harmonisierung" in html and "Kaufkraftstandards" in html and "Wien" in html
    res = CliRunner().invoke(
        cli,
        [
            "-C",
            str(dach.root),
            "compare",
            "--layer",
            "nuts3",
            "--area",
            "AT130",
            "--je-land",
            "1",
            "--out",
            str(tmp_path / "wien.html"),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Deutschland" in res.output and "Schweiz" in res.output
    assert "Wien" in (tmp_path / "wien.html").read_text(encoding="utf-8")


def test_atlas_meta_carries_harmonisation(dach: Workspace) -> None:
    meta = meta_payload(source_of(dach))
    assert "Kaufkraftstandards" in meta["indicators"]["dach_bip_kks_je_ew"]["harmonisation"]
    assert {"nuts3", "nuts2", "staat"} <= {lay["id"] for lay in meta["layers"]}
