"""Benchmark of issue #13, point 4: Zensus grid cells onto area layers.

* all 214,633 populated 1 km cells of the Zensus 2011 (Parquet, EPSG:3035) into the 10,978
  Gemeinden of VG5000 (EPSG:31467, transformed once into EPSG:3035): ≤ 10 s and at most half
  the time of geopandas ``sjoin`` used as its documentation recommends for points in polygons
  (``predicate="within"``, then ``groupby`` for the sums) in the same run (ratio ≤ 0.5);
* a 100 m grid over Berlin (no real 100 m file ships with the project: the 90,508 cells of the
  100 m INSPIRE grid touching Berlin's 542 Planungsräume, with generated inhabitants) into the
  Planungsräume (the Sozialräume of the LOR system) in ≤ 5 s, both methods;
* a generated 100 m grid of all Germany (about 3 million cells) into the Gemeinden;
* the whole import as a planner runs it (read the file, assign, aggregate, store; the Berlin
  grid written as a Zensus 2022 CSV first).

Each timing is the best of three runs (the machine is shared).  Run:
``.venv/bin/python bench/run.py grid``.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planlabor.demo import data_dir

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parent.parent
ZENSUS = ROOT / "tests" / "data" / "zensus2011_1km"
VG5000_GEM = data_dir() / "deutschland" / "VG5000_GEM.shp"
PLR = data_dir() / "berlin" / "lor_2021" / "lor_planungsraeume_2021.shp"


def best(fn: Callable[[], Any], n: int = 3) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def ours(
    x: np.ndarray, y: np.ndarray, size: float, polys: Any, values: np.ndarray, method: str
) -> np.ndarray:
    from planlabor.spatial.grid import CellValues, aggregate, assign_cells

    a = assign_cells(x, y, size, polys, method)  # type: ignore[arg-type]
    none = np.zeros(len(x), dtype=bool)
    return aggregate(a, CellValues(values, none, none))["value"].to_numpy()


def sjoin(x: np.ndarray, y: np.ndarray, polys: Any, values: np.ndarray) -> pd.Series:
    cells = gpd.GeoDataFrame({"v": values}, geometry=gpd.points_from_xy(x, y), crs="EPSG:3035")
    areas = gpd.GeoDataFrame({"area": np.arange(len(polys))}, geometry=polys, crs="EPSG:3035")
    joined = gpd.sjoin(cells, areas, predicate="within", how="inner")
    return joined.groupby("area")["v"].sum()


def bench_germany() -> dict[str, float]:
    from planlabor.spatial.grid import to_grid_crs

    gem = gpd.read_file(VG5000_GEM)
    cells = pd.read_parquet(ZENSUS / "continuous_Einwohner.parquet")
    cells = cells[cells["Einwohner"] > 0]
    x, y = cells["x"].to_numpy(float), cells["y"].to_numpy(float)
    ew = cells["Einwohner"].to_numpy(float)
    t_crs, polys = best(lambda: np.asarray(to_grid_crs(gem.geometry.values, "EPSG:31467")))
    t_c, sums_c = best(lambda: ours(x, y, 1000, polys, ew, "zentroid"))
    t_a, sums_a = best(lambda: ours(x, y, 1000, polys, ew, "flaeche"))
    t_s, sums_s = best(lambda: sjoin(x, y, polys, ew))
    same = np.allclose(np.nan_to_num(sums_c), sums_s.reindex(range(len(polys)), fill_value=0).to_numpy())
    assert same, "centroid sums differ from sjoin"
    return {
        "cells": len(x),
        "areas": len(polys),
        "crs": t_crs,
        "zentroid": t_c,
        "flaeche": t_a,
        "sjoin": t_s,
        "total_c": float(np.nansum(sums_c)),
        "total_a": float(np.nansum(sums_a)),
    }


def bench_germany_100m() -> dict[str, float]:
    """A 100 m grid of all Germany (no real file ships: up to 15 generated 100 m cells in each
    populated 1 km cell, about 3 million, as many as the Zensus 2022 100 m file has) into the
    Gemeinden; one run each."""
    from planlabor.spatial.grid import to_grid_crs

    cells = pd.read_parquet(ZENSUS / "continuous_Einwohner.parquet")
    cells = cells[cells["Einwohner"] > 0]
    sub = np.random.default_rng(0).integers(0, 100, (len(cells), 15))
    x = (cells["x"].to_numpy()[:, None] - 450 + (sub % 10) * 100).ravel().astype(float)
    y = (cells["y"].to_numpy()[:, None] - 450 + (sub // 10) * 100).ravel().astype(float)
    first = np.unique(pd.factorize(x * 1e7 + y)[0], return_index=True)[1]
    x, y = x[first], y[first]
    polys = np.asarray(to_grid_crs(gpd.read_file(VG5000_GEM).geometry.values, "EPSG:31467"))
    ones = np.ones(len(x))
    t_c, _ = best(lambda: ours(x, y, 100, polys, ones, "zentroid"), n=1)
    t_a, _ = best(lambda: ours(x, y, 100, polys, ones, "flaeche"), n=1)
    return {"cells": len(x), "zentroid": t_c, "flaeche": t_a}


def berlin_grid() -> tuple[np.ndarray, np.ndarray, Any]:
    """Centres of the 100 m INSPIRE cells touching Berlin, and the 542 PLR in EPSG:3035."""
    plr = gpd.read_file(PLR).to_crs("EPSG:3035")
    polys = np.asarray(plr.geometry.values)
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    s = 100.0
    xs = np.arange(np.floor(minx / s) * s, maxx, s) + s / 2
    ys = np.arange(np.floor(miny / s) * s, maxy, s) + s / 2
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    berlin = shapely.union_all(polys)
    shapely.prepare(berlin)
    touch = shapely.intersects(berlin, shapely.box(gx - s / 2, gy - s / 2, gx + s / 2, gy + s / 2))
    return gx[touch], gy[touch], polys


def bench_berlin() -> dict[str, float]:
    gx, gy, polys = berlin_grid()
    rng = np.random.default_rng(13)
    ew = rng.poisson(40, len(gx)).astype(float)
    t_c, _ = best(lambda: ours(gx, gy, 100, polys, ew, "zentroid"))
    t_a, _ = best(lambda: ours(gx, gy, 100, polys, ew, "flaeche"))
    t_s, _ = best(lambda: sjoin(gx, gy, polys, ew))
    return {"cells": len(gx), "areas": len(polys), "zentroid": t_c, "flaeche": t_a, "sjoin": t_s}


def bench_import() -> dict[str, float]:
    """The whole import as a planner runs it, into fresh workspaces."""
    from planlabor.areas import AreaImportOptions
    from planlabor.areas.keys_grid import format_cell_ids
    from planlabor.spatial.grid_import import import_grid
    from planlabor.workspace import Workspace

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        de = Workspace.init(Path(tmp) / "de", name="Deutschland", crs="EPSG:25832")
        de.import_areas(VG5000_GEM, AreaImportOptions(layer="gemeinde", id_column="ARS", name_column="GEN"))
        for method in ("zentroid", "flaeche"):
            out[f"de_{method}"], _ = best(
                lambda m=method: import_grid(
                    de.store, ZENSUS / "continuous_Einwohner.parquet", "gemeinde", method=m
                )
            )
        de.close()
        gx, gy, _ = berlin_grid()
        ids = format_cell_ids((gx - 50).astype(np.int64), (gy - 50).astype(np.int64), 100)
        ew = np.random.default_rng(13).poisson(40, len(gx))
        csv = Path(tmp) / "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv"
        frame = pd.DataFrame(
            {"GITTER_ID_100m": ids, "x_mp_100m": gx.astype(int), "y_mp_100m": gy.astype(int)}
        )
        frame.assign(Einwohner=ew).to_csv(csv, sep=";", index=False)
        be = Workspace.init(Path(tmp) / "be", name="Berlin", crs="EPSG:25833")
        be.import_areas(PLR, AreaImportOptions(layer="plr", id_column="PLR_ID", name_column="PLR_NAME"))
        for method in ("zentroid", "flaeche"):
            out[f"be_{method}"], _ = best(lambda m=method: import_grid(be.store, csv, "plr", method=m))
        be.close()
    return out


def de_(n: float) -> str:
    return f"{n:,.0f}".replace(",", ".")


def main() -> dict[str, float]:
    de = bench_germany()
    print(
        f"Zensus 2011, {de_(de['cells'])} bewohnte 1-km-Zellen → {de_(de['areas'])} Gemeinden (VG5000): "
        f"Zentroid {de['zentroid']:.2f} s, Flächenanteil {de['flaeche']:.2f} s (Ziel ≤ 10 s); "
        f"geopandas sjoin within + groupby {de['sjoin']:.2f} s → Verhältnis Zentroid/sjoin "
        f"{de['zentroid'] / de['sjoin']:.2f} (Ziel ≤ 0,5); Umprojektion der Gemeinden {de['crs']:.2f} s"
    )
    be = bench_berlin()
    print(
        f"Berlin 100-m-Gitter (erzeugt), {de_(be['cells'])} Zellen → {be['areas']} PLR: "
        f"Zentroid {be['zentroid']:.3f} s, Flächenanteil {be['flaeche']:.3f} s (Ziel ≤ 5 s); "
        f"sjoin {be['sjoin']:.2f} s"
    )
    big = bench_germany_100m()
    print(
        f"Deutschland 100-m-Gitter (erzeugt), {de_(big['cells'])} Zellen → Gemeinden: "
        f"Zentroid {big['zentroid']:.2f} s, Flächenanteil {big['flaeche']:.2f} s"
    )
    imp = bench_import()
    print(
        f"Ganzer Import (lesen, zuordnen, speichern): Deutschland Parquet → Gemeinden Zentroid "
        f"{imp['de_zentroid']:.2f} s, Flächenanteil {imp['de_flaeche']:.2f} s; Berlin 100-m-CSV → PLR "
        f"Zentroid {imp['be_zentroid']:.2f} s, Flächenanteil {imp['be_flaeche']:.2f} s"
    )
    return {
        **{f"de_{k}": v for k, v in de.items()},
        **{f"be_{k}": v for k, v in be.items()},
        **{f"de100_{k}": v for k, v in big.items()},
        **imp,
    }


if __name__ == "__main__":
    main()
