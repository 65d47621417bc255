"""A/B of the indicator step (issue #22 point 4): ``compute_indicators`` of this checkout and of
another (``PLANLABOR_BENCH_BASELINE=<checkout>``, e.g. a detached worktree of main) and the fair
hand SQL, on copies of one 11 M-value store, alternating, each in a fresh child process.

Run: ``PLANLABOR_BENCH_BASELINE=<dir> .venv/bin/python bench/ab_indicators.py`` (3 rounds;
``PLANLABOR_BENCH_REPS``, ``PLANLABOR_BENCH_YEARS`` as for ``bench/run.py foundation``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_foundation import REPS, run_child, run_hand_sql, spread, write_inputs  # noqa: E402

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import planlabor
from planlabor.indicators import compute_indicators
from planlabor.workspace import Workspace
ws = Workspace.open(Path(sys.argv[2]))
catalog = ws.catalog()
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
t0, c0 = time.perf_counter(), cpu()
rep = compute_indicators(ws.store, catalog)
out = {"s": time.perf_counter() - t0, "cpu": cpu() - c0, "values": rep.values_written,
       "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "code": planlabor.__file__}
ws.close()
print(json.dumps(out))
"""


def _compute(code: Path, src: Path, tmp: Path) -> dict[str, Any]:
    """``compute_indicators`` of the planlabor in ``code`` on a fresh copy of the workspace."""
    ws = tmp / "copy"
    shutil.rmtree(ws, ignore_errors=True)
    shutil.copytree(src, ws)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(code), str(ws)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _hand(src: Path, tmp: Path) -> tuple[float, float]:
    store = tmp / "hand.duckdb"
    shutil.copy(src / "planlabor.duckdb", store)
    try:
        return run_hand_sql(store)
    finally:
        store.unlink()


def main() -> None:
    baseline = Path(os.environ["PLANLABOR_BENCH_BASELINE"])
    with tempfile.TemporaryDirectory(prefix="planlabor-ab-") as name:
        tmp = Path(name)
        write_inputs(tmp)
        run_child(tmp, import_only=True)
        src = tmp / "ws"
        rows: list[dict[str, float]] = []
        for i in range(REPS):  # the order alternates: neither state always runs first
            order = [("new", ROOT), ("base", baseline)][:: 1 if i % 2 == 0 else -1]
            row: dict[str, float] = {}
            for key, code in order:
                got = _compute(code, src, tmp)
                row[f"{key}_s"], row[f"{key}_cpu"], row[f"{key}_mb"] = got["s"], got["cpu"], got["mb"]
            row["hand_s"], row["hand_cpu"] = _hand(src, tmp)
            row["load"] = os.getloadavg()[0]
            rows.append(row)
            print(json.dumps(row), flush=True)
    report(rows, baseline)


def report(rows: list[dict[str, float]], baseline: Path) -> None:
    def col(key: str) -> list[float]:
        return [r[key] for r in rows]

    def ratio(a: str, b: str) -> list[float]:
        return [r[a] / r[b] for r in rows]

    print(f"Indikatorschritt A/B, {len(rows)} Runden abwechselnd, Last {spread(col('load'), '{:.1f}')}:")
    print(f"  dieser Stand:  Wand {spread(col('new_s'))} s, CPU {spread(col('new_cpu'))} s")
    print(f"  {baseline}:  Wand {spread(col('base_s'))} s, CPU {spread(col('base_cpu'))} s")
    print(f"  Hand-SQL:      Wand {spread(col('hand_s'))} s, CPU {spread(col('hand_cpu'))} s")
    print(
        f"  dieser Stand / Hand-SQL {spread(ratio('new_s', 'hand_s'))} Wand, "
        f"{spread(ratio('new_cpu', 'hand_cpu'))} CPU (Ziel ≤ 0,9 Wand)"
    )
    print(
        f"  Vergleichsstand / Hand-SQL {spread(ratio('base_s', 'hand_s'))} Wand, "
        f"{spread(ratio('base_cpu', 'hand_cpu'))} CPU"
    )
    print(
        f"  dieser Stand / Vergleichsstand {spread(ratio('new_s', 'base_s'))} Wand, "
        f"{spread(ratio('new_cpu', 'base_cpu'))} CPU; Spitzenspeicher des Schritts "
        f"{max(col('new_mb')):.0f} MB (Vergleichsstand {max(col('base_mb')):.0f} MB)"
    )


if __name__ == "__main__":
    main()
