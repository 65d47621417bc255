"""Coverage and accessibility of facilities.

* distance from the residents of each area (its representative point, weighted by a demand
  variable) to the nearest facility of a type; share of the demand within a distance;
* supply-to-demand ratios by the two-step floating catchment area method (2SFCA; Luo & Wang
  2003) with optional Gaussian distance decay (Dai 2010): step 1 R_j = S_j / Σ_i w(d_ij)·D_i over
  the demand within the catchment of facility j; step 2 A_i = Σ_j w(d_ij)·R_j, reported per 100
  demand units (e.g. Kita places per 100 children under 6 within 1 km).

Distances come from a :class:`DistanceBackend`; the default is straight-line distance in the
workspace CRS (metres).  On an imported street network (:mod:`planlabor.network`) the backend
gives network distances in metres or travel times in minutes per profile (walking, cycling,
car, wheelchair) through the same two methods.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.progress import ticker
from planlabor.store import Store

Decay = Literal["none", "gaussian"]


class DistanceBackend(Protocol):
    def nearest(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """Distance from every origin to its nearest destination."""

    def within(
        self, origins: np.ndarray, destinations: np.ndarray, max_distance: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All (origin index, destination index, distance) pairs up to ``max_distance``."""


class StraightLine:
    """Euclidean distance in a projected CRS (metres), via a k-d tree."""

    def nearest(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        from scipy.spatial import cKDTree

        d, _ = cKDTree(destinations).query(origins, k=1)
        return np.asarray(d, dtype=float)

    def within(
        self, origins: np.ndarray, destinations: np.ndarray, max_distance: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from scipy.spatial import cKDTree

        sdm = cKDTree(origins).sparse_distance_matrix(
            cKDTree(destinations), max_distance, output_type="coo_matrix"
        )
        return sdm.row.astype(np.int64), sdm.col.astype(np.int64), sdm.data.astype(float)


def decay_weights(d: np.ndarray, d0: float, decay: Decay) -> np.ndarray:
    """w(d) within the catchment d ≤ d0: 1, or Gaussian falling to 0 at d0 (Dai 2010)."""
    if decay == "none":
        return np.ones_like(d)
    g = np.exp(-0.5 * (d / d0) ** 2)
    edge = np.exp(-0.5)
    return (g - edge) / (1 - edge)


def two_step_fca(
    demand_xy: np.ndarray,
    demand: np.ndarray,
    supply_xy: np.ndarray,
    supply: np.ndarray,
    d0: float,
    decay: Decay = "gaussian",
    backend: DistanceBackend | None = None,
) -> np.ndarray:
    """Accessibility A_i (supply per demand unit) for every demand point."""
    backend = backend or StraightLine()
    i, j, d = backend.within(demand_xy, supply_xy, d0)
    w = decay_weights(d, d0, decay)
    demand = np.nan_to_num(np.asarray(demand, dtype=float))
    weighted_demand = np.bincount(j, weights=w * demand[i], minlength=len(supply_xy))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weighted_demand > 0, np.asarray(supply, dtype=float) / weighted_demand, 0.0)
    return np.bincount(i, weights=w * ratio[j], minlength=len(demand_xy))


@dataclass
class CoverageResult:
    layer: str
    facility_type: str
    period: str
    demand_variable: str
    distance: float
    within: float | None
    table: pd.DataFrame  # area_id, demand, nearest_m (or nearest_min), within, sfca_per_100
    share_within: float | None
    city_ratio: float  # supply per 100 demand in the whole area
    notes: list[str] = field(default_factory=list)
    unit: str = "m"  # of distance, within and nearest: metres, or minutes on a street network
    network: str | None = None  # profile of the street network (None: straight line)

    @property
    def nearest_column(self) -> str:
        return f"nearest_{self.unit}"


@dataclass
class Supply:
    """Facilities of one type (after the accessibility filter) as points with capacities."""

    facility_type: str  # with _bf / _tbf when filtered by accessibility
    ids: list[str]
    xy: np.ndarray
    capacity: np.ndarray


def load_supply(store: Store, facility_type: str, accessible: str | None = None) -> Supply:
    """The facilities of a type; ``accessible``: only those recorded as barrier-free (``ja``) or
    at least partly barrier-free (``teilweise``)."""
    import shapely

    fac = store.query_df(
        "SELECT facility_id, capacity, geom, attributes FROM facilities WHERE facility_type = ? "
        "ORDER BY facility_id",
        [facility_type],
    )
    if fac.empty:
        raise InputError(
            f"Es gibt keine Einrichtungen der Art {facility_type!r}.",
            column="--type",
            hint="Importieren Sie sie mit 'planlabor facilities import'.",
        )
    if accessible:
        from planlabor.spatial.facilities import ACCESS_KEY

        allowed = {"ja"} if accessible == "ja" else {"ja", "teilweise"}
        level = fac["attributes"].map(lambda a: json.loads(a or "{}").get(ACCESS_KEY))
        if level.isna().all():
            raise InputError(
                f"Für die Einrichtungen der Art {facility_type!r} ist keine Barrierefreiheit erfasst.",
                column="--barrierefrei",
                hint="Importieren Sie sie mit 'planlabor facilities import … --accessible-column SPALTE'.",
            )
        fac = fac[level.isin(allowed).to_numpy()]
        if fac.empty:
            raise InputError(f"Keine Einrichtung der Art {facility_type!r} ist barrierefrei erfasst.")
        facility_type = f"{facility_type}_{'bf' if accessible == 'ja' else 'tbf'}"
    pts = shapely.from_wkb([bytes(g) for g in fac["geom"]])
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    capacity = fac["capacity"].fillna(0).to_numpy(dtype=float)
    return Supply(facility_type, fac["facility_id"].astype(str).tolist(), xy, capacity)


def load_demand(
    store: Store, layer: str, demand_variable: str, period: str
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Areas (id, name), their representative points and the demand on ``period``."""
    import shapely

    areas = store.areas(layer, geometry=True)
    geoms = shapely.from_wkb(areas["geom"].tolist())
    rep = shapely.point_on_surface(geoms)
    demand_xy = np.column_stack([shapely.get_x(rep), shapely.get_y(rep)])
    obs = store.observations(layer, [demand_variable], [period]).set_index("area_id")["value"]
    if obs.empty:
        raise InputError(
            f"Für {demand_variable!r} gibt es auf {layer!r} am {period} keine Werte.", column="--demand"
        )
    demand = obs.reindex(areas["area_id"]).to_numpy(dtype=float)
    return areas[["area_id", "name"]].astype({"area_id": str}), demand_xy, demand


def coverage_table(
    area_ids: pd.Series,
    demand_xy: np.ndarray,
    demand: np.ndarray,
    supply_xy: np.ndarray,
    supply: np.ndarray,
    distance: float,
    within: float | None,
    decay: Decay,
    backend: DistanceBackend,
    tell: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, float | None]:
    """Per area: demand, cost to the nearest facility, 2SFCA per 100 and (``within``) 0/1;
    ``tell(label)`` hears when the nearest facilities and when the 2SFCA are done."""
    unit = getattr(backend, "unit", "m")
    tell = tell or (lambda _label: None)
    nearest = backend.nearest(demand_xy, supply_xy)
    tell(f"Nächste Einrichtung für {len(demand_xy)} Gebiete bestimmt")
    access = two_step_fca(demand_xy, demand, supply_xy, supply, distance, decay, backend)
    tell(f"2SFCA: Einzugsbereiche von {len(supply_xy)} Einrichtungen verrechnet")
    table = pd.DataFrame(
        {
            "area_id": area_ids.astype(str).to_numpy(),
            "demand": demand,
            f"nearest_{unit}": nearest,
            "sfca_per_100": access * 100,
        }
    )
    share = None
    if within:
        table["within"] = (nearest <= within).astype(float)
        ok = ~np.isnan(demand)
        share = float((demand[ok] * table["within"].to_numpy()[ok]).sum() / demand[ok].sum())
    return table, share


def analyse(
    store: Store,
    layer: str,
    facility_type: str,
    demand_variable: str,
    period: str,
    distance: float = 1000.0,
    within: float | None = None,
    decay: Decay = "gaussian",
    backend: DistanceBackend | None = None,
    save: bool = True,
    accessible: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> CoverageResult:
    """Coverage of ``facility_type`` for the demand ``demand_variable`` on ``layer``.

    ``backend``: straight-line distance (default) or a street network
    (:func:`planlabor.network.scenario.network_backend`; its unit, metres or minutes, applies to
    ``distance``, ``within`` and the results).  ``accessible``: only facilities recorded as
    barrier-free (``ja``) or at least partly barrier-free (``teilweise``); see
    ``facilities import --accessible-column``.  The stored variables then end in ``_bf``
    (``_tbf`` for partly).  ``progress(step, 5, label)`` hears of the facilities and the demand
    read, the nearest facilities, the 2SFCA and the saving (network searches start from all
    facilities at once, so the areas are not split into blocks)."""
    tell = ticker(progress, 5)
    sup = load_supply(store, facility_type, accessible)
    tell(f"{len(sup.xy)} Einrichtungen ({sup.facility_type}) gelesen")
    areas, demand_xy, demand = load_demand(store, layer, demand_variable, period)
    tell(f"Nachfrage {demand_variable} von {len(areas)} Gebieten gelesen")
    backend = backend or StraightLine()
    table, share = coverage_table(
        areas["area_id"], demand_xy, demand, sup.xy, sup.capacity, distance, within, decay, backend, tell
    )
    notes = []
    if np.isnan(demand).any():
        notes.append(f"{int(np.isnan(demand).sum())} Gebiet(e) ohne Nachfragewert")
    describe = getattr(backend, "notes", None)
    if describe is not None:
        notes.extend(describe(demand_xy, sup.xy))
    city = float(sup.capacity.sum() / np.nansum(demand) * 100)
    res = CoverageResult(
        layer, sup.facility_type, period, demand_variable, distance, within, table, share, city, notes,
        getattr(backend, "unit", "m"), getattr(backend, "label", None),
    )  # fmt: skip
    if save:
        _save(store, res)
    tell("Ergebnisse gespeichert" if save else "Ergebnisse berechnet")
    return res


def number_label(value: float) -> str:
    """1000 → ``1000``, 7.5 → ``7_5`` (for variable names)."""
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", "_")


def variable_names(r: CoverageResult) -> dict[str, str]:
    """Stored variable of each result column: dist_TYP (metres) or zeit_TYP (minutes), with
    the network profile appended (dist_kita_fuss), sfca_TYP_1000m, within_500m_TYP."""
    suffix = f"_{r.network}" if r.network else ""
    kind = "zeit" if r.unit == "min" else "dist"
    columns = {
        r.nearest_column: f"{kind}_{r.facility_type}{suffix}",
        "sfca_per_100": f"sfca_{r.facility_type}{suffix}_{number_label(r.distance)}{r.unit}",
    }
    if r.within:
        columns["within"] = f"within_{number_label(r.within)}{r.unit}_{r.facility_type}{suffix}"
    return columns


def _save(store: Store, r: CoverageResult) -> None:
    store.record_columns(
        "coverage",
        r.layer,
        r.table,
        variable_names(r),
        {
            "layer": r.layer,
            "type": r.facility_type,
            "demand": r.demand_variable,
            "distance": r.distance,
            "within": r.within,
            "unit": r.unit,
            "network": r.network,
        },
        period=r.period,
        message="; ".join(r.notes),
    )
