"""Benchmark of issue 19 (routing part of point 5) on the Heidelberg network (OSM, ODbL):

* 10-minute walking isochrones for 500 facilities;
* network 2SFCA for 500 facilities × 1,000 demand points (10 minutes walking, Gaussian decay);

each against networkx shortest paths (``single_source_dijkstra_path_length`` with cutoff) on the
same graph in the same run, results compared; target ≤ 0.1 × networkx.  Also the import of the
extract and, if installed, pandana's range query (``nodes_in_range``) for the architecture notes.

Run: ``make bench`` or ``.venv/bin/python bench/run.py network``.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

warnings.filterwarnings("ignore")
PBF = Path(__file__).resolve().parent.parent / "tests" / "data" / "osm" / "heidelberg.test.pbf"
CRS = "EPSG:25832"
BOX = (472000.0, 5467000.0, 484000.0, 5477000.0)  # built-up Heidelberg (UTM 32)
MINUTES = 10.0
REPEAT = 3


def _import() -> tuple[Any, dict[str, float]]:
    from planlabor.network import import_network, load_network
    from planlabor.network.storage import _CACHE
    from planlabor.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.init(Path(tmp) / "ws", name="Heidelberg", crs=CRS)
        t0 = time.perf_counter()
        rep = import_network(ws.store, PBF, CRS)
        t_import = time.perf_counter() - t0
        _CACHE.clear()
        t0 = time.perf_counter()
        net = load_network(ws.store)
        t_load = time.perf_counter() - t0
        ws.close()
    t0 = time.perf_counter()
    graph = net.graph("fuss", "min")  # type: ignore[union-attr]
    graph.attach(np.zeros((1, 2)))  # builds the point index too
    t_graph = time.perf_counter() - t0
    print(
        f"Import heidelberg.test.pbf: {_de(rep.ways)} Wege, {_de(rep.nodes)} Knoten, {_de(rep.edges)} Kanten "
        f"in {_de(t_import, 1)} s; Laden {_de(t_load, 2)} s; Fußgraph mit Verdichtung {_de(t_graph, 2)} s "
        f"({_de(len(graph.chains.junctions))} Knotenpunkte von {_de(len(graph.main))} Knoten)"
    )
    return graph, {"import": t_import, "load": t_load, "graph": t_graph}


def _de(value: float, decimals: int = 0) -> str:
    from planlabor.io.export import format_number_de

    return format_number_de(float(value), decimals)


def _points(graph: Any, n: int, seed: int) -> np.ndarray:
    """Random points near the walkable network inside the city (jittered nodes)."""
    xy = graph.net.xy[graph.main]
    inside = (xy[:, 0] > BOX[0]) & (xy[:, 0] < BOX[2]) & (xy[:, 1] > BOX[1]) & (xy[:, 1] < BOX[3])
    rng = np.random.default_rng(seed)
    return xy[inside][rng.choice(int(inside.sum()), n, replace=False)] + rng.normal(0, 25, (n, 2))


def _nx_graph(graph: Any) -> Any:
    import networkx as nx

    g = nx.DiGraph()
    coo = graph.rev.tocoo()
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True))
    return g


def bench_isochrones(graph: Any, nxg: Any, fac: np.ndarray) -> dict[str, float]:
    import networkx as nx

    from planlabor.network.isochrones import polygons

    nodes, off, _ = graph.attach(fac)
    ours: dict[int, np.ndarray] = {}
    t_ours = t_nx = float("inf")
    for _ in range(REPEAT):  # best of three on both sides (the machine is shared)
        t0 = time.perf_counter()
        for bat in graph.bounded(fac, MINUTES, reverse=True):
            for k, i in enumerate(bat.sources):
                ours[int(i)] = bat.reached(k)[0]  # every reached node with its cost
        t_ours = min(t_ours, time.perf_counter() - t0)
        t0 = time.perf_counter()
        theirs = [
            nx.single_source_dijkstra_path_length(nxg, int(n), cutoff=MINUTES - o)
            for n, o in zip(nodes, off, strict=True)
        ]
        t_nx = min(t_nx, time.perf_counter() - t0)
    same = all(set(ours[i].tolist()) == set(theirs[i]) for i in range(len(fac)))
    assert same, "reached nodes differ from networkx"
    reached = np.mean([len(t) for t in theirs])
    t0 = time.perf_counter()
    polys = polygons(graph, fac, MINUTES)
    t_poly = time.perf_counter() - t0
    area = np.median([p.area for p in polys]) / 1e6
    print(
        f"Isochronen 10 min zu Fuß, 500 Einrichtungen (Ø {reached:.0f} erreichte Knoten): planlabor "
        f"{t_ours:.3f} s, networkx {t_nx:.2f} s → Verhältnis {t_ours / t_nx:.3f} (Ziel ≤ 0,1); "
        f"gleiche Knoten: {'ja' if same else 'NEIN'}".replace(".", ",")
    )
    print(f"  mit Polygonen (konkave Hülle, Median {area:.2f} km²): {t_poly:.2f} s für 500".replace(".", ","))
    return {"iso_ours": t_ours, "iso_nx": t_nx, "iso_polygons": t_poly}


def _nx_2sfca(
    graph: Any, nxg: Any, fac: np.ndarray, dem: np.ndarray, supply: np.ndarray, demand: np.ndarray
) -> np.ndarray:
    """The same 2SFCA with networkx: one cut-off Dijkstra per facility, then the two steps."""
    import networkx as nx

    from planlabor.spatial.coverage import decay_weights

    f_nodes, f_off, _ = graph.attach(fac)
    d_nodes, d_off, _ = graph.attach(dem)
    at_node: dict[int, list[int]] = {}
    for i, dn in enumerate(d_nodes.tolist()):
        at_node.setdefault(dn, []).append(i)
    rows, cols, cost = [], [], []
    for j, (n, o) in enumerate(zip(f_nodes.tolist(), f_off, strict=True)):
        dist = nx.single_source_dijkstra_path_length(nxg, n, cutoff=MINUTES - o)
        dist.setdefault(n, np.inf)  # demand at the facility's node: the straight line may count
        for node, c in dist.items():
            for i in at_node.get(node, ()):
                total = c + o + d_off[i]
                if node == n:  # same node: the straight line if shorter (as planlabor)
                    total = min(total, float(np.hypot(*(dem[i] - fac[j]))) * graph.access)
                if total <= MINUTES:
                    rows.append(i)
                    cols.append(j)
                    cost.append(total)
    i_, j_, d_ = np.array(rows), np.array(cols), np.array(cost)
    w = decay_weights(d_, MINUTES, "gaussian")
    wd = np.bincount(j_, weights=w * demand[i_], minlength=len(fac))
    ratio = np.where(wd > 0, supply / np.where(wd > 0, wd, 1), 0.0)
    return np.bincount(i_, weights=w * ratio[j_], minlength=len(dem))


def bench_2sfca(graph: Any, nxg: Any, fac: np.ndarray, dem: np.ndarray) -> dict[str, float]:
    from planlabor.network.scenario import NetworkDistance
    from planlabor.spatial.coverage import two_step_fca

    rng = np.random.default_rng(5)
    supply = rng.integers(20, 120, len(fac)).astype(float)
    demand = rng.integers(5, 300, len(dem)).astype(float)
    t_ours = t_nx = float("inf")
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        ours = two_step_fca(dem, demand, fac, supply, MINUTES, "gaussian", NetworkDistance(graph))
        t_ours = min(t_ours, time.perf_counter() - t0)
        t0 = time.perf_counter()
        theirs = _nx_2sfca(graph, nxg, fac, dem, supply, demand)
        t_nx = min(t_nx, time.perf_counter() - t0)
    same = bool(np.allclose(ours, theirs, rtol=1e-9, atol=1e-12))
    assert same, "2SFCA differs from networkx"
    print(
        "2SFCA auf dem Netz, 500 Einrichtungen × 1000 Nachfragepunkte, 10 min zu Fuß, Gauß: planlabor "
        f"{_de(t_ours, 3)} s, networkx {_de(t_nx, 2)} s → Verhältnis {_de(t_ours / t_nx, 3)} (Ziel ≤ 0,1); "
        f"gleiches Ergebnis: {'ja' if same else 'NEIN'}"
    )
    return {"sfca_ours": t_ours, "sfca_nx": t_nx}


def bench_pandana(graph: Any, fac: np.ndarray) -> dict[str, float]:
    """pandana (contraction hierarchies) for the record, if installed: build and range query."""
    try:
        import pandana
    except ImportError:
        print("pandana nicht installiert: Vergleich übersprungen")
        return {}
    import contextlib
    import io
    import os

    import pandas as pd
    from pandana.network import Network

    coo = graph.fwd.tocoo()
    xy = graph.net.xy
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    os.dup2(devnull, 1)  # pandana's C++ part prints progress
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            t0 = time.perf_counter()
            net = Network(
                pd.Series(xy[:, 0]), pd.Series(xy[:, 1]), pd.Series(coo.row), pd.Series(coo.col),
                pd.DataFrame({"minuten": coo.data}), twoway=False,
            )  # fmt: skip
            t_build = time.perf_counter() - t0
            nodes = graph.attach(fac)[0]
            t0 = time.perf_counter()
            net.nodes_in_range(nodes.tolist(), MINUTES, "minuten")
            t_range = time.perf_counter() - t0
    finally:
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)
    print(
        f"pandana {pandana.__version__} (zum Vergleich): Hierarchie bauen {_de(t_build, 1)} s, "
        f"nodes_in_range für 500 Einrichtungen {_de(t_range, 2)} s"
    )
    return {"pandana_build": t_build, "pandana_range": t_range}


def main() -> dict[str, float]:
    graph, out = _import()
    fac, dem = _points(graph, 500, 1), _points(graph, 1000, 2)
    graph.attach(fac)
    t0 = time.perf_counter()
    nxg = _nx_graph(graph)
    print(
        f"networkx-Graph aus denselben Kanten: {time.perf_counter() - t0:.1f} s (nicht mitgezählt)".replace(
            ".", ","
        )
    )
    out |= bench_isochrones(graph, nxg, fac)
    out |= bench_2sfca(graph, nxg, fac, dem)
    out |= bench_pandana(graph, fac)
    return out


if __name__ == "__main__":
    main()
