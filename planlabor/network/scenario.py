"""Coverage on the street network and the scenario "what would a planned facility change?".

:func:`network_backend` plugs the network into :func:`planlabor.spatial.coverage.analyse`
(distances in metres along the network or travel times in minutes).  :func:`scenario` adds
planned facilities (point and capacity) to the existing ones and compares coverage per area
before and after; nothing is stored.  In the 2SFCA a new facility changes the supply ratio only
of areas within its catchment, so only those areas change (the nearest distance may change
beyond it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.network.graph import Graph, Unit
from planlabor.network.isochrones import FAR_M
from planlabor.network.profiles import profile
from planlabor.spatial.coverage import (
    Decay,
    DistanceBackend,
    StraightLine,
    coverage_table,
    load_demand,
    load_supply,
)
from planlabor.store import Store


class NetworkDistance:
    """A :class:`~planlabor.spatial.coverage.DistanceBackend` on one profile of the network."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.unit: str = graph.unit
        self.label: str = graph.profile.id

    def nearest(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        return self.graph.nearest(origins, destinations)

    def within(
        self, origins: np.ndarray, destinations: np.ndarray, max_distance: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.graph.within(origins, destinations, max_distance)

    def notes(self, origins: np.ndarray, destinations: np.ndarray) -> list[str]:
        """Points far from the network (their straight leg to it is counted)."""
        out = []
        for what, xy in (("Gebiet(e)", origins), ("Einrichtung(en)", destinations)):
            far = int((self.graph.attach(xy)[2] > FAR_M).sum())
            if far:
                out.append(
                    f"{far} {what} mehr als {FAR_M:.0f} m vom Wegenetz ({self.graph.profile.name}) "
                    "entfernt; die Luftlinie bis zum Netz ist eingerechnet"
                )
        return out


def network_backend(
    store: Store, profile_id: str, unit: Unit = "m", kmh: float | None = None
) -> NetworkDistance:
    """Distances (``m``) or travel times (``min``) on the workspace's street network."""
    from planlabor.network.storage import load_network

    if unit not in ("m", "min"):
        raise InputError(f"Die Einheit {unit!r} gibt es nicht.", column="--unit", expected="m oder min")
    if kmh is not None and not (np.isfinite(kmh) and 1 <= kmh <= 150):
        raise InputError(
            f"Die Geschwindigkeit {kmh} km/h ist ungültig.", column="--kmh", expected="1 bis 150 km/h"
        )
    net = load_network(store)
    assert net is not None
    return NetworkDistance(net.graph(profile(profile_id), unit, kmh))


@dataclass
class PlannedFacility:
    x: float  # workspace CRS
    y: float
    capacity: float
    name: str = "geplant"


@dataclass
class ScenarioResult:
    layer: str
    facility_type: str
    period: str
    demand_variable: str
    distance: float
    within: float | None
    unit: str
    network: str | None
    planned: list[PlannedFacility]
    table: pd.DataFrame  # area_id, name, demand, nearest_/sfca_ before/after, sfca_change
    share_before: float | None = None
    share_after: float | None = None
    city_before: float = 0.0
    city_after: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> pd.DataFrame:
        """The areas whose supply ratio (2SFCA) changes."""
        return self.table[self.table["sfca_change"].abs() > 1e-9]


def check_planned(planned: list[PlannedFacility]) -> None:
    if not planned:
        raise InputError("Es fehlt die geplante Einrichtung.", column="--at", expected="mindestens ein Punkt")
    for i, p in enumerate(planned):
        if not (np.isfinite(p.x) and np.isfinite(p.y)):
            raise InputError(
                f"Die Lage der geplanten Einrichtung {i + 1} ist keine Koordinate.", column="--at"
            )
        if not (np.isfinite(p.capacity) and 0 < p.capacity <= 100_000):
            raise InputError(
                f"Die Platzzahl {p.capacity} der geplanten Einrichtung {i + 1} ist ungültig.",
                column="--capacity",
                expected="eine Zahl größer als 0, z. B. 60",
            )


def scenario(
    store: Store,
    layer: str,
    facility_type: str,
    demand_variable: str,
    period: str,
    planned: list[PlannedFacility],
    distance: float = 1000.0,
    within: float | None = None,
    decay: Decay = "gaussian",
    backend: DistanceBackend | None = None,
    accessible: str | None = None,
) -> ScenarioResult:
    """Coverage per area before and after adding the ``planned`` facilities (nothing stored)."""
    check_planned(planned)
    sup = load_supply(store, facility_type, accessible)
    areas, demand_xy, demand = load_demand(store, layer, demand_variable, period)
    backend = backend or StraightLine()
    unit = getattr(backend, "unit", "m")
    new_xy = np.array([[p.x, p.y] for p in planned], dtype=float)
    new_cap = np.array([p.capacity for p in planned], dtype=float)
    ids = areas["area_id"]
    before, share_b = coverage_table(
        ids, demand_xy, demand, sup.xy, sup.capacity, distance, within, decay, backend
    )
    all_xy, all_cap = np.vstack([sup.xy, new_xy]), np.r_[sup.capacity, new_cap]
    after, share_a = coverage_table(ids, demand_xy, demand, all_xy, all_cap, distance, within, decay, backend)
    near = f"nearest_{unit}"
    table = pd.DataFrame(
        {
            "area_id": areas["area_id"].to_numpy(),
            "name": areas["name"].to_numpy(),
            "demand": demand,
            f"{near}_before": before[near].to_numpy(),
            f"{near}_after": after[near].to_numpy(),
            "sfca_before": before["sfca_per_100"].to_numpy(),
            "sfca_after": after["sfca_per_100"].to_numpy(),
        }
    )
    table["sfca_change"] = table["sfca_after"] - table["sfca_before"]
    if within:
        table["within_before"] = before["within"].to_numpy()
        table["within_after"] = after["within"].to_numpy()
    notes = []
    describe = getattr(backend, "notes", None)
    if describe is not None:
        notes.extend(describe(np.zeros((0, 2)), new_xy))
    total = float(np.nansum(demand))
    return ScenarioResult(
        layer, sup.facility_type, period, demand_variable, distance, within, unit,
        getattr(backend, "label", None), planned, table, share_b, share_a,
        float(sup.capacity.sum() / total * 100), float((sup.capacity.sum() + new_cap.sum()) / total * 100),
        notes,
    )  # fmt: skip


def scenario_geojson(store: Store, result: ScenarioResult, crs: str) -> dict[str, Any]:
    """The result for a map: areas (WGS 84) with before/after/change, the planned points and a
    summary (GeoJSON FeatureCollection with the members ``geplant`` and ``zusammenfassung``)."""
    import geopandas as gpd
    import shapely

    areas = store.areas(result.layer, geometry=True).astype({"area_id": str}).set_index("area_id")
    geoms = gpd.GeoSeries(shapely.from_wkb(areas["geom"].tolist()), crs=crs, index=areas.index)
    geoms = geoms.simplify(8.0, preserve_topology=True).to_crs(4326)
    geoms = gpd.GeoSeries(shapely.set_precision(geoms.to_numpy(), 1e-6), index=geoms.index)
    features = []
    for rec in result.table.to_dict("records"):
        props = {k: _plain(v) for k, v in rec.items()}
        geom = geoms.get(rec["area_id"])
        shape = None if geom is None or geom.is_empty else shapely.geometry.mapping(geom)
        features.append({"type": "Feature", "id": rec["area_id"], "properties": props, "geometry": shape})
    pts = gpd.GeoSeries(shapely.points([[p.x, p.y] for p in result.planned]), crs=crs).to_crs(4326)
    pts = shapely.set_precision(pts.to_numpy(), 1e-6)
    planned = [
        {
            "type": "Feature",
            "properties": {"name": p.name, "plaetze": p.capacity},
            "geometry": shapely.geometry.mapping(g),
        }
        for p, g in zip(result.planned, pts, strict=True)
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "geplant": {"type": "FeatureCollection", "features": planned},
        "zusammenfassung": scenario_summary(result),
    }


def scenario_summary(r: ScenarioResult) -> dict[str, Any]:
    """Figures of the scenario as JSON-ready values."""
    return {
        "raumebene": r.layer,
        "einrichtungsart": r.facility_type,
        "nachfrage": r.demand_variable,
        "stichtag": r.period,
        "netz": r.network,
        "einheit": r.unit,
        "einzugsbereich": r.distance,
        "gebiete_veraendert": len(r.changed),
        "plaetze_je_100_vorher": round(r.city_before, 3),
        "plaetze_je_100_nachher": round(r.city_after, 3),
        "anteil_in_reichweite_vorher": None if r.share_before is None else round(r.share_before, 4),
        "anteil_in_reichweite_nachher": None if r.share_after is None else round(r.share_after, 4),
        "hinweise": r.notes,
    }


def _plain(v: Any) -> Any:
    if isinstance(v, float | np.floating):
        f = float(v)
        return None if not np.isfinite(f) else round(f, 4)
    if isinstance(v, np.integer):
        return int(v)
    return v
