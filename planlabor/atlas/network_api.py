"""REST API of the street network for the internal atlas view (``planlabor serve --internal``).

- ``GET /api/netz``: the imported network (profiles, length, extent);
- ``GET /api/netz/isochronen``: isochrones of a facility type (stored ones, else computed);
- ``POST /api/netz/isochrone``: the isochrone of one point (e.g. a planned site);
- ``POST /api/netz/szenario``: coverage per area before/after adding planned facilities.

Every answer is GeoJSON in WGS 84 (or JSON); errors are one German sentence in ``detail``.
Only a signed-in user of the internal view gets answers (403 otherwise); ``POST`` requests carry
the session's CSRF token in the header ``X-CSRF-Token`` (from ``/api/session``).  The store is
read through the atlas service (opened read-only while an answer is built, one at a time); the
network's graphs stay in memory per import (:func:`planlabor.network.load_network`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from planlabor.atlas.data import AtlasSource, dumps

ProfileId = Literal["fuss", "rad", "auto", "rollstuhl"]
Minutes = Annotated[float, Field(gt=0, le=120, description="Reisezeit in Minuten")]
Lon = Annotated[float, Field(ge=-180, le=180, description="Geografische Länge (WGS 84)")]
Lat = Annotated[float, Field(ge=-90, le=90, description="Geografische Breite (WGS 84)")]
ID = r"^[A-Za-z0-9_.\-]{1,64}$"
CACHE = 32  # computed isochrone sets kept in memory


GEO = "application/geo+json"


class Fehler(BaseModel):
    detail: str = Field(description="Was falsch ist, in einem Satz")


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Ungültige Eingabe", "model": Fehler},
    403: {"description": "Nur in der internen Ansicht (angemeldet, mit CSRF-Merkmal)", "model": Fehler},
}
GEOJSON: dict[int | str, dict[str, Any]] = {
    200: {"description": "GeoJSON (WGS 84)", "content": {GEO: {"schema": {"type": "object"}}}}
}


class Point(BaseModel):
    lon: Lon
    lat: Lat
    profil: ProfileId = "fuss"
    minuten: Minutes = 10.0


class Planned(BaseModel):
    lon: Lon
    lat: Lat
    plaetze: Annotated[float, Field(gt=0, le=100_000, description="Plätze der geplanten Einrichtung")]
    name: Annotated[str, Field(max_length=120)] = "geplant"


class ScenarioRequest(BaseModel):
    raumebene: Annotated[str, Field(pattern=ID, description="Raumebene, z. B. plr")]
    typ: Annotated[str, Field(pattern=ID, description="Art der Einrichtung, z. B. kita")]
    nachfrage: Annotated[str, Field(pattern=ID, description="Nachfragevariable")]
    stichtag: Annotated[str, Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", description="z. B. 2024-12-31")]
    einrichtungen: Annotated[list[Planned], Field(min_length=1, max_length=50)]
    profil: ProfileId | None = Field(None, description="Verkehrsmittel; ohne: Luftlinie")
    einheit: Literal["m", "min"] = "m"
    einzugsbereich: Annotated[float, Field(gt=0, le=100_000)] = 1000.0
    reichweite: Annotated[float | None, Field(gt=0, le=100_000)] = None
    abfall: Literal["gaussian", "none"] = "gaussian"
    barrierefrei: Literal["ja", "teilweise"] | None = None


def mount_network(app: FastAPI) -> None:
    """Add the network routes to the atlas application (uses ``app.state.service`` for the
    store and ``app.state.login`` for the internal view and the CSRF check)."""
    svc, login = app.state.service, app.state.login
    router = APIRouter(prefix="/api/netz", tags=["Erreichbarkeit (intern)"], responses=ERRORS)
    cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
    lock = threading.Lock()

    def internal_only(request: Request) -> None:
        if login.public_view(request):
            raise HTTPException(403, "Nur in der internen Ansicht: Bitte melden Sie sich an.")

    def geojson(body: Any) -> Response:
        raw = body if isinstance(body, bytes) else dumps(body).encode("utf-8")
        return Response(raw, media_type=GEO, headers={"Cache-Control": "no-store"})

    @router.get("", summary="Das importierte Wegenetz")
    def info(request: Request) -> dict[str, Any]:
        from planlabor.network import network_info

        internal_only(request)
        with svc.reading() as src:
            data = network_info(src.store)
        if data is None:
            raise HTTPException(404, "Im Arbeitsbereich gibt es noch kein Wegenetz.")
        return data

    @router.get("/isochronen", summary="Isochronen einer Einrichtungsart", responses=GEOJSON)
    def isochrones(
        request: Request,
        typ: Annotated[str, Query(pattern=ID, description="Art der Einrichtung, z. B. kita")],
        profil: ProfileId = "fuss",
        minuten: Annotated[float, Query(gt=0, le=120)] = 10.0,
    ) -> Response:
        internal_only(request)
        key = (typ, profil, minuten, svc.live.signature() if svc.live else None)  # new when changed
        hit = cache.get(key)
        if hit is None:
            with svc.reading() as src:
                hit = _isochrones(src, typ, profil, minuten)
            with lock:
                cache[key] = hit
                while len(cache) > CACHE:
                    cache.popitem(last=False)
        return geojson(hit)

    @router.post("/isochrone", summary="Isochrone eines Punktes (GeoJSON-Feature, WGS 84)", responses=GEOJSON)
    async def point_isochrone(
        request: Request, body: Point, x_csrf_token: Annotated[str, Header()] = ""
    ) -> Response:
        internal_only(request)
        login.check_csrf(request, x_csrf_token)
        return geojson(await run_in_threadpool(_point_isochrone, svc, body))

    @router.post("/szenario", summary="Szenario: Versorgung mit geplanten Einrichtungen", responses=GEOJSON)
    async def scenario(
        request: Request, body: ScenarioRequest, x_csrf_token: Annotated[str, Header()] = ""
    ) -> Response:
        internal_only(request)
        login.check_csrf(request, x_csrf_token)
        return geojson(await run_in_threadpool(_scenario, svc, body))

    app.include_router(router)


def _to_workspace(src: AtlasSource, lon: list[float], lat: list[float]) -> tuple[list[float], list[float]]:
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", src.crs, always_xy=True).transform(lon, lat)
    return list(x), list(y)


def _feature_collection(frame: Any, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    import shapely

    frame = frame.to_crs(4326)
    geoms = shapely.set_precision(frame.geometry.to_numpy(), 1e-6)
    feats = []
    for rec, geom in zip(frame.drop(columns=["geometry", *drop]).to_dict("records"), geoms, strict=True):
        props = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in rec.items()}
        feats.append({"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)})
    return {"type": "FeatureCollection", "features": feats}


def _isochrones(src: AtlasSource, typ: str, profil: str, minuten: float) -> bytes:
    from planlabor.network import compute_isochrones, stored_isochrones

    frame = stored_isochrones(src.store, typ, profil, minuten, src.crs)
    stored = not frame.empty
    if not stored:
        frame = compute_isochrones(src.store, typ, profil, [minuten], save=False).frame
        frame["facility_type"] = typ
    body = _feature_collection(frame, drop=tuple(c for c in ("computed_at",) if c in frame))
    body["gespeichert"] = stored
    return dumps(body).encode("utf-8")


def _point_isochrone(svc: Any, body: Point) -> dict[str, Any]:
    import geopandas as gpd
    import numpy as np

    from planlabor.network import load_network, profile
    from planlabor.network.isochrones import polygons

    with svc.reading() as src:
        x, y = _to_workspace(src, [body.lon], [body.lat])
        net = load_network(src.store)
    assert net is not None
    graph = net.graph(profile(body.profil), "min")
    geom = polygons(graph, np.array([[x[0], y[0]]]), body.minuten)[0]
    frame = gpd.GeoDataFrame(
        {"profil": [body.profil], "minuten": [body.minuten], "flaeche_m2": [float(geom.area)]},
        geometry=[geom],
        crs=net.crs,
    )
    return _feature_collection(frame)["features"][0]


def _scenario(svc: Any, body: ScenarioRequest) -> dict[str, Any]:
    from planlabor.io.periods import parse_period_option
    from planlabor.network import PlannedFacility, network_backend, scenario, scenario_geojson

    if body.profil is None and body.einheit == "min":
        raise HTTPException(422, "Minuten gibt es nur auf dem Straßennetz: Geben Sie ein Profil an.")
    with svc.reading() as src:
        x, y = _to_workspace(src, [p.lon for p in body.einrichtungen], [p.lat for p in body.einrichtungen])
        planned = [
            PlannedFacility(xi, yi, p.plaetze, p.name)
            for xi, yi, p in zip(x, y, body.einrichtungen, strict=True)
        ]
        backend = network_backend(src.store, body.profil, body.einheit) if body.profil else None
        r = scenario(
            src.store, body.raumebene, body.typ, body.nachfrage, parse_period_option(body.stichtag), planned,
            body.einzugsbereich, body.reichweite, body.abfall, backend, body.barrierefrei,
        )  # fmt: skip
        return scenario_geojson(src.store, r, src.crs)
