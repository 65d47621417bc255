"""Stages of an import, timed (issue #22 point 4): wall and CPU seconds per named step.

:func:`instrument` wraps the functions of the import pipeline in place (in the benchmark's child
process only) and returns the dictionary the timings accumulate in; :func:`stage_table` formats
it.  A stage that calls another one (the store write calls the versioning) is reported without the
inner stage's time, so that the rows add up to the import.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

# (label, module, owner attribute or None for a module function, function name)
STAGES: list[tuple[str, str, str | None, str]] = [
    ("Format erkennen", "planlabor.io.importer", None, "detect"),
    ("Schlüsselverzeichnis laden", "planlabor.io.import_keys", None, "build_matcher"),
    ("Dialekt erkennen (sniff)", "planlabor.io.table", None, "sniff_csv"),
    ("cp1252 → UTF-8-Kopie", "planlabor.io.table", None, "_utf8_copy"),
    ("read_csv in Tabelle", "planlabor.io.table", None, "_stage_csv"),
    ("Spalten erkennen", "planlabor.io.readers.plain", None, "_wide_variables"),
    ("Zeiträume", "planlabor.io.import_values", None, "resolve_periods"),
    ("Schlüssel", "planlabor.io.import_keys", None, "resolve_keys"),
    ("Entpivotieren + Parsen", "planlabor.io.import_values", None, "parse_values"),
    ("Prüfung Werte", "planlabor.io.import_values", None, "check_values"),
    ("Prüfung Dubletten", "planlabor.io.import_values", None, "check_duplicates"),
    ("Gebietsänderungen", "planlabor.io.import_values", None, "merge_changed"),
    ("Bericht (Zählungen)", "planlabor.io.importer", None, "_report"),
    ("Prüfsumme SHA-256", "planlabor.io.importer", None, "file_sha256"),
    ("Versionierung (zählen)", "planlabor.store.base", "Store", "count_current_slices"),
    ("Gebietsnamen übernehmen", "planlabor.io.importer", None, "_fill_names"),
    ("Speicher schreiben", "planlabor.store.duckdb_", "DuckDBStore", "add_observations_from"),
    ("Speicher schreiben", "planlabor.store.postgres", "PostgresStore", "add_observations_from"),
    ("Versionierung (ersetzen)", "planlabor.store.base", "Store", "_supersede"),
    ("Versionierung (ersetzen)", "planlabor.store.postgres", "PostgresStore", "_supersede"),
]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def instrument() -> dict[str, list[float]]:
    """Wrap every stage function; returns {label: [wall, cpu]} filled while the import runs."""
    import importlib

    into: dict[str, list[float]] = {}
    stack: list[list[float]] = []  # inner stages' time, subtracted from the enclosing one
    for label, mod_name, owner_name, fn_name in STAGES:
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        owner: Any = getattr(mod, owner_name) if owner_name else mod
        fn = owner.__dict__.get(fn_name) if owner_name else getattr(mod, fn_name, None)
        if fn is None:
            continue
        setattr(owner, fn_name, _wrap(fn, label, into, stack))
    return into


def _wrap(
    fn: Callable[..., Any], label: str, into: dict[str, list[float]], stack: list[list[float]]
) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        inner = [0.0, 0.0]
        stack.append(inner)
        w0, c0 = time.perf_counter(), _cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            stack.pop()
            wall, cpu = time.perf_counter() - w0, _cpu() - c0
            acc = into.setdefault(label, [0.0, 0.0])
            acc[0] += wall - inner[0]
            acc[1] += cpu - inner[1]
            if stack:
                stack[-1][0] += wall
                stack[-1][1] += cpu

    return timed


def stage_table(runs: list[dict[str, list[float]]], total: list[float]) -> list[str]:
    """Lines of the per-stage table: median wall and CPU over the runs, share of the import."""
    import numpy as np

    labels: list[str] = []
    for r in runs:
        labels += [k for k in r if k not in labels]
    med_total = float(np.median(total)) or 1.0
    lines = [f"  {'Schritt':<28} {'Wand s':>8} {'CPU s':>8} {'Anteil':>7}"]
    covered = 0.0
    for label in labels:
        wall = float(np.median([r.get(label, [0.0, 0.0])[0] for r in runs]))
        cpu = float(np.median([r.get(label, [0.0, 0.0])[1] for r in runs]))
        covered += wall
        lines.append(f"  {label:<28} {wall:8.2f} {cpu:8.2f} {wall / med_total:7.0%}")
    rest = med_total - covered
    lines.append(f"  {'übrige (Protokoll, Namen …)':<28} {rest:8.2f} {'':>8} {rest / med_total:7.0%}")
    return [line.replace(".", ",") for line in lines]
