"""Stages of the indicator step (``compute_indicators``), timed (issue #22 point 4).

The same wrapping as the import's stages (:mod:`bench.import_stages`): :func:`instrument` wraps
the step functions of ``planlabor/indicators/compute.py`` in place (in the benchmark's child
process only); a state of the code without one of them (an A/B baseline) simply has no row.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from bench.import_stages import _wrap

_MOD = "planlabor.indicators.compute"
STAGES: list[tuple[str, str]] = [
    ("Definitionen versionieren", "_register_definitions"),
    ("Basisebene summieren (1 Lauf)", "_sum_base_level"),
    ("Elternverweise", "_parent_maps"),
    ("Summen nach oben", "_aggregate_up"),
    ("ein Aggregat, eigene Werte", "_keep_one_aggregate"),
    ("Mengen anlegen", "_create_sets"),
    ("Quoten rechnen + schreiben", "_write_ratio_values"),
    ("leere Mengen, Zählung", "_drop_empty_sets"),
    ("Wert-Indikatoren", "_compute_value_indicator"),
]


def instrument() -> dict[str, list[float]]:
    """Wrap every step; returns {label: [wall, cpu]} filled while the indicator step runs."""
    mod: Any = importlib.import_module(_MOD)
    into: dict[str, list[float]] = {}
    stack: list[list[float]] = []
    for label, name in STAGES:
        fn = getattr(mod, name, None)
        if fn is not None:
            setattr(mod, name, _wrap(fn, label, into, stack))
    return into


def stage_table(runs: list[dict[str, list[float]]], walls: list[float], cpus: list[float]) -> list[str]:
    """Lines: median wall and CPU per step over the runs, and the rest of the indicator step
    (Python between the steps, the commit)."""
    labels = [label for label, _ in STAGES if any(label in r for r in runs)]
    lines = [f"  {'Schritt':<34} {'Wand s':>8} {'CPU s':>8}"]
    wall_sum = cpu_sum = 0.0
    for label in labels:
        wall = float(np.median([r.get(label, [0.0, 0.0])[0] for r in runs]))
        cpu = float(np.median([r.get(label, [0.0, 0.0])[1] for r in runs]))
        wall_sum, cpu_sum = wall_sum + wall, cpu_sum + cpu
        lines.append(f"  {label:<34} {wall:8.2f} {cpu:8.2f}")
    rest_wall = float(np.median(walls)) - wall_sum
    rest_cpu = float(np.median(cpus)) - cpu_sum
    lines.append(f"  {'übrige (Python, Commit)':<34} {rest_wall:8.2f} {rest_cpu:8.2f}")
    return [line.replace(".", ",") for line in lines]
