"""Contraction of chains: the searches run on junctions only.

Most nodes of a street network lie inside a street, with exactly one way in and one way on
(in Heidelberg seven of eight).  A *walk* is a maximal directed run through such nodes from
one junction to the next; the contracted graph has one edge per walk.  Every node keeps its
*attachments*: the junctions it reaches along its walks (out) and those that reach it (in),
with the cost in between, and its position on each walk.  A search on the junctions and one
vectorised step over the attachments give exactly the costs of a search on all nodes — except
between two points on the same walk, which :func:`direct` adds (the path along the street
without passing a junction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Chains:
    junctions: np.ndarray  # global node ids of the junctions, ascending
    fwd: Any  # csr over junction indices
    rev: Any
    out_j: np.ndarray  # (N, 2) junction index reached from the node along a walk (-1: none)
    out_c: np.ndarray  # (N, 2) cost node → that junction
    in_j: np.ndarray  # (N, 2) junction index that reaches the node along a walk
    in_c: np.ndarray  # (N, 2) cost that junction → node
    walk_of: np.ndarray  # (N, 2) walks through an inner node (-1: none)
    walk_pos: np.ndarray  # (N, 2) cost from the walk's start to the node
    walk_ptr: np.ndarray  # inner nodes of walk w: walk_nodes[walk_ptr[w]:walk_ptr[w + 1]]
    walk_nodes: np.ndarray
    walk_cum: np.ndarray
    by_end: tuple[np.ndarray, np.ndarray]  # walks ending at junction j: [1][[0][j]:[0][j + 1]]
    by_start: tuple[np.ndarray, np.ndarray]  # walks starting at junction j
    walk_start: np.ndarray  # junction index where each walk starts
    walk_end: np.ndarray  # and ends
    walk_total: np.ndarray  # its cost
    twin: np.ndarray  # the walk through the same nodes the other way (-1: one-way street)
    canon: np.ndarray  # the smaller of a walk and its twin (one id per street)


def aranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, e) for each pair, vectorised."""
    sizes = ends - starts
    offsets = np.cumsum(sizes) - sizes
    return np.repeat(starts - offsets, sizes) + np.arange(int(sizes.sum()))


def cheapest(rows: np.ndarray, cols: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, ...]:
    """Edges sorted by row and column, of parallel edges only the cheapest."""
    order = np.lexsort((cost, cols, rows))
    rows, cols, cost = rows[order], cols[order], cost[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])][: len(rows)]
    return rows[first], cols[first], cost[first]


def _inner_nodes(rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    """Nodes with two neighbours that are passed straight through (both ways or one way)."""
    outdeg = np.bincount(rows, minlength=n)
    indeg = np.bincount(cols, minlength=n)
    pairs = np.unique(np.minimum(rows, cols) * n + np.maximum(rows, cols))
    nbrs = np.bincount(pairs // n, minlength=n) + np.bincount(pairs % n, minlength=n)
    in_nbr = np.full(n, -1, dtype=np.int64)
    out_nbr = np.full(n, -1, dtype=np.int64)
    in_nbr[cols] = rows
    out_nbr[rows] = cols
    two_way = (indeg == 2) & (outdeg == 2)
    one_way = (indeg == 1) & (outdeg == 1) & (in_nbr != out_nbr)
    return np.asarray((nbrs == 2) & (two_way | one_way))


def _walk(
    rows: np.ndarray, cols: np.ndarray, cost: np.ndarray, inner: np.ndarray, n: int
) -> tuple[np.ndarray, ...]:
    """Follow every edge that leaves a junction through inner nodes to the next junction."""
    ip = np.r_[0, np.cumsum(np.bincount(rows, minlength=n))]  # rows are sorted
    first = np.minimum(ip[:-1], len(cols) - 1)
    second = np.minimum(ip[:-1] + 1, len(cols) - 1)
    start_e = np.nonzero(~inner[rows])[0]
    start = rows[start_e]
    cur, prev, cum = cols[start_e].copy(), rows[start_e].copy(), cost[start_e].copy()
    rec_w, rec_n, rec_c = [], [], []
    active = np.arange(len(start_e))
    for _ in range(n + 1):
        active = active[inner[cur[active]]]
        if not active.size:
            break
        q, p = cur[active], prev[active]
        rec_w.append(active)
        rec_n.append(q)
        rec_c.append(cum[active].copy())
        take_first = cols[first[q]] != p
        e = np.where(take_first, first[q], second[q])
        prev[active] = q
        cur[active] = cols[e]
        cum[active] += cost[e]
    cat = lambda parts, dt: np.concatenate(parts) if parts else np.zeros(0, dt)  # noqa: E731
    return start, cur, cum, cat(rec_w, np.int64), cat(rec_n, np.int64), cat(rec_c, float)


def contract(rows: np.ndarray, cols: np.ndarray, cost: np.ndarray, n: int) -> Chains:
    """Contract the directed graph (edges sorted by row, no parallel edges, no loops)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    inner = _inner_nodes(rows, cols, n)
    while True:
        start, end, total, rec_w, rec_n, rec_c = _walk(rows, cols, cost, inner, n)
        seen = np.zeros(n, dtype=bool)
        seen[rec_n] = True
        lost = inner & ~seen  # rings without any junction: make one node of each a junction
        if not lost.any():
            break
        m = lost[rows] & lost[cols]
        ring = sp.csr_array((np.ones(int(m.sum())), (rows[m], cols[m])), shape=(n, n))
        _, label = connected_components(ring, directed=False)
        nodes = np.nonzero(lost)[0]
        _, rep = np.unique(label[nodes], return_index=True)
        inner[nodes[rep]] = False
    used = np.zeros(n, dtype=bool)
    used[rows] = True
    used[cols] = True
    junctions = np.nonzero(used & ~inner)[0]
    jidx = np.full(n, -1, dtype=np.int64)
    jidx[junctions] = np.arange(len(junctions))
    js, je = jidx[start], jidx[end]
    keep = js != je
    a, b, c = cheapest(js[keep], je[keep], total[keep])
    size = len(junctions)
    fwd = sp.csr_array((c, (a, b)), shape=(size, size))
    rev = sp.csr_array((c, (b, a)), shape=(size, size))
    return _attachments(junctions, jidx, fwd, rev, start, end, total, rec_w, rec_n, rec_c, n)


def _attachments(
    junctions: np.ndarray,
    jidx: np.ndarray,
    fwd: Any,
    rev: Any,
    start: np.ndarray,
    end: np.ndarray,
    total: np.ndarray,
    rec_w: np.ndarray,
    rec_n: np.ndarray,
    rec_c: np.ndarray,
    n: int,
) -> Chains:
    shape = (n, 2)
    out_j, in_j, walk_of = (np.full(shape, -1, dtype=np.int64) for _ in range(3))
    out_c, in_c, walk_pos = (np.full(shape, np.inf) for _ in range(3))
    out_j[junctions, 0] = in_j[junctions, 0] = np.arange(len(junctions))
    out_c[junctions, 0] = in_c[junctions, 0] = 0.0
    order = np.lexsort((rec_w, rec_n))
    w, y, cum = rec_w[order], rec_n[order], rec_c[order]
    slot = np.r_[0, (y[1:] == y[:-1]).astype(np.int64)] if len(y) else np.zeros(0, np.int64)
    out_j[y, slot], out_c[y, slot] = jidx[end[w]], total[w] - cum
    in_j[y, slot], in_c[y, slot] = jidx[start[w]], cum
    walk_of[y, slot], walk_pos[y, slot] = w, cum
    twin = np.full(len(start), -1, dtype=np.int64)
    both = walk_of[:, 1] >= 0
    twin[walk_of[both, 0]] = walk_of[both, 1]
    twin[walk_of[both, 1]] = walk_of[both, 0]
    by_walk = np.lexsort((rec_c, rec_w))
    ptr = np.r_[0, np.cumsum(np.bincount(rec_w, minlength=len(start)))]
    size = len(junctions)
    return Chains(
        junctions, fwd, rev, out_j, out_c, in_j, in_c, walk_of, walk_pos, ptr,
        rec_n[by_walk], rec_c[by_walk], _index(jidx[end], size), _index(jidx[start], size),
        jidx[start], jidx[end], total, twin, np.where((twin >= 0) & (twin < np.arange(len(twin))), twin,
        np.arange(len(twin))),
    )  # fmt: skip


def _index(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions grouped by key: ``order[ptr[k]:ptr[k + 1]]`` are the positions with key k."""
    order = np.argsort(keys, kind="stable")
    return np.r_[0, np.cumsum(np.bincount(keys, minlength=size))], order


def direct(
    ch: Chains, src: np.ndarray, tgt: np.ndarray, reverse: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (source index, target index, cost) of nodes on a common walk, along the walk only.

    ``reverse``: the cost from the target to the source, else from the source to the target."""
    s_idx = np.repeat(np.arange(len(src)), 2)
    s_walk = ch.walk_of[src].ravel()
    s_pos = ch.walk_pos[src].ravel()
    ok = s_walk >= 0
    s_idx, s_walk, s_pos = s_idx[ok], s_walk[ok], s_pos[ok]
    sizes = ch.walk_ptr[s_walk + 1] - ch.walk_ptr[s_walk]
    pos = aranges(ch.walk_ptr[s_walk], ch.walk_ptr[s_walk + 1])
    owner = np.repeat(np.arange(len(s_walk)), sizes)
    gap = s_pos[owner] - ch.walk_cum[pos] if reverse else ch.walk_cum[pos] - s_pos[owner]
    keep = gap >= 0
    owner, node, gap = owner[keep], ch.walk_nodes[pos][keep], gap[keep]
    order = np.argsort(tgt, kind="stable")
    lo = np.searchsorted(tgt[order], node, side="left")
    hi = np.searchsorted(tgt[order], node, side="right")
    hit = aranges(lo, hi)
    rep = np.repeat(np.arange(len(node)), hi - lo)
    return s_idx[owner[rep]], order[hit], gap[rep]
