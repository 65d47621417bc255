"""Benchmark of the foundation (issue #2): import and indicator computation at national scale.

Synthetic case generated here: 11,000 Gemeinden → 400 Kreise → 16 Länder, 50 count variables,
20 years = 11 M observations in a German-format CSV (``;``, thousands ``.``, decimal ``,``,
cp1252, some missing markers). Measures

* import (CSV → store, all checks, atomic, versioned): values per second; target ≥ 1 M/s
* ``compute`` of 30 ratio indicators on all three levels; target ≤ 3 s; the confidentiality
  pattern inside it timed separately
* the same computation as hand-written DuckDB SQL (target: planlabor within 1.2×) and as a
  plain pandas groupby script on the observations already in memory (target: planlabor ≥ 2× faster)
* peak memory of import + compute in a child process; target ≤ 3 GB

Run: ``make bench`` or ``.venv/bin/python bench/run.py foundation``.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from bench.import_stages import stage_table
from bench.indicator_stages import stage_table as indicator_stage_table

N_LAND, N_KREIS, N_GEM, N_VARS, N_IND = 16, 400, 11_000, 50, 30
N_YEARS = int(os.environ.get("PLANLABOR_BENCH_YEARS", "20"))  # fewer for a quick check only


def area_ids() -> tuple[list[str], list[str], list[str]]:
    rng = np.random.default_rng(7)
    kreis_land = np.sort(rng.integers(0, N_LAND, N_KREIS))
    kreise = []
    counter: dict[int, int] = {}
    for land in kreis_land:
        counter[land] = counter.get(land, 0) + 1
        kreise.append(f"{land + 1:02d}{counter[land]:03d}")
    gem_kreis = np.sort(np.concatenate([np.arange(N_KREIS), rng.integers(0, N_KREIS, N_GEM - N_KREIS)]))
    gemeinden = []
    counter2: dict[int, int] = {}
    for k in gem_kreis:
        counter2[k] = counter2.get(k, 0) + 1
        gemeinden.append(f"{kreise[k]}{counter2[k]:03d}")
    laender = [f"{i + 1:02d}" for i in range(N_LAND)]
    return laender, kreise, gemeinden


def catalog_text() -> str:
    parts = []
    for i in range(N_IND):
        parts.append(
            f'[[indicator]]\nid = "q{i:02d}"\nname = "Quote {i}"\nunit = "%"\n'
            f'numerator = ["v{i:02d}"]\ndenominator = ["v{(i + 30) % N_VARS:02d}"]\nfactor = 100\n'
        )
    return "\n".join(parts)


def write_inputs(folder: Path) -> tuple[Path, Path]:
    laender, kreise, gemeinden = area_ids()
    areas = folder / "gemeinden.csv"
    areas.write_text(
        "ags;name\n" + "\n".join(f"{g};Gemeinde {g}" for g in gemeinden) + "\n", encoding="utf-8"
    )
    (folder / "kreise.csv").write_text("ars\n" + "\n".join(kreise) + "\n", encoding="utf-8")
    (folder / "laender.csv").write_text("ars\n" + "\n".join(laender) + "\n", encoding="utf-8")
    data = folder / "daten.csv"
    con = duckdb.connect()
    con.execute("CREATE TABLE g AS SELECT unnest(?) AS ags", [gemeinden])
    cols = ", ".join(
        f"CASE WHEN hash(ags, j, {v}) % 1000 = 0 THEN '.' ELSE "
        f"replace(format('{{:,}}', CAST(hash(ags, j, {v}) % 200000 AS BIGINT)), ',', '.') END AS v{v:02d}"
        for v in range(N_VARS)
    )
    tmp = folder / "daten_utf8.csv"
    con.execute(f"""COPY (SELECT ags AS AGS, CAST(2004 + j AS VARCHAR) AS Jahr, {cols}
                          FROM g, range({N_YEARS}) t(j) ORDER BY j, ags)
                    TO '{tmp}' (DELIMITER ';', HEADER, QUOTE '')""")
    data.write_bytes(tmp.read_bytes().decode("utf-8").encode("cp1252"))
    tmp.unlink()
    return areas, data


def cpu_s() -> float:
    """CPU seconds of this process so far (all threads: DuckDB's workers included)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_planlabor(folder: Path, import_only: bool = False) -> dict[str, Any]:
    """Import and compute in this process (called in a child process for peak memory)."""
    import planlabor.indicators as indicators
    from planlabor.areas import AreaImportOptions
    from planlabor.io.importer import ImportOptions
    from planlabor.workspace import Workspace

    ws = Workspace.init(folder / "ws", name="Bund", catalog_text=catalog_text())
    ws.import_areas(folder / "laender.csv", AreaImportOptions(layer="land", id_column="ars"))
    ws.import_areas(
        folder / "kreise.csv",
        AreaImportOptions(layer="kreis", id_column="ars", parent_layer="land", parent_prefix=2),
    )
    ws.import_areas(
        folder / "gemeinden.csv",
        AreaImportOptions(
            layer="gemeinde", id_column="ags", name_column="name", parent_layer="kreis", parent_prefix=5
        ),
    )
    from bench.import_stages import instrument

    stages = instrument()
    t0, c0 = time.perf_counter(), cpu_s()
    report = ws.import_table(
        folder / "daten.csv", ImportOptions(layer="gemeinde", id_column="AGS", period_column="Jahr")
    )
    t_import, c_import = time.perf_counter() - t0, cpu_s() - c0
    ws.close()  # import and compute are two commands: the store is reopened in between
    if import_only:
        return {"import_s": t_import, "import_cpu_s": c_import, "values": report.n_values, "stages": stages}
    # the indicator step alone (what the hand SQL does) and the confidentiality pattern, timed
    # inside the whole compute
    step: dict[str, float] = {}
    pattern_mod = importlib.import_module("planlabor.confidentiality.pattern")
    indicators.compute_indicators = _timed(indicators.compute_indicators, step, "")  # type: ignore[assignment]
    pattern_mod.compute_pattern = _timed(pattern_mod.compute_pattern, step, "pattern_")
    ws = Workspace.open(folder / "ws")
    pattern_stages = importlib.import_module("planlabor.confidentiality.stages")
    pattern_stages.reset()
    from bench.indicator_stages import instrument as instrument_indicators

    indicator_stages = instrument_indicators()
    server = _server_cpu(ws.store)
    t0, c0, s0 = time.perf_counter(), cpu_s(), server()
    comp = ws.compute()
    t_compute, c_compute = time.perf_counter() - t0, cpu_s() - c0
    server_compute = server() - s0
    ws.close()
    return {
        "import_s": t_import,
        "import_cpu_s": c_import,
        "compute_server_cpu_s": server_compute,
        "values": report.n_values,
        "compute_s": t_compute,
        "compute_cpu_s": c_compute,
        "indicators_s": step["s"],
        "indicators_cpu_s": step["cpu"],
        "pattern_s": step["pattern_s"],
        "pattern_cpu_s": step["pattern_cpu"],
        "indicator_values": comp.values_written,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "stages": stages,
        "pattern_stages": pattern_stages.snapshot(),
        "indicator_stages": indicator_stages,
    }


def _timed(fn: Callable[..., Any], into: dict[str, float], prefix: str) -> Callable[..., Any]:
    """``fn`` that records its wall and CPU seconds as ``<prefix>s`` and ``<prefix>cpu``."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        s0, c0 = time.perf_counter(), cpu_s()
        out = fn(*args, **kwargs)
        into.update({f"{prefix}s": time.perf_counter() - s0, f"{prefix}cpu": cpu_s() - c0})
        return out

    return timed


def _server_cpu(store: object) -> Callable[[], float]:
    """CPU seconds of the store's PostgreSQL server process so far (0 for DuckDB: in-process);
    the test cluster runs on this machine, so /proc tells."""
    con = getattr(store, "con", None)
    if con is None or not hasattr(con, "info"):
        return lambda: 0.0
    pid = int(con.execute("SELECT pg_backend_pid()").fetchone()[0])
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    return cpu


HAND_SQL = """
-- What an analyst would write by hand for the same result: counts summed Gemeinde → Kreis →
-- Land, 30 quotients on all three levels with numerator and denominator, into a table.
CREATE OR REPLACE TEMP TABLE defs AS
  SELECT 'q' || lpad(CAST(i AS VARCHAR), 2, '0') AS ind,
         'v' || lpad(CAST(i AS VARCHAR), 2, '0') AS num,
         'v' || lpad(CAST((i + 30) % 50 AS VARCHAR), 2, '0') AS den FROM range(30) t(i);
CREATE OR REPLACE TEMP TABLE kreis AS
  SELECT 'kreis' AS layer_id, substr(area_id, 1, 5) AS area_id, variable, period, sum(value) AS value
  FROM observations WHERE superseded_by IS NULL AND layer_id = 'gemeinde' GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE land AS
  SELECT 'land' AS layer_id, substr(area_id, 1, 2) AS area_id, variable, period, sum(value) AS value
  FROM kreis GROUP BY ALL;
CREATE OR REPLACE TABLE hand_values AS
WITH agg AS (
  SELECT layer_id, area_id, variable, period, value FROM observations WHERE superseded_by IS NULL
  UNION ALL SELECT * FROM kreis UNION ALL SELECT * FROM land)
SELECT n.layer_id, n.area_id, d.ind, n.period, n.value / nullif(dd.value, 0) * 100 AS value,
       n.value AS numerator, dd.value AS denominator
FROM defs d JOIN agg n ON n.variable = d.num
JOIN agg dd ON dd.variable = d.den AND dd.layer_id = n.layer_id AND dd.area_id = n.area_id
           AND dd.period = n.period;
"""


def fair_connection(store: Path) -> duckdb.DuckDBPyConnection:
    """A connection under the same memory limit planlabor's store uses (issue #22: fair peer)."""
    from planlabor.config import StoreSection

    con = duckdb.connect(str(store))
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{StoreSection().memory_limit}'")
    return con


def run_hand_sql(store: Path) -> tuple[float, float]:
    """Wall and CPU seconds of the hand SQL."""
    con = fair_connection(store)
    t0, c0 = time.perf_counter(), cpu_s()
    con.execute(HAND_SQL)
    elapsed, cpu = time.perf_counter() - t0, cpu_s() - c0
    n = con.execute("SELECT count(*) FROM hand_values").fetchone()
    con.execute("DROP TABLE hand_values")
    con.close()
    assert n and n[0] > 0
    return elapsed, cpu


def run_write_floor(store: Path) -> float:
    """The I/O floor: copying the finished indicator values into a new table of the store file
    (no computing at all) – what any implementation pays to write the results."""
    con = fair_connection(store)
    t0 = time.perf_counter()
    con.execute("CREATE OR REPLACE TABLE _floor AS SELECT * FROM indicator_data")
    elapsed = time.perf_counter() - t0
    con.execute("DROP TABLE _floor")
    con.close()
    return elapsed


def run_pandas(store: Path) -> tuple[float, float]:
    con = duckdb.connect(str(store), read_only=True)
    t0 = time.perf_counter()
    obs = con.execute(
        "SELECT area_id, variable, period, value FROM observations WHERE superseded_by IS NULL"
    ).df()
    t_read = time.perf_counter() - t0
    con.close()
    t0 = time.perf_counter()
    wide = obs.pivot_table(
        index=["area_id", "period"], columns="variable", values="value", aggfunc="sum"
    ).reset_index()
    wide["kreis"] = wide["area_id"].str.slice(0, 5)
    wide["land"] = wide["area_id"].str.slice(0, 2)
    results = []
    for key in ("area_id", "kreis", "land"):
        sums = wide.groupby([key, "period"])[[f"v{i:02d}" for i in range(N_VARS)]].sum()
        for i in range(N_IND):
            q = sums[f"v{i:02d}"] / sums[f"v{(i + 30) % N_VARS:02d}"].replace(0, np.nan) * 100
            results.append(q.rename("value").reset_index().assign(ind=f"q{i:02d}", lvl=key))
    out = pd.concat(results, ignore_index=True)
    assert len(out) > 0
    return time.perf_counter() - t0, t_read


REPS = int(os.environ.get("PLANLABOR_BENCH_REPS", "3"))
IMPORT_ONLY = os.environ.get("PLANLABOR_BENCH_IMPORT_ONLY") == "1"  # import and its A/B only
# a checkout of another planlabor state (e.g. main) whose import runs beside this one: A/B
BASELINE = os.environ.get("PLANLABOR_BENCH_BASELINE")


def run_child(folder: Path, baseline: str | None = None, import_only: bool = False) -> dict[str, Any]:
    """Import and compute in a fresh workspace in a child process (for its peak memory); with
    ``baseline`` (a checkout of another planlabor state) that state's code does the work."""
    shutil.rmtree(folder / "ws", ignore_errors=True)
    first = f"sys.path.insert(0, {baseline!r}); " if baseline else ""  # its planlabor, this bench
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import json,sys; {first}import planlabor; "
            f"sys.path.insert(0, {str(Path(__file__).parent.parent)!r}); "
            "from bench.bench_foundation import run_planlabor; from pathlib import Path; "
            "print(planlabor.__file__, file=sys.stderr); "
            f"print(json.dumps(run_planlabor(Path({str(folder)!r}), {import_only})))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(child.stdout.strip().splitlines()[-1]))


def spread(xs: list[float], fmt: str = "{:.2f}") -> str:
    """Median and range, e.g. ``1,02 (0,98–1,10)``."""
    med = float(np.median(xs))
    return f"{fmt.format(med)} ({fmt.format(min(xs))}–{fmt.format(max(xs))})".replace(".", ",")


def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="planlabor-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        write_inputs(folder)
        size_mb = (folder / "daten.csv").stat().st_size / 1e6
        print(
            f"Eingabe erzeugt in {time.perf_counter() - t0:.1f} s: daten.csv {size_mb:.0f} MB (cp1252, "
            f"{N_GEM * N_YEARS:,} Zeilen × {N_VARS} Variablen); {REPS} Läufe, je planlabor und Hand-SQL"
        )
        runs = []
        base = []
        for _ in range(REPS):  # planlabor and the hand SQL on its store, one pair per run
            if BASELINE:  # the same import by another planlabor state, alternating (A/B)
                base.append(run_child(folder, BASELINE, import_only=True))
            res = run_child(folder, import_only=IMPORT_ONLY)
            res["load"] = os.getloadavg()[0]
            runs.append(res)
            if IMPORT_ONLY:
                continue
            res["sql_s"], res["sql_cpu_s"] = run_hand_sql(folder / "ws" / "planlabor.duckdb")
        if IMPORT_ONLY:
            print_import(runs, base)
            return {"values": runs[-1]["values"], "import_values_per_s": import_rate(runs) * 1e6}
        store = folder / "ws" / "planlabor.duckdb"
        t_floor = min(run_write_floor(store) for _ in range(2))
        t_pd, t_read = run_pandas(store)
    print_import(runs, base)
    return report(runs, t_floor, t_pd, t_read)


def import_rate(runs: list[dict[str, Any]]) -> float:
    return float(np.median([r["values"] / r["import_s"] / 1e6 for r in runs]))


def print_import(runs: list[dict[str, Any]], base: list[dict[str, Any]]) -> None:
    """The import's stages (median of the runs) and, with a baseline, the A/B ratio per run."""
    total = [float(r["import_s"]) for r in runs]
    rate = [r["values"] / r["import_s"] / 1e6 for r in runs]
    print(
        f"Import:        {int(runs[-1]['values']):,} Werte, {spread(rate, '{:.2f}')} Mio. Werte/s "
        f"(Ziel ≥ 1,0; Wand {spread(total)} s, CPU {spread([r['import_cpu_s'] for r in runs])} s; "
        f"Last {spread([r['load'] for r in runs], '{:.1f}')})"
    )
    print("Import je Schritt (Median der Läufe):")
    print("\n".join(stage_table([r["stages"] for r in runs], total)))
    if base:
        ratio = [float(b["import_s"]) / float(r["import_s"]) for r, b in zip(runs, base, strict=True)]
        cpu = [float(b["import_cpu_s"]) / float(r["import_cpu_s"]) for r, b in zip(runs, base, strict=True)]
        rate_b = [float(b["values"]) / float(b["import_s"]) / 1e6 for b in base]
        print(
            f"Import A/B:    Vergleichsstand {BASELINE}: {spread(rate_b)} Mio. Werte/s, Wand "
            f"{spread([float(b['import_s']) for b in base])} s, CPU {spread([float(b['import_cpu_s']) for b in base])} s"
            f" → dieser Stand {spread(ratio)}× so schnell "
            f"(Wand), {spread(cpu)}× (CPU), je Lauf abwechselnd"
        )


def report(runs: list[dict[str, Any]], t_floor: float, t_pd: float, t_read: float) -> dict[str, float]:
    def col(key: str) -> list[float]:
        return [float(r[key]) for r in runs]

    rate = [r["values"] / r["import_s"] / 1e6 for r in runs]
    ratio = [r["compute_s"] / r["sql_s"] for r in runs]
    ratio_ind = [r["indicators_s"] / r["sql_s"] for r in runs]
    ratio_cpu = [r["indicators_cpu_s"] / r["sql_cpu_s"] for r in runs]
    n_ind = int(runs[-1]["indicator_values"])
    print(
        f"Indikatoren:   {spread(col('indicators_s'))} s Wand, CPU {spread(col('indicators_cpu_s'))} s "
        f"({N_IND} Quoten auf 3 Ebenen, {n_ind:,} Werte)"
    )
    pat = [r["pattern_s"] for r in runs]
    pat_share = [r["pattern_s"] / r["sql_s"] for r in runs]
    print(
        f"compute ganz:  {spread(col('compute_s'))} s Wand, CPU {spread(col('compute_cpu_s'))} s "
        f"(Indikatoren, Indizes, Geheimhaltungsmuster); davon Geheimhaltungsmuster {spread(pat)} s Wand, "
        f"CPU {spread(col('pattern_cpu_s'))} s"
    )
    print(
        f"Hand-SQL:      {spread(col('sql_s'))} s Wand, CPU {spread(col('sql_cpu_s'))} s (gleiche Speichergrenze; "
        "ohne Kennungen, Summenterme, eigene Werte höherer Ebenen und ohne Geheimhaltung)"
    )
    print(
        f"Verhältnis:    Indikatorschritt/Hand-SQL {spread(ratio_ind)} Wand, {spread(ratio_cpu)} CPU (Ziel ≤ 1,0); "
        f"compute ganz/Hand-SQL {spread(ratio)} Wand, davon Muster {spread(pat_share)} (kein Ziel: das "
        f"Hand-SQL sperrt nichts); Last {spread(col('load'), '{:.1f}')}"
    )
    print(f"Schreibboden:  {t_floor:.2f} s nur für das Kopieren der {n_ind:,} fertigen Werte")
    best = min(col("indicators_s"))  # the same work as the script: no indices, no confidentiality
    print(
        f"pandas:        {t_pd:.2f} s Rechnen + {t_read:.2f} s Lesen aus dem Speicher → planlabors "
        f"Indikatorschritt {(t_pd + t_read) / best:.1f}× schneller als das ganze Skript, "
        f"{t_pd / best:.1f}× als dessen Rechenteil (Ziel ≥ 2)"
    )
    print(f"Spitzenspeicher Import + compute: {max(col('maxrss_mb')):.0f} MB (Ziel ≤ 3072)")
    print_compute_stages(runs)
    return {
        "values": runs[-1]["values"],
        "import_values_per_s": float(np.median(rate)) * 1e6,
        "compute_s": float(np.median(col("compute_s"))),
        "indicators_s": float(np.median(col("indicators_s"))),
        "hand_sql_s": float(np.median(col("sql_s"))),
        "ratio_vs_sql": float(np.median(ratio_ind)),
        "ratio_compute_vs_sql": float(np.median(ratio)),
        "pattern_s": float(np.median(pat)),
        "pattern_cpu_s": float(np.median(col("pattern_cpu_s"))),
        "write_floor_s": t_floor,
        "pandas_s": t_pd,
        "peak_mb": max(col("maxrss_mb")),
        "indicator_values": n_ind,
    }


def print_compute_stages(runs: list[dict[str, Any]]) -> None:
    """``compute`` step by step (issue #22): indicator step, indices, and the confidentiality
    pattern's steps (``planlabor/confidentiality/stages.py``), median of the runs."""
    rest = [r["compute_s"] - r["indicators_s"] - r["pattern_s"] for r in runs]
    rest_cpu = [r["compute_cpu_s"] - r["indicators_cpu_s"] - r["pattern_cpu_s"] for r in runs]
    rows = [
        ("Indikatorschritt", [r["indicators_s"] for r in runs], [r["indicators_cpu_s"] for r in runs], ""),
        ("Indizes und Rest", rest, rest_cpu, ""),
        (
            "Geheimhaltungsmuster",
            [r["pattern_s"] for r in runs],
            [r["pattern_cpu_s"] for r in runs],
            "Ziel ≤ 15 s",
        ),
    ]
    names = list(runs[-1].get("pattern_stages", {}))
    for name in names:
        got = [r.get("pattern_stages", {}).get(name, [0.0, 0.0, 0.0]) for r in runs]
        calls = int(got[-1][2])
        rows.append((f"  {name}", [g[0] for g in got], [g[1] for g in got], f"{calls}×" if calls > 1 else ""))
    print("Indikatorschritt je Schritt (Median der Läufe):")
    print(
        "\n".join(
            indicator_stage_table(
                [r.get("indicator_stages", {}) for r in runs],
                [r["indicators_s"] for r in runs],
                [r["indicators_cpu_s"] for r in runs],
            )
        )
    )
    print("compute Schritt für Schritt (Median, Spanne; Wand s / CPU s aller Threads):")
    for label, wall, cpu, note in rows:
        print(f"  {label:<34} {spread(wall):>22} / {spread(cpu):>22}  {note}")


if __name__ == "__main__":
    main()
