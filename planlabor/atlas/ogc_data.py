"""The features that the OGC API serves, computed once per layer and view, and the pygeoapi
provider that reads them.

A feature is one area of a layer with its key, name and parent and, as properties, the values
of every indicator shown on that layer for one period (``period``), plus a ``<indicator>__status``
column wherever a value carries a status (suppressed, missing, …).  Values come only from
:func:`planlabor.atlas.data.values_frame`, the shared path of every published output: the public
view holds public indicators with primary and secondary suppression applied, never raw values.

Geometries are kept per coordinate reference system as ready GeoJSON mappings (always
``MultiPolygon``, so clients see one declared geometry type), rounded to about 1 cm.  A query
is then a selection of positions, never a database call.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from planlabor.io.periods import period_end, period_start, sort_periods

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
_TABLES: dict[str, Any] = {}  # registry key → FeatureTable (pygeoapi builds providers by name)
_LOCK = threading.Lock()


def crs_uri(crs: str) -> str:
    """``EPSG:25833`` → ``http://www.opengis.net/def/crs/EPSG/0/25833``."""
    code = crs.split(":")[-1]
    return CRS84 if crs.upper() in ("OGC:CRS84", "CRS84") else f"{EPSG}{code}"


def register(key: str, table: FeatureTable) -> None:
    with _LOCK:
        _TABLES[key] = table


@dataclass
class FeatureTable:
    """One layer's features for one view, with all periods' values."""

    layer: str
    storage_crs: str  # e.g. EPSG:25833
    ids: list[str]
    names: list[str]
    parents: list[str | None]
    geoms: Any  # shapely array in the storage CRS (MultiPolygon)
    periods: list[str]
    columns: list[str]  # value columns, then status columns
    numeric: set[str]
    values: dict[str, dict[str, list[Any]]]  # period → column → values aligned with ids
    titles: dict[str, str] = field(default_factory=dict)
    _mapped: dict[str, list[dict[str, Any] | None]] = field(default_factory=dict)
    _tree: Any = None
    _pos: dict[str, int] = field(default_factory=dict)
    _default: tuple[date, str | None] | None = None  # (day it was chosen, period)

    def __post_init__(self) -> None:
        self._pos = {a: i for i, a in enumerate(self.ids)}

    # ------------------------------------------------------------ geometry
    def geometries(self, uri: str) -> list[dict[str, Any] | None]:
        """GeoJSON geometries in the CRS ``uri`` (cached), with the CRS's own axis order."""
        hit = self._mapped.get(uri)
        if hit is None:
            with _LOCK:
                hit = self._mapped.get(uri) or self._map(uri)
                self._mapped[uri] = hit
        return hit

    def _map(self, uri: str) -> list[dict[str, Any] | None]:
        import geopandas as gpd
        import pyproj
        import shapely

        target = pyproj.CRS.from_user_input("OGC:CRS84" if uri == CRS84 else "EPSG:" + uri.rsplit("/", 1)[-1])
        g = gpd.GeoSeries(self.geoms, crs=self.storage_crs).to_crs(target).to_numpy()
        geographic = target.is_geographic
        g = shapely.set_precision(g, 1e-7 if geographic else 0.01)
        if geographic and uri != CRS84 and target.axis_info[0].direction == "north":
            g = shapely.transform(g, lambda c: c[:, ::-1])  # EPSG:4326 is latitude first
        out = []
        for geom in g:
            if geom is not None and geom.geom_type == "Polygon":
                geom = shapely.MultiPolygon([geom])
            out.append(shapely.geometry.mapping(geom) if geom is not None else None)
        return out

    def intersecting(self, bbox: list[float]) -> np.ndarray:
        """Positions of the areas whose geometry meets ``bbox`` (in the storage CRS)."""
        import shapely

        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        return np.sort(self._tree.query(shapely.box(*bbox[:4]), predicate="intersects"))

    def extent(self) -> list[float]:
        """The bounding box of the whole layer in CRS84 (longitude, latitude)."""
        import geopandas as gpd

        b = gpd.GeoSeries(self.geoms, crs=self.storage_crs).to_crs("OGC:CRS84").total_bounds
        return [round(float(v), 6) for v in b]

    # ------------------------------------------------------------ time
    def temporal(self) -> tuple[datetime | None, datetime | None]:
        if not self.periods:
            return None, None
        first, last = period_start(self.periods[0]), period_end(self.periods[-1])
        return datetime(first.year, first.month, first.day), datetime(last.year, last.month, last.day)

    def default_period(self) -> str | None:
        """The newest period not in the future (projections come after today) that holds at
        least as many values as a typical period (the median): a period with only a few
        register variables would leave most columns empty."""
        today = date.today()
        if self._default is not None and self._default[0] == today:
            return self._default[1]
        past = [p for p in self.periods if period_end(p) <= today] or self.periods
        filled = {p: sum(v is not None for c in self.values[p].values() for v in c) for p in past}
        typical = float(np.median(list(filled.values()))) if filled else 0.0
        full = [p for p in past if filled[p] >= typical]
        self._default = (today, full[-1] if full else None)
        return self._default[1]

    def feature_schema(self) -> dict[str, Any]:
        """JSON Schema of a GeoJSON feature of the layer (GDAL reads the column types from it)."""
        props: dict[str, Any] = {}
        for k, v in self.fields().items():
            props[k] = {"title": v["title"], "type": [v["type"], "null"] if k != "area_id" else "string"}
            if "format" in v:
                props[k]["format"] = v["format"]
        for k in props:
            if isinstance(props[k]["type"], list):
                props[k]["type"] = props[k]["type"][0]  # GDAL reads only single types
        return {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "title": self.layer,
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string"},
                "geometry": {"type": "object", "title": "MultiPolygon"},
                "properties": {"type": "object", "properties": props},
            },
        }

    def period_for(self, datetime_: str | None) -> str | None:
        """The period a ``datetime`` parameter selects: the newest period meeting the instant or
        interval (``2024-12-31``, ``2024-01-01/2024-12-31``, ``../2023-12-31``), or None."""
        if not datetime_:
            return self.default_period()
        a, _, b = datetime_.partition("/")
        lo = _day(a) if a not in ("", "..") else date.min
        hi = (_day(b) if b not in ("", "..") else date.max) if "/" in datetime_ else lo
        hits = [p for p in self.periods if period_start(p) <= hi and period_end(p) >= lo]
        return hits[-1] if hits else None

    # ------------------------------------------------------------ features
    def feature(self, i: int, period: str | None, uri: str, select: list[str] | None, geometry: bool) -> dict:
        props: dict[str, Any] = {
            "area_id": self.ids[i],
            "area_name": self.names[i],
            "parent_id": self.parents[i],
            "period": period,
        }
        cols = self.values.get(period or "", {})
        for c in self.columns:
            vals = cols.get(c)
            props[c] = None if vals is None else vals[i]
        if select:
            props = {k: v for k, v in props.items() if k in select or k == "area_id"}
        return {
            "type": "Feature",
            "id": self.ids[i],
            "geometry": self.geometries(uri)[i] if geometry else None,
            "properties": props,
        }

    def position(self, area_id: str) -> int | None:
        return self._pos.get(area_id)

    def fields(self) -> dict[str, dict[str, str]]:
        out = {
            "area_id": {"type": "string", "title": "Gebietsschlüssel"},
            "area_name": {"type": "string", "title": "Name"},
            "parent_id": {"type": "string", "title": "Obergebiet"},
            "period": {"type": "string", "format": "date", "title": "Zeitraum (Stichtag)"},
        }
        for c in self.columns:
            out[c] = {"type": "number" if c in self.numeric else "string", "title": self.titles.get(c, c)}
        return out


def _day(text: str) -> date:
    return date.fromisoformat(text.strip()[:10])


def build_table(
    src: Any, layer: str, public: bool, frame: Any = None, areas: Any = None, info: Any = None
) -> FeatureTable | None:
    """The layer's features for one view from the shared (suppressed) value path; None if the
    layer has no geometry.  ``frame``: returns the layer's values when the caller holds them
    already (the server's :meth:`~planlabor.atlas.service.AtlasService.frame`, shared by its
    processes); ``areas`` likewise returns the layer's areas with geometry.  Both are called only
    for a layer that exists and has geometry (an unknown collection stays pygeoapi's 404).
    ``info``: the layer's record when the caller holds it (else read from the store)."""
    import shapely

    from planlabor.atlas.data import values_frame

    lay = src.store.layer(layer) if info is None else info
    if lay is None or not lay.has_geometry:
        return None
    areas = (src.store.areas(layer, geometry=True) if areas is None else areas()).sort_values("area_id")
    areas = areas[areas["geom"].notna()]
    if areas.empty:
        return None
    geoms = shapely.from_wkb(areas["geom"].to_numpy())
    geoms = np.array(
        [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in geoms], dtype=object
    )
    ids = areas["area_id"].astype(str).tolist()
    pos = {a: i for i, a in enumerate(ids)}
    df = values_frame(src, layer, public) if frame is None else frame()
    df = df[df["area_id"].isin(pos)]
    order = [i.id for i in src.catalog.all_indicators() if i.public or not public]
    present = set(df["indicator_id"])
    shown = [i for i in order if i in present]
    flagged = set(df.loc[df["flag"].notna(), "indicator_id"])
    decimals = {i.id: i.decimals for i in src.catalog.all_indicators()}
    values: dict[str, dict[str, list[Any]]] = {}
    for (iid, period), grp in df.groupby(["indicator_id", "period"], sort=False):
        cols = values.setdefault(str(period), {})
        vals: list[Any] = [None] * len(ids)
        flags: list[Any] = [None] * len(ids)
        places = decimals.get(str(iid), 2) + 2
        for a, v, f in zip(grp["area_id"].astype(str), grp["value"], grp["flag"], strict=True):
            k = pos[a]
            vals[k] = (
                None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), places)
            )
            flags[k] = f if isinstance(f, str) else None
        cols[str(iid)] = vals
        if iid in flagged:
            cols[f"{iid}__status"] = flags
    titles = {}
    for iid in shown:
        ind = src.catalog.get(iid)
        unit = f" ({ind.unit})" if ind and ind.unit else ""
        titles[iid] = (ind.name if ind else iid) + unit
        titles[f"{iid}__status"] = f"Status zu {ind.name if ind else iid}"
    columns = shown + [f"{i}__status" for i in shown if i in flagged]
    parents = [None if p is None or p != p else str(p) for p in areas["parent_id"]]
    return FeatureTable(
        layer=layer,
        storage_crs=lay.crs or src.crs,
        ids=ids,
        names=areas["name"].astype(str).tolist(),
        parents=parents,
        geoms=geoms,
        periods=sort_periods(list(values)),
        columns=columns,
        numeric=set(shown),
        values=values,
        titles=titles,
    )


# ---------------------------------------------------------------- the pygeoapi provider
def _provider_base() -> type:
    from pygeoapi.provider.base import BaseProvider

    return BaseProvider


class PlanlaborProvider(_provider_base()):  # type: ignore[misc]
    """pygeoapi feature provider over a :class:`FeatureTable` (``data`` is its registry key)."""

    def __init__(self, provider_def: dict[str, Any]) -> None:
        super().__init__(provider_def)
        self.table: FeatureTable = _TABLES[self.data]
        self.storage_uri = provider_def.get("storage_crs", CRS84)
        self._fields = self.table.fields()

    def get_fields(self) -> dict[str, dict[str, str]]:
        return self._fields

    def get_schema(self, schema_type: Any = None) -> tuple[str, dict[str, Any]]:
        props: dict[str, Any] = {
            "geometry": {"format": "geometry-multipolygon", "x-ogc-role": "primary-geometry"}
        }
        for k, v in self._fields.items():
            props[k] = {"title": v["title"], "type": v["type"]}
            if "format" in v:
                props[k]["format"] = v["format"]
        props["area_id"]["x-ogc-role"] = "id"
        props["period"]["x-ogc-role"] = "primary-instant"
        return "application/schema+json", {"type": "object", "properties": props}

    def _uri(self, crs_transform_spec: Any) -> str:
        return crs_transform_spec.target_crs_uri if crs_transform_spec else self.storage_uri

    def query(
        self,
        offset: int = 0,
        limit: int = 10,
        resulttype: str = "results",
        bbox: list[float] | None = None,
        datetime_: str | None = None,
        properties: list[tuple[str, str]] | None = None,
        sortby: list[dict[str, str]] | None = None,
        select_properties: list[str] | None = None,
        skip_geometry: bool = False,
        crs_transform_spec: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        t = self.table
        props = dict(properties or [])
        period = props.pop("period", None) or None
        if period is not None and period not in t.periods:
            period = t.period_for(period)  # a date inside a period selects it, too
        if period is None or datetime_:
            chosen = t.period_for(datetime_)
            period = chosen if period is None or period == chosen else None
        pos: list[int] = list(range(len(t.ids))) if period is not None else []
        if bbox and pos:
            pos = [int(i) for i in t.intersecting(bbox)]
        if props and pos:
            pos = [i for i in pos if self._match(i, period, props)]
        for s in reversed(sortby or []):
            pos = sorted(pos, key=self._sort_key(s["property"], period), reverse=s["order"] == "-")
        out: dict[str, Any] = {"type": "FeatureCollection", "numberMatched": len(pos), "features": []}
        if resulttype != "hits":
            uri = self._uri(crs_transform_spec)
            out["features"] = [
                t.feature(i, period, uri, select_properties, not skip_geometry)
                for i in pos[offset : offset + limit]
            ]
        out["numberReturned"] = len(out["features"])
        return out

    def _value(self, i: int, col: str, period: str | None) -> Any:
        t = self.table
        base: dict[str, list[Any]] = {"area_id": t.ids, "area_name": t.names, "parent_id": t.parents}
        if col in base:
            return base[col][i]
        if col == "period":
            return period
        vals = t.values.get(period or "", {}).get(col)
        return None if vals is None else vals[i]

    def _match(self, i: int, period: str | None, props: dict[str, str]) -> bool:
        for col, want in props.items():
            got = self._value(i, col, period)
            if col in self.table.numeric:
                try:
                    if got is None or not math.isclose(float(got), float(want), abs_tol=1e-9):
                        return False
                except ValueError:
                    return False
            elif str(got) != want:
                return False
        return True

    def _sort_key(self, col: str, period: str | None) -> Any:
        def key(i: int) -> tuple[int, Any]:
            v = self._value(int(i), col, period)
            return (1, 0) if v is None else (0, v)

        return key

    def get(self, identifier: str, crs_transform_spec: Any = None, **kwargs: Any) -> dict[str, Any]:
        from pygeoapi.provider.base import ProviderItemNotFoundError

        i = self.table.position(str(identifier))
        if i is None:
            raise ProviderItemNotFoundError(user_msg=f"Das Gebiet {identifier!r} gibt es nicht.")
        t = self.table
        return t.feature(i, t.default_period(), self._uri(crs_transform_spec), None, True)
