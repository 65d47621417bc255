"""REST/JSON of the atlas: layers, areas, indicators, values, time series, profiles, downloads.

Every answer is of the request's view (public: public indicators, suppression applied) and
cached as bytes per parameters (:meth:`~planlabor.atlas.context.ServerContext.cached`).
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from planlabor.atlas.cache import SHAREABLE, Entry
from planlabor.atlas.context import ServerContext
from planlabor.atlas.service import AtlasService, num

ID_RE = r"^[A-Za-z0-9_.\-]{1,64}$"
PERIOD_RE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
Layer = Annotated[str, Query(pattern=ID_RE, description="Raumebene, z. B. plr")]
Indicator = Annotated[str, Query(pattern=ID_RE, description="Indikator-ID")]
Period = Annotated[str, Query(pattern=PERIOD_RE, description="Zeitraum, z. B. 2024-12-31")]
AreaId = Annotated[str, Query(pattern=ID_RE, description="Gebietsschlüssel")]
LayerPath = Annotated[str, PathParam(pattern=ID_RE, description="Raumebene, z. B. plr")]
AreaPath = Annotated[str, PathParam(pattern=ID_RE, description="Gebietsschlüssel")]
IndicatorPath = Annotated[str, PathParam(pattern=ID_RE, description="Indikator-ID")]
SUFFIX = {"csv": ".csv", "xlsx": ".xlsx", "geojson": ".geojson"}
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}


def _flag(f: Any) -> str | None:
    return f if isinstance(f, str) else None


def profile_rows(sel: pd.DataFrame, meta: dict[Any, Any], period: str | None) -> list[dict[str, Any]]:
    """The latest value of each known indicator in an area's rows (at or before ``period``)."""
    out = []
    for iid, grp in sel.groupby("indicator_id", sort=False):
        if iid not in meta:
            continue
        grp = grp.sort_values("period")
        if period:
            grp = grp[grp["period"] <= period] if (grp["period"] <= period).any() else grp
        last = grp.iloc[-1]
        out.append(
            {
                "indicator": iid,
                "name": meta[iid]["name"],
                "theme": meta[iid]["theme"],
                "period": last["period"],
                "value": num(last["value"]),
                "flag": _flag(last["flag"]),
            }
        )
    return out


def build_download(
    svc: AtlasService, pub: bool, layer: str, indicator: str, period: str, format: str
) -> Entry:
    """The file of exactly one indicator, layer and period (through the exporter), cached."""
    from planlabor.io.export import ExportOptions, export

    svc.indicator(indicator, pub)
    svc._check_layer(layer, pub)
    key = ("download", pub, layer, indicator, period, format)
    name = "download/" + "/".join(str(k) for k in key)  # built once for all processes (planlabor.cache)
    shared = svc.shared.get(name) if svc.shared is not None else None
    if shared is not None and len(shared) > 8:
        n = int.from_bytes(shared[:8], "big")
        return svc.remember(key, shared[8 : 8 + n], shared[8 + n :])
    if format == "geojson":  # from the layer's cached geometry (planlabor.atlas.geo_download)
        from planlabor.atlas.geo_download import geojson_download

        content = geojson_download(svc, pub, layer, indicator, period)
        packed = gzip.compress(content, 1)
        return svc.remember(key, content, packed)
    with tempfile.TemporaryDirectory() as tmp, svc.reading() as now:
        out = Path(tmp) / f"export{SUFFIX[format]}"
        opts = ExportOptions(
            layer=layer,
            out=out,
            format=format,  # type: ignore[arg-type]
            indicators=[indicator],
            periods=[period],
            public=pub,
            csv_style="excel-de",
        )
        export(now.store, now.catalog, now.rules, opts, {"workspace": now.title, "software": "planlabor"})
        content = out.read_bytes()
    packed = gzip.compress(content, 5) if format != "xlsx" else b""  # XLSX is a zip already
    if svc.shared is not None:
        svc.shared.put(name, len(content).to_bytes(8, "big") + content + packed, optional=True)
    return svc.remember(key, content, packed)


def install(ctx: ServerContext) -> None:
    """``/api/layers…``, ``/api/indicators…``, ``/api/values``, ``/api/timeseries``,
    ``/api/profile/…`` and ``/api/download`` (in this order)."""
    _install_catalog(ctx)
    _install_values(ctx)
    _install_download(ctx)


def _install_catalog(ctx: ServerContext) -> None:
    app, svc, cached, public_view = ctx.app, ctx.svc, ctx.cached, ctx.public_view

    @app.get("/api/layers", tags=["API"], summary="Raumebenen")
    @cached
    def layers(request: Request) -> list[dict[str, Any]]:
        return svc.meta(public_view(request))["layers"]

    @app.get("/api/layers/{layer}/areas", tags=["API"], summary="Gebiete als GeoJSON")
    async def areas(request: Request, layer: LayerPath) -> Response:
        return await ctx.payload(request, f"geo/{layer}")

    @app.get("/api/indicators", tags=["API"], summary="Indikatoren mit Definition und Quelle")
    @cached
    def indicators(request: Request, theme: str | None = None) -> list[dict[str, Any]]:
        meta = svc.meta(public_view(request))
        return [{"id": k, **v} for k, v in meta["indicators"].items() if theme is None or v["theme"] == theme]

    @app.get("/api/indicators/{indicator}", tags=["API"], summary="Ein Indikator")
    @cached
    def indicator(request: Request, indicator: IndicatorPath) -> dict[str, Any]:
        return {"id": indicator, **svc.indicator(indicator, public_view(request))}


def _install_values(ctx: ServerContext) -> None:
    app, svc, cached, public_view = ctx.app, ctx.svc, ctx.cached, ctx.public_view

    @app.get("/api/values", tags=["API"], summary="Werte eines Indikators je Gebiet")
    @cached
    def values(request: Request, layer: Layer, indicator: Indicator, period: Period) -> dict[str, Any]:
        pub = public_view(request)
        svc.indicator(indicator, pub)
        sel = svc.groups(layer, pub, ("indicator_id", "period")).get((indicator, period))
        if sel is None or sel.empty:
            raise HTTPException(404, f"Für {indicator} gibt es auf {layer} am {period} keine Werte.")
        rows = zip(sel["area_id"], sel["area_name"], sel["value"], sel["flag"], strict=True)
        return {
            "layer": layer,
            "indicator": indicator,
            "period": period,
            "values": [{"area_id": a, "name": n, "value": num(v), "flag": _flag(f)} for a, n, v, f in rows],
        }

    @app.get("/api/timeseries", tags=["API"], summary="Zeitreihe eines Gebiets")
    @cached
    def timeseries(request: Request, layer: Layer, indicator: Indicator, area: AreaId) -> dict[str, Any]:
        pub = public_view(request)
        svc.indicator(indicator, pub)
        sel = svc.groups(layer, pub, ("indicator_id", "area_id")).get((indicator, area))
        if sel is None or sel.empty:
            raise HTTPException(404, f"Für das Gebiet {area!r} gibt es keine Werte von {indicator}.")
        rows = sorted(zip(sel["period"], sel["value"], sel["flag"], strict=True))
        return {
            "layer": layer,
            "indicator": indicator,
            "area_id": area,
            "series": [{"period": p, "value": num(v), "flag": _flag(f)} for p, v, f in rows],
        }

    @app.get("/api/profile/{layer}/{area}", tags=["API"], summary="Profil: alle Indikatoren eines Gebiets")
    @cached
    def profile(
        request: Request, layer: LayerPath, area: AreaPath, period: Period | None = None
    ) -> dict[str, Any]:
        pub = public_view(request)
        sel = svc.groups(layer, pub, ("area_id",)).get(area)
        if sel is None or sel.empty:
            raise HTTPException(404, f"Das Gebiet {area!r} gibt es auf {layer!r} nicht.")
        out = profile_rows(sel, svc.meta(pub)["indicators"], period)
        return {"layer": layer, "area_id": area, "name": str(sel["area_name"].iloc[0]), "indicators": out}


def _install_download(ctx: ServerContext) -> None:
    app, svc, public_view = ctx.app, ctx.svc, ctx.public_view

    @app.get("/api/download", tags=["API"], summary="Download des Angezeigten (CSV, XLSX, GeoJSON)")
    async def download(
        request: Request,
        layer: Layer,
        indicator: Indicator,
        period: Period,
        format: Annotated[str, Query(pattern="^(csv|xlsx|geojson)$")] = "csv",
    ) -> Response:
        pub = public_view(request)
        entry = svc.responses.get(("download", pub, layer, indicator, period, format))
        if entry is None:
            entry = await run_in_threadpool(build_download, svc, pub, layer, indicator, period, format)
        name = f"{indicator}_{layer}_{period}{SUFFIX[format]}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-cache"}
        if pub:
            headers[SHAREABLE.decode()] = "1"
        if entry.packed and "gzip" in request.headers.get("accept-encoding", ""):
            headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
            return Response(entry.packed, media_type=MEDIA[format], headers=headers)
        return Response(entry.raw, media_type=MEDIA[format], headers=headers)
