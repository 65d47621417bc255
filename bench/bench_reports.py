"""Benchmark of issues #6 and #22 (point 2): reports on the Berlin demo (542 PLR).

Targets (issue #22): one Sozialraumprofil from the CLI ≤ 2 s, all 542 as PDF ≤ 30 s, the
Sozialbericht ≤ 10 s, all tagged PDF. Each figure is the command a planner types, timed as a
fresh process (start-up, imports, data and PDF); typst (the default engine) and weasyprint
(``--engine weasyprint``, the peer) alternate in the same run, ``PLANLABOR_BENCH_REPS`` times
(default 3): median, spread and the ratio per run. CPU seconds are printed too: on a loaded
machine the wall times are upper bounds.

The demo is built into a temporary folder first (not measured); ``PLANLABOR_BENCH_WS=FOLDER``
uses an existing Berlin demo. ``PLANLABOR_BENCH_ALL=0`` skips the 542-profile rows, ``=1`` times
them without the weasyprint peer (minutes on a loaded machine).
Run: ``.venv/bin/python bench/run.py reports``.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLANLABOR = str(Path(sys.executable).with_name("planlabor"))


def _run(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (own and children's) of one CLI call."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([PLANLABOR, *args], check=True, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _line(
    label: str,
    target: float,
    ours: list[tuple[float, float]],
    peer: list[tuple[float, float]],
    name: str = "typst",
) -> tuple[float, float | None]:
    """Prints the row; the medians of ours and the peer's wall times."""

    def med(xs: list[float]) -> float:
        return sorted(xs)[len(xs) // 2]

    w, c = [x[0] for x in ours], [x[1] for x in ours]
    pw = [x[0] for x in peer]
    ratios = sorted(a / b for a, b in zip(w, pw, strict=True)) if peer else []
    peer_txt = (
        f"; weasyprint median {med(pw):.2f} s ({min(pw):.2f}–{max(pw):.2f}), CPU "
        f"{med([x[1] for x in peer]):.2f} s, typst/weasyprint "
        f"{ratios[0]:.2f}–{ratios[-1]:.2f} je Lauf"
        if peer
        else ""
    )
    print(
        f"{label}: {name} median {med(w):.2f} s ({min(w):.2f}–{max(w):.2f}), CPU {med(c):.2f} s "
        f"(Ziel ≤ {target:g} s){peer_txt}; Last {os.getloadavg()[0]:.1f}"
    )
    return med(w), (med(pw) if peer else None)


def main() -> dict[str, float | None]:
    from planlabor.demo import build_demo

    reps = int(os.environ.get("PLANLABOR_BENCH_REPS", "3"))
    tmp = Path(tempfile.mkdtemp())
    try:
        ws = Path(os.environ["PLANLABOR_BENCH_WS"]) if "PLANLABOR_BENCH_WS" in os.environ else tmp / "demo"
        if not ws.exists():
            build_demo(ws, exports=False)
        base = ["-C", str(ws), "report"]
        one = [*base, "profile", "--area", "01100101", "--out"]
        ours, peer = [], []
        for k in range(reps):
            ours.append(_run([*one, str(tmp / f"t{k}.pdf")]))
            peer.append(_run([*one, str(tmp / f"w{k}.pdf"), "--engine", "weasyprint"]))
        out: dict[str, float | None] = {}
        out["profile_s"], out["profile_weasyprint_s"] = _line(
            "ein Sozialraumprofil aus der CLI", 2, ours, peer
        )
        changed, cold = [], []
        for k in range(reps):  # the first profile after a store change (values, not areas) …
            os.utime(ws / "planlabor.duckdb")
            changed.append(_run([*one, str(tmp / f"a{k}.pdf")]))
            shutil.rmtree(ws / ".planlabor-cache", ignore_errors=True)  # … and with no cache at all
            cold.append(_run([*one, str(tmp / f"c{k}.pdf")]))
        out["profile_changed_s"], _ = _line("ein Profil, erstes nach Änderung des Speichers", 2, changed, [])
        out["profile_cold_s"], _ = _line("ein Profil ohne Berichts-Cache (Gebiete neu)", 2, cold, [])
        every = os.environ.get("PLANLABOR_BENCH_ALL", "2")
        if every != "0":
            ours, peer = [], []
            for k in range(reps):
                ours.append(_run([*base, "profile", "--all", "--out", str(tmp / f"alle_t{k}")]))
                if k == 0 and every == "2":  # weasyprint takes minutes: once as the peer
                    peer.append(_run([*base, "profile", "--all", "--out", str(tmp / f"alle_w{k}"), "--engine", "weasyprint"]))  # fmt: skip
            out["all_s"], out["all_weasyprint_s"] = _line(
                "alle 542 Profile, 2 Prozesse", 30, ours, peer[:1] * len(ours) if peer else []
            )
        ours, peer = [], []
        for k in range(reps):
            ours.append(_run([*base, "sozialbericht", "--out", str(tmp / f"sb{k}.pdf")]))
            peer.append(_run([*base, "sozialbericht", "--out", str(tmp / f"sbw{k}.pdf"), "--engine", "weasyprint"]))  # fmt: skip
        out["sozialbericht_s"], out["sozialbericht_weasyprint_s"] = _line("Sozialbericht", 10, ours, peer)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
