"""Street network through the command line and the REST API of the internal view, on a small
workspace over the Berlin-Neukölln OSM extract (3 × 3 areas of 150 m, three Kitas)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from shapely.geometry import box

from planlabor.cli import cli
from planlabor.workspace import Workspace
from tests.conftest import table_fingerprint, write

OSM = Path(__file__).parent / "data" / "osm"
X0, Y0, CELL = 393820, 5814600, 150  # 3 × 3 areas over the blocks of the extract
KITAS = "id;x;y;plaetze\nK1;393900;5814700;60\nK2;394150;5814950;40\nK3;394000;5814850;80\n"
PASSWORD = "sehr-geheim-2026"


def run(ws: Path | None, *args: str) -> tuple[int, str]:
    pre = ["-C", str(ws)] if ws else []
    result = CliRunner().invoke(cli, [*pre, *args], catch_exceptions=False)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


@pytest.fixture(scope="module")
def nk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("nk")
    root = tmp / "ws"
    assert run(None, "init", str(root), "--crs", "EPSG:25833")[0] == 0
    cells = [
        (f"N{r}{c}", box(X0 + c * CELL, Y0 + r * CELL, X0 + (c + 1) * CELL, Y0 + (r + 1) * CELL))
        for r in range(3)
        for c in range(3)
    ]
    gpd.GeoDataFrame(
        {"id": [c[0] for c in cells], "name": [f"Block {c[0]}" for c in cells]},
        geometry=[c[1] for c in cells],
        crs="EPSG:25833",
    ).to_file(tmp / "areas.geojson", driver="GeoJSON")
    demand = "id;kinder\n" + "".join(f"{c[0]};{10 * (i + 1)}\n" for i, c in enumerate(cells))
    assert (
        run(
            root,
            "areas",
            "import",
            str(tmp / "areas.geojson"),
            "--layer",
            "block",
            "--id-column",
            "id",
            "--name-column",
            "name",
        )[0]
        == 0
    )
    assert (
        run(
            root,
            "import",
            str(write(tmp / "kinder.csv", demand)),
            "--layer",
            "block",
            "--period",
            "2024-12-31",
        )[0]
        == 0
    )
    code, out = run(
        root,
        "facilities",
        "import",
        str(write(tmp / "kitas.csv", KITAS)),
        "--type",
        "kita",
        "--layer",
        "block",
        "--period",
        "2024-12-31",
        "--x-column",
        "x",
        "--y-column",
        "y",
        "--source-crs",
        "EPSG:25833",
        "--capacity-column",
        "plaetze",
        "--id-column",
        "id",
    )
    assert code == 0, out
    code, out = run(
        root,
        "coverage",
        "--type",
        "kita",
        "--layer",
        "block",
        "--demand",
        "kinder",
        "--period",
        "2024-12-31",
        "--network",
        "fuss",
    )
    assert code == 1 and "noch kein Straßennetz" in out and "planlabor network import" in out
    code, out = run(root, "network", "import", str(OSM / "berlin-neukoelln-blocks.osm"))
    assert code == 0 and "Wegenetz importiert" in out and "Rollstuhl" in out, out
    return root


def test_info_and_failed_import_changes_nothing(nk: Path, tmp_path: Path) -> None:
    code, out = run(nk, "network", "info")
    assert code == 0 and "berlin-neukoelln-blocks.osm" in out and "zu Fuß (fuss)" in out
    info = json.loads(run(nk, "network", "info", "--json")[1])
    assert info["crs"] == "EPSG:25833" and {p["id"] for p in info["profiles"]} == {
        "fuss",
        "rad",
        "auto",
        "rollstuhl",
    }
    with Workspace.open(nk) as ws:
        before = table_fingerprint(ws), ws.store.query_df("SELECT count(*) AS n FROM network_edges")["n"][0]
    bad = write(tmp_path / "stadt.osm", "<osm><node id='1' lat='x'")
    code, out = run(nk, "network", "import", str(bad))
    assert code == 1 and "Fehler:" in out and "stadt.osm" in out
    with Workspace.open(nk) as ws:
        assert (
            table_fingerprint(ws),
            ws.store.query_df("SELECT count(*) AS n FROM network_edges")["n"][0],
        ) == before


def test_coverage_on_the_network(nk: Path) -> None:
    code, out = run(
        nk,
        "coverage",
        "--type",
        "kita",
        "--layer",
        "block",
        "--demand",
        "kinder",
        "--period",
        "2024-12-31",
        "--network",
        "fuss",
        "--within",
        "300",
    )
    assert code == 0 and "Straßennetz, zu Fuß" in out, out
    code, out = run(
        nk,
        "coverage",
        "--type",
        "kita",
        "--layer",
        "block",
        "--demand",
        "kinder",
        "--period",
        "2024-12-31",
        "--within",
        "300",
    )
    assert code == 0 and "Luftlinie" in out
    code, out = run(
        nk,
        "coverage",
        "--type",
        "kita",
        "--layer",
        "block",
        "--demand",
        "kinder",
        "--period",
        "2024-12-31",
        "--network",
        "rollstuhl",
        "--unit",
        "min",
        "--distance",
        "10",
        "--within",
        "5",
    )
    assert code == 0 and "Minuten" in out, out
    with Workspace.open(nk) as ws:
        obs = ws.store.observations("block", None, ["2024-12-31"]).pivot(
            index="area_id", columns="variable", values="value"
        )
    # along the network never shorter than the straight line (0.1 % for the projection)
    assert (obs["dist_kita_fuss"] >= obs["dist_kita"] * 0.999).all()
    assert (obs["dist_kita_fuss"] < obs["dist_kita"] * 3 + 300).all()
    assert {
        "sfca_kita_fuss_1000m",
        "within_300m_kita_fuss",
        "zeit_kita_rollstuhl",
        "sfca_kita_rollstuhl_10min",
        "within_5min_kita_rollstuhl",
    } <= set(obs.columns)
    # walking (75 m a minute) is faster than a wheelchair (60 m a minute, fewer ways)
    assert obs["zeit_kita_rollstuhl"].sum() > (obs["dist_kita_fuss"] / 75).sum()


def test_coverage_option_errors(nk: Path) -> None:
    base = ["coverage", "--type", "kita", "--layer", "block", "--demand", "kinder", "--period", "2024-12-31"]
    code, out = run(nk, *base, "--unit", "min")
    assert code == 1 and "nur auf dem Straßennetz" in out and "--network" in out
    code, out = run(nk, *base, "--network", "boot")
    assert code == 1 and "Verkehrsmittel 'boot'" in out and "fuss, rad, auto oder rollstuhl" in out


def test_isochrones_stored_and_exported(nk: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "iso.geojson"
    code, out = run(
        nk,
        "network",
        "isochrones",
        "--type",
        "kita",
        "--minutes",
        "3",
        "--minutes",
        "6",
        "--out",
        str(out_file),
    )
    assert code == 0 and "3 Isochronen 3 Minuten zu Fuß" in out, out
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert len(data["features"]) == 6
    lon, lat = np.array([c for f in data["features"] for c in f["geometry"]["coordinates"][0]]).T
    assert lon.min() > 13.42 and lon.max() < 13.45 and lat.min() > 52.46 and lat.max() < 52.49
    frame = gpd.read_file(out_file).to_crs(25833)
    small, large = (frame[frame["minutes"] == m].set_index("facility_id").area for m in (3, 6))
    assert (large > small).all()
    with Workspace.open(nk) as ws:
        assert ws.store.query_df("SELECT count(*) AS n FROM isochrones")["n"][0] == 6
    code, out = run(
        nk,
        "network",
        "isochrones",
        "--type",
        "kita",
        "--minutes",
        "6",
        "--stored",
        "--out",
        str(tmp_path / "i.gpkg"),
    )
    assert code == 0 and len(gpd.read_file(tmp_path / "i.gpkg")) == 3
    code, out = run(
        nk, "network", "isochrones", "--type", "kita", "--minutes", "6", "--out", str(tmp_path / "i.shp")
    )
    assert code == 1 and ".geojson oder .gpkg" in out
    code, out = run(nk, "network", "isochrones", "--type", "kita", "--minutes", "0")
    assert code == 1 and "Reisezeit" in out


def test_scenario_command(nk: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "sz.geojson"
    base = [
        "network",
        "scenario",
        "--type",
        "kita",
        "--layer",
        "block",
        "--demand",
        "kinder",
        "--period",
        "2024-12-31",
    ]
    args = [
        *base,
        "--at",
        "13.4409,52.4717",
        "--capacity",
        "50",
        "--network",
        "fuss",
        "--unit",
        "min",
        "--distance",
        "6",
        "--within",
        "6",
    ]
    code, out = run(nk, *args, "--out", str(out_file))
    assert code == 0 and "Gebiet(e) mit veränderter Versorgung" in out, out
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert len(data["features"]) == 9 and data["geplant"]["features"][0]["properties"]["plaetze"] == 50
    s = data["zusammenfassung"]
    assert s["plaetze_je_100_nachher"] - s["plaetze_je_100_vorher"] == pytest.approx(50 / 450 * 100, abs=1e-3)
    assert s["anteil_in_reichweite_nachher"] >= s["anteil_in_reichweite_vorher"]
    code, _ = run(nk, *args, "--out", str(tmp_path / "sz.csv"))
    assert code == 0 and "sfca_change" in (tmp_path / "sz.csv").read_text(encoding="utf-8-sig")
    code, out = run(
        nk, *base, "--at", "13,4409;52,4717", "--capacity", "50", "--distance", "400"
    )  # straight line, German decimals
    assert code == 0 and "Luftlinie" in out
    code, out = run(nk, *base, "--at", "irgendwo", "--capacity", "50")
    assert code == 1 and "kein Punkt" in out
    code, out = run(nk, *base, "--at", "13.4409,52.4717", "--capacity", "-5")
    assert code == 1 and "Platzzahl" in out


def test_network_export(nk: Path, tmp_path: Path) -> None:
    code, _ = run(nk, "network", "export", str(tmp_path / "netz.gpkg"), "--profile", "rollstuhl")
    assert code == 0
    frame = gpd.read_file(tmp_path / "netz.gpkg")
    assert len(frame) > 100 and (frame["rollstuhl"] > 0).all() and "steps" not in set(frame["highway"])


# ------------------------------------------------------------------------------------- REST
@pytest.fixture(scope="module")
def client(nk: Path) -> Iterator[TestClient]:
    """The server as 'planlabor serve --internal' runs it: the store opened only per answer."""
    from planlabor.atlas.access import LiveWorkspace
    from planlabor.atlas.auth import add_user
    from planlabor.atlas.server import create_app

    with Workspace.open(nk) as ws:
        add_user(ws.auth(), "planerin", PASSWORD, "intern")
    live = LiveWorkspace(nk)
    with TestClient(create_app(live.source(), internal=True, live=live)) as c:
        yield c


def _login(c: TestClient) -> str:
    csrf = c.get("/api/session").json()["csrf"]
    r = c.post(
        "/login", data={"username": "planerin", "password": PASSWORD, "csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    return str(c.get("/api/session").json()["csrf"])


SCENARIO = {
    "raumebene": "block",
    "typ": "kita",
    "nachfrage": "kinder",
    "stichtag": "2024-12-31",
    "einrichtungen": [{"lon": 13.4409, "lat": 52.4717, "plaetze": 50}],
    "profil": "fuss",
    "einheit": "min",
    "einzugsbereich": 6,
}


def test_api_is_internal_only(client: TestClient) -> None:
    client.cookies.clear()
    r = client.get("/api/netz")
    assert r.status_code == 403 and "internen Ansicht" in r.json()["detail"]
    assert client.get("/api/netz/isochronen", params={"typ": "kita"}).status_code == 403
    assert client.post("/api/netz/szenario", json=SCENARIO).status_code == 403
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/netz", "/api/netz/isochronen", "/api/netz/isochrone", "/api/netz/szenario"} <= set(paths)


def test_api_network_isochrones_and_scenario(client: TestClient, nk: Path) -> None:
    csrf = _login(client)
    info = client.get("/api/netz").json()
    assert info["nodes"] > 0 and [p["id"] for p in info["profiles"]] == ["fuss", "rad", "auto", "rollstuhl"]
    r = client.get("/api/netz/isochronen", params={"typ": "kita", "profil": "rollstuhl", "minuten": 4})
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    fc = r.json()
    assert len(fc["features"]) == 3 and fc["gespeichert"] is False
    assert {f["properties"]["facility_id"] for f in fc["features"]} == {"K1", "K2", "K3"}
    # a command stores isochrones while the server runs: the server then serves the stored ones
    code, out = run(nk, "network", "isochrones", "--type", "kita", "--minutes", "7.5")
    assert code == 0, out
    stored = client.get(
        "/api/netz/isochronen", params={"typ": "kita", "profil": "fuss", "minuten": 7.5}
    ).json()
    assert stored["gespeichert"] is True and len(stored["features"]) == 3
    assert all(
        f["properties"]["minutes"] == 7.5 and f["geometry"]["type"] == "Polygon" for f in stored["features"]
    )
    one = client.post(
        "/api/netz/isochrone",
        json={"lon": 13.4401, "lat": 52.4731, "minuten": 5},
        headers={"X-CSRF-Token": csrf},
    )
    assert one.status_code == 200 and one.json()["geometry"]["type"] == "Polygon"
    assert client.post("/api/netz/szenario", json=SCENARIO).status_code == 403  # no CSRF token
    r = client.post("/api/netz/szenario", json=SCENARIO, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 9
    assert body["zusammenfassung"]["netz"] == "fuss" and body["zusammenfassung"]["gebiete_veraendert"] >= 1
    changed = [f for f in body["features"] if abs(f["properties"]["sfca_change"]) > 0]
    assert len(changed) == body["zusammenfassung"]["gebiete_veraendert"]
    bad = client.post(
        "/api/netz/szenario",
        json={**SCENARIO, "einrichtungen": [{"lon": 13.4, "lat": 52.4, "plaetze": -1}]},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith("Ungültige Anfrage")
    missing = client.post(
        "/api/netz/szenario", json={**SCENARIO, "nachfrage": "senioren"}, headers={"X-CSRF-Token": csrf}
    )
    assert missing.status_code == 404 and "keine Werte" in missing.json()["detail"]
    minutes = client.post(
        "/api/netz/szenario", json={**SCENARIO, "profil": None}, headers={"X-CSRF-Token": csrf}
    )
    assert minutes.status_code == 422 and "Minuten" in minutes.json()["detail"]
