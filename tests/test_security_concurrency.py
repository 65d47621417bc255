"""Attack suite, concurrency: parallel imports wait for each other instead of failing, a killed
import leaves the store intact (issue 15, points 1 and 6)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planlabor.workspace import Workspace
from tests.attack import fill

EXE = Path(sys.executable).parent / "planlabor"


def _wide(path: Path, variables: int, value: int) -> Path:
    head = "id;" + ";".join(f"v{i}" for i in range(variables))
    rows = [f"A{a};" + ";".join(str(value + i) for i in range(variables)) for a in range(1, 5)]
    path.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")
    return path


def _import(root: Path, f: Path, period: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(EXE), "-C", str(root), "import", str(f), "--layer", "gebiet", "--period", period],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_parallel_imports_wait_for_each_other(grid_ws: Workspace, tmp_path: Path) -> None:
    root = grid_ws.root
    grid_ws.close()
    procs = [_import(root, _wide(tmp_path / f"w{i}.csv", 300, i * 1000), f"202{i}") for i in range(4)]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert "Conflicting lock" not in err and "Traceback" not in err
    with Workspace.open(root, read_only=True) as ws:
        log = ws.imports()
        assert sorted(log[log["kind"] == "observations"]["file"].map(lambda f: Path(f).name)) == [
            "w0.csv",
            "w1.csv",
            "w2.csv",
            "w3.csv",
        ]
        n = ws.store.query_df("SELECT count(*) AS n FROM observations WHERE superseded_by IS NULL")["n"][0]
        assert n == 4 * 300 * 4


@pytest.mark.slow
def test_kill_during_import_leaves_the_store_intact(grid_ws: Workspace, tmp_path: Path) -> None:
    fill(grid_ws, tmp_path)
    root = grid_ws.root
    before = grid_ws.store.query_df("SELECT count(*) AS n FROM observations")["n"][0]
    grid_ws.close()
    big = _wide(tmp_path / "gross.csv", 4000, 7)
    for delay in (0.3, 0.8, 1.5):
        p = _import(root, big, "2030")
        time.sleep(delay)
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.communicate(timeout=60)
        with Workspace.open(root, read_only=True) as ws:
            log = ws.imports()
            kept = ws.store.query_df("SELECT count(*) AS n FROM observations")["n"][0]
            imported = (log["file"].fillna("").str.endswith("gross.csv")).sum()
            # all or nothing: the killed import is either complete and logged or absent
            assert kept == before + imported * 4 * 4000
    r = subprocess.run([str(EXE), "-C", str(root), "status"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
