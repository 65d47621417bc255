"""The summary of ``make bench`` (issue 22, "Done when") on canned figures: rows, ratios,
targets, printed figures as a fallback, a failing bench and the registry of bench modules."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run, summary  # noqa: E402

pytestmark = pytest.mark.nostore


def _row(label: str) -> summary.Row:
    return next(r for r in summary.ROWS if r.label == label)


def test_every_bench_module_is_registered() -> None:
    modules = {p.stem.removeprefix("bench_") for p in (ROOT / "bench").glob("bench_*.py")}
    assert modules == set(run.BENCHES)
    assert {r.bench for r in summary.ROWS} <= set(run.BENCHES)


def test_ratio_target_met_and_missed() -> None:
    row = _row("1 Mio. Punkte → 542 PLR")
    ok = summary.evaluate(row, {"points": 0.4, "sjoin": 0.8})
    assert ok.ratio == pytest.approx(0.5) and ok.met is True
    bad = summary.evaluate(row, {"points": 0.9, "sjoin": 0.8})
    assert bad.ratio == pytest.approx(1.125) and bad.met is False


def test_same_run_ratio_wins_over_the_quotient_of_medians() -> None:
    """Medians of ours and the peer may come from different runs (one disturbed run of the peer
    made the indicator step look 5× faster): the bench's median of per-run ratios decides."""
    row = _row("Indikatoren (11 Mio. Werte)")
    r = summary.evaluate(row, {"indicators_s": 6.7, "hand_sql_s": 34.7, "ratio_vs_sql": 1.04})
    assert r.ratio == pytest.approx(1.04) and r.met is False
    assert summary.evaluate(row, {"indicators_s": 6.7, "hand_sql_s": 7.0}).ratio == pytest.approx(6.7 / 7.0)


def test_own_figure_target_with_scale_and_no_peer() -> None:
    row = _row("Import")
    r = summary.evaluate(row, {"import_values_per_s": 1.2e6})
    assert r.ours == pytest.approx(1.2) and r.peer is None and r.ratio is None and r.met is True
    assert summary.evaluate(row, {"import_values_per_s": 0.67e6}).met is False


def test_information_row_has_no_verdict() -> None:
    r = summary.evaluate(_row("compute ganz"), {"compute_s": 3.0, "hand_sql_s": 2.5})
    assert r.ratio == pytest.approx(1.2) and r.met is None


def test_printed_figure_when_main_returns_nothing() -> None:
    text = (
        "Gemeinden, Vektorkacheln, Festplatte: erste Karte 1.73 s (1.70–1.90; Ziel ≤ 2 s)\n"
        "Gemeinden, GeoJSON in Teilen (bisher), Festplatte: erste Karte 6.92 s (6.80–7.10; Ziel ≤ 2 s)\n"
    )
    r = summary.evaluate(_row("Gemeinden: erste Karte, Festplatte"), None, text)
    assert r.ours == pytest.approx(1.73) and r.peer == pytest.approx(6.92) and r.met is True
    assert r.ratio == pytest.approx(1.73 / 6.92)
    missing = summary.evaluate(_row("API p95, 50 Clients, 4 Prozesse, DuckDB"), None, "")
    assert missing.ours is None and missing.met is None and "keine Zahl" in missing.note
    skipped = summary.evaluate(_row("alle 542 Profile"), {"profile_s": 1.5, "all_s": None})
    assert skipped.ours is None and skipped.note == "nicht gemessen"


def test_table_german_numbers_and_failed_bench() -> None:
    figures = {
        "spatial": {"points": 0.5, "sjoin": 0.5, "rebase": 0.3, "tobler": 0.9, "lisa": 4.0, "esda": 3.0}
    }
    results = summary.summarise(figures, {}, {"cli": "RuntimeError: kaputt"}, ["spatial", "cli"])
    text = summary.table(results)
    lines = text.splitlines()
    assert lines[0].startswith("Zeile") and "erfüllt" in lines[0]
    points = next(line for line in lines if line.startswith("1 Mio. Punkte"))
    assert "0,500 s" in points and "NEIN" in points and "Verh. ≤ 0,800" in points
    lisa = next(line for line in lines if line.startswith("LISA"))
    assert "4,00 s" in lisa and "3,00 s esda warm" in lisa and " ja" in lisa
    cli = next(line for line in lines if line.startswith("planlabor --help"))
    assert "Fehler: RuntimeError: kaputt" in cli and "NEIN" in cli
    assert not any(line.startswith("Import") for line in lines)  # foundation did not run


def test_run_goes_on_after_a_failing_bench(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = types.ModuleType("bench_fake_good")
    good.main = lambda: print("LISA fertig") or {"lisa": 5.0, "esda": 4.0}  # type: ignore[attr-defined]
    bad = types.ModuleType("bench_fake_bad")

    def boom() -> None:
        raise RuntimeError("Demo fehlt\nzweite Zeile")

    bad.main = boom  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench_fake_good", good)
    monkeypatch.setitem(sys.modules, "bench_fake_bad", bad)
    monkeypatch.setattr(run, "BENCHES", {"cli": "bench_fake_bad", "spatial": "bench_fake_good"})
    assert run.main([]) == 1
    out = capsys.readouterr().out
    summary_part = out.split("== Übersicht")[1]
    assert "LISA fertig" in out
    lisa = next(line for line in summary_part.splitlines() if line.startswith("LISA"))
    assert "5,00 s" in lisa and "ja" in lisa
    assert "Fehler: RuntimeError: Demo fehlt" in summary_part
    assert run.main(["nichtda"]) == 2


def test_api_rows_read_the_four_worker_figures_of_both_backends() -> None:
    figures = {"p95_ms_duckdb_4": 41.0, "p95_ms_postgresql_4": 62.0, "first_ms_duckdb_4": 800.0}
    pg = summary.evaluate(_row("API p95, 50 Clients, 4 Prozesse, PostgreSQL"), figures)
    assert pg.ours == pytest.approx(62.0) and pg.peer == pytest.approx(41.0) and pg.met is False
    duck = summary.evaluate(_row("API p95, 50 Clients, 4 Prozesse, DuckDB"), figures)
    assert duck.met is True
    printed = "PostgreSQL: mixed load, serve --workers 4, 50 clients, 20 s, 9 URLs on every endpoint: p50 9.0 ms, p95 48.5 ms"
    assert summary.evaluate(_row("API p95, 50 Clients, 4 Prozesse, PostgreSQL"), None, printed).ours == 48.5
