"""Shortest paths on the street network with scipy's compiled Dijkstra (``scipy.sparse.csgraph``).

A network (:class:`Network`) holds the nodes (in the workspace CRS) and edges of all profiles;
:meth:`Network.graph` builds the directed graph of one profile and cost (metres or minutes) as
compressed sparse rows, and its contraction to the junctions (:mod:`planlabor.network.chains`),
on which every search runs.  Bounded searches ("everything within 10 minutes") run on a window
of the graph only: a path of cost ``c`` never leaves the disc of radius ``c × v_max`` around its
start (an edge is never shorter than the straight line between its ends), so the nodes outside
that disc cannot change the result.  Nodes are sorted by grid cell, which makes every window a
few contiguous ranges of rows; cutting it out costs time in proportion to the window, and
Dijkstra's set-up per start node (linear in the graph size) shrinks with it.  Costs at all
other nodes follow from the junctions in one vectorised step.  See ``docs/architektur.md`` for
the measured comparison with pandana and networkx.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from planlabor.errors import InputError
from planlabor.network.chains import aranges, cheapest, contract, direct
from planlabor.network.profiles import PROFILES, Profile

Unit = Literal["m", "min"]
CELL_M = 250.0  # grid cell for the node order
BATCH = 128  # start nodes per Dijkstra call (rows of the dense result)
TILE = 4.0  # start points are grouped in grid tiles of TILE × the search radius


@dataclass
class Window:
    """A cut-out of a graph: ``nodes`` (ids, ascending), the graph between them (local ids) and
    the local id of every id of the whole graph (-1 outside)."""

    nodes: np.ndarray
    csr: Any
    index: np.ndarray | None = None

    def local(self, ids: np.ndarray) -> np.ndarray:
        """Local id of each id, -1 where it lies outside the window (or the id is negative)."""
        ids = np.asarray(ids)
        if self.index is not None:
            ok = (ids >= 0) & (ids < len(self.index))
            return np.where(ok, self.index[np.clip(ids, 0, len(self.index) - 1)], -1)
        if not len(self.nodes):
            return np.full(ids.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.nodes, ids), len(self.nodes) - 1)
        return np.where(self.nodes[pos] == ids, pos, -1)


@dataclass
class Network:
    """Nodes and edges of all profiles, nodes sorted by grid cell (see module description)."""

    xy: np.ndarray  # (N, 2) workspace CRS
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray  # metres along the ground
    codes: dict[str, np.ndarray]  # profile → 0 closed, 1 u→v, 2 v→u, 3 both
    car_kmh: np.ndarray
    crs: str
    import_id: int = 0
    scale: float = 1.0  # max (straight line in the CRS / ground length): bounds the windows
    _graphs: dict[tuple[Any, ...], Graph] = field(default_factory=dict, repr=False)
    _grid: _Grid | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        xy: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        length: np.ndarray,
        codes: dict[str, np.ndarray],
        car_kmh: np.ndarray,
        crs: str,
        import_id: int = 0,
    ) -> Network:
        """Sort the nodes by grid cell and renumber the edges accordingly."""
        xy = np.asarray(xy, dtype=float)
        cell = np.floor((xy - xy.min(axis=0)) / CELL_M).astype(np.int64)
        order = np.lexsort((cell[:, 0], cell[:, 1]))
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        u, v = rank[np.asarray(u)], rank[np.asarray(v)]
        xy = xy[order]
        straight = np.hypot(*(xy[u] - xy[v]).T)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(length > 0, straight / length, 1.0)
        scale = float(max(np.nanmax(ratio, initial=1.0), 1.0)) * 1.001
        length = np.asarray(length, float)
        return cls(xy, u, v, length, codes, np.asarray(car_kmh, float), crs, import_id, scale)

    @property
    def grid(self) -> _Grid:
        if self._grid is None:
            self._grid = _Grid(self.xy)
        return self._grid

    def graph(self, profile: str | Profile, unit: Unit = "m", kmh: float | None = None) -> Graph:
        """The directed graph of one profile, costs in metres or minutes (cached)."""
        p = profile if isinstance(profile, Profile) else PROFILES[profile]
        key = (p.id, unit, kmh)
        if key not in self._graphs:
            self._graphs[key] = Graph(self, p, unit, kmh)
        return self._graphs[key]


class _Grid:
    """Ranges of the nodes of each grid cell (nodes sorted by cell row, then column)."""

    def __init__(self, xy: np.ndarray, origin: np.ndarray | None = None) -> None:
        self.origin = origin if origin is not None else (xy.min(axis=0) if len(xy) else np.zeros(2))
        cell = np.floor((xy - self.origin) / CELL_M).astype(np.int64)
        self.ncols = int(cell[:, 0].max()) + 1 if len(xy) else 1
        self.nrows = int(cell[:, 1].max()) + 1 if len(xy) else 1
        key = cell[:, 1] * self.ncols + cell[:, 0]
        self.start = np.searchsorted(key, np.arange(self.ncols * self.nrows + 1))

    def ranges(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Node ranges [start, end) covering the box lo–hi (non-empty ranges only)."""
        top = [self.ncols - 1, self.nrows - 1]
        c0 = np.clip(np.floor((lo - self.origin) / CELL_M).astype(np.int64), 0, top)
        c1 = np.clip(np.floor((hi - self.origin) / CELL_M).astype(np.int64), 0, top)
        rows = np.arange(c0[1], c1[1] + 1)
        starts = self.start[rows * self.ncols + c0[0]]
        ends = self.start[rows * self.ncols + c1[0] + 1]
        keep = ends > starts
        return starts[keep], ends[keep]


def cut(csr: Any, grid: _Grid, lo: np.ndarray, hi: np.ndarray, extra: int = 0) -> Window:
    """The graph restricted to the nodes in the box lo–hi (edges leaving it dropped), with
    ``extra`` empty rows appended (for start points)."""
    import scipy.sparse as sp

    starts, ends = grid.ranges(lo, hi)
    nodes = aranges(starts, ends)
    ip = csr.indptr
    pos = aranges(ip[starts], ip[ends])
    to_local = np.full(csr.shape[0], -1, dtype=np.int64)
    to_local[nodes] = np.arange(len(nodes))
    local = to_local[csr.indices[pos]]
    ok = local >= 0
    deg = ip[nodes + 1] - ip[nodes]
    indptr = np.r_[0, np.cumsum(ok)][np.r_[0, np.cumsum(deg)]]
    indptr = np.r_[indptr, np.full(extra, indptr[-1])]
    size = len(nodes) + extra
    return Window(nodes, sp.csr_array((csr.data[pos][ok], local[ok], indptr), shape=(size, size)), to_local)


@dataclass
class Batch:
    """A bounded search from some start points: costs at the junctions of a window; :meth:`at`
    gives the cost at any node (``inf`` beyond the budget)."""

    graph: Graph
    sources: np.ndarray  # indices into the caller's points
    nodes: np.ndarray  # their nodes
    offsets: np.ndarray  # their access legs
    window: Window  # junction window
    jdist: np.ndarray  # (sources, window junctions)
    budget: float
    reverse: bool
    _reached: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def at(self, nodes: np.ndarray, which: np.ndarray | None = None) -> np.ndarray:
        """Cost between each start point (or those in ``which``) and each node (``reverse``:
        from the node to the start point)."""
        ch = self.graph.chains
        sel = np.arange(len(self.sources)) if which is None else np.asarray(which)
        jdist = self.jdist[sel]
        att_j, att_c = (ch.out_j, ch.out_c) if self.reverse else (ch.in_j, ch.in_c)
        out = np.full((len(sel), len(nodes)), np.inf)
        for slot in (0, 1):
            j = att_j[nodes, slot]
            loc = self.window.local(j)
            ok = (loc >= 0) & (j >= 0)
            out[:, ok] = np.minimum(out[:, ok], jdist[:, loc[ok]] + att_c[nodes[ok], slot])
        s, t, gap = direct(ch, self.nodes[sel], nodes, self.reverse)
        np.minimum.at(out, (s, t), gap + self.offsets[sel][s])
        out[out > self.budget] = np.inf
        return out

    def reached(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """All nodes within the budget of start point ``k`` (in no particular order) and their costs."""
        if self._reached is None:
            self._reached = self._reach_all()
        ks, nodes, cost = self._reached
        a, b = np.searchsorted(ks, [k, k + 1])
        return nodes[a:b], cost[a:b]

    def _reach_all(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(start point, node, cost) of every node within the budget, for all start points at
        once, sorted by start point: the reached junctions, then the inner nodes of each street
        (a walk and its twin the other way, counted once) that has a reached end or holds the
        start point; a node's cost is the cheaper of its two ends, or along the street from
        the start point."""
        ch = self.graph.chains
        k, loc = np.nonzero(np.isfinite(self.jdist))
        j = self.window.nodes[loc]
        ptr, walks = ch.by_end if self.reverse else ch.by_start
        per = ptr[j + 1] - ptr[j]
        w = walks[aranges(ptr[j], ptr[j + 1])]
        own = ch.walk_of[self.nodes]  # (m, 2)
        ok = own >= 0
        wk = np.concatenate([np.repeat(k, per), np.nonzero(ok)[0]])
        canon = ch.canon[np.concatenate([w, own[ok]])]
        pair = np.sort(wk * len(ch.walk_total) + canon)  # np.sort + mask: faster than np.unique here
        pair = pair[np.r_[True, pair[1:] != pair[:-1]]] if len(pair) else pair
        pk, pc = pair // len(ch.walk_total), pair % len(ch.walk_total)
        nodes, cost, pk_rep = self._along(pk, pc)
        keep = cost <= self.budget
        ks = np.concatenate([k, pk_rep[keep]])
        order = np.argsort(ks, kind="stable")  # two runs sorted by start point: linear
        return (
            ks[order],
            np.concatenate([ch.junctions[j], nodes[keep]])[order],
            np.concatenate([self.jdist[k, loc], cost[keep]])[order],
        )

    @np.errstate(invalid="ignore")  # inf - inf where a walk has no twin: masked below
    def _along(self, pk: np.ndarray, pc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inner nodes of the walks ``pc`` (with their twins) and their cost for start ``pk``."""
        ch = self.graph.chains
        tw = ch.twin[pc]
        end = ch.walk_end if self.reverse else ch.walk_start

        flat = self.jdist.ravel()
        width = self.jdist.shape[1]

        def at_end(walk: np.ndarray) -> np.ndarray:
            loc = self.window.local(np.where(walk >= 0, end[np.maximum(walk, 0)], -1))
            return np.where(loc >= 0, flat[pk * width + np.maximum(loc, 0)], np.inf)

        size = ch.walk_ptr[pc + 1] - ch.walk_ptr[pc]
        pos = aranges(ch.walk_ptr[pc], ch.walk_ptr[pc + 1])
        y, cum = ch.walk_nodes[pos], ch.walk_cum[pos]
        r_t = np.repeat(tw, size)
        slot_t = (ch.walk_of[y, 1] == r_t).astype(np.int64)
        in_twin = ch.walk_pos.ravel()[2 * y + slot_t]  # the node's position on the twin
        if self.reverse:  # from the node on to the walk's end: cost at the end + rest of the walk
            e_c = np.repeat(at_end(pc) + ch.walk_total[pc], size) - cum
            e_t = np.repeat(at_end(tw) + ch.walk_total[np.maximum(tw, 0)], size) - in_twin
        else:  # from the walk's start to the node
            e_c = np.repeat(at_end(pc), size) + cum
            e_t = np.repeat(at_end(tw), size) + in_twin
        cost = np.minimum(e_c, np.where(r_t >= 0, e_t, np.inf))
        # along the street from a start point on it (no junction in between): few pairs
        own = ch.walk_of[self.nodes]  # (m, 2)
        own_k = np.nonzero(own >= 0)[0]
        own_c = ch.canon[own[own >= 0]]
        key, want = pk * len(ch.walk_total) + pc, own_k * len(ch.walk_total) + own_c
        mine = np.unique(np.searchsorted(key, want))  # the pairs are sorted and hold every own walk
        if len(mine):
            ends = np.cumsum(size)
            sub = aranges(ends[mine] - size[mine], ends[mine])
            k_sub = np.repeat(pk[mine], size[mine])
            s_sub = self.nodes[k_sub]
            for walk, here in ((np.repeat(pc[mine], size[mine]), cum[sub]), (r_t[sub], in_twin[sub])):
                slot = (ch.walk_of[s_sub, 1] == walk).astype(np.int64)
                on = (ch.walk_of[s_sub, slot] == walk) & (walk >= 0)
                at = ch.walk_pos[s_sub, slot]
                gap = at - here if self.reverse else here - at
                direct = np.where(on & (gap >= 0), gap + self.offsets[k_sub], np.inf)
                cost[sub] = np.minimum(cost[sub], direct)
        return y, cost, np.repeat(pk, size)


class Graph:
    """One profile's graph with costs in metres or minutes: all nodes (for cut-outs and
    checks) and the contracted junction graph (for searches), the main component, attachment
    of points."""

    def __init__(self, net: Network, profile: Profile, unit: Unit, kmh: float | None) -> None:
        import scipy.sparse as sp
        from scipy.sparse.csgraph import connected_components

        self.net, self.profile, self.unit = net, profile, unit
        speed = kmh or profile.kmh
        code = net.codes[profile.id]
        fwd, bwd = (code & 1) > 0, (code & 2) > 0
        rows = np.concatenate([net.u[fwd], net.v[bwd]])
        cols = np.concatenate([net.v[fwd], net.u[bwd]])
        length = np.concatenate([net.length[fwd], net.length[bwd]])
        if unit == "m":
            cost, self.vmax, self.access = length, 1.0, 1.0  # straight metres per cost; cost per metre
        else:
            edge_kmh = (
                np.full(len(length), speed) if speed else np.concatenate([net.car_kmh[fwd], net.car_kmh[bwd]])
            )
            cost = length / (edge_kmh / 3.6) / 60.0
            self.vmax = float(edge_kmh.max(initial=1.0)) / 3.6 * 60.0
            self.access = 1.0 / ((kmh or profile.access_kmh) / 3.6) / 60.0
        n = len(net.xy)
        ok = rows != cols
        rows, cols, cost = cheapest(rows[ok], cols[ok], cost[ok])
        self.fwd = sp.csr_array((cost, (rows, cols)), shape=(n, n))
        self.rev = sp.csr_array((cost, (cols, rows)), shape=(n, n))
        n_comp, labels = connected_components(self.fwd, directed=True, connection="strong")
        sizes = np.bincount(labels, minlength=n_comp)
        self.main = np.nonzero(labels == int(np.argmax(sizes)))[0] if len(rows) else np.zeros(0, np.int64)
        self.chains = contract(rows, cols, cost, n)
        self.jgrid = _Grid(net.xy[self.chains.junctions], net.grid.origin)
        self._tree: Any = None

    @property
    def n_edges(self) -> int:
        return int(self.fwd.nnz)

    def attach(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest node of the main component for each point: node ids, access cost, metres."""
        from scipy.spatial import cKDTree

        if len(self.main) == 0:
            raise InputError(
                f"Das Netz hat keine Wege für das Verkehrsmittel {self.profile.name!r}.",
                hint="Importieren Sie einen OSM-Auszug mit Straßen und Wegen ('planlabor network import').",
            )
        if self._tree is None:
            self._tree = cKDTree(self.net.xy[self.main])
        metres, idx = self._tree.query(np.asarray(xy, dtype=float).reshape(-1, 2), k=1)
        return self.main[idx], metres * self.access, metres

    def radius(self, budget: float) -> float:
        """Straight-line metres that a path of cost ``budget`` cannot exceed."""
        return budget * self.vmax * self.net.scale + 1.0

    def groups(self, xy: np.ndarray, radius: float, batch: int = BATCH) -> Iterator[np.ndarray]:
        """Indices of the points, in groups of nearby points (grid tiles of about ``radius``)."""
        tile = max(TILE * radius, 2 * CELL_M)
        key = np.floor((xy - xy.min(axis=0)) / tile).astype(np.int64)
        order = np.lexsort((key[:, 0], key[:, 1]))
        bounds = np.r_[0, np.nonzero(np.any(np.diff(key[order], axis=0) != 0, axis=1))[0] + 1, len(order)]
        for a, b in itertools.pairwise(bounds):
            for c in range(a, b, batch):
                yield order[c : min(b, c + batch)]

    def bounded(self, xy: np.ndarray, budget: float, reverse: bool = False) -> Iterator[Batch]:
        """Costs from (``reverse``: to) each point up to ``budget``, in batches of nearby points."""
        from scipy.sparse.csgraph import dijkstra

        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        nodes, offset, _ = self.attach(xy)
        radius = self.radius(budget)
        ch = self.chains
        att_j, att_c = (ch.in_j, ch.in_c) if reverse else (ch.out_j, ch.out_c)
        node_xy = self.net.xy[nodes]
        for members in self.groups(node_xy, radius):
            pts = node_xy[members]
            m = len(members)
            win = cut(ch.rev if reverse else ch.fwd, self.jgrid, pts.min(0) - radius, pts.max(0) + radius, m)
            k = len(win.nodes)
            loc = win.local(np.maximum(att_j[nodes[members]], 0))
            ok = (loc >= 0) & (att_j[nodes[members]] >= 0)
            row, slot = np.nonzero(ok)
            _add_rows(win, k + row, loc[row, slot], att_c[nodes[members]][row, slot] + offset[members][row])
            dist = dijkstra(win.csr, directed=True, indices=k + np.arange(m), limit=budget)[:, :k]
            yield Batch(self, members, nodes[members], offset[members], win, dist, budget, reverse)

    def within(
        self, origins: np.ndarray, destinations: np.ndarray, max_cost: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (origin, destination, cost) with cost from origin to destination ≤ ``max_cost``."""
        o_nodes, o_off, _ = self.attach(origins)
        oi, dj, cost = [], [], []
        for bat in self.bounded(destinations, max_cost, reverse=True):
            d = bat.at(o_nodes) + o_off
            k, m = np.nonzero(d <= max_cost)
            oi.append(m)
            dj.append(bat.sources[k])
            cost.append(d[k, m])
        o, d, c = self._same_node(origins, destinations, o_nodes)
        keep = c <= max_cost
        oi, dj, cost = [*oi, o[keep]], [*dj, d[keep]], [*cost, c[keep]]
        frame = np.column_stack([np.concatenate(oi), np.concatenate(dj)]).astype(np.int64)
        allc = np.concatenate(cost)
        order = np.lexsort((allc, frame[:, 1], frame[:, 0]))  # a pair found twice: the cheaper cost
        frame, allc = frame[order], allc[order]
        first = np.r_[True, np.any(frame[1:] != frame[:-1], axis=1)][: len(allc)]
        return frame[first, 0], frame[first, 1], allc[first]

    def _same_node(
        self, origins: np.ndarray, destinations: np.ndarray, o_nodes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Origin–destination pairs that reach the network at the same node: there the straight
        line between them (at the access speed) counts if it is shorter than both legs."""
        origins = np.asarray(origins, dtype=float).reshape(-1, 2)
        destinations = np.asarray(destinations, dtype=float).reshape(-1, 2)
        d_nodes = self.attach(destinations)[0]
        order = np.argsort(d_nodes, kind="stable")
        lo = np.searchsorted(d_nodes[order], o_nodes, side="left")
        hi = np.searchsorted(d_nodes[order], o_nodes, side="right")
        o = np.repeat(np.arange(len(o_nodes)), hi - lo)
        d = order[aranges(lo, hi)]
        return o, d, np.hypot(*(origins[o] - destinations[d]).T) * self.access

    def nearest(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Cost from each origin to its nearest destination (one search from all destinations)."""
        import scipy.sparse as sp
        from scipy.sparse.csgraph import dijkstra

        o_nodes, o_off, _ = self.attach(origins)
        d_nodes, d_off, _ = self.attach(destinations)
        ch = self.chains
        size = len(ch.junctions)
        j, c = ch.in_j[d_nodes], ch.in_c[d_nodes] + d_off[:, None]
        ok = j >= 0
        _, cols, cost = cheapest(np.zeros(int(ok.sum()), np.int64), j[ok], c[ok])
        virtual = sp.csr_array((cost, (np.zeros(len(cols), np.int64), cols)), shape=(1, size + 1))
        graph = sp.csr_array(sp.vstack([sp.hstack([ch.rev, sp.csr_array((size, 1))]), virtual]))
        jd = dijkstra(graph, directed=True, indices=size)[:size]
        out = np.full(len(o_nodes), np.inf)
        for slot in (0, 1):
            oj = ch.out_j[o_nodes, slot]
            val = np.where(oj >= 0, jd[np.maximum(oj, 0)] + ch.out_c[o_nodes, slot], np.inf)
            np.minimum(out, val, out=out)
        s, t, gap = direct(ch, d_nodes, o_nodes, reverse=True)
        np.minimum.at(out, t, gap + d_off[s])
        out += o_off
        o, _, c = self._same_node(origins, destinations, o_nodes)
        np.minimum.at(out, o, c)
        return out


def _add_rows(win: Window, rows: np.ndarray, cols: np.ndarray, cost: np.ndarray) -> None:
    """Add edges from the appended (empty) rows of a window to its nodes."""
    import scipy.sparse as sp

    csr = win.csr
    rows, cols, cost = cheapest(rows, cols, cost)  # a few entries: the start points' attachments
    indptr = csr.indptr.copy()
    indptr[1:] += np.cumsum(np.bincount(rows, minlength=csr.shape[0]))
    win.csr = sp.csr_array((np.r_[csr.data, cost], np.r_[csr.indices, cols], indptr), shape=csr.shape)
