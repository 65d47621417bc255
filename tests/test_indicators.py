"""Indicators: ratio of sums up the hierarchy, flags, imported values, catalog validation."""

from pathlib import Path

import pandas as pd
import pytest

from planlabor.catalog.model import load_catalog
from planlabor.errors import ConfigError
from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace
from tests.conftest import write

DATA_2021 = (
    "id;ew;kinder;sgb2;publ;idx\nA1;100;10;2;10;1,5\nA2;300;60;30;20;-0,5\nA3;50;5;0;;2\nA4;0;0;0;-9999;x\n"
)


def values(ws: Workspace, indicator: str, layer: str) -> dict[str, tuple]:
    df = ws.store.indicator_values(layer, [indicator])
    return {
        r["area_id"]: (r["value"], r["flag"] if isinstance(r["flag"], str) else None)
        for r in df.to_dict("records")
    }


@pytest.fixture
def computed(grid_ws: Workspace, tmp_path: Path) -> Workspace:
    grid_ws.import_table(
        write(tmp_path / "d.csv", DATA_2021),
        ImportOptions(layer="gebiet", period="2021", missing_values={"": "fehlend"}),
    )
    grid_ws.compute()
    return grid_ws


def test_ratio_of_sums_on_every_level(computed: Workspace) -> None:
    gebiet = values(computed, "anteil_kinder", "gebiet")
    assert gebiet["A1"] == (10.0, None) and gebiet["A2"] == (20.0, None)
    bezirk = values(computed, "anteil_kinder", "bezirk")
    # D1 = (10 + 60) / (100 + 300) = 17.5 %, not the mean of 10 % and 20 %
    assert bezirk["D1"] == (pytest.approx(17.5), None)
    stadt = values(computed, "anteil_kinder", "stadt")
    assert stadt["C"][0] == pytest.approx(75 / 450 * 100)
    assert values(computed, "einwohner", "stadt")["C"] == (450.0, None)


def test_zero_denominator_flagged(computed: Workspace) -> None:
    a4 = values(computed, "anteil_kinder", "gebiet")["A4"]
    assert a4[1] == "nenner_null" and a4[0] != a4[0]


def test_imported_values_weighted_and_not(computed: Workspace) -> None:
    base = values(computed, "anteil_publ", "gebiet")
    assert base["A1"] == (10.0, None) and base["A4"][1] == "ungueltig" and base["A3"][1] == "fehlend"
    d1 = values(computed, "anteil_publ", "bezirk")["D1"]
    assert d1[0] == pytest.approx((10 * 100 + 20 * 300) / 400)
    # D2: only A3 and A4, both without value
    assert values(computed, "anteil_publ", "bezirk")["D2"][1] == "fehlend"
    # C: two of four areas with a value: weighted mean of those, flagged as partial
    c = values(computed, "anteil_publ", "stadt")["C"]
    assert c == (pytest.approx(17.5), "teilsumme")
    # without a weight an imported value stays on its layer
    assert values(computed, "index_publ", "bezirk") == {}
    assert values(computed, "index_publ", "gebiet")["A2"] == (-0.5, None)


def test_partial_sums_flagged(grid_ws: Workspace, tmp_path: Path) -> None:
    grid_ws.import_table(
        write(tmp_path / "d.csv", "id;ew;kinder\nA1;100;10\nA2;.;5\nA3;50;5\nA4;50;5\n"),
        ImportOptions(layer="gebiet", period="2022"),
    )
    grid_ws.compute()
    assert values(grid_ws, "einwohner", "gebiet")["A2"][1] == "unbekannt_oder_geheim"
    assert values(grid_ws, "einwohner", "bezirk")["D1"] == (100.0, "teilsumme")
    assert values(grid_ws, "einwohner", "bezirk")["D2"] == (100.0, None)
    assert values(grid_ws, "einwohner", "stadt")["C"] == (200.0, "teilsumme")


def test_definitions_are_versioned(computed: Workspace) -> None:
    defs = computed.store.query_df("SELECT indicator_id, version FROM indicator_definitions")
    assert set(defs["version"]) == {1}
    cat = (computed.root / "catalog.toml").read_text(encoding="utf-8")
    (computed.root / "catalog.toml").write_text(
        cat.replace('name = "Anteil Kinder"', 'name = "Kinderanteil"'), encoding="utf-8"
    )
    computed.compute()
    defs = computed.store.query_df(
        "SELECT indicator_id, max(version) AS v FROM indicator_definitions GROUP BY 1"
    )
    assert defs.set_index("indicator_id").loc["anteil_kinder", "v"] == 2
    assert defs.set_index("indicator_id").loc["einwohner", "v"] == 1


def test_berlin_real_values(berlin: Workspace) -> None:
    plr = berlin.store.indicator_values("plr", ["einwohner"], ["2021-12-31"]).set_index("area_id")
    assert plr.loc["01100101", "value"] == 3406
    city = berlin.store.indicator_values("stadt", ["einwohner", "anteil_auslaender"], ["2021-12-31"])
    ew = city.set_index("indicator_id").loc["einwohner", "value"]
    assert ew == plr["value"].sum()
    raw = pd.read_csv(
        Path(__file__).parent.parent / "planlabor/demo/data/berlin/einwohner/"
        "berlin-lor-population-2021-02-t1-planning-areas.csv",
        dtype={"id": str},
    )
    share = city.set_index("indicator_id").loc["anteil_auslaender", "value"]
    assert share == pytest.approx(raw["inhabitants_foreigners"].sum() / raw["inhabitants"].sum() * 100)
    # Bezirk Mitte (01) from its 143 → 12 path equals the sum of its PLR
    mitte = berlin.store.indicator_values("bezirk", ["einwohner"], ["2021-12-31"]).set_index("area_id")
    assert mitte.loc["01", "value"] == raw[raw["id"].str.startswith("01")]["inhabitants"].sum()


def test_berlin_register_2024_partial_sums(berlin: Workspace) -> None:
    """31.12.2024: two PLR were published without values; the sums above are flagged."""
    bzr = berlin.store.indicator_values("bzr", ["kinder_u3"], ["2024-12-31"]).set_index("area_id")
    assert bzr.loc["034008", "flag"] == "teilsumme"
    assert (bzr["flag"] == "teilsumme").sum() == 2


def test_berlin_kitas(berlin: Workspace) -> None:
    city = berlin.store.indicator_values("stadt", ["kita_anzahl", "kita_plaetze"], ["2022-12-31"])
    v = city.set_index("indicator_id")["value"]
    assert v["kita_anzahl"] == 2880
    assert v["kita_plaetze"] > 150_000


def test_catalog_validation_names_entry(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.toml",
        '[[indicator]]\nid = "ok"\nname = "Gut"\nnumerator = ["a"]\n'
        '[[indicator]]\nid = "kaputt"\nname = "X"\ndenominator = ["b"]\n',
    )
    with pytest.raises(ConfigError) as exc:
        load_catalog(path)
    assert "kaputt" in exc.value.message
    path = write(
        tmp_path / "d.toml",
        '[[indicator]]\nid = "a"\nname = "A"\nnumerator = ["x"]\n'
        '[[indicator]]\nid = "a"\nname = "B"\nnumerator = ["y"]\n',
    )
    with pytest.raises(ConfigError, match="doppelt"):
        load_catalog(path)


def test_numerator_as_sum_string(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[[indicator]]\nid = "u3"\nname = "U3"\nnumerator = "a + b + c"\n')
    assert load_catalog(path).indicators[0].numerator == ["a", "b", "c"]


def test_hash_collision_falls_back_to_the_exact_join(
    grid_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Numerator and denominator are matched on a 64-bit hash; were every key to collide
    (a constant hash), the collision is found and the exact join gives the same values."""
    from planlabor.indicators import compute_indicators
    from planlabor.store.duckdb_ import DuckDBStore  # also the scratch store of PostgreSQL

    grid_ws.import_table(
        write(tmp_path / "d.csv", DATA_2021),
        ImportOptions(layer="gebiet", period="2021", missing_values={"": "fehlend"}),
    )
    catalog = grid_ws.catalog()
    assert not compute_indicators(grid_ws.store, catalog).exact_fallback
    expected = {lay: values(grid_ws, "anteil_kinder", lay) for lay in ("gebiet", "bezirk", "stadt")}
    monkeypatch.setattr(DuckDBStore, "hash_key", lambda self, *columns: "CAST(1 AS UBIGINT)")
    assert compute_indicators(grid_ws.store, catalog).exact_fallback
    for lay, before in expected.items():
        after = values(grid_ws, "anteil_kinder", lay)
        assert after.keys() == before.keys()
        for area, (v, flag) in before.items():
            assert after[area][1] == flag and (after[area][0] == pytest.approx(v) or v != v)
