"""Benchmark of issues #6 and #22 (point 2): reports on the Berlin demo (542 PLR).

Targets (issue #22): one Sozialraumprofil from the CLI ≤ 2 s, all 542 as PDF ≤ 30 s, the
Sozialbericht ≤ 10 s, all tagged PDF. Each figure is the command a planner types, timed as a
fresh process (start-up, imports, data and PDF); typst (the default engine) and weasyprint
(``--engine weasyprint``, the peer) alternate in the same run, ``PLANLABOR_BENCH_REPS`` times
(default 3): median, spread and the ratio per run. CPU seconds are printed too: on a loaded
machine the wall times are upper bounds.

Every command runs as an installed package runs: with its bytecode cache (``__pycache__``),
written by one warm-up call before the timed ones (``PYTHONDONTWRITEBYTECODE`` is dropped for
the children, as in ``bench_cli.py``); without it each call compiles planlabor's ~100 modules
first (0.15–0.2 s CPU more per call, which a planner's installation never pays).

The demo is built into a temporary folder first (not measured); ``PLANLABOR_BENCH_WS=FOLDER``
uses an existing Berlin demo. ``PLANLABOR_BENCH_ALL=0`` skips the 542-profile rows, ``=1`` times
them without the weasyprint peer (minutes on a loaded machine). ``PLANLABOR_BENCH_BASELINE=DIR``
(a checkout of another version, e.g. ``git worktree add --detach DIR main``) times the three
single-profile rows with that version's code too, alternating call by call with this version:
an A/B of a change in the same run.
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
# the command line of another checkout (PLANLABOR_BENCH_BASELINE), started like the script
_AT = "import sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'planlabor'; from planlabor.cli import main; main()"
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as installed


def _run(args: list[str], root: str | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (own and children's) of one CLI call (``root``: another checkout's)."""
    cmd = [sys.executable, "-c", _AT, root] if root else [PLANLABOR]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([*cmd, *args], check=True, capture_output=True, env=_ENV)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _ab(label: str, target: float, ours: list[tuple[float, float]], base: list[tuple[float, float]]) -> None:
    """The A/B line: this version against the baseline checkout, call by call."""
    if not base:
        return
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    w, bw = [x[0] for x in ours], [x[0] for x in base]
    c, bc = [x[1] for x in ours], [x[1] for x in base]
    r = sorted(a / b for a, b in zip(c, bc, strict=True))
    print(
        f"  A/B {label}: dieser Stand median {med(w):.2f} s, CPU {med(c):.2f} s ({min(c):.2f}–{max(c):.2f}); "
        f"Vergleichsstand median {med(bw):.2f} s, CPU {med(bc):.2f} s ({min(bc):.2f}–{max(bc):.2f}); "
        f"CPU-Verhältnis je Paar {r[0]:.2f}–{r[-1]:.2f} (Ziel ≤ {target:g} s)"
    )


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
        other = os.environ.get("PLANLABOR_BENCH_BASELINE")
        _run([*one, str(tmp / "warm.pdf")])  # writes the bytecode cache, as an installation has it
        if other:
            _run([*one, str(tmp / "warm.pdf")], other)
        ours, peer, b_ours = [], [], []
        for k in range(reps):
            ours.append(_run([*one, str(tmp / f"t{k}.pdf")]))
            peer.append(_run([*one, str(tmp / f"w{k}.pdf"), "--engine", "weasyprint"]))
            if other:
                b_ours.append(_run([*one, str(tmp / f"b{k}.pdf")], other))
        out: dict[str, float | None] = {}
        out["profile_s"], out["profile_weasyprint_s"] = _line(
            "ein Sozialraumprofil aus der CLI", 2, ours, peer
        )
        _ab("Cache gültig", 2, ours, b_ours)
        changed, cold, b_changed, b_cold = [], [], [], []
        for k in range(reps):  # the first profile after a store change (values, not areas) …
            for root, ch, co in ((None, changed, cold), *(((other, b_changed, b_cold),) if other else ())):
                os.utime(ws / "planlabor.duckdb")
                ch.append(_run([*one, str(tmp / f"a{k}.pdf")], root))
                shutil.rmtree(ws / ".planlabor-cache", ignore_errors=True)  # … and with no cache at all
                co.append(_run([*one, str(tmp / f"c{k}.pdf")], root))
        out["profile_changed_s"], _ = _line("ein Profil, erstes nach Änderung des Speichers", 2, changed, [])
        _ab("erstes nach Änderung", 2, changed, b_changed)
        out["profile_cold_s"], _ = _line("ein Profil ohne Berichts-Cache (Gebiete neu)", 2, cold, [])
        _ab("ohne Berichts-Cache", 2, cold, b_cold)
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
