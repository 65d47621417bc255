"""Benchmark of the PostgreSQL store (issue 18): the same import and compute on both backends.

The data of ``bench_foundation`` (11,000 Gemeinden → 400 Kreise → 16 Länder, 50 variables,
20 years = 11 M values, 30 ratio indicators on three levels), imported and computed once into a
DuckDB workspace and once into a PostgreSQL workspace, in one run.  Target: compute on
PostgreSQL within 3× DuckDB.  ``PLANLABOR_BENCH_YEARS=2`` runs a tenth (1.1 M values).

The PostgreSQL server is the one of ``PLANLABOR_TEST_PG`` or, without it, a throw-away cluster
started here (``scripts/test-postgres.sh``; same settings as the tests: fsync off).

Run: ``.venv/bin/python bench/run.py postgres``.  ``PLANLABOR_BENCH_BASELINE=DIR`` (a checkout
of another version, e.g. ``git archive main``) computes on PostgreSQL once more with that
version's code in the same run, for an A/B of a change (the same server, the same data; after
this version's run, or before it with ``PLANLABOR_BENCH_BASELINE_FIRST=1``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "test-postgres.sh"


def run_child(folder: Path) -> dict[str, float]:
    """Import and compute in this (child) process: ``bench_foundation.run_planlabor`` with the
    server's CPU seconds of the import as well (the connection's backend process, from /proc)."""
    import bench.bench_foundation as b
    from planlabor.workspace import Workspace

    server: dict[str, float] = {}
    plain_import = Workspace.import_table

    def timed_import(self: Any, *args: Any, **kwargs: Any) -> Any:
        cpu = b._server_cpu(self.store)
        s0 = cpu()
        try:
            return plain_import(self, *args, **kwargs)
        finally:
            server["import"] = cpu() - s0

    Workspace.import_table = timed_import  # type: ignore[method-assign]
    res = b.run_planlabor(folder)
    res["import_server_cpu_s"] = server.get("import", 0.0)
    return res


def _child(folder: Path, store: str | None, root: Path = ROOT) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "PLANLABOR_STORE"}
    if store:
        env["PLANLABOR_STORE"] = store
    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]); "
        "import bench.bench_postgres as b; print(json.dumps(b.run_child(Path(sys.argv[1]))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(root)],
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
            baseline = os.environ.get("PLANLABOR_BENCH_BASELINE")
            for name in ("gemeinden.csv", "kreise.csv", "laender.csv", "daten.csv"):
                for sub in ("duck", "pg", "base"):
                    (tmp / sub).mkdir(exist_ok=True)
                    os.link(data / name, tmp / sub / name)
            duck = _child(tmp / "duck", None)
            sep = "&" if "?" in url else "?"
            first = bool(baseline and os.environ.get("PLANLABOR_BENCH_BASELINE_FIRST"))  # alternate
            base = _child(tmp / "base", f"{url}{sep}schema=bench_*", Path(baseline)) if first else None
            pg = _child(tmp / "pg", f"{url}{sep}schema=bench_*")
            if baseline and not first:
                base = _child(tmp / "base", f"{url}{sep}schema=bench_*", Path(baseline))
        finally:
            if own:
                subprocess.run(["bash", str(SCRIPT), "stop", str(tmp / "pg")], check=False)
    res = _figures(duck, pg)
    _report(res, years)
    if base is not None:
        cpu = base["compute_cpu_s"] + base["compute_server_cpu_s"]
        print(
            f"  A/B: PostgreSQL compute mit {baseline}: Wand {base['compute_s']:.2f} s "
            f"(Faktor {base['compute_s'] / duck['compute_s']:.2f}), CPU {cpu:.2f} s "
            f"(Faktor {cpu / duck['compute_cpu_s']:.2f}), Spitzenspeicher {base['maxrss_mb']:.0f} MB"
        )
    runs = [("DuckDB", duck), ("PostgreSQL", pg), *([("PostgreSQL (A/B)", base)] if base else [])]
    for name, run in runs:  # where each backend spends compute
        print(f"{name}:", end=" ")
        b.print_compute_stages([run])
    return res


if __name__ == "__main__":
    main()


def _figures(duck: dict[str, float], pg: dict[str, float]) -> dict[str, float]:
    res = {"values": duck["values"]}
    for step in ("import", "compute"):
        res[f"duckdb_{step}_s"] = duck[f"{step}_s"]
        res[f"postgres_{step}_s"] = pg[f"{step}_s"]
        res[f"duckdb_{step}_cpu_s"] = duck[f"{step}_cpu_s"]
        res[f"postgres_{step}_cpu_s"] = pg[f"{step}_cpu_s"]
        res[f"postgres_{step}_server_cpu_s"] = pg[f"{step}_server_cpu_s"]
        res[f"{step}_ratio"] = pg[f"{step}_s"] / duck[f"{step}_s"]
        pg_cpu = pg[f"{step}_cpu_s"] + pg[f"{step}_server_cpu_s"]
        res[f"{step}_cpu_ratio"] = pg_cpu / duck[f"{step}_cpu_s"]
    res["duckdb_maxrss_mb"] = duck["maxrss_mb"]
    res["postgres_maxrss_mb"] = pg["maxrss_mb"]
    res["indicator_values"] = duck["indicator_values"]
    res["indicator_values_equal"] = float(duck["indicator_values"] == pg["indicator_values"])
    return res


def _report(res: dict[str, float], years: int) -> None:
    n = f"{int(res['values']):,}".replace(",", ".")
    print(f"{n} Werte ({years} Jahre), je Backend ein Arbeitsbereich, beide in diesem Lauf")
    for step, target in (("import", "–"), ("compute", "≤ 3,00")):
        d, p = res[f"duckdb_{step}_s"], res[f"postgres_{step}_s"]
        print(
            f"  {step:<8} Wand: DuckDB {d:7.2f} s   PostgreSQL {p:7.2f} s   Faktor {p / d:4.2f} (Ziel {target})"
        )
        print(
            f"  {'':<8} CPU:  DuckDB {res[f'duckdb_{step}_cpu_s']:7.2f} s   PostgreSQL Client "
            f"{res[f'postgres_{step}_cpu_s']:.2f} s + Server {res[f'postgres_{step}_server_cpu_s']:.2f} s"
            f"   Faktor {res[f'{step}_cpu_ratio']:4.2f}"
        )
    print(
        f"  Spitzenspeicher des Clients: DuckDB {res['duckdb_maxrss_mb']:.0f} MB, "
        f"PostgreSQL {res['postgres_maxrss_mb']:.0f} MB"
    )
    equal = bool(res["indicator_values_equal"])
    count = f"{int(res['indicator_values']):,}".replace(",", ".")
    print(f"  Indikatorwerte: {count} je Backend, gleich viele: {equal}")
