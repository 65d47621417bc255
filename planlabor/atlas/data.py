"""What the atlas shows, as JSON-ready payloads: one code path for the server and the static build.

Three kinds of payload, each computed from the store through
:func:`planlabor.io.export.collect_values` (the single entry point of every published output, so
public payloads carry only public indicators and apply primary and secondary suppression):

- ``meta``: title, themes with their indicators, indicator definitions, layers with their
  periods, the legend of status flags;
- ``geo/<layer>``: the areas as GeoJSON in EPSG:4326, simplified for the screen (tolerance in
  metres of the workspace CRS) and rounded to 5 decimals (about 1 m);
- ``values/<layer>``: every shown indicator × period as arrays aligned with the layer's area
  list; suppressed or missing cells are ``null`` with their flag;
- ``facilities/<layer>``: the facilities as points with the area they lie in
  (:mod:`planlabor.atlas.facilities`; internal facility types only in the internal view).

Numerators and denominators never leave the store in a public payload.
"""

from __future__ import annotations

import importlib.util
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from planlabor.atlas.facilities import facility_types
from planlabor.errors import NotFoundError
from planlabor.io.export import FLAG_LEGEND, FLAG_SIGNS, collect_values
from planlabor.io.periods import format_period_de, sort_periods

SIMPLIFY_METRES = 8.0
LARGE_AREAS = 2000  # more areas: loaded in pieces (planlabor.atlas.large)
# large layers' overview zooms as prebuilt vector tiles (planlabor.atlas.tiles; the encoder comes with
# the extra "atlas"; without it, or switched off by bench/, the overview is GeoJSON as before)
VECTOR_TILES = importlib.util.find_spec("mapbox_vector_tile") is not None


@dataclass
class AtlasSource:
    """Everything the payload builders need from a workspace."""

    store: Any
    catalog: Any
    rules: Any
    title: str
    municipality: str
    crs: str
    root: Any = None
    internal_facilities: tuple[str, ...] = ()


def source_of(ws: Any) -> AtlasSource:
    cfg = ws.config.workspace
    internal = tuple(ws.config.confidentiality.internal_facilities)
    return AtlasSource(
        ws.store, ws.catalog(), ws.rules(), cfg.name, cfg.municipality or "", cfg.crs, ws.root, internal
    )


def _layers_with_values(src: AtlasSource) -> list[Any]:
    have = set(
        src.store.query_df("SELECT DISTINCT layer_id FROM indicator_values WHERE value IS NOT NULL")[
            "layer_id"
        ]
    )
    return [lay for lay in src.store.layers() if lay.layer_id in have]


def values_frame(src: AtlasSource, layer: str, public: bool) -> pd.DataFrame:
    """Indicator values of a layer as the atlas may show them (suppressed if public)."""
    df = collect_values(src.store, src.catalog, layer, None, None, public, src.rules)
    if public and "suppressed" in df.columns:
        sup = df["suppressed"].notna()
        df.loc[sup, "value"] = np.nan
        df.loc[sup, "flag"] = "gesperrt"
    return df


def _round(v: float, decimals: int) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return round(float(v), decimals + 2)


def values_payload(src: AtlasSource, layer: str, public: bool = True) -> dict[str, Any]:
    """``{"layer", "areas", "names", "parents", "indicators": {id: {period: {"v": [...], "f": {...}}}}}``."""
    if src.store.layer(layer) is None:
        raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht.", column="layer")
    areas = src.store.areas(layer).sort_values("area_id")
    ids = areas["area_id"].astype(str).tolist()
    pos = {a: i for i, a in enumerate(ids)}
    df = values_frame(src, layer, public)
    out: dict[str, Any] = {}
    for (iid, period), grp in df.groupby(["indicator_id", "period"], sort=True):
        ind = src.catalog.get(str(iid))
        decimals = ind.decimals if ind else 2
        vals: list[float | None] = [None] * len(ids)
        flags: dict[str, str] = {}
        for a, v, f in zip(grp["area_id"].astype(str), grp["value"], grp["flag"], strict=True):
            i = pos.get(a)
            if i is None:
                continue
            vals[i] = _round(v, decimals)
            if isinstance(f, str):
                flags[str(i)] = f
        if all(v is None for v in vals) and not flags:
            continue
        out.setdefault(str(iid), {})[str(period)] = {"v": vals, "f": flags} if flags else {"v": vals}
    parents = [None if pd.isna(p) else str(p) for p in areas["parent_id"]]
    return {
        "layer": layer,
        "areas": ids,
        "names": [area_name(n, a) for n, a in zip(areas["name"], ids, strict=True)],
        "parents": parents,
        "indicators": out,
    }


def area_name(name: Any, area_id: str) -> str:
    """An area's name for people; the key where the layer has no names (e.g. built by --key-prefix)."""
    return name if isinstance(name, str) and name.strip() else area_id


def geo_payload(src: AtlasSource, layer: str, tolerance: float = SIMPLIFY_METRES) -> dict[str, Any]:
    """The layer's areas as a GeoJSON FeatureCollection (EPSG:4326, simplified, rounded)."""
    import geopandas as gpd
    import shapely

    lay = src.store.layer(layer)
    if lay is None:
        raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht.", column="layer")
    areas = src.store.areas(layer, geometry=True).sort_values("area_id")
    if not lay.has_geometry:  # a table layer: listed in the atlas, not mapped
        return {"type": "FeatureCollection", "name": layer, "features": []}
    geoms = shapely.from_wkb([g if isinstance(g, bytes | bytearray) else None for g in areas["geom"]])
    g = gpd.GeoSeries(geoms, crs=lay.crs or src.crs)
    if tolerance > 0:
        g = g.simplify(tolerance, preserve_topology=True)
    g = g.to_crs(4326)
    g = gpd.GeoSeries(shapely.set_precision(g.to_numpy(), 1e-5), crs=4326)
    features = []
    for aid, name, parent, geom in zip(areas["area_id"], areas["name"], areas["parent_id"], g, strict=True):
        if geom is None or geom.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "id": str(aid),
                "properties": {
                    "id": str(aid),
                    "name": area_name(name, str(aid)),
                    "parent": None if pd.isna(parent) else str(parent),
                },
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    return {"type": "FeatureCollection", "name": layer, "features": features}


def _large_flags(lay: Any) -> dict[str, bool]:
    """A large layer loads in pieces (:mod:`planlabor.atlas.large`); with geometry its overview
    zooms come as prebuilt vector tiles (:mod:`planlabor.atlas.tiles`)."""
    return {"large": True, **({"tiles": True} if lay.has_geometry and VECTOR_TILES else {})}


def meta_payload(src: AtlasSource, public: bool = True) -> dict[str, Any]:
    """Themes, indicators, layers and periods of the atlas."""
    indicators = [i for i in src.catalog.all_indicators() if i.public or not public]
    present = src.store.query_df(
        "SELECT DISTINCT layer_id, indicator_id, period FROM indicator_sets s WHERE EXISTS "
        "(SELECT 1 FROM indicator_data d WHERE d.set_id = s.set_id AND d.value IS NOT NULL) "
        "ORDER BY indicator_id, layer_id, period"
    )
    found: dict[str, dict[str, list[str]]] = {}
    for r in present.itertuples():
        found.setdefault(str(r.indicator_id), {}).setdefault(str(r.layer_id), []).append(str(r.period))
    by_ind = {i: {lay: sort_periods(p) for lay, p in per.items()} for i, per in found.items()}
    shown = [i for i in indicators if i.id in by_ind]
    themes: list[str] = [t for t in src.catalog.themes if any(i.theme == t for i in shown)]
    themes += sorted({i.theme for i in shown} - set(themes))
    layers = _layers_with_values(src)
    order = _layer_order(layers)
    from planlabor.areas.names import layer_names

    names = layer_names(src.store)
    return {
        "title": src.title,
        "municipality": src.municipality,
        "public": public,
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "themes": [{"name": t, "indicators": [i.id for i in shown if i.theme == t]} for t in themes],
        "indicators": {
            i.id: {
                "name": i.name,
                "short": i.short_name or i.name,
                "theme": i.theme,
                "unit": i.unit,
                "decimals": i.decimals,
                "polarity": i.polarity,
                "description": i.description,
                "source": i.source,
                "kind": i.kind,
                "layers": by_ind[i.id],
                **({"harmonisation": i.harmonisation} if i.harmonisation else {}),
            }
            for i in shown
        },
        "layers": [
            {
                "id": lay.layer_id,
                "name": lay.name or lay.layer_id,
                "singular": names[lay.layer_id][0],
                "parent": lay.parent_layer,
                "geometry": bool(lay.has_geometry),
                "areas": len(src.store.areas(lay.layer_id)),
                **(_large_flags(lay) if len(src.store.areas(lay.layer_id)) > LARGE_AREAS else {}),
            }
            for lay in sorted(layers, key=lambda x: order.get(x.layer_id, 99))
        ],
        "periods": {p: format_period_de(p) for ind in by_ind.values() for ps in ind.values() for p in ps},
        "matrices": _matrices(src, {i.id for i in shown}),
        "measures": _measures(src, public),
        "actionplan": _actionplan(src, public),
        "controlling": _controlling(src, public),
        "basemap": basemap_info(src.root),
        "facility_types": facility_types(src, public),
        "flags": {k: {"sign": FLAG_SIGNS.get(k, ""), "text": v} for k, v in FLAG_LEGEND.items()}
        | {k: {"sign": s, "text": k} for k, s in FLAG_SIGNS.items() if k not in FLAG_LEGEND},
    }


def _measures(src: AtlasSource, public: bool) -> list[dict[str, Any]]:
    """Registered measures with their areas and the reading of the newest effect estimate (the
    public atlas shows only measures marked public, and never the budget)."""
    from planlabor.planning.effects import latest_estimates
    from planlabor.planning.measures import measures

    effects = latest_estimates(src.store)
    out = []
    for m in measures(src.store, "massnahme", public_only=public):
        if not m.layer_id or not m.areas:
            continue
        e = effects.get(m.measure_id)
        out.append(
            {
                "id": m.measure_id,
                "name": m.name,
                "theme": m.theme,
                "layer": m.layer_id,
                "areas": list(m.areas),
                "start": m.start_date.isoformat() if m.start_date else None,
                "end": m.end_date.isoformat() if m.end_date else None,
                "target": m.target_indicator,
                "description": m.description,
                **({"budget": m.budget} if not public and m.budget else {}),
                **(
                    {"effect": {"statement": e["reading"]["statement"], "verdict": e["reading"]["verdict"]}}
                    if e
                    else {}
                ),
            }
        )
    return out


def _actionplan(src: AtlasSource, public: bool) -> dict[str, Any] | None:
    """Progress of the action plan (UN-BRK) per field of action, as of today."""
    from planlabor.planning.actionplan import progress
    from planlabor.planning.measures import measures

    items = measures(src.store, "aktionsplan", public_only=public)
    if not items:
        return None
    p = progress(items)
    return {
        "on": p.on.isoformat(),
        "items": len(items),
        "share_done": round(p.share_done * 100, 1),
        "fields": [
            {k: (v if isinstance(v, str) else float(v)) for k, v in r.items()}
            for r in p.by_field.to_dict("records")
        ],
        "overdue": [
            {"id": m.measure_id, "name": m.name, "responsible": m.responsible, "deadline": str(m.deadline)}
            for m in p.overdue
        ],
    }


def _controlling(src: AtlasSource, public: bool) -> list[dict[str, Any]]:
    """Soll/Ist of the contracts: only in the internal view."""
    if public:
        return []
    from planlabor.planning.controlling import soll_ist

    t = soll_ist(src.store)
    return [
        {
            "product": r["produkt"],
            "kennzahl": r["bezeichnung"],
            "period": r["zeitraum"],
            "soll": r["soll"],
            "ist": None if r["ist"] != r["ist"] else r["ist"],
            "ampel": r["ampel"],
            "trend": r["trend"],
        }
        for r in t.to_dict("records")
    ]


BASEMAP_DIR = "basemap"


def basemap_info(root: Any) -> dict[str, Any] | None:
    """An optional local basemap: raster tiles ``basemap/{z}/{x}/{y}.png`` in the workspace,
    attribution in ``basemap/attribution.txt`` (no tiles from the internet, ever)."""
    from pathlib import Path

    if root is None:
        return None
    folder = Path(root) / BASEMAP_DIR
    zooms = (
        sorted(int(p.name) for p in folder.glob("*") if p.is_dir() and p.name.isdigit())
        if folder.is_dir()
        else []
    )
    if not zooms:
        return None
    attribution = folder / "attribution.txt"
    return {
        "tiles": f"{BASEMAP_DIR}/{{z}}/{{x}}/{{y}}.png",
        "minzoom": zooms[0],
        "maxzoom": zooms[-1],
        "attribution": attribution.read_text(encoding="utf-8").strip() if attribution.exists() else "",
    }


def _matrices(src: AtlasSource, shown: set[str]) -> list[dict[str, Any]]:
    """Status × dynamics matrices of the catalog's indices, with the class labels of both axes."""
    from pathlib import Path

    from planlabor.indices.catalog_run import spec_of

    out = []
    for ref in getattr(src.catalog, "indices", []):
        try:
            spec = spec_of(ref, Path(src.root or "."))
        except Exception:  # a broken definition is reported by 'compute', not by the atlas
            continue
        if not spec.matrix or f"{ref.id}_matrix" not in shown:
            continue
        comps = {c.id: c for c in spec.component}
        axes = {}
        for axis in ("rows", "cols"):
            comp = comps[getattr(spec.matrix, axis)]
            classes = (comp.classification.classes if comp.classification else None) or []
            axes[axis] = {
                "indicator": f"{ref.id}_{comp.id}_klasse",
                "name": comp.name,
                "classes": [[c.code, c.label, getattr(c, "symbol", None) or ""] for c in classes],
            }
        out.append({"id": f"{ref.id}_matrix", "name": ref.name, "layer": ref.layer, **axes})
    return out


def _layer_order(layers: list[Any]) -> dict[str, int]:
    """Finest layer first; layers without values or children after."""
    depth: dict[str, int] = {}
    parents = {lay.layer_id: lay.parent_layer for lay in layers}

    def d(lid: str, seen: frozenset[str] = frozenset()) -> int:
        p = parents.get(lid)
        if not p or p not in parents or lid in seen:
            return 0
        return 1 + d(p, seen | {lid})

    for lid in parents:
        depth[lid] = d(lid)
    return {lid: -v for lid, v in depth.items()}


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
