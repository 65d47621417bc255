"""Benchmark of issue #3: index, classification, typology and sensitivity at national scale.

11,000 areas × 20 periods × 10 indicators (generated here).  Targets on this 2-core machine:
index + classification ≤ 1 s; k-means typology of 11,000 areas ≤ 2 s; sensitivity ≤ 5 s;
the ratio to a plain pandas implementation of the same index is printed.

Run: ``make bench`` or ``.venv/bin/python bench/run.py indices``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from planlabor.indices.engine import apply_index
from planlabor.indices.sensitivity import sensitivity
from planlabor.indices.spec import parse_spec
from planlabor.indices.typology import typology

N_AREAS, N_PERIODS, N_IND = 11_000, 20, 10

SPEC = f"""
id = "bench"
name = "Benchmark-Index"
id_column = "id"
period_column = "jahr"
[[component]]
id = "status"
name = "Status"
standardize = "z"
combine = "sum"
rescale = "z"
inputs = [{", ".join(f'{{ column = "i{i}" }}' for i in range(N_IND))}]
[component.classification]
method = "manual"
classes = [
  {{ code = 1, label = "hoch", upper = -1.0, upper_inclusive = false }},
  {{ code = 2, label = "mittel", lower = -1.0, lower_inclusive = true, upper = 1.0, upper_inclusive = true }},
  {{ code = 3, label = "niedrig", lower = 1.0, lower_inclusive = false, upper = 1.5, upper_inclusive = true }},
  {{ code = 4, label = "sehr niedrig", lower = 1.5, lower_inclusive = false }},
]
"""


def data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = N_AREAS * N_PERIODS
    latent = rng.normal(size=n)
    return pd.DataFrame(
        {
            "id": np.tile([f"{i:08d}" for i in range(N_AREAS)], N_PERIODS),
            "jahr": np.repeat([str(2005 + p) for p in range(N_PERIODS)], N_AREAS),
            **{f"i{i}": 10 + latent * (1 + i / 10) + rng.normal(0, 1, n) for i in range(N_IND)},
        }
    )


def pandas_index(df: pd.DataFrame) -> pd.Series:
    """The same index written as a plain pandas script."""
    cols = [f"i{i}" for i in range(N_IND)]
    g = df.groupby("jahr")[cols]
    z = (df[cols] - g.transform("mean")) / g.transform(lambda s: s.std(ddof=0))
    s = z.sum(axis=1)
    gs = s.groupby(df["jahr"])
    idx = (s - gs.transform("mean")) / gs.transform(lambda v: v.std(ddof=0))
    return pd.cut(idx, [-np.inf, -1, 1, 1.5, np.inf], right=True, labels=[1, 2, 3, 4]).astype(float)


def best(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> dict[str, float]:
    df = data()
    spec = parse_spec(SPEC, "bench")
    t_index = best(lambda: apply_index(spec, df))
    t_pandas = best(lambda: pandas_index(df))
    ours = apply_index(spec, df).table["status__class"].astype(float).to_numpy()
    theirs = pandas_index(df).to_numpy()
    agree = float(np.mean(ours == theirs))
    one = df[df["jahr"] == "2024"].reset_index(drop=True)
    t_typ = best(lambda: typology(one, [f"i{i}" for i in range(N_IND)], k=6, seed=1), repeat=2)
    t_sens = best(lambda: sensitivity(spec, one, "status"), repeat=1)
    out = {
        "index_s": t_index,
        "pandas_s": t_pandas,
        "ratio_vs_pandas": t_index / t_pandas,
        "typology_s": t_typ,
        "sensitivity_s": t_sens,
        "agreement": agree,
    }
    print(
        f"Index + Klassen: {t_index:.2f} s für {N_AREAS:,} Gebiete × {N_PERIODS} Zeiträume × {N_IND} "
        f"Indikatoren (Ziel ≤ 1 s); pandas-Skript {t_pandas:.2f} s → Verhältnis {t_index / t_pandas:.2f}; "
        f"gleiche Klassen: {agree:.1%}"
    )
    print(
        f"k-Means-Typologie (6 Typen, 11.000 Gebiete, Silhouette auf 5.000er Stichprobe): {t_typ:.2f} s "
        f"(Ziel ≤ 2 s)"
    )
    print(
        f"Sensitivität (10 Indikatoren × ±20 % und Weglassen = 30 Neuberechnungen, 11.000 Gebiete): "
        f"{t_sens:.2f} s (Ziel ≤ 5 s)"
    )
    return out


if __name__ == "__main__":
    main()
