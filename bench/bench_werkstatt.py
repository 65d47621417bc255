"""Werkstatt analyses: what the job path costs next to the command line (issue 17).

Hot spots (Moran's I, LISA, Gi*, 99 permutations) of the population of the 400 Kreise (real
GENESIS 12411-0015, VG5000 geometries) three ways, each three times (median and spread):

- ``cli``: ``planlabor hotspots`` in its own process (what a planner ran before the Werkstatt);
- ``werkstatt, warm``: :func:`planlabor.app.analysis_forms.run_analysis` in the Werkstatt's
  writer process that is already running (result table with names and atlas links included);
- ``werkstatt, cold``: the same with a new writer process (the first job after a server start).

KomMonitor has no hot-spot analysis to run offline on this machine, so the peer is the command
line.  The machine is shared: figures are upper bounds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DE = Path(__file__).resolve().parents[1] / "planlabor" / "demo" / "data" / "deutschland"
FORM = {"layer": "kreis", "variable": "bevoelkerung", "period": "2018-12-31", "permutations": "99"}


def _workspace(folder: Path) -> Path:
    from planlabor.app.compute import compute
    from planlabor.app.imports import import_file
    from planlabor.areas import AreaImportOptions
    from planlabor.workspace import Workspace

    ws = Workspace.init(folder / "ws", name="Kreise", crs="EPSG:25832")
    ws.import_areas(
        DE / "VG5000_KRS.shp", AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN")
    )
    ws.close()
    import_file(ws.root, DE / "12411-0015.csv", {"layer": "kreis"})
    (ws.root / "catalog.toml").write_text(
        '[[indicator]]\nid = "bevoelkerung"\nname = "Bevölkerung"\nnumerator = ["bevoelkerungsstand"]\n',
        encoding="utf-8",
    )
    compute(ws.root)
    return ws.root


def _times(fn: Callable[[], object], n: int = 3) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    from planlabor.app.analysis_forms import run_analysis
    from planlabor.werkstatt.jobs import Writer

    with tempfile.TemporaryDirectory() as tmp:
        root = _workspace(Path(tmp))
        args = ["-C", str(root), "hotspots", "--layer", "kreis", "--variable", "bevoelkerung"]
        args += ["--period", "2018-12-31", "--permutations", "99"]
        cli = [sys.executable, "-c", "from planlabor.cli import main; main()", *args]
        figures = {"cli": _times(lambda: subprocess.run(cli, check=True, capture_output=True))}
        writer = Writer()
        writer.run(len, [])  # start the process
        figures["werkstatt, warm"] = _times(lambda: writer.run(run_analysis, root, "hotspots", FORM))
        writer.close()

        def cold() -> None:
            w = Writer()
            w.run(run_analysis, root, "hotspots", FORM)
            w.close()

        figures["werkstatt, cold"] = _times(cold)
    base = statistics.median(figures["cli"])
    for name, ts in figures.items():
        med = statistics.median(ts)
        print(
            f"hotspots 400 Kreise, {name:<16} median {med:6.2f} s  (min {min(ts):.2f}, max {max(ts):.2f})  "
            f"ratio to cli {med / base:.2f}"
        )


if __name__ == "__main__":
    main()
