"""Benchmark of issue #4: point assignment, re-basing, LISA, 2SFCA (Berlin geometries and generated data).

Targets on this 2-core machine:
* assign 1 M points to the 542 PLR faster than geopandas ``sjoin`` in the same run (ratio ≤ 0.8);
* re-base 448 → 542 areas for 20 variables × 10 periods ≤ 1 s with the crosswalk built once
  (baseline: tobler ``area_interpolate``, which overlays again on every call);
* LISA with 999 permutations on 11,000 areas ≤ 6 s on both cores (baseline: esda ``Moran_Local`` on
  one core in a fresh process, numba compilation included);
* 2SFCA for 3,000 facilities × 542 areas ≤ 1 s.

Run: ``make bench`` or ``.venv/bin/python bench/run.py spatial``.
"""

from __future__ import annotations

import subprocess
import sys
import time
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planlabor.demo import data_dir

warnings.filterwarnings("ignore")
BERLIN = data_dir() / "berlin"


def bench_points() -> tuple[float, float]:
    from planlabor.spatial.facilities import assign_points

    plr = gpd.read_file(BERLIN / "lor_2021" / "lor_planungsraeume_2021.shp")
    minx, miny, maxx, maxy = plr.total_bounds
    rng = np.random.default_rng(0)
    pts = shapely.points(rng.uniform(minx, maxx, 1_000_000), rng.uniform(miny, maxy, 1_000_000))
    polys = plr.geometry.values
    t0 = time.perf_counter()
    ours = assign_points(pts, polys)
    t_ours = time.perf_counter() - t0
    gpts = gpd.GeoDataFrame(geometry=pts, crs=plr.crs)
    t0 = time.perf_counter()
    joined = gpd.sjoin(gpts, plr[["PLR_ID", "geometry"]], predicate="intersects", how="left")
    t_sjoin = time.perf_counter() - t0
    joined = joined[~joined.index.duplicated()]
    theirs = joined["index_right"].fillna(-1).astype(int).to_numpy()
    assert (ours == theirs).mean() > 0.9999, "assignment differs from sjoin"
    return t_ours, t_sjoin


def bench_rebase() -> tuple[float, float]:
    from planlabor.areas.rebase import rebase_frame

    old = gpd.read_file(BERLIN / "lor_2006" / "lor_planungsraeume_2006.shp")
    new = gpd.read_file(BERLIN / "lor_2021" / "lor_planungsraeume_2021.shp")
    old["id"] = [f"o{i}" for i in range(len(old))]
    rng = np.random.default_rng(1)
    variables = [f"v{i}" for i in range(20)]
    periods = [str(2010 + p) for p in range(10)]
    values = pd.DataFrame(
        [
            (a, v, p, float(x))
            for a in old["id"]
            for v in variables
            for p in periods
            for x in [rng.integers(0, 5000)]
        ],
        columns=["area_id", "variable", "period", "value"],
    )
    # the crosswalk once (as planlabor stores it), then the re-basing of 20 × 10 slices
    inter = gpd.overlay(old[["id", "geometry"]], new[["PLR_ID", "geometry"]], how="intersection")
    inter["a"] = inter.area
    inter["w_extensive"] = inter["a"] / inter.groupby("id")["a"].transform("sum")
    inter["w_intensive"] = inter["a"] / inter.groupby("PLR_ID")["a"].transform("sum")
    cw = inter.rename(columns={"id": "source_id", "PLR_ID": "target_id"})[
        ["source_id", "target_id", "w_extensive", "w_intensive"]
    ]
    t0 = time.perf_counter()
    out = rebase_frame(values, cw, set())
    t_ours = time.perf_counter() - t0
    assert len(out) == 542 * 200
    from tobler.area_weighted import area_interpolate

    wide = values.pivot_table(index=["area_id", "period"], columns="variable", values="value").reset_index()
    t0 = time.perf_counter()
    for p in periods:
        src = old.merge(wide[wide["period"] == p], left_on="id", right_on="area_id")
        area_interpolate(src, new, extensive_variables=variables)
    t_tobler = time.perf_counter() - t0
    return t_ours, t_tobler


def bench_lisa() -> tuple[float, float]:
    from shapely.geometry import box

    from planlabor.spatial.hotspots import analyse_values

    n = 105
    geoms = np.array([box(c, r, c + 1, r + 1) for r in range(n) for c in range(n)], dtype=object)
    y = pd.Series(np.random.default_rng(2).normal(size=n * n), index=[str(i) for i in range(n * n)])
    t0 = time.perf_counter()
    res = analyse_values(y, geoms, "queen", permutations=999, seed=1)
    t_ours = time.perf_counter() - t0
    assert res["n"] == n * n
    code = (
        "import time, numpy as np, warnings; warnings.filterwarnings('ignore'); import libpysal, esda; "
        f"w = libpysal.weights.lat2W({n}, {n}, rook=False); w.transform = 'r'; "
        f"y = np.random.default_rng(2).normal(size={n * n}); t = time.perf_counter(); "
        "esda.Moran_Local(y, w, permutations=999, seed=1, n_jobs=1); print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return t_ours, float(out.stdout.strip().splitlines()[-1])


def bench_2sfca() -> float:
    from planlabor.spatial.coverage import two_step_fca

    plr = gpd.read_file(BERLIN / "lor_2021" / "lor_planungsraeume_2021.shp")
    rep = plr.representative_point()
    demand_xy = np.column_stack([rep.x, rep.y])
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = plr.total_bounds
    supply_xy = np.column_stack([rng.uniform(minx, maxx, 3000), rng.uniform(miny, maxy, 3000)])
    t0 = time.perf_counter()
    two_step_fca(
        demand_xy,
        rng.integers(0, 1000, len(plr)).astype(float),
        supply_xy,
        rng.integers(10, 150, 3000).astype(float),
        1000,
        "gaussian",
    )
    return time.perf_counter() - t0


def main() -> dict[str, float]:
    p_ours, p_sjoin = bench_points()
    print(
        f"1 Mio. Punkte → 542 PLR: planlabor {p_ours:.2f} s, geopandas sjoin {p_sjoin:.2f} s "
        f"→ Verhältnis {p_ours / p_sjoin:.2f} (Ziel ≤ 0,8)"
    )
    r_ours, r_tobler = bench_rebase()
    print(
        f"Umschlüsselung 448 → 542, 20 Variablen × 10 Zeiträume: {r_ours:.2f} s mit gespeicherter Zuordnung "
        f"(Ziel ≤ 1 s); tobler area_interpolate je Zeitraum: {r_tobler:.2f} s"
    )
    l_ours, l_esda = bench_lisa()
    print(
        f"LISA 999 Permutationen, 11.025 Gebiete (mit Nachbarschaft, Moran, Gi*): {l_ours:.2f} s auf 2 Kernen "
        f"(Ziel ≤ 6 s); esda Moran_Local 1 Kern, neuer Prozess: {l_esda:.2f} s"
    )
    t2 = bench_2sfca()
    print(f"2SFCA 3.000 Einrichtungen × 542 Gebiete, 1 km, Gauß: {t2:.3f} s (Ziel ≤ 1 s)")
    return {
        "points": p_ours,
        "sjoin": p_sjoin,
        "rebase": r_ours,
        "tobler": r_tobler,
        "lisa": l_ours,
        "esda": l_esda,
        "sfca": t2,
    }


if __name__ == "__main__":
    main()
