"""Age disaggregation: band totals kept, no negative years, smooth, known shapes recovered."""

import doctest

import numpy as np
import pytest

import planlabor.projection.ages as ages_mod
from planlabor.errors import InputError
from planlabor.projection.ages import Band, graduate, parse_band

EWR_BANDS = [(0, 1), (1, 2), (2, 3), (3, 5), (5, 6), (6, 7), (7, 8), (8, 10), (10, 12), (12, 14), (14, 15)]


def test_band_totals_kept_exactly_and_integer() -> None:
    bands = [
        Band(0, 6),
        Band(6, 15),
        Band(15, 18),
        Band(18, 27),
        Band(27, 45),
        Band(45, 55),
        Band(55, 65),
        Band(65, 100),
    ]
    counts = np.array([161, 176, 28, 422, 1144, 356, 404, 715])  # PLR 01100101, 31.12.2021
    single = graduate(counts, bands)
    assert single.shape == (100,) and (single >= 0).all() and (single == np.rint(single)).all()
    for b, c in zip(bands, counts, strict=True):
        assert single[b.lower : b.upper].sum() == c


def test_recovers_a_smooth_linear_profile() -> None:
    true = np.linspace(100, 40, 60)  # single years 0..59, linearly falling
    bands = [Band(a, a + 5) for a in range(0, 60, 5)]
    grouped = np.array([true[b.lower : b.upper].sum() for b in bands])
    est = graduate(grouped, bands, integer=False)
    assert np.abs(est - true)[5:-5].max() < 1.0  # inner ages within one person
    assert est.sum() == pytest.approx(true.sum())


def test_u3_from_register_bands_matches_direct_sum() -> None:
    counts = np.array([[37, 25, 24, 49, 30, 18, 22, 55, 52, 32, 24]])  # 01100101, 31.12.2024
    single = graduate(counts, [Band(*b) for b in EWR_BANDS])[0]
    assert single[:3].sum() == 37 + 25 + 24  # U3 directly from the fine bands
    assert single[3:6].sum() == 49 + 30


def test_many_areas_at_once_and_errors() -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 300, size=(500, 3))
    out = graduate(counts, [Band(0, 3), Band(3, 6), Band(6, 10)])
    assert out.shape == (500, 10) and (out[:, :3].sum(axis=1) == counts[:, 0]).all()
    with pytest.raises(InputError, match="lückenlos"):
        graduate(np.array([1, 2]), [Band(0, 3), Band(4, 6)])
    with pytest.raises(InputError):
        parse_band("Einwohner")
    assert parse_band("E_E95_110") == Band(95, 110)
    assert doctest.testmod(ages_mod).failed == 0


def test_kita_plan_by_hand(grid_ws) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from planlabor.io.importer import ImportOptions
    from planlabor.planning.kita import plan
    from tests.conftest import write

    tmp = Path(grid_ws.root)
    grid_ws.import_table(
        write(
            tmp / "k.csv",
            "id;E_E00_01;E_E01_02;E_E02_03;E_E03_05;E_E05_06;kita_plaetze\n"
            "A1;10;10;10;20;10;40\nA2;5;5;5;10;5;60\nA3;0;0;0;0;0;0\nA4;1;1;1;2;1;0\n",
        ),
        ImportOptions(layer="gebiet", period="2024-12-31"),
    )
    p = plan(grid_ws.store, "gebiet", "2024-12-31", [50.0], 100.0, usable_share=0.9)
    t = p.table.set_index("area_id")
    assert t.loc["A1", "u3"] == 30 and t.loc["A1", "ue3"] == 30
    assert t.loc["A1", "nutzbare_plaetze"] == pytest.approx(36)
    assert t.loc["A1", "bedarf_u3_50"] == pytest.approx(15 + 30)
    assert t.loc["A1", "fehlplaetze_u3_50"] == pytest.approx(45 - 36)
    assert t.loc["A2", "fehlplaetze_u3_50"] == 0 and t.loc["A2", "saldo_u3_50"] == pytest.approx(54 - 22.5)
    assert np.isnan(t.loc["A3", "versorgungsquote"])  # no children: no quota
    assert p.totals["fehlplaetze_u3_50"] == pytest.approx(9 + 0 + 0 + 4.5)
    stored = grid_ws.store.observations("gebiet", ["kita_fehlplaetze_u3_50"], ["2024-12-31"])
    assert len(stored) == 4


def test_kita_plan_from_coarse_bands_and_errors(grid_ws) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from planlabor.io.importer import ImportOptions
    from planlabor.planning.kita import plan
    from tests.conftest import write

    tmp = Path(grid_ws.root)
    grid_ws.import_table(
        write(
            tmp / "c.csv",
            "id;inhabitants_age_below_6;inhabitants_age_6_15;inhabitants_age_15_18;"
            "kita_plaetze\nA1;60;90;30;50\nA2;6;9;3;0\nA3;0;0;0;0\nA4;12;18;6;10\n",
        ),
        ImportOptions(layer="gebiet", period="2023-12-31"),
    )
    p = plan(grid_ws.store, "gebiet", "2023-12-31", save=False)
    t = p.table.set_index("area_id")
    assert (t["u3"] + t["ue3"]).to_dict() == {"A1": 60, "A2": 6, "A3": 0, "A4": 12}
    assert "Einzeljahre" in p.children_source
    with pytest.raises(InputError):
        plan(grid_ws.store, "gebiet", "2030-12-31")
    with pytest.raises(InputError):
        plan(grid_ws.store, "gebiet", "2023-12-31", [120.0])
