"""Run the benchmarks: ``python bench/run.py [foundation ...]`` (all when none named).

Every bench runs in turn; a bench that fails prints its error and the run goes on.  At the end
one table (``bench/summary.py``) lists every row issue 22 names with the fair peer from the same
run, the ratio, the target and whether it is met.  Nothing needs to be set up: the Berlin and
Deutschland demos are built once into a temporary folder for the benches that use them (unless
``PLANLABOR_BENCH_BERLIN`` / ``PLANLABOR_BENCH_DE`` name built ones), and the PostgreSQL bench
starts its own throw-away cluster (unless ``PLANLABOR_TEST_PG`` names a server).
``PLANLABOR_BENCH_QUICK=1`` runs smaller sizes once each (a smoke test of the whole run, figures
not comparable with the targets).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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

# the benches that read a built demo from the environment (PLANLABOR_BENCH_WS is the Berlin one)
NEEDS_BERLIN = {"atlas", "reports", "typst", "security", "atlas_analysis", "gemeindeatlas"}
NEEDS_DE = {"atlas_analysis", "gemeindeatlas"}

# smaller sizes for PLANLABOR_BENCH_QUICK=1 (environment defaults the benches read)
QUICK_ENV = {
    "PLANLABOR_BENCH_REPS": "1",
    "PLANLABOR_BENCH_YEARS": "2",
    "PLANLABOR_BENCH_ALL": "0",
    "PLANLABOR_BENCH_ONLY": "berlin",
    "BENCH_ATLAS_ONLY": "berlin",
    "PLANLABOR_BENCH_WORKERS": "1",
}
QUICK_MODULE = {"bench.bench_cli": {"RUNS": 3}}


class _Tee(io.TextIOBase):
    """Writes through to the terminal and keeps a copy (for the summary's printed figures)."""

    def __init__(self, out: Any) -> None:
        self.out, self.buf = out, io.StringIO()

    def write(self, s: str) -> int:
        self.buf.write(s)
        return int(self.out.write(s))

    def flush(self) -> None:
        self.out.flush()


@contextlib.contextmanager
def demos(names: list[str]) -> Iterator[None]:
    """Build the demos the named benches need once (when not given) and name them in the
    environment for the benches; removed afterwards."""
    want_be = any(n in NEEDS_BERLIN for n in names) and not os.environ.get("PLANLABOR_BENCH_BERLIN")
    want_de = (
        any(n in NEEDS_DE for n in names)
        and not os.environ.get("PLANLABOR_BENCH_DE")
        and os.environ.get("PLANLABOR_BENCH_ONLY") != "berlin"
    )
    tmp = Path(tempfile.mkdtemp(prefix="planlabor-bench-demos-")) if want_be or want_de else None
    saved = {
        k: os.environ.get(k) for k in ("PLANLABOR_BENCH_BERLIN", "PLANLABOR_BENCH_DE", "PLANLABOR_BENCH_WS")
    }
    try:
        if tmp is not None and want_be:
            from planlabor.demo import build_demo

            t = time.perf_counter()
            build_demo(tmp / "berlin", exports=False)
            os.environ["PLANLABOR_BENCH_BERLIN"] = str(tmp / "berlin")
            print(f"Berlin-Demo gebaut in {time.perf_counter() - t:.0f} s (nicht gemessen)", flush=True)
        if tmp is not None and want_de:
            from planlabor.demo.deutschland import build_demo_de

            t = time.perf_counter()
            build_demo_de(tmp / "de")
            os.environ["PLANLABOR_BENCH_DE"] = str(tmp / "de")
            print(f"Deutschland-Demo gebaut in {time.perf_counter() - t:.0f} s (nicht gemessen)", flush=True)
        if os.environ.get("PLANLABOR_BENCH_BERLIN") and not os.environ.get("PLANLABOR_BENCH_WS"):
            os.environ["PLANLABOR_BENCH_WS"] = os.environ["PLANLABOR_BENCH_BERLIN"]
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def run_one(name: str) -> tuple[dict[str, float] | None, str, str | None]:
    """Figures, printed text and error (None when it ran) of one bench."""
    import importlib

    tee = _Tee(sys.stdout)
    try:
        module = importlib.import_module(BENCHES[name])
        if os.environ.get("PLANLABOR_BENCH_QUICK") == "1":
            for attr, value in QUICK_MODULE.get(BENCHES[name], {}).items():
                setattr(module, attr, value)
        with contextlib.redirect_stdout(tee):
            figures = module.main()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        traceback.print_exc()
        first = (str(exc).strip().splitlines() or [""])[0][:120]
        return None, tee.buf.getvalue(), f"{type(exc).__name__}: {first}"
    return (dict(figures) if isinstance(figures, dict) else None), tee.buf.getvalue(), None


def main(names: list[str]) -> int:
    """Run the named benches (all when none) and print the summary; 1 when a bench failed."""
    from bench.summary import summarise, table

    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"Unbekannte Benchmarks: {', '.join(unknown)}; vorhanden: {', '.join(BENCHES)}")
        return 2
    names = names or list(BENCHES)
    if os.environ.get("PLANLABOR_BENCH_QUICK") == "1":
        for k, v in QUICK_ENV.items():
            os.environ.setdefault(k, v)
    else:  # the API under load on both backends (issue 18): its own throw-away PostgreSQL cluster
        os.environ.setdefault("PLANLABOR_BENCH_PG", "1")
    figures: dict[str, dict[str, float] | None] = {}
    texts: dict[str, str] = {}
    errors: dict[str, str] = {}
    with demos(names):
        for name in names:
            print(f"== {name}  (Last {os.getloadavg()[0]:.1f})", flush=True)
            t = time.perf_counter()
            figures[name], texts[name], err = run_one(name)
            if err is not None:
                errors[name] = err
                print(f"== {name}: FEHLER {err}", flush=True)
            print(f"== {name}: {time.perf_counter() - t:.0f} s", flush=True)
    quick = os.environ.get("PLANLABOR_BENCH_QUICK") == "1"
    note = " – RAUCHTEST mit kleineren Größen, nicht mit den Zielen vergleichbar" if quick else ""
    print(f"\n== Übersicht (Zahlen dieses Laufs; unter Last obere Schranken{note})")
    print(table(summarise(figures, texts, errors, names)))
    for name, err in errors.items():
        print(f"Fehler in {name}: {err}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
