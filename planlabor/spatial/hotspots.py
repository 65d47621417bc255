"""Hot spots and spatial autocorrelation with PySAL ``esda`` and ``libpysal``.

* global Moran's I (Moran 1950; esda ``Moran``) with a permutation p-value drawn here;
* local Moran's I (LISA, Anselin 1995): quadrant HH/LH/LL/HL, pseudo p-values from conditional
  randomisation, optionally with a false-discovery-rate correction (Benjamini–Hochberg via esda ``fdr``);
* Getis–Ord Gi* (Getis & Ord 1992; Ord & Getis 1995) z-scores and normal p-values (esda ``G_Local``).

Weights: queen or rook contiguity or a distance band (libpysal); areas without neighbours
(islands) are reported and get no local statistic.

The local statistic and quadrants come from esda.  The 999-fold conditional randomisation for
the pseudo p-values follows esda's scheme (one set of draws of neighbour positions shared by all
areas, the area itself never drawn) but runs here in vectorised NumPy: esda's version needs numba,
which compiles for 10–16 s at the start of every process, and warm it needs 3× the CPU time of
this one on 11,025 areas (docs/benchmarks.md).  It reports the folded (directed) pseudo p-value
(larger + 1) / (permutations + 1) as esda and GeoDa do.
The global test permutes the values the same way esda does, but from a generator seeded with
``seed``: esda draws from NumPy's global random state, so its p-value changed from run to run.
Every result depends on ``seed`` alone.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.progress import ticker
from planlabor.store import Store

QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
LABELS = {
    1: "hoch – hoch (Hot Spot)",
    2: "niedrig – hoch",
    3: "niedrig – niedrig (Cold Spot)",
    4: "hoch – niedrig",
    0: "nicht signifikant",
}


@dataclass
class HotspotResult:
    layer: str
    variable: str
    period: str
    weights: str
    n: int
    islands: list[str]
    moran_i: float
    moran_p: float
    local: pd.DataFrame  # area_id, value, local_i, quadrant, p, cluster, gi_z, gi_p
    alpha: float = 0.05
    fdr: bool = False
    notes: list[str] = field(default_factory=list)


def build_weights(geoms: Any, ids: list[str], kind: str = "queen", threshold: float | None = None) -> Any:
    """libpysal weights (row-standardised) for the given geometries."""
    import geopandas as gpd
    from libpysal import weights

    gdf = gpd.GeoDataFrame({"area_id": ids}, geometry=geoms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "queen":
            w = weights.Queen.from_dataframe(gdf, ids="area_id", use_index=False)
        elif kind == "rook":
            w = weights.Rook.from_dataframe(gdf, ids="area_id", use_index=False)
        elif kind == "distance":
            if not threshold:
                raise InputError(
                    "Distanzgewichte brauchen eine Entfernung in Metern.",
                    column="--threshold",
                    expected="z. B. --weights distance --threshold 1000",
                )
            pts = gdf.set_geometry(gdf.representative_point())
            w = weights.DistanceBand.from_dataframe(
                pts, threshold=threshold, binary=True, ids="area_id", use_index=False, silence_warnings=True
            )
        else:
            raise InputError(
                f"Unbekannte Nachbarschaft {kind!r}.",
                column="--weights",
                expected="queen, rook oder distance",
            )
    return w


def permuted_positions(n: int, k_max: int, permutations: int, seed: int) -> np.ndarray:
    """``permutations`` draws of ``k_max`` distinct positions among the n − 1 other areas
    (one row per draw, from a generator seeded with ``seed``)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(n - 1, k_max, replace=False) for _ in range(permutations)])


def conditional_pvalues(
    z: np.ndarray,
    w: Any,
    observed: np.ndarray,
    permutations: int = 999,
    seed: int = 0,
    threads: int | None = None,
    on_block: Callable[[str], None] | None = None,
) -> np.ndarray:
    """Folded pseudo p-values of local Moran's I by conditional randomisation.

    The scheme of esda's ``crand``: one set of draws shared by all areas; area i with k
    neighbours takes the first k positions of every draw, position j standing for area j if
    j < i and for area j + 1 otherwise (the area itself is never drawn).  Vectorised over the
    areas with the same number of neighbours, in blocks of about one million draws;
    ``on_block(label)`` hears :func:`blocks` times of the progress."""
    sp = w.sparse.tocsr()
    n = len(z)
    card = np.diff(sp.indptr)
    out = np.full(n, np.nan)
    total, reported = blocks(n), 0
    if permutations <= 0 or not card.any():
        if on_block is not None:
            for step in range(1, total + 1):
                on_block(f"Lokale Zufallsverteilung: Gebietsblock {step} von {total}")
        return out
    rids = permuted_positions(n, int(card.max()), permutations, seed)
    tasks: list[tuple[int, np.ndarray]] = []
    for k in np.unique(card[card > 0]):
        sel = np.flatnonzero(card == k)
        step = max(1, 1_000_000 // (permutations * int(k)))
        tasks += [(int(k), sel[s : s + step]) for s in range(0, len(sel), step)]

    def run(task: tuple[int, np.ndarray]) -> None:
        k, sel = task
        ids = rids[:, :k]
        below, above = z[ids], z[ids + 1]  # the value at position j for areas i > j and i ≤ j
        wk = sp.data[sp.indptr[sel][:, None] + np.arange(k)]
        zi = np.where(ids[None] >= sel[:, None, None], above[None], below[None])
        sims = np.matmul(zi, wk[:, :, None])[:, :, 0] * z[sel][:, None]
        larger = (sims >= observed[sel][:, None]).sum(axis=1)
        larger = np.minimum(larger, permutations - larger)
        out[sel] = (larger + 1) / (permutations + 1)

    with ThreadPoolExecutor(threads or os.cpu_count() or 1) as ex:
        for done, _ in enumerate(ex.map(run, tasks), start=1):
            while on_block is not None and reported < done * total // len(tasks):
                reported += 1
                on_block(f"Lokale Zufallsverteilung: Gebietsblock {reported} von {total}")
    return out


def blocks(n: int) -> int:
    """How many progress steps :func:`conditional_pvalues` reports (one per about 300 areas)."""
    return max(1, n // 300)


MORAN_BLOCK = 200  # permutations of global Moran's I per block


def moran_blocks(permutations: int) -> int:
    return -(-max(permutations, 0) // MORAN_BLOCK)


def moran_pvalue(
    z: np.ndarray, w: Any, permutations: int, seed: int = 0, on_block: Callable[[str], None] | None = None
) -> float:
    """Folded pseudo p-value of global Moran's I under random permutation of the values
    (esda ``Moran.p_sim``): (larger + 1) / (permutations + 1), ``larger`` the smaller tail count.
    Moran's I is proportional to zᵀWz (n, S₀ and zᵀz do not change under permutation)."""
    if permutations <= 0:
        return float("nan")
    sp = w.sparse.tocsr()
    observed = float(z @ (sp @ z))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31,)))
    sims = np.empty(permutations)
    for start in range(0, permutations, MORAN_BLOCK):
        block = rng.permuted(np.broadcast_to(z, (min(MORAN_BLOCK, permutations - start), len(z))), axis=1)
        sims[start : start + len(block)] = np.einsum("ij,ij->i", block, (sp @ block.T).T)
        if on_block is not None:
            on_block(f"Globales Moran's I: {start + len(block)} von {permutations} Permutationen")
    larger = int((sims >= observed).sum())
    larger = min(larger, permutations - larger)
    return (larger + 1) / (permutations + 1)


def analyse_values(
    values: pd.Series,
    geoms: Any,
    weights: str = "queen",
    threshold: float | None = None,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = False,
    seed: int = 0,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Global and local statistics of ``values`` (indexed by area id, aligned with ``geoms``);
    ``progress(step, total, label)`` hears of the neighbours, the statistics and every block of
    permutations."""
    import esda

    ids = [str(i) for i in values.index]
    ok = values.notna().to_numpy()
    notes = []
    if (~ok).any():
        notes.append(f"{int((~ok).sum())} Gebiet(e) ohne Wert nicht berücksichtigt")
    ids_ok = [i for i, o in zip(ids, ok, strict=True) if o]
    w = build_weights(geoms[ok], ids_ok, weights, threshold)
    islands = [str(i) for i in w.islands]
    keep = [i for i in ids_ok if i not in set(islands)]
    if len(keep) < 5:
        raise InputError("Zu wenige benachbarte Gebiete mit Werten für eine Hot-Spot-Analyse.")
    if islands:
        from libpysal.weights import w_subset

        w = w_subset(w, keep, silence_warnings=True)
        notes.append(f"{len(islands)} Gebiet(e) ohne Nachbarn (Inseln) nicht berücksichtigt")
    w.transform = "r"
    tick = ticker(progress, 2 + blocks(len(keep)) + moran_blocks(permutations))
    tick(f"Nachbarschaft ({weights}) gebildet: {len(keep)} Gebiete")
    y = values.loc[keep].to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        glob = esda.Moran(y, w, permutations=0)
        loc = esda.Moran_Local(y, w, permutations=0)
        gi = esda.G_Local(y, w, star=True, permutations=0, transform="R")
    z = (y - y.mean()) / y.std()
    tick("Moran's I, lokale Cluster und Gi* berechnet")
    p = conditional_pvalues(z, w, z * (w.sparse @ z), permutations, seed, on_block=tick)
    moran_p = moran_pvalue(z, w, permutations, seed, on_block=tick)
    sig = p <= alpha
    if fdr:
        threshold_p = esda.fdr(p, alpha)
        sig = p <= threshold_p
    q = np.asarray(loc.q)
    cluster = np.where(sig, q, 0)
    local = pd.DataFrame(
        {
            "area_id": keep,
            "value": y,
            "local_i": np.asarray(loc.Is),
            "quadrant": q,
            "p": p,
            "cluster": cluster,
            "cluster_label": [LABELS[int(c)] for c in cluster],
            "gi_z": np.asarray(gi.Zs),
            "gi_p": np.asarray(gi.p_norm),
        }
    )
    return {
        "local": local,
        "islands": islands,
        "moran_i": float(glob.I),
        "moran_p": moran_p,
        "n": len(keep),
        "notes": notes,
    }


def analyse(
    store: Store,
    layer: str,
    variable: str,
    period: str,
    weights: str = "queen",
    threshold: float | None = None,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = False,
    seed: int = 0,
    save: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> HotspotResult:
    """Hot spots of an observed variable or computed indicator on ``layer`` for ``period``."""
    import shapely

    obs = store.observations(layer, [variable], [period])
    if obs.empty:
        ind = store.indicator_values(layer, [variable], [period])
        if ind.empty:
            raise InputError(
                f"Für {variable!r} gibt es auf {layer!r} am {period} keine Werte.",
                column="--variable",
                hint="Variablen und Indikatoren zeigt 'planlabor status'.",
            )
        obs = ind.rename(columns={"indicator_id": "variable"})
    areas = store.areas(layer, geometry=True)
    values = obs.set_index("area_id")["value"].reindex(areas["area_id"]).astype(float)
    res = analyse_values(
        values,
        shapely.from_wkb(areas["geom"].tolist()),
        weights,
        threshold,
        permutations,
        alpha,
        fdr,
        seed,
        progress,
    )
    label = weights + (f" {threshold:g} m" if threshold else "")
    result = HotspotResult(
        layer=layer,
        variable=variable,
        period=period,
        weights=label,
        n=res["n"],
        islands=res["islands"],
        moran_i=res["moran_i"],
        moran_p=res["moran_p"],
        local=res["local"],
        alpha=alpha,
        fdr=fdr,
        notes=res["notes"],
    )
    if save:
        _save(store, result)
    return result


def _save(store: Store, r: HotspotResult) -> None:
    from planlabor.areas.hierarchy import layer_chain

    loc = r.local
    rows = []
    for col, var in (
        ("cluster", f"lisa_{r.variable}"),
        ("p", f"lisa_p_{r.variable}"),
        ("gi_z", f"gi_z_{r.variable}"),
    ):
        rows.append(
            pd.DataFrame(
                {
                    "layer_id": r.layer,
                    "area_id": loc["area_id"],
                    "variable": var,
                    "period": r.period,
                    "value": loc[col].astype(float),
                }
            )
        )
    top = layer_chain(store, r.layer)[-1]
    top_ids = store.areas(top)["area_id"].tolist()
    if top != r.layer and len(top_ids) == 1:
        rows.append(
            pd.DataFrame(
                {
                    "layer_id": [top] * 2,
                    "area_id": top_ids * 2,
                    "variable": [f"moran_i_{r.variable}", f"moran_p_{r.variable}"],
                    "period": [r.period] * 2,
                    "value": [r.moran_i, r.moran_p],
                }
            )
        )
    store.record_observations(
        "hotspots",
        r.layer,
        pd.concat(rows, ignore_index=True),
        {
            "layer": r.layer,
            "variable": r.variable,
            "period": r.period,
            "weights": r.weights,
            "alpha": r.alpha,
            "fdr": r.fdr,
            "moran_i": round(r.moran_i, 4),
        },
        message="; ".join(r.notes),
        rows_read=r.n,
    )
