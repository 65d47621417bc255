"""The Werkstatt page *Raumebenen* (issue 17): upload geometries (zipped Shapefile, GeoPackage,
GeoJSON), pick key and name columns, validity dates and the hierarchy (key prefix, column,
spatial), see a map preview, import — signed in, with CSRF and roles, in Chromium with axe-core."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from planlabor.workspace import Workspace
from tests.werkstatt_helpers import ARTIFACTS, CHROMIUM, axe, login, make_app, make_workspace, signed_in_page

X0, Y0 = 390000, 5820000  # the four areas of the Katalog workspace (EPSG:25833)


def _districts() -> bytes:
    gdf = gpd.GeoDataFrame(
        {"schluessel": ["01", "02"], "bezeichnung": ["Bezirk Nord", "Bezirk Süd"]},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 1000), box(X0 + 2000, Y0, X0 + 4000, Y0 + 1000)],
        crs="EPSG:25833",
    )
    return gdf.to_crs("EPSG:4326").to_json().encode("utf-8")


def _areas(tmp: Path, kind: str) -> tuple[str, bytes]:
    gdf = gpd.GeoDataFrame(
        {"id": ["0101", "0102", "0201", "0202"], "name": ["Nord", "Mitte", "Süd", "West"],
         "bez": ["01", "01", "02", "02"]},
        geometry=[box(X0 + i * 1000 + 10, Y0 + 10, X0 + (i + 1) * 1000 - 10, Y0 + 990) for i in range(4)],
        crs="EPSG:25833",
    )  # fmt: skip
    if kind == "gpkg":
        gdf.to_file(tmp / "gebiete.gpkg")
        return "gebiete.gpkg", (tmp / "gebiete.gpkg").read_bytes()
    gdf.to_file(tmp / "gebiete.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for part in tmp.glob("gebiete.*"):
            z.write(part, part.name)
    return "gebiete.zip", buf.getvalue()


def _upload(c: TestClient, csrf: str, name: str, data: bytes) -> str:
    r = c.post("/werkstatt/raumebenen/pruefen", data={"csrf": csrf}, files={"file": (name, data)})
    assert r.status_code == 200, r.text
    return r.text.split('name="upload" value="')[1].split('"')[0]


def test_upload_pick_columns_dates_and_hierarchy(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:
        csrf = login(c)
        token = _upload(c, csrf, "bezirke.geojson", _districts())
        page = c.post("/werkstatt/raumebenen/pruefen", data={"csrf": csrf, "upload": token}).text
        assert "2 Gebiete" in page and '<th scope="col">schluessel</th>' in page and "Bezirk Süd" in page
        preview = c.get("/werkstatt/raumebenen/vorschau", params={"upload": token}).json()
        assert len(preview["features"]) == 2 and 13.0 < preview["bbox"][0] < 13.6  # WGS 84, Berlin
        form = {"csrf": csrf, "upload": token, "layer": "bezirk", "layer_name": "Bezirke",
                "id_column": "schluessel", "name_column": "bezeichnung", "valid_from": "2024-01-01"}  # fmt: skip
        r = c.post("/werkstatt/raumebenen/importieren", data=form)
        assert r.status_code == 200 and "importiert: 2 Gebiete" in r.text
        assert c.get("/werkstatt/raumebenen/vorschau", params={"upload": token}).status_code == 404  # removed
        for layer, kind, hierarchy in (("gebiet_p", "gpkg", "prefix"), ("gebiet_r", "zip", "spatial"),
                                       ("gebiet_t", "gpkg", "column")):  # fmt: skip
            folder = tmp_path / layer
            folder.mkdir()
            token = _upload(c, csrf, *_areas(folder, kind))
            form = {"csrf": csrf, "upload": token, "layer": layer, "id_column": "id", "name_column": "name",
                    "hierarchy": hierarchy, "parent_layer": "bezirk", "parent_prefix": "2",
                    "parent_column": "bez", "valid_from": "01.01.2025", "valid_to": "31.12.2030"}  # fmt: skip
            r = c.post("/werkstatt/raumebenen/importieren", data=form)
            assert r.status_code == 200 and "gehören zu <code>bezirk</code>" in r.text, r.text[-2000:]
    with Workspace.open(root, read_only=True) as ws:
        bezirk = ws.store.layer("bezirk")
        assert bezirk is not None and bezirk.name == "Bezirke" and bezirk.valid_from == date(2024, 1, 1)
        assert (
            dict(zip(*ws.store.areas("bezirk")[["area_id", "name"]].T.values, strict=True))["02"]
            == "Bezirk Süd"
        )
        for layer in ("gebiet_p", "gebiet_r", "gebiet_t"):
            info = ws.store.layer(layer)
            assert info is not None and info.parent_layer == "bezirk", layer
            assert (info.valid_from, info.valid_to) == (date(2025, 1, 1), date(2030, 12, 31))
            areas = ws.store.areas(layer).sort_values("area_id")
            assert list(areas["parent_id"]) == ["01", "01", "02", "02"], layer


def test_a_wrong_form_or_a_viewer_imports_nothing(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:
        csrf = login(c)
        token = _upload(c, csrf, "bezirke.geojson", _districts())
        form = {"csrf": csrf, "upload": token, "layer": "Bezirk!", "id_column": "schluessel"}
        r = c.post("/werkstatt/raumebenen/importieren", data=form)
        assert r.status_code == 422 and "nicht zulässig" in r.text and 'value="Bezirk!"' in r.text
        r = c.post(
            "/werkstatt/raumebenen/importieren", data={**form, "layer": "bezirk", "valid_from": "morgen"}
        )
        assert r.status_code == 422 and "kein Datum" in r.text
        r = c.post(
            "/werkstatt/raumebenen/importieren", data={**form, "layer": "bezirk", "hierarchy": "prefix"}
        )
        assert r.status_code == 422 and "übergeordnete Raumebene" in r.text
        r = c.post(
            "/werkstatt/raumebenen/pruefen", data={"csrf": csrf}, files={"file": ("x.geojson", b"{kaputt")}
        )
        assert r.status_code == 422 and "nicht lesbar" in r.text
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:
        csrf = login(c, "leserin")
        r = c.post("/werkstatt/raumebenen/importieren", data={**form, "csrf": csrf, "layer": "bezirk"})
        assert r.status_code == 403
    with Workspace.open(root, read_only=True) as ws:
        assert [lay.layer_id for lay in ws.store.layers()] == ["gebiet"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    from tests.conftest import live_server

    with live_server(make_app(make_workspace(tmp_path))) as url:
        yield url


@pytest.mark.skipif(shutil.which("chromium") is None and not Path(CHROMIUM).exists(), reason="Chromium fehlt")
def test_planner_uploads_geometries_and_sees_the_map(server: str, tmp_path: Path) -> None:
    upload = tmp_path / "bezirke.geojson"
    upload.write_bytes(_districts())
    with signed_in_page(server, "/werkstatt/raumebenen") as (page, problems):
        axe(page, "raumebenen_leer")
        page.set_input_files("#geo-file", str(upload))
        page.click("form.geo-upload button[type=submit]")
        page.wait_for_selector("#preview-map[data-ready='2']", timeout=60_000)
        axe(page, "raumebenen_vorschau")
        page.screenshot(path=str(ARTIFACTS / "werkstatt_raumebenen_vorschau.png"), full_page=True)
        page.fill("#g-layer", "bezirk")
        page.select_option("#g-key", "schluessel")
        page.select_option("#g-name", "bezeichnung")
        page.click("form.geo-import button[type=submit]")
        page.wait_for_selector("div.done")
        assert "bezirk" in page.locator("table.layers").inner_text()
    assert problems == []
