"""Measures register and Wirkungsanalyse: difference-in-differences and event study against
simulated panels with a known effect, placebo inference for few measure areas, the register's
versions and errors, and the Berlin demo's stored estimate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planlabor.atlas.data import meta_payload, source_of
from planlabor.errors import InputError, NotFoundError
from planlabor.planning.effects import (
    _did,
    choose_controls,
    estimate_effect,
    interpretation,
    latest_estimates,
)
from planlabor.planning.measures import Measure, get_measure, measures, read_measures, remove
from planlabor.reports.render import Layout
from planlabor.reports.wirkung import wirkung_html
from planlabor.workspace import Workspace
from tests.conftest import table_fingerprint, write


def panel(
    n_treated: int, n_control: int, effect: float, seed: int, gap: float = 0.0, years: int = 8
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Areas with their own level, a common trend, noise; the treated get ``effect`` from the
    fifth year on (and, with ``gap``, a trend of their own from the start)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_treated + n_control):
        level = rng.normal(20, 5)
        for t in range(years):
            y = level + 0.5 * t + rng.normal(0, 0.5)
            if i < n_treated:
                y += (effect if t >= 4 else 0.0) + gap * t
            rows.append((f"A{i:03d}", str(2015 + t), y))
    df = pd.DataFrame(rows, columns=["area_id", "period", "value"])
    ids = sorted(df["area_id"].unique())
    return df, ids[:n_treated], ids[n_treated:]


def test_known_effect_is_recovered_with_clustered_errors() -> None:
    hits = 0
    for seed in range(20):
        df, t, c = panel(10, 30, effect=2.0, seed=seed)
        r = estimate_effect(df, t, c, "2019")
        assert r.inference == "cluster"
        assert r.estimate == pytest.approx(2.0, abs=0.5)
        hits += r.ci_low <= 2.0 <= r.ci_high
    assert hits >= 17  # 95 % intervals cover the true effect (allowing for chance)
    # the event study: zero before, about 2 after the start; the reference period is 0
    ev = r.event.set_index("rel")["coef"]
    assert ev[-1] == 0.0 and abs(ev[-4]) < 0.6 and ev[0] == pytest.approx(2.0, abs=0.6)
    assert r.pre_trend_p is not None and r.pre_trend_p > 0.01


def test_no_effect_is_not_found_and_placebo_for_few_areas() -> None:
    df, t, c = panel(2, 25, effect=0.0, seed=3)
    r = estimate_effect(df, t, c, "2019")
    assert r.inference == "placebo" and len(r.placebo) == 300  # all pairs of 25 comparison areas
    assert r.ci_low < 0 < r.ci_high and r.p_value > 0.05
    df, t, c = panel(2, 25, effect=3.0, seed=3)
    r = estimate_effect(df, t, c, "2019")
    assert r.estimate == pytest.approx(3.0, abs=0.6) and r.p_value < 0.05 and r.ci_low > 0


def test_diverging_trends_are_flagged() -> None:
    df, t, c = panel(10, 30, effect=0.0, seed=7, gap=0.4)
    r = estimate_effect(df, t, c, "2019")
    assert r.pre_trend_p is not None and r.pre_trend_p < 0.05
    reading = interpretation(r, "Quote", "%", "hoch_ist_schlecht", "Test", date(2019, 1, 1))
    assert reading["pretrend"].startswith("Vorsicht")


def test_two_by_two_by_hand() -> None:
    # the textbook case: (T_post − T_pre) − (C_post − C_pre)
    df = pd.DataFrame(
        {
            "area_id": ["T", "T", "C1", "C1", "C2", "C2"],
            "period": ["2020", "2021"] * 3,
            "value": [10.0, 15.0, 8.0, 9.0, 12.0, 14.0],
        }
    )
    est, _fit = _did(df, {"T"}, "2021")
    assert est == pytest.approx((15 - 10) - ((9 + 14) / 2 - (8 + 12) / 2))


def test_choose_controls() -> None:
    feats = pd.DataFrame({"x": [0.0, 0.1, 5.0, 0.2, 9.0]}, index=["T", "a", "b", "c", "d"])
    assert choose_controls(feats, ["T"], k=2) == ["a", "c"]
    types = pd.Series({"T": 1, "a": 2, "b": 1, "c": 1, "d": 2})
    assert choose_controls(feats, ["T"], types=types) == ["b", "c"]
    with pytest.raises(InputError, match="fehlen Werte"):
        choose_controls(feats.drop(index="T"), ["T"])


MEASURES = (
    "id;name;thema;ebene;gebiete;beginn;ende;budget;zielindikator;beschreibung\n"
    "M1;Familienzentrum;Familienarmut;gebiet;A1,A2;1.1.2022;31.12.2025;120.000,50;anteil_kinder;Test\n"
)


def test_register_versions_and_removal(grid_ws: Workspace, tmp_path: Path) -> None:
    items = grid_ws.register_measures(write(tmp_path / "m.csv", MEASURES))
    m = items[0]
    assert m.areas == ("A1", "A2") and m.budget == 120000.5 and m.start_date == date(2022, 1, 1)
    grid_ws.register_measures(write(tmp_path / "m2.csv", MEASURES.replace("120.000,50", "150000")))
    assert get_measure(grid_ws.store, "M1").budget == 150000
    versions = grid_ws.store.query_df(
        "SELECT version, budget FROM measures WHERE measure_id = 'M1' ORDER BY 1"
    )
    assert versions["budget"].tolist() == [120000.5, 150000.0]  # the earlier version stays
    remove(grid_ws.store, "M1")
    assert measures(grid_ws.store) == []
    with pytest.raises(NotFoundError):
        get_measure(grid_ws.store, "M1")


@pytest.mark.parametrize(
    ("text", "column", "match"),
    [
        (MEASURES.replace("1.1.2022", "2022-13-01"), "beginn", "kein Datum"),
        (MEASURES.replace("A1,A2", "A1,A9"), "gebiete", "A9"),
        (MEASURES.replace("anteil_kinder", "gibt_es_nicht"), "zielindikator", "gibt_es_nicht"),
        (MEASURES.replace("120.000,50", "viel"), "budget", "keine Zahl"),
        (MEASURES.replace("31.12.2025", "31.12.2020"), "ende", "vor dem Beginn"),
        (MEASURES.replace("M1;", "M 1;"), "id", "ungültig"),
    ],
)
def test_bad_measures_are_refused(
    grid_ws: Workspace, tmp_path: Path, text: str, column: str, match: str
) -> None:
    before = table_fingerprint(grid_ws)
    with pytest.raises(InputError, match=match) as err:
        grid_ws.register_measures(write(tmp_path / "m.csv", text))
    assert err.value.column == column
    assert table_fingerprint(grid_ws) == before


def test_berlin_demo_effect_estimate(berlin: Workspace, tmp_path: Path) -> None:
    m = get_measure(berlin.store, "M01")
    assert "erfunden" in m.name and len(m.areas) == 4
    est = latest_estimates(berlin.store)["M01"]
    assert est["indicator"] == "anteil_unter_6" and len(est["controls"]) == 10
    assert est["inference"] == "placebo" and est["start_period"] == "2023-06-30"
    assert est["ci"][0] <= est["estimate"] <= est["ci"][1]
    # the estimate is the difference of the groups' changes (balanced panel, one start date)
    means = pd.DataFrame(est["means"]).set_index("period")
    gap = means["treated"] - means["control"]
    post = gap.index >= "2023-06-30"
    assert est["estimate"] == pytest.approx(gap[post].mean() - gap[~post].mean(), abs=1e-9)
    assert not set(est["controls"]) & set(m.areas)
    html = wirkung_html(m, est, est["reading"], berlin.catalog().get("anteil_unter_6"), Layout.of(berlin))
    assert "Ereignisstudie" in html and "Grenzen der Aussage" in html and "parallele Trends" in html
    meta = meta_payload(source_of(berlin))
    shown = {x["id"]: x for x in meta["measures"]}
    assert shown["M01"]["areas"] == list(m.areas) and "effect" in shown["M01"]
    assert "budget" not in shown["M01"]  # the public atlas does not show budgets


def test_read_measures_from_xlsx(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {"id": ["AP-1"], "name": ["Leitsystem"], "handlungsfeld": ["Mobilität"], "zuständig": ["Tiefbauamt"],
         "frist": ["2025-06-30"], "status": ["begonnen"], "indikatoren": ["a; b"]}
    )  # fmt: skip
    df.to_excel(tmp_path / "ap.xlsx", index=False)
    (m,) = read_measures(tmp_path / "ap.xlsx", "aktionsplan")
    assert isinstance(m, Measure) and m.responsible == "Tiefbauamt" and m.indicators == ("a", "b")
    assert m.deadline == date(2025, 6, 30) and m.kind == "aktionsplan"


def test_measures_and_effect_from_the_command_line(grid_ws: Workspace, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from planlabor.cli import cli
    from planlabor.io.importer import ImportOptions

    rows = ["id;jahr;ew;kinder;sgb2;publ;idx"]
    for year in range(2018, 2024):
        for i, a in enumerate(["A1", "A2", "A3", "A4"]):
            kinder = 100 + 3 * i + 2 * (year - 2018) + (15 if a == "A1" and year >= 2021 else 0)
            rows.append(f"{a};{year};1000;{kinder};10;1;1")
    grid_ws.import_table(
        write(tmp_path / "d.csv", "\n".join(rows) + "\n"), ImportOptions(layer="gebiet", period_column="jahr")
    )
    grid_ws.compute()
    grid_ws.close()  # the commands open the store themselves (read-only where they only read)
    run = CliRunner().invoke
    root = str(grid_ws.root)
    m = write(tmp_path / "m.csv", MEASURES.replace("A1,A2", "A1").replace("1.1.2022", "1.1.2021"))
    res = run(cli, ["-C", root, "massnahme", "import", str(m)])
    assert res.exit_code == 0 and "M1" in res.output
    assert "Familienzentrum" in run(cli, ["-C", root, "massnahme", "list"]).output
    res = run(cli, ["-C", root, "wirkung", "M1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    # A1 gains 15 children per 1,000 from 2021 on: 1.5 percentage points more than the others
    assert out["estimate"] == pytest.approx(1.5, abs=1e-6) and out["inference"] == "placebo"
    assert out["controls"] == ["A2", "A3", "A4"] and out["start_period"] == "2021"
    # the placebo draws depend only on --seed: the command twice gives the same answer (issue 14)
    twice = [run(cli, ["-C", root, "wirkung", "M1", "--json", "--seed", "3"]).output for _ in range(2)]
    assert twice[0] == twice[1] and json.loads(twice[0])["estimate"] == out["estimate"]
    res = run(cli, ["-C", root, "report", "wirkung", "M1", "--out", str(tmp_path / "w.html")])
    assert res.exit_code == 0 and "1,5 Prozentpunkte" in (tmp_path / "w.html").read_text(encoding="utf-8")
    assert run(cli, ["-C", root, "massnahme", "remove", "M1"]).exit_code == 0
    res = run(cli, ["-C", root, "wirkung", "M1"])
    assert res.exit_code == 1 and "gibt es nicht" in res.output


def test_dach_setup_from_the_command_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from planlabor.cli import cli
    from tests.conftest import DATA

    run = CliRunner().invoke
    root = str(tmp_path / "ws")
    assert run(cli, ["init", root]).exit_code == 0
    res = run(cli, ["-C", root, "dach", "setup", str(DATA / "dach"), "--no-tables", "--no-template"])
    assert res.exit_code == 0, res.output
    assert "Raumebene nuts3: 462 Gebiete" in res.output and "Raumebene lau_at: 2095 Gebiete" in res.output
