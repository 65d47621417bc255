"""Benchmark of issue #7: the cohort-component projection.

Cases (each in a fresh process so that its peak memory is its own):

- ``berlin``: 542 areas × 101 ages × 2 sexes × 20 years × 3 variants, target ≤ 2 s;
- ``national``: 11,000 areas × 101 ages × 2 sexes × 20 years × 3 variants, target ≤ 20 s;
- memory: peak resident set of each process, target ≤ 2 GB.

Rates are the shipped defaults plus random migration rates per area.  The baseline is the same
model stepped area by area (a loop over areas, as a spreadsheet or a simple script would do);
the ratio to it and to the target is printed.

Run: ``make bench`` or ``.venv/bin/python bench/run.py projection``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CASES = {"berlin": (542, 2.0), "national": (11_000, 20.0)}
YEARS = 20


def _inputs(n: int) -> tuple[object, object]:
    from planlabor.projection.model import A, Population, Rates

    rng = np.random.default_rng(7)
    pop = Population([f"{i:08d}" for i in range(n)], rng.uniform(5, 60, (n, 2, A)))
    r = Rates.defaults()
    r.fertility_factor = rng.uniform(0.7, 1.3, n)
    r.migration_external = np.full((2, A), 0.004)
    r.migration_internal = rng.normal(0, 0.01, (n, 2, A))
    return pop, r


def case(name: str) -> dict[str, float]:
    from planlabor.projection.model import base_scenarios, project

    n, target = CASES[name]
    pop, rates = _inputs(n)
    t = time.perf_counter()
    res = project(pop, 2025, rates, YEARS, base_scenarios())  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t
    total = float(res.values[2, -1].sum())
    out = {"seconds": elapsed, "target": target, "total": total}
    if name == "berlin":  # baseline: one area at a time
        from planlabor.projection.model import Population

        t = time.perf_counter()
        for i in range(n):
            one = Population([pop.area_ids[i]], pop.values[i : i + 1])  # type: ignore[attr-defined]
            r1 = _slice_rates(rates, i)
            project(one, 2025, r1, YEARS, base_scenarios())
        out["baseline_seconds"] = time.perf_counter() - t
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _slice_rates(rates: object, i: int) -> object:
    from dataclasses import replace

    return replace(
        rates,  # type: ignore[type-var]
        fertility_factor=rates.fertility_factor[i : i + 1],  # type: ignore[attr-defined]
        migration_internal=rates.migration_internal[i : i + 1],  # type: ignore[attr-defined]
    )


def main() -> None:
    for name, (n, target) in CASES.items():
        proc = subprocess.run(
            [sys.executable, __file__, name], capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        line = (
            f"projection {name:<9} {n:>6} areas × 101 ages × 2 × {YEARS} years × 3 variants: "
            f"{r['seconds']:.3f} s (target ≤ {target:g} s, ratio {r['seconds'] / target:.2f}); "
            f"peak memory {r['peak_mb']:.0f} MB (target ≤ 2048 MB)"
        )
        if "baseline_seconds" in r:
            line += f"; area-by-area loop {r['baseline_seconds']:.2f} s (×{r['baseline_seconds'] / r['seconds']:.0f})"
        print(line)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        print(json.dumps(case(sys.argv[1])))
    else:
        main()
