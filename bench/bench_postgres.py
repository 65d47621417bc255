"""Benchmark of the PostgreSQL store (issue 18): the same import and compute on both backends.

The data of ``bench_foundation`` (11,000 Gemeinden → 400 Kreise → 16 Länder, 50 variables,
20 years = 11 M values, 30 ratio indicators on three levels), imported and computed once into a
DuckDB workspace and once into a PostgreSQL workspace, in one run.  Target: compute on
PostgreSQL within 3× DuckDB.  ``PLANLABOR_BENCH_YEARS=2`` runs a tenth (1.1 M values).

The PostgreSQL server is the one of ``PLANLABOR_TEST_PG`` or, without it, a throw-away cluster
started here (``scripts/test-postgres.sh``; same settings as the tests: fsync off).

Run: ``.venv/bin/python bench/run.py postgres``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "test-postgres.sh"


def _child(folder: Path, store: str | None) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "PLANLABOR_STORE"}
    if store:
        env["PLANLABOR_STORE"] = store
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]); "
        "import bench.bench_foundation as b; print(json.dumps(b.run_planlabor(Path(sys.argv[1]))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(ROOT)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = out.stdout.strip().splitlines()
    try:
        if out.returncode:
            raise ValueError(f"exit status {out.returncode}")
        return dict(json.loads(lines[-1]))
    except (ValueError, IndexError) as exc:  # say what the child said, not just "no JSON"
        raise RuntimeError(
            f"{store or 'DuckDB'}: {exc}\nstdout: {out.stdout[-2000:]}\nstderr: {out.stderr[-3000:]}"
        ) from None


def _server(tmp: Path) -> tuple[str, bool]:
    if os.environ.get("PLANLABOR_TEST_PG"):
        return os.environ["PLANLABOR_TEST_PG"], False
    lines = subprocess.run(
        ["bash", str(SCRIPT), "start", str(tmp / "pg")], capture_output=True, text=True, check=True
    )
    env = dict(line.removeprefix("export ").split("=", 1) for line in lines.stdout.splitlines())
    return env["PLANLABOR_TEST_PG"].strip("'"), True


def main() -> dict[str, float]:
    from bench import bench_foundation as b

    years = int(os.environ.get("PLANLABOR_BENCH_YEARS", str(b.N_YEARS)))
    b.N_YEARS = years
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        url, own = _server(tmp)
        try:
            data = tmp / "data"
            data.mkdir()
            b.write_inputs(data)
            for name in ("gemeinden.csv", "kreise.csv", "laender.csv", "daten.csv"):
                for sub in ("duck", "pg"):
                    (tmp / sub).mkdir(exist_ok=True)
                    os.link(data / name, tmp / sub / name)
            duck = _child(tmp / "duck", None)
            sep = "&" if "?" in url else "?"
            pg = _child(tmp / "pg", f"{url}{sep}schema=bench_*")
        finally:
            if own:
                subprocess.run(["bash", str(SCRIPT), "stop", str(tmp / "pg")], check=False)
    res = {
        "values": duck["values"],
        "duckdb_import_s": duck["import_s"],
        "postgres_import_s": pg["import_s"],
        "duckdb_compute_s": duck["compute_s"],
        "postgres_compute_s": pg["compute_s"],
        "duckdb_compute_cpu_s": duck["compute_cpu_s"],
        "postgres_compute_cpu_s": pg["compute_cpu_s"],
        "postgres_compute_server_cpu_s": pg["compute_server_cpu_s"],
        "compute_ratio": pg["compute_s"] / duck["compute_s"],
        "import_ratio": pg["import_s"] / duck["import_s"],
        "indicator_values_equal": float(duck["indicator_values"] == pg["indicator_values"]),
    }
    print(f"{int(res['values']):,} Werte ({years} Jahre), je Backend ein Arbeitsbereich".replace(",", "."))
    for step in ("import", "compute"):
        d, p = res[f"duckdb_{step}_s"], res[f"postgres_{step}_s"]
        print(f"  {step:<8} DuckDB {d:7.2f} s   PostgreSQL {p:7.2f} s   Faktor {p / d:4.2f}")
    print(
        f"  CPU compute: DuckDB {res['duckdb_compute_cpu_s']:.1f} s; PostgreSQL Client "
        f"{res['postgres_compute_cpu_s']:.1f} s + Server {res['postgres_compute_server_cpu_s']:.1f} s"
    )
    print(f"  Indikatorwerte gleich viele: {bool(res['indicator_values_equal'])}  (Ziel compute ≤ 3×)")
    return res


if __name__ == "__main__":
    main()
