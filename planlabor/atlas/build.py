"""The static public atlas: a folder a city can copy onto any web space.

The folder holds the same front-end as the server (``index.html``, ``atlas.js``, ``atlas.css``,
MapLibre GL vendored) and the data as small scripts (``data/*.js``) instead of API calls, so it
also opens straight from disk (``file://``), where browsers refuse ``fetch``.  Only public
payloads are written: internal indicators and unsuppressed small counts never reach the folder.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from planlabor.atlas.data import BASEMAP_DIR, AtlasSource, dumps, geo_payload, meta_payload, values_payload
from planlabor.atlas.facilities import facilities_payload, facility_areas_payload
from planlabor.atlas.large import geo_levels, is_large, values_parts
from planlabor.atlas.tiles import tile_payloads
from planlabor.errors import WorkspaceError

MARKER = ".planlabor-atlas"
SAFE_PART = re.compile(r"[A-Za-z0-9_.\-/]{1,200}")
STATIC_FILES = (
    "atlas.js",
    "atlas-analysis.js",
    "atlas-charts.js",
    "atlas-scenario.js",
    "atlas-selection.js",
    "beteiligung-link.js",
    "atlas.css",
    "favicon.svg",
)


def static_dir() -> Path:
    return Path(str(resources.files("planlabor.atlas").joinpath("static")))


def index_html(title: str, mode: str, tiled: list[str] | None = None) -> str:
    """The page; ``tiled`` names the layers with prebuilt vector tiles, so that the page asks for a
    permalink's tiles or GeoJSON while the metadata still loads (:mod:`planlabor.atlas.tiles`)."""
    text = (static_dir() / "index.html").read_text(encoding="utf-8")
    tag = f'content="{mode}">\n<meta name="planlabor-tiles" content="{html.escape(" ".join(tiled or []))}">'
    return text.replace("__TITLE__", html.escape(title)).replace('content="__MODE__">', tag)


def tiled_layers(meta: dict[str, Any]) -> list[str]:
    return [lay["id"] for lay in meta.get("layers", []) if lay.get("tiles")]


@dataclass
class BuildReport:
    out: Path
    files: int
    bytes: int
    zipped_bytes: int
    seconds: float
    layers: list[str] = field(default_factory=list)
    indicators: int = 0


def _data_script(name: str, payload: dict[str, Any]) -> str:
    return f"planlaborData({json.dumps(name)},{dumps(payload)});\n"


def _parsed_script(name: str, payload: dict[str, Any]) -> str:
    """The payload as a JSON string handed to ``JSON.parse``: Chromium parses it faster than the
    same object as a JavaScript literal (Gemeinden: index and coarse geometry decoded 1,1–2,5 s
    instead of 3,7–4,2 s after navigation under load; docs/benchmarks.md)."""
    text = json.dumps(dumps(payload), ensure_ascii=False)
    return f"planlaborData({json.dumps(name)},JSON.parse({text}));\n"


def build_static(src: AtlasSource, out: Path) -> BuildReport:
    """Write the public static atlas to ``out`` (emptied first if it is an earlier build)."""
    start = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            raise WorkspaceError(
                f"Der Ordner {out} ist nicht leer und kein früher gebauter Atlas.",
                hint="Wählen Sie mit --out einen neuen oder leeren Ordner.",
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("planlabor atlas\n", encoding="utf-8")
    static = static_dir()
    shutil.copytree(static / "vendor", out / "vendor")
    for name in STATIC_FILES:
        shutil.copy2(static / name, out / name)
    data = out / "data"
    data.mkdir()
    meta = meta_payload(src, public=True)
    (out / "index.html").write_text(index_html(src.title, "static", tiled_layers(meta)), encoding="utf-8")
    if meta.get("basemap"):
        shutil.copytree(Path(src.root) / BASEMAP_DIR, out / BASEMAP_DIR)
    (data / "meta.js").write_text(_data_script("meta", meta), encoding="utf-8")
    layers = [lay["id"] for lay in meta["layers"]]
    for layer in layers:
        if is_large(src, layer):
            _write_large(src, layer, data, tiled=_tiled(meta, layer))
        else:
            geo = _data_script(f"geo/{layer}", geo_payload(src, layer))
            (data / f"geo_{layer}.js").write_text(geo, "utf-8")
            (data / f"values_{layer}.js").write_text(
                _data_script(f"values/{layer}", values_payload(src, layer, public=True)), "utf-8"
            )
        if meta.get("facility_types"):
            where = facility_areas_payload(src, layer, public=True)
            script = _data_script(f"facility_areas/{layer}", where)
            (data / f"facility_areas_{layer}.js").write_text(script, "utf-8")
    if meta.get("facility_types"):
        points = facilities_payload(src, public=True)
        (data / "facilities.js").write_text(_data_script("facilities", points), "utf-8")
    (out / "LIESMICH.txt").write_text(README, encoding="utf-8")
    files = [p for p in out.rglob("*") if p.is_file()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for p in files:
            z.write(p, p.relative_to(out).as_posix())
    return BuildReport(
        out=out,
        files=len(files),
        bytes=sum(p.stat().st_size for p in files),
        zipped_bytes=len(buf.getvalue()),
        seconds=time.perf_counter() - start,
        layers=layers,
        indicators=len(meta["indicators"]),
    )


def _tiled(meta: dict[str, Any], layer: str) -> bool:
    return layer in tiled_layers(meta)


def _write_large(src: AtlasSource, layer: str, data: Path, tiled: bool) -> None:
    """A large layer in pieces (:mod:`planlabor.atlas.large`): ``values_<layer>.js`` (index),
    ``values_<layer>/<indicator>/<period>.js``, ``geo_<layer>.js`` (coarse), ``geofine_<layer>.js``,
    and its vector tiles (:mod:`planlabor.atlas.tiles`) ``tiles_<layer>.js`` (index) and
    ``tiles_<layer>/<zoom>.js``."""
    payloads = values_parts(src, layer, public=True) | geo_levels(src, layer)
    if tiled:
        payloads |= tile_payloads(src, layer)
    for name, payload in payloads.items():
        kind, rest = name.split("/", 1)
        if ".." in rest or not SAFE_PART.fullmatch(rest):
            raise WorkspaceError(
                f"Ungeeigneter Dateiname für den Atlas: {name!r}.", hint="IDs nur aus a-z, 0-9, _ . -"
            )
        path = data / f"{kind}_{rest}.js"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_parsed_script(name, payload), "utf-8")


README = """planlabor – statischer Sozialatlas (öffentliche Fassung)

Öffnen: index.html im Browser öffnen (Doppelklick genügt; die Daten liegen als Skripte in data/,
es braucht keinen Server und kein Internet). Veröffentlichen: den ganzen Ordner auf einen
beliebigen Webspace kopieren.

Enthalten sind nur öffentliche Indikatoren; kleine Fallzahlen sind nach den Regeln der
Geheimhaltung gesperrt (•). Karte: MapLibre GL JS (BSD-3-Clause, vendor/maplibre-gl/LICENSE.txt).
"""
