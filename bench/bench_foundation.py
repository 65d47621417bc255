"""Benchmark of the foundation (issue #2): import and indicator computation at national scale.

Synthetic case generated here: 11,000 Gemeinden → 400 Kreise → 16 Länder, 50 count variables,
20 years = 11 M observations in a German-format CSV (``;``, thousands ``.``, decimal ``,``,
cp1252, some missing markers). Measures

* import (CSV → store, all checks, atomic, versioned): values per second; target ≥ 1 M/s
* ``compute`` of 30 ratio indicators on all three levels; target ≤ 3 s
* the same computation as hand-written DuckDB SQL (target: planlabor within 1.2×) and as a
  plain pandas groupby script on the observations already in memory (target: planlabor ≥ 2× faster)
* peak memory of import + compute in a child process; target ≤ 3 GB

Run: ``make bench`` or ``.venv/bin/python bench/run.py foundation``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

N_LAND, N_KREIS, N_GEM, N_VARS, N_YEARS, N_IND = 16, 400, 11_000, 50, 20, 30


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


def run_planlabor(folder: Path) -> dict[str, float]:
    """Import and compute in this process (called in a child process for peak memory)."""
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
    t0 = time.perf_counter()
    report = ws.import_table(
        folder / "daten.csv", ImportOptions(layer="gemeinde", id_column="AGS", period_column="Jahr")
    )
    t_import = time.perf_counter() - t0
    ws.close()  # import and compute are two commands: the store is reopened in between
    ws = Workspace.open(folder / "ws")
    server = _server_cpu(ws.store)
    t0, c0, s0 = time.perf_counter(), time.process_time(), server()
    comp = ws.compute()
    t_compute = time.perf_counter() - t0
    cpu_compute, server_compute = time.process_time() - c0, server() - s0
    ws.close()
    return {
        "import_s": t_import,
        "compute_cpu_s": cpu_compute,
        "compute_server_cpu_s": server_compute,
        "values": report.n_values,
        "compute_s": t_compute,
        "indicator_values": comp.values_written,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


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


def run_hand_sql(store: Path) -> float:
    con = fair_connection(store)
    t0 = time.perf_counter()
    con.execute(HAND_SQL)
    elapsed = time.perf_counter() - t0
    n = con.execute("SELECT count(*) FROM hand_values").fetchone()
    con.close()
    assert n and n[0] > 0
    return elapsed


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


def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="planlabor-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        write_inputs(folder)
        size_mb = (folder / "daten.csv").stat().st_size / 1e6
        print(
            f"Eingabe erzeugt in {time.perf_counter() - t0:.1f} s: daten.csv {size_mb:.0f} MB (cp1252, "
            f"{N_GEM * N_YEARS:,} Zeilen × {N_VARS} Variablen)"
        )
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import json,sys; sys.path.insert(0, {str(Path(__file__).parent.parent)!r}); "
                "from bench.bench_foundation import run_planlabor; from pathlib import Path; "
                f"print(json.dumps(run_planlabor(Path({str(folder)!r}))))",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        res = json.loads(child.stdout.strip().splitlines()[-1])
        store = folder / "ws" / "planlabor.duckdb"
        sqls = [run_hand_sql(store) for _ in range(3)]
        t_sql = min(sqls)
        t_floor = min(run_write_floor(store) for _ in range(2))
        t_pd, t_read = run_pandas(store)
    rate = res["values"] / res["import_s"]
    out = {
        "values": res["values"],
        "import_s": res["import_s"],
        "import_values_per_s": rate,
        "compute_s": res["compute_s"],
        "hand_sql_s": t_sql,
        "write_floor_s": t_floor,
        "pandas_s": t_pd,
        "pandas_read_s": t_read,
        "ratio_vs_sql": res["compute_s"] / t_sql,
        "speedup_vs_pandas": t_pd / res["compute_s"],
        "speedup_vs_pandas_with_read": (t_pd + t_read) / res["compute_s"],
        "peak_mb": res["maxrss_mb"],
        "indicator_values": res["indicator_values"],
    }
    print(
        f"Import:        {res['values']:,} Werte in {res['import_s']:.2f} s = {rate / 1e6:.2f} Mio. Werte/s "
        f"(Ziel ≥ 1,0)"
    )
    print(
        f"compute:       {res['compute_s']:.2f} s für {N_IND} Quoten auf 3 Ebenen, "
        f"{res['indicator_values']:,} Werte (Ziel ≤ 3 s)"
    )
    print(
        f"DuckDB-SQL:    {min(sqls):.2f}–{max(sqls):.2f} s (3 Läufe, gleiche Speichergrenze) → Verhältnis "
        f"planlabor/schnellstes SQL {out['ratio_vs_sql']:.2f} (Ziel ≤ 1,0); Last {os.getloadavg()[0]:.1f}"
    )
    print(
        f"Schreibboden:  {t_floor:.2f} s nur für das Kopieren der {res['indicator_values']:,} fertigen Werte"
    )
    print(
        f"pandas:        {t_pd:.2f} s Rechnen + {t_read:.2f} s Lesen aus dem Speicher → planlabor "
        f"{out['speedup_vs_pandas_with_read']:.1f}× schneller als das ganze Skript, "
        f"{out['speedup_vs_pandas']:.1f}× als dessen Rechenteil (Ziel ≥ 2)"
    )
    print(f"Spitzenspeicher Import + compute: {res['maxrss_mb']:.0f} MB (Ziel ≤ 3072)")
    return out


if __name__ == "__main__":
    main()
