"""Benchmark of issue #6: Sozialraumprofile as PDF on the Berlin demo (542 PLR).

Targets: one profile ≤ 1 s after the first; all 542 as PDF ≤ 120 s on 2 cores (parallel).
The demo is built into a temporary folder first (not measured).
Run: ``.venv/bin/python bench/run.py reports``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    from planlabor.atlas.data import source_of
    from planlabor.demo import build_demo
    from planlabor.reports.data import ReportData
    from planlabor.reports.render import Layout, ProfileBuilder, write_profiles
    from planlabor.workspace import Workspace

    tmp = Path(tempfile.mkdtemp())
    try:
        build_demo(tmp / "demo", exports=False)
        with Workspace.open(tmp / "demo", read_only=True) as ws:
            b = ProfileBuilder(ReportData(source_of(ws)), Layout.of(ws), "plr")
            t = time.perf_counter()
            write_profiles(b, ["01100101"], "pdf", tmp / "first.pdf")
            first = time.perf_counter() - t
            times = []
            for a in ("01100102", "01100103", "01100104", "01100205", "01100206"):
                t = time.perf_counter()
                write_profiles(b, [a], "pdf", tmp / f"{a}.pdf")
                times.append(time.perf_counter() - t)
            one = sorted(times)[len(times) // 2]
            print(
                f"one profile as PDF: first {first:.2f} s, then median {one:.2f} s (target ≤ 1 s, ratio {one:.2f})"
            )
            ids = ws.store.areas("plr")["area_id"].astype(str).tolist()
            r = write_profiles(b, ids, "pdf", tmp / "alle", workers=2)
            print(f"all {len(ids)} profiles as PDF, 2 processes: {r.seconds:.1f} s (target ≤ 120 s, ratio "
                  f"{r.seconds / 120:.2f}); {r.per_file:.3f} s per profile")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
