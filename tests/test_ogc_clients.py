"""Real clients load the OGC API: GDAL's OAPIF driver (ogr2ogr with default settings) and QGIS
itself (Debian's python3-qgis, headless, through its OAPIF provider)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from planlabor.atlas.data import source_of
from planlabor.atlas.server import create_app
from tests.conftest import live_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ogc_url(berlin) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with live_server(create_app(source_of(berlin))) as base:
        yield f"{base}/ogc"


def _ogr2ogr(tmp_path: Path, url: str, layer: str, *extra: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / f"{layer}.gpkg"
    r = subprocess.run(
        ["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{url}", layer, *extra],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr and "ERROR" not in r.stderr, r.stderr
    return out


def _read(path: Path, layer: str):  # type: ignore[no-untyped-def]
    import pyogrio

    return pyogrio.read_dataframe(path, layer=layer)


def test_ogr2ogr_default_settings_copies_every_area_with_types(ogc_url: str, tmp_path: Path, berlin) -> None:  # type: ignore[no-untyped-def]
    import pyogrio

    out = _ogr2ogr(tmp_path, ogc_url, "plr")
    info = pyogrio.read_info(out, layer="plr")
    assert info["features"] == 542 and info["geometry_type"] == "MultiPolygon"
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert (
        types["area_id"] == "object"
        and types["einwohner"] == "float64"
        and types["period"].startswith("datetime64")
    )
    df = _read(out, "plr")
    assert df["area_id"].str.len().eq(8).all() and "01100101" in set(df["area_id"])  # leading zeros kept
    total = berlin.store.query_df(
        "SELECT sum(value) AS s FROM indicator_values WHERE layer_id='plr' AND indicator_id='einwohner' "
        "AND period='2024-12-31'"
    )["s"].iloc[0]
    assert df["einwohner"].sum() == pytest.approx(total)
    bez = pyogrio.read_info(_ogr2ogr(tmp_path, ogc_url, "bezirk"), layer="bezirk")
    assert bez["features"] == 12 and bez["geometry_type"] == "MultiPolygon"


def test_ogr2ogr_spatial_and_attribute_filters(ogc_url: str, tmp_path: Path) -> None:
    import pyogrio

    spat = _ogr2ogr(tmp_path / "a", ogc_url, "plr", "-spat", "13.36", "52.51", "13.40", "52.53")
    assert pyogrio.read_info(spat, layer="plr")["features"] == 12
    where = _ogr2ogr(tmp_path / "b", ogc_url, "plr", "-where", "parent_id = '011001'")
    assert sorted(_read(where, "plr")["area_id"]) == ["01100101", "01100102", "01100103", "01100104"]
    big = _ogr2ogr(tmp_path / "c", ogc_url, "plr", "-where", "einwohner > 5000")
    df = _read(big, "plr")
    assert 300 < len(df) < 542 and (df["einwohner"] > 5000).all()


QGIS_SCRIPT = r"""
import json, sys
from qgis.core import QgsApplication, QgsFeatureRequest, QgsRectangle, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
lay = QgsVectorLayer(f"url='{sys.argv[1]}' typename='plr'", "plr", "OAPIF")
out = {"valid": lay.isValid(), "count": sum(1 for _ in lay.getFeatures()), "wkb": int(lay.wkbType()),
       "fields": {f.name(): f.typeName() for f in lay.fields()},
       "rect": sum(1 for _ in lay.getFeatures(QgsFeatureRequest().setFilterRect(QgsRectangle(13.36, 52.51, 13.40, 52.53)))),
       "expr": sum(1 for _ in lay.getFeatures(QgsFeatureRequest().setFilterExpression("parent_id = '011001'")))}
print("RESULT" + json.dumps(out))
app.exitQgis()
"""


def test_qgis_loads_every_area_through_its_oapif_provider(ogc_url: str, tmp_path: Path) -> None:
    script = tmp_path / "qgis_load.py"
    script.write_text(QGIS_SCRIPT, encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    env.pop("PYTHONPATH", None)
    # Debian's QGIS bindings live in the system Python, not in the project's virtual environment
    r = subprocess.run(
        ["/usr/bin/python3", str(script), ogc_url], capture_output=True, text=True, timeout=300, env=env
    )
    line = next((x for x in r.stdout.splitlines() if x.startswith("RESULT")), None)
    assert line, r.stdout + r.stderr
    res = json.loads(line[6:])
    assert res["valid"] and res["count"] == 542
    assert res["wkb"] == 6  # MultiPolygon
    assert res["fields"]["area_id"] == "String" and res["fields"]["einwohner"] == "Real"
    assert res["rect"] == 12 and res["expr"] == 4
