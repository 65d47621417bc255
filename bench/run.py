"""Run the benchmarks: ``python bench/run.py [foundation ...]`` (all when none named)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCHES = {
    "foundation": "bench.bench_foundation",
    "indices": "bench.bench_indices",
    "spatial": "bench.bench_spatial",
    "projection": "bench.bench_projection",
    "atlas": "bench.bench_atlas",
    "reports": "bench.bench_reports",
    "fachthemen": "bench.bench_fachthemen",
    "geheimhaltung": "bench.bench_geheimhaltung",
    "network": "bench.bench_network",
    "atlas_analysis": "bench.bench_atlas_analysis",
    "gemeindeatlas": "bench.bench_gemeindeatlas",
    "grid": "bench.bench_grid",
    "security": "bench.bench_security",
    "cli": "bench.bench_cli",
    "typst": "bench.bench_typst",
    "postgres": "bench.bench_postgres",
    "werkstatt": "bench.bench_werkstatt",
}


def main(names: list[str]) -> None:
    import importlib

    for name in names or list(BENCHES):
        print(f"== {name}")
        importlib.import_module(BENCHES[name]).main()


if __name__ == "__main__":
    main(sys.argv[1:])
