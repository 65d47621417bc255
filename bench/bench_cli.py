"""Benchmark of issue 22, point 4 (second half): commands that do not compute start in ≤ 0.5 s.

Each command runs as a fresh process (the installed ``planlabor`` script), 15 times after one
warm-up run that leaves the bytecode cache (``__pycache__``) in place, as an installed package
has it; the figure is the median wall time.  For comparison, in the same run:

- the floor: ``python -c pass`` and ``python -c "import click"``;
- the start-up before the lazy imports: ``import planlabor.workspace`` (pandas, DuckDB, the
  catalog), which ``import planlabor`` did at the top until issue 17, plus the command line.

Run: ``.venv/bin/python bench/run.py cli``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.5
RUNS = 15
BIN = Path(sys.executable).parent


def _median(cmd: list[str], cwd: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=True)  # warm-up, writes .pyc
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> dict[str, float]:
    py = [sys.executable]
    tool = [str(BIN / "planlabor")]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*tool, "init", "ws", "--name", "Bench"], cwd=tmp, capture_output=True, check=True)
        ws = str(Path(tmp) / "ws")
        rows = [
            ("python -c pass (Untergrenze)", [*py, "-c", "pass"], tmp),
            ("python -c 'import click'", [*py, "-c", "import click"], tmp),
            ("planlabor --help", [*tool, "--help"], tmp),
            ("planlabor import --help", [*tool, "import", "--help"], tmp),
            ("planlabor --version", [*tool, "--version"], tmp),
            ("planlabor user list (Arbeitsbereich)", [*tool, "user", "list"], ws),
            (
                "vorher: import planlabor.workspace + cli",
                [*py, "-c", "import planlabor.workspace, planlabor.cli"],
                tmp,
            ),
        ]
        results = {name: _median(cmd, cwd) for name, cmd, cwd in rows}
    before = results["vorher: import planlabor.workspace + cli"]
    for name, sec in results.items():
        ok = "" if not name.startswith("planlabor") else ("  ok" if sec <= TARGET_S else "  ZU LANGSAM")
        print(f"{name:<42} {sec:6.3f} s  ({before / sec:4.1f}× schneller als vorher){ok}")
    return {
        "help_s": results["planlabor --help"],
        "click_s": results["python -c 'import click'"],
        "python_s": results["python -c pass (Untergrenze)"],
        "user_list_s": results["planlabor user list (Arbeitsbereich)"],
        "before_s": before,
    }


if __name__ == "__main__":
    main()
