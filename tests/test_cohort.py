"""The cohort-component projection: model arithmetic, calibration, inputs, store, back-test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planlabor.errors import InputError
from planlabor.projection import defaults as d
from planlabor.projection.model import (
    BANDS,
    A,
    Population,
    Rates,
    Scenario,
    base_scenarios,
    calibrate,
    natural_change,
    project,
    split_sex,
)
from tests.conftest import write


def uniform(n: int = 3, per_age: float = 100.0) -> Population:
    return Population([f"G{i}" for i in range(n)], np.full((n, 2, A), per_age))


# ----------------------------------------------------------------- defaults
def test_default_life_table_hits_published_life_expectancy() -> None:
    q = d.default_qx()
    assert d.life_expectancy(q[0]) == pytest.approx(78.33, abs=0.01)
    assert d.life_expectancy(q[1]) == pytest.approx(83.18, abs=0.01)
    assert (np.diff(q[:, 10:], axis=1) >= -1e-12).all()  # mortality rises with age after childhood
    assert (q[0, 20:] > q[1, 20:]).all()  # men die earlier


def test_fertility_schedule_sums_to_tfr_and_has_the_mean_age() -> None:
    f = d.fertility_schedule(1.4, 31.7)
    assert f.sum() == pytest.approx(1.4)
    assert f[:15].sum() == 0 and f[50:].sum() == 0
    assert ((f * (d.AGES + 0.5)).sum() / f.sum()) == pytest.approx(31.7, abs=0.2)


# ----------------------------------------------------------------- one year
def test_one_year_ages_every_cohort_and_applies_mortality() -> None:
    rates = Rates(qx=np.full((2, A), 0.1), asfr=np.zeros(A))
    p = np.zeros((1, 2, A))
    p[0, 0, 10] = 1000
    p[0, 1, 99] = 50
    p[0, 1, 100] = 20
    out = natural_change(p, rates, 1.0)
    assert out[0, 0, 11] == pytest.approx(900) and out[0, 0, 10] == 0
    assert out[0, 1, 100] == pytest.approx((50 + 20) * 0.9)  # the open group keeps its survivors
    assert out.sum() == pytest.approx(p.sum() * 0.9)


def test_half_years_move_half_a_cohort() -> None:
    rates = Rates(qx=np.zeros((2, A)), asfr=np.zeros(A))
    p = np.zeros((1, 2, A))
    p[0, 0, 10] = 1000
    half = natural_change(p, rates, 0.5)
    assert half[0, 0, 10] == pytest.approx(500) and half[0, 0, 11] == pytest.approx(500)
    # two half years of an evenly spread population equal one year
    even = uniform(1).values
    np.testing.assert_allclose(natural_change(even, rates, 0.5 + 0.5)[0, :, 1:100], 100.0)


def test_births_from_fertility_and_sex_ratio() -> None:
    asfr = np.zeros(A)
    asfr[30] = 0.1
    rates = Rates(qx=np.zeros((2, A)), asfr=asfr, sex_ratio=1.05, fertility_factor=np.array([2.0]))
    p = np.zeros((1, 2, A))
    p[0, 1, 29] = 1000  # aged 29 at the start, 30 at the end: mean exposure 500 at age 30
    p[0, 1, 30] = 1000
    out = natural_change(p, rates, 1.0)
    births = 0.1 * 0.5 * (1000 + 1000) * 2.0  # women aged 30 at start and end, area factor 2
    assert out[0, :, 0].sum() == pytest.approx(births)
    assert out[0, 0, 0] / out[0, 1, 0] == pytest.approx(1.05)


# ----------------------------------------------------------------- variants and scenarios
def _rates_with_migration(n: int) -> Rates:
    r = Rates.defaults()
    ext = np.full((2, A), 0.02)
    internal = np.zeros((n, 2, A))
    internal[0] = 0.05
    internal[1] = -0.05
    return Rates(r.qx, r.asfr, migration_external=ext, migration_internal=internal)


def test_three_variants_switch_the_components_on() -> None:
    pop = uniform(3)
    res = project(pop, 2024, _rates_with_migration(3), 5)
    nat, ext, intern = (res.values[k, -1].sum(axis=(1, 2)) for k in range(3))
    assert res.values.shape == (3, 6, 3, 2, A)
    assert nat[0] == pytest.approx(nat[1]) == pytest.approx(nat[2])  # same rates everywhere
    assert (ext > nat).all()  # +2 % a year from outside
    assert intern[0] > ext[0] and intern[1] < ext[1] and intern[2] == pytest.approx(ext[2])
    np.testing.assert_allclose(res.values[:, 0], np.broadcast_to(pop.values, (3, 3, 2, A)))


def test_housing_adds_its_residents_and_city_totals_scale() -> None:
    pop = uniform(2)
    rates = Rates(qx=np.zeros((2, A)), asfr=np.zeros(A))
    housing = pd.DataFrame({"area_id": ["G1"], "jahr": [2026], "personen": [500.0]})
    scen = [
        Scenario("ohne", "ohne", "intern"),
        Scenario("neubau", "Neubau", "intern", housing=housing),
        Scenario("eckwert", "Eckwert", "intern", city_totals={2025: 50000.0}),
    ]
    res = project(pop, 2024, rates, 3, scen)
    diff = res.values[1].sum(axis=(2, 3)) - res.values[0].sum(axis=(2, 3))  # (years, areas)
    assert diff[2, 1] == pytest.approx(500) and diff[1].sum() == pytest.approx(0)
    assert diff[:, 0].sum() == pytest.approx(0)  # other areas untouched
    assert res.values[2, 1].sum() == pytest.approx(50000)
    young = res.values[1, 2, 1, :, 25:45].sum() - res.values[0, 2, 1, :, 25:45].sum()
    assert young / 500 == pytest.approx(d.housing_profile()[25:45].sum())


def test_scenario_validation() -> None:
    with pytest.raises(InputError, match="Basisvariante"):
        Scenario("x", "x", "irgendwas")
    with pytest.raises(InputError, match="Faktor"):
        Scenario("x", "x", "intern", fertility=-1)
    with pytest.raises(InputError):
        project(uniform(1), 2024, Rates.defaults(), 0)


# ----------------------------------------------------------------- calibration
def test_calibration_recovers_known_migration_rates() -> None:
    rng = np.random.default_rng(1)
    n = 4
    pop = Population([f"G{i}" for i in range(n)], rng.uniform(50, 150, (n, 2, A)))
    bands = [(0, 6), (6, 18), (18, 30), (30, 65), (65, 101)]
    true = rng.uniform(-0.04, 0.06, (n, len(bands)))
    base = Rates.defaults()
    base.fertility_factor = np.ones(n)
    mig = np.zeros((n, 2, A))
    for j, (lo, hi) in enumerate(bands):
        mig[:, :, lo:hi] = true[:, j][:, None, None]
    end = natural_change(pop.values, base, 1.0) * (1 + mig)
    cal = calibrate([(2023.0, pop), (2024.0, Population(pop.area_ids, end))], bands, base, shrinkage=0.0)
    used = cal.band_rates.pivot(index="area_id", columns="band", values="rate_used")
    used = used[[f"{lo}_{hi}" for lo, hi in bands]].to_numpy()
    np.testing.assert_allclose(used, true, atol=1e-9)
    # external = the city's rate; internal moves add up to zero over the areas
    city = cal.band_rates.groupby("band", sort=False)["rate_city"].first().to_numpy()
    expected = natural_change(pop.values, cal.rates, 1.0)
    for j, (lo, hi) in enumerate(bands):
        e = expected[:, :, lo:hi].sum(axis=(1, 2))
        assert ((used[:, j] - city[j]) * e).sum() == pytest.approx(0, abs=1e-6)
    assert cal.rates.migration_internal is not None and cal.rates.migration_external is not None


def test_shrinkage_pulls_small_areas_to_the_type_rate() -> None:
    pop = Population(["klein", "gross"], np.zeros((2, 2, A)))
    pop.values[0] = 1.0
    pop.values[1] = 200.0
    base = Rates(qx=np.zeros((2, A)), asfr=np.zeros(A), fertility_factor=np.ones(2))
    end = pop.values.copy()
    end[0] *= 1.5  # +50 % in the small area
    end[1] *= 1.01
    bands = [(0, 101)]
    cal = calibrate([(0.0, pop), (1.0, Population(pop.area_ids, end))], bands, base, shrinkage=1000.0)
    r = cal.band_rates.set_index("area_id")
    assert r.loc["klein", "rate_area"] == pytest.approx(0.5)
    w = 202 / (202 + 1000)  # expected residents of the small area / (that + shrinkage)
    assert r.loc["klein", "rate_used"] == pytest.approx(w * 0.5 + (1 - w) * r.loc["klein", "rate_type"])
    assert r.loc["gross", "rate_used"] == pytest.approx(0.01, abs=0.002)
    with pytest.raises(InputError, match="zwei Stichtagen"):
        calibrate([(0.0, pop)], bands, base)


def test_sex_split_matches_female_totals_and_old_age_is_female() -> None:
    totals = np.full((2, A), 10.0)
    female = np.array([505.0, 700.0])
    v = split_sex(totals, female, d.default_qx(), d.SEX_RATIO_AT_BIRTH)
    np.testing.assert_allclose(v[:, 1].sum(axis=1), female, rtol=1e-6)
    np.testing.assert_allclose(v.sum(axis=1), totals)
    assert v[0, 1, 90] > v[0, 0, 90] and v[0, 1, 0] < v[0, 0, 0]


# ----------------------------------------------------------------- input tables
def test_input_tables_are_validated(tmp_path: Path) -> None:
    from planlabor.projection.inputs import (
        read_city_totals,
        read_fertility,
        read_housing,
        read_life_table,
        read_scenarios,
    )

    lines = ["alter;geschlecht;qx"] + [f"{a};{s};0,01" for s in "mw" for a in range(101)]
    q = read_life_table(write(tmp_path / "st.csv", "\n".join(lines) + "\n"))
    assert q.shape == (2, A) and q[1, 50] == pytest.approx(0.01)
    bad = lines.copy()
    bad[5] = "4;m;zwei"
    with pytest.raises(InputError) as e:
        read_life_table(write(tmp_path / "st2.csv", "\n".join(bad) + "\n"))
    assert e.value.row == 6 and e.value.column == "qx"
    with pytest.raises(InputError, match="fehlen Alter"):
        read_life_table(write(tmp_path / "st3.csv", "\n".join(lines[:-3]) + "\n"))
    with pytest.raises(InputError, match="Spalten"):
        read_fertility(write(tmp_path / "f.csv", "alter;wert\n20;0,05\n"))
    f = read_fertility(write(tmp_path / "f2.csv", "alter;rate\n20;0,05\n30;0,1\n"))
    assert f.sum() == pytest.approx(0.15)
    h = read_housing(write(tmp_path / "h.csv", "gebiet;jahr;personen\n01100101;2027;350\n"))
    assert h.iloc[0].to_dict() == {"area_id": "01100101", "jahr": 2027, "personen": 350.0}
    assert read_city_totals(write(tmp_path / "e.csv", "jahr;einwohner\n2030;4.000.000\n")) == {2030: 4e6}
    write(tmp_path / "s.toml", '[[szenario]]\nid = "hoch"\nname = "Hoch"\ngeburten = 1.1\nneubau = "h.csv"\n')
    (s,) = read_scenarios(tmp_path / "s.toml")
    assert s.fertility == 1.1 and s.base == "intern" and s.housing is not None
    write(tmp_path / "s2.toml", '[[szenario]]\nid = "intern"\n')
    with pytest.raises(InputError, match="Kennung"):
        read_scenarios(tmp_path / "s2.toml")
    write(tmp_path / "s3.toml", '[[szenario]]\nid = "a"\nzuwanderung = 2\n')
    with pytest.raises(InputError, match="unbekannte"):
        read_scenarios(tmp_path / "s3.toml")


# ----------------------------------------------------------------- against the store
def _grid_population(grid_ws, period: str, scale: float) -> None:  # type: ignore[no-untyped-def]
    from planlabor.io.importer import ImportOptions

    root = Path(grid_ws.root)
    head = "id;inhabitants_age_below_6;inhabitants_age_6_15;inhabitants_age_15_18;inhabitants_age_18_27;" \
        "inhabitants_age_27_45;inhabitants_age_45_55;inhabitants_age_55_65;inhabitants_age_above_65;" \
        "inhabitants_female"  # fmt: skip
    rows = []
    for i, a in enumerate(["A1", "A2", "A3", "A4"]):
        k = (i + 1) * scale
        counts = [round(x * k) for x in (300, 450, 150, 500, 1000, 600, 600, 900)]
        rows.append(";".join([a, *map(str, counts), str(round(sum(counts) * 0.51))]))
    grid_ws.import_table(
        write(root / f"pop_{period}.csv", head + "\n" + "\n".join(rows) + "\n"),
        ImportOptions(layer="gebiet", period=period),
    )


def test_projection_in_the_store_with_aggregates_flags_and_plans(grid_ws) -> None:  # type: ignore[no-untyped-def]
    from planlabor.planning.demand import old_age, school_age
    from planlabor.planning.kita import plan_years
    from planlabor.projection.run import run_projection, save_projection

    _grid_population(grid_ws, "2023-12-31", 1.0)
    _grid_population(grid_ws, "2024-12-31", 1.02)
    grid_ws.store.record_observations(
        "test",
        "gebiet",
        pd.DataFrame(
            {
                "layer_id": "gebiet",
                "area_id": ["A1", "A2", "A3", "A4"],
                "variable": "kita_plaetze",
                "period": "2024-12-31",
                "value": [100.0, 200.0, 300.0, 0.0],
            }
        ),
        {},
    )
    run = run_projection(grid_ws.store, "gebiet", "2024-12-31", 10, ["2023-12-31"], min_size=15000)
    assert run.calibration is not None and run.projection.values.shape == (3, 11, 4, 2, A)
    assert sorted(run.small_areas) == ["A1", "A2", "A3"]  # 4,550 / 9,100 / 13,650 residents in 2023 × 1.02
    save_projection(grid_ws.store, run, {})
    obs = grid_ws.store.observations(None, ["prog_intern_ew"], ["2030-12-31"])
    by_layer = obs.groupby("layer_id")["value"].sum()
    assert by_layer["gebiet"] == pytest.approx(by_layer["bezirk"]) == pytest.approx(by_layer["stadt"])
    flags = obs.set_index(["layer_id", "area_id"])["flag"]
    assert flags[("gebiet", "A1")] == "prognose_klein" and pd.isna(flags[("gebiet", "A4")])
    assert pd.isna(flags[("stadt", "C")])
    u3 = grid_ws.store.observations("gebiet", ["prog_intern_u3", "prog_intern_3_6", "prog_intern_u6"])
    w = u3.pivot_table(index=["area_id", "period"], columns="variable", values="value")
    np.testing.assert_allclose(w["prog_intern_u3"] + w["prog_intern_3_6"], w["prog_intern_u6"])
    # growth of 2 % a year in every band is carried forward by the internal variant
    city = grid_ws.store.observations("stadt", ["prog_intern_ew", "prog_natuerlich_ew"], ["2025-12-31"])
    v = city.set_index("variable")["value"]
    assert v["prog_intern_ew"] > v["prog_natuerlich_ew"]

    extra = pd.DataFrame({"area_id": ["A4"], "jahr": [2027], "plaetze": [50.0]})
    plans = plan_years(
        grid_ws.store, "gebiet", "intern", ["2026-12-31", "2028-12-31"], [50.0], new_places=extra
    )
    assert [p.table.set_index("area_id").loc["A4", "plaetze"] for p in plans] == [0.0, 50.0]
    t = plans[0].table.set_index("area_id")
    assert t.loc["A1", "bedarf_u3_50"] == pytest.approx(t.loc["A1", "u3"] * 0.5 + t.loc["A1", "ue3"] * 0.95)
    assert len(grid_ws.store.observations("gebiet", ["kita_prog_intern_fehlplaetze_u3_50"])) == 8

    school = school_age(grid_ws.store, "gebiet", "intern")
    assert len(school.table) == 40 and (school.table["kinder_6_10"] > 0).all()
    old = old_age(grid_ws.store, "gebiet", "intern", barrier_free=d.BarrierFreeAssumptions(0.1, 0.5, 2.0))
    row = old.table.iloc[0]
    assert row["barrierefrei_wohnungen"] == pytest.approx(row["barrierefrei_personen"] / 2)
    assert 0 < row["pflegebeduerftige"] < row["ew_65plus"]
    with pytest.raises(InputError, match="keine gespeicherte Prognose"):
        school_age(grid_ws.store, "gebiet", "gibtsnicht")
    with pytest.raises(InputError, match="Jahresende"):
        run_projection(grid_ws.store, "gebiet", "2024-06-30")


def test_bands_cover_the_stored_variables() -> None:
    assert BANDS["ew"] == (0, 101) and BANDS["u3"] == (0, 3) and BANDS["3_6"] == (3, 6)
    assert [s.id for s in base_scenarios()] == ["natuerlich", "extern", "intern"]


# ----------------------------------------------------------------- real data: back-test
def test_backtest_on_berlin_beats_the_naive_forecast_for_children(berlin) -> None:  # type: ignore[no-untyped-def]
    """Project the 542 PLR from 31.12.2021 to 31.12.2024 (rates from 30.06.→31.12.2021) and
    compare with the observed 2024 stock: the cohort model must beat "no change" for children."""
    from planlabor.projection.run import backtest

    bt = backtest(berlin.store, "plr", "2021-12-31", "2024-12-31", ["2021-06-30"])
    t = bt.table.set_index("band")
    for band in ("unter 6", "6 bis unter 15"):
        assert t.loc[band, "mape_prognose"] < t.loc[band, "mape_naiv"]
        assert t.loc[band, "wape_prognose"] < t.loc[band, "wape_naiv"]
    assert t.loc["unter 6", "mape_prognose"] == pytest.approx(12.40, abs=0.05)
    assert t.loc["6 bis unter 15", "mape_prognose"] == pytest.approx(7.78, abs=0.05)
    assert t.loc["unter 6", "mape_naiv"] == pytest.approx(13.44, abs=0.01)
    assert t.loc["insgesamt", "gebiete"] == 540
    assert t.loc["insgesamt", "summe_beobachtet"] == 3_897_145
    assert set(bt.by_size["groesse"]) >= {"unter 2.500", "5.000–10.000", "10.000 und mehr"}


def test_cli_project_and_plans(grid_ws, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from planlabor.cli import cli

    _grid_population(grid_ws, "2023-12-31", 1.0)
    _grid_population(grid_ws, "2024-12-31", 1.02)
    root = str(grid_ws.root)
    grid_ws.close()

    def run(*args: str) -> tuple[int, str]:
        r = CliRunner().invoke(cli, ["-C", root, *args], catch_exceptions=False)
        return r.exit_code, r.output

    write(tmp_path / "neubau.csv", "gebiet;jahr;personen\nA1;2026;1000\n")
    write(tmp_path / "sz.toml", '[[szenario]]\nid = "neubau"\nname = "Mit Neubau"\nneubau = "neubau.csv"\n')
    code, out = run("project", "--layer", "gebiet", "--base", "2024-12-31", "--calibrate", "2023-12-31",
                    "--years", "6", "--scenarios", str(tmp_path / "sz.toml"), "--out", str(tmp_path / "p"))  # fmt: skip
    assert code == 0, out
    assert "Variante neubau (Mit Neubau)" in out and "Gespeichert als Import" in out
    assert (tmp_path / "p" / "prognose_einzeljahre.parquet").exists()
    bands = pd.read_csv(tmp_path / "p" / "prognose_altersgruppen.csv")
    ew = bands[(bands["band"] == "ew") & (bands["jahr"] == 2026)].groupby("szenario")["wert"].sum()
    assert ew["neubau"] - ew["intern"] == pytest.approx(1000, rel=1e-6)
    code, out = run("project", "--layer", "gebiet", "--base", "2024-12-31", "--calibrate", "2023-12-31",
                    "--backtest", "2024-12-31")  # fmt: skip
    assert code == 1 and "Jahresende nach" in out
    code, out = run("plan", "schule", "--layer", "gebiet", "--prognose", "neubau")
    assert code == 0 and "2030-12-31" in out
    code, out = run("plan", "alter", "--layer", "gebiet", "--pflegequote", "90plus=0,7")
    assert code == 0 and "Pflegebed." in out
    code, out = run("plan", "alter", "--layer", "gebiet", "--pflegequote", "95plus=0.7")
    assert code == 1 and "Pflegequoten" in out
    code, out = run("plan", "kita", "--layer", "gebiet", "--prognose", "intern", "--period", "2027-12-31")
    assert code == 1 and "kita_plaetze" in out  # no places imported: a clear error
    code, out = run("plan", "kita", "--layer", "gebiet")
    assert code == 1 and "--prognose" in out
