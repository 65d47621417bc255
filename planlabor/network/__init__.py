"""Reachability on the street network, offline.

- :mod:`~planlabor.network.osm`: read an OpenStreetMap extract (pyosmium);
- :mod:`~planlabor.network.profiles`: walking, cycling, car and wheelchair rules;
- :mod:`~planlabor.network.graph` and :mod:`~planlabor.network.chains`: exact shortest paths
  (scipy's Dijkstra on the junctions of the network, in windows around the start points);
- :mod:`~planlabor.network.storage`: the network in the store (import, loading, description);
- :mod:`~planlabor.network.isochrones`: isochrones of facilities (stored, GeoJSON/GeoPackage);
- :mod:`~planlabor.network.scenario`: coverage on the network and the planned-facility scenario.
"""

from planlabor.network.isochrones import compute_isochrones, stored_isochrones, write_isochrones
from planlabor.network.profiles import PROFILES, profile
from planlabor.network.scenario import PlannedFacility, network_backend, scenario, scenario_geojson
from planlabor.network.storage import import_network, load_network, network_info

__all__ = [
    "PROFILES",
    "PlannedFacility",
    "compute_isochrones",
    "import_network",
    "load_network",
    "network_backend",
    "network_info",
    "profile",
    "scenario",
    "scenario_geojson",
    "stored_isochrones",
    "write_isochrones",
]
