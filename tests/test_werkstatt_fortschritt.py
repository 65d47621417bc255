"""Analyses in the Werkstatt (issue 17): progress per step — the hot spots report every block of
permutations, the bar survives a reload and a restarted server — and the projection's file
options (life table, fertility rates, scenarios with their new-housing tables) uploaded in the
form, run through the same use case as ``planlabor project --scenarios …``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from planlabor.app.analysis_forms import run_analysis
from planlabor.app.users import add_user
from planlabor.areas import AreaImportOptions
from planlabor.io.importer import ImportOptions
from planlabor.spatial.hotspots import analyse_values
from planlabor.workspace import Workspace
from tests.test_cohort import _grid_population
from tests.werkstatt_helpers import PASSWORD, login, make_app


def _grid(n: int) -> tuple[pd.Series, list[Any]]:
    """n × n squares with a value rising to the east (clusters by construction)."""
    geoms = [box(i, j, i + 1, j + 1) for j in range(n) for i in range(n)]
    values = pd.Series(
        [float(i % n) + (i // n) % 2 for i in range(n * n)], index=[f"q{i:04d}" for i in range(n * n)]
    )
    return values, geoms


def test_hotspots_report_every_block_of_permutations() -> None:
    values, geoms = _grid(27)  # 729 areas: two blocks of areas; 999 permutations: five blocks
    seen: list[tuple[int, int, str]] = []
    res = analyse_values(
        values, np.array(geoms), permutations=999, progress=lambda s, t, label: seen.append((s, t, label))
    )
    assert [s for s, _, _ in seen] == list(range(1, 10)) and {t for _, t, _ in seen} == {9}
    labels = [label for _, _, label in seen]
    assert labels[0] == "Nachbarschaft (queen) gebildet: 729 Gebiete"
    assert "Lokale Zufallsverteilung: Gebietsblock 2 von 2" in labels
    assert labels[-1] == "Globales Moran's I: 999 von 999 Permutationen"
    same = analyse_values(values, np.array(geoms), permutations=999)  # the figures do not depend on it
    assert same["moran_p"] == res["moran_p"] and same["local"].equals(res["local"])


@pytest.fixture(scope="module")
def grid_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fortschritt")
    values, geoms = _grid(8)
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"id": list(values.index)}, geometry=geoms, crs="EPSG:25833")
    gdf = gdf.set_geometry(gdf.translate(390000, 5820000).scale(500, 500, origin=(390000, 5820000)))
    gdf.to_file(folder / "q.gpkg")
    ws = Workspace.init(folder / "ws", name="Raster")
    ws.import_areas(folder / "q.gpkg", AreaImportOptions(layer="q", id_column="id"))
    (folder / "w.csv").write_text(
        "id;wert\n" + "".join(f"{k};{v:g}\n" for k, v in values.items()), encoding="utf-8"
    )
    ws.import_table(folder / "w.csv", ImportOptions(layer="q", period="2024-12-31"))
    ws.close()
    add_user(ws.root, "planerin", PASSWORD, "editor")
    return ws.root


def test_run_analysis_counts_the_analysis_steps_in_one_bar(grid_root: Path) -> None:
    seen: list[tuple[int, int]] = []
    form = {"layer": "q", "variable": "wert", "period": "2024-12-31", "permutations": "999"}
    run_analysis(grid_root, "hotspots", form, progress=lambda s, t, label=None: seen.append((s, t)))
    # inputs checked; neighbours, statistics, one block of areas, five of Moran's I; table; done
    assert seen[0] == (1, 3) and seen[1:] == [(s, 11) for s in range(2, 12)]


def _stand(c: TestClient, job: str) -> dict[str, Any]:
    return dict(c.get(f"/werkstatt/auftrag/{job}/stand").json())


def test_the_bar_of_an_analysis_survives_a_reload_and_a_restart(grid_root: Path) -> None:
    form = {"layer": "q", "variable": "wert", "period": "2024-12-31", "permutations": "999"}
    with TestClient(make_app(grid_root), base_url="http://127.0.0.1") as c:
        csrf = login(c, password=PASSWORD)
        r = c.post("/werkstatt/analysen/hotspots", data={**form, "csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303
        job = r.headers["location"].rsplit("/", 1)[-1]
        totals = set()
        end = time.monotonic() + 300
        while (s := _stand(c, job))["state"] in ("wartet", "läuft"):
            totals.add(s["total"])
            assert time.monotonic() < end
            time.sleep(0.05)
        assert (s["state"], s["step"], s["total"], s["label"]) == ("fertig", 11, 11, "Fertig")
        assert totals <= {None, 3, 11}
    with TestClient(make_app(grid_root), base_url="http://127.0.0.1") as c:  # a restarted server
        login(c, password=PASSWORD)
        assert (_stand(c, job)["step"], _stand(c, job)["total"]) == (11, 11)
        assert "Moran&#39;s I" in c.get(f"/werkstatt/auftrag/{job}").text


# ------------------------------------------------------------ projection files
@pytest.fixture
def projection_root(grid_ws: Workspace) -> Path:
    _grid_population(grid_ws, "2023-12-31", 1.0)
    _grid_population(grid_ws, "2024-12-31", 1.02)
    root = Path(grid_ws.root)
    grid_ws.close()
    add_user(root, "planerin", PASSWORD, "editor")
    return root


def _project(c: TestClient, csrf: str, files: list[tuple[str, tuple[str, bytes]]]) -> Any:
    form = {"layer": "gebiet", "base": "2024-12-31", "calibrate": "2023-12-31", "years": "6", "csrf": csrf}
    return c.post("/werkstatt/analysen/projection", data=form, files=files, follow_redirects=False)


def _wait(c: TestClient, location: str) -> dict[str, Any]:
    job = location.rsplit("/", 1)[-1]
    end = time.monotonic() + 300
    while _stand(c, job)["state"] in ("wartet", "läuft"):
        assert time.monotonic() < end
        time.sleep(0.1)
    return c.app.state.werkstatt.jobs.get(job)  # type: ignore[attr-defined,no-any-return]


def test_projection_with_uploaded_scenarios_life_table_and_fertility(projection_root: Path) -> None:
    toml = b'[[szenario]]\nid = "neubau"\nname = "Mit Neubau"\nneubau = "neubau.csv"\n'
    life = "alter;geschlecht;qx\n" + "".join(f"{a};{s};0,01\n" for s in "mw" for a in range(101))
    with TestClient(make_app(projection_root), base_url="http://127.0.0.1") as c:
        csrf = login(c, password=PASSWORD)
        page = c.get("/werkstatt/analysen").text
        assert 'name="scenarios" accept=".toml,.csv,.txt,.xlsx" multiple' in page
        r = _project(c, csrf, [("scenarios", ("sz.toml", toml)), ("scenarios", ("neubau.csv", b"gebiet;jahr;personen\nA1;2026;1000\n")),
                               ("life_table", ("sterbetafel.csv", life.encode())),
                               ("fertility", ("geburten.csv", b"alter;rate\n20;0,05\n30;0,1\n"))])  # fmt: skip
        assert r.status_code == 303, r.text[-2000:]
        job = _wait(c, r.headers["location"])
        assert job["state"] == "fertig", job.get("error")
    with Workspace.open(projection_root, read_only=True) as ws:
        obs = ws.store.observations("gebiet", ["prog_neubau_ew", "prog_intern_ew"], ["2026-12-31"])
    ew = obs.groupby("variable")["value"].sum()
    assert ew["prog_neubau_ew"] - ew["prog_intern_ew"] == pytest.approx(1000, rel=1e-6)  # as with the CLI


def test_projection_uploads_name_only_their_own_tables(projection_root: Path) -> None:
    escape = b'[[szenario]]\nid = "neubau"\nneubau = "../../../planlabor.toml"\n'
    with TestClient(make_app(projection_root), base_url="http://127.0.0.1") as c:
        csrf = login(c, password=PASSWORD)
        r = _project(c, csrf, [("scenarios", ("neubau.csv", b"gebiet;jahr;personen\nA1;2026;1000\n"))])
        assert r.status_code == 422 and "fehlt die .toml-Datei" in r.text
        r = _project(c, csrf, [("scenarios", ("sz.toml", escape))])
        job = _wait(c, r.headers["location"])
        assert job["state"] == "Fehler" and "nicht mit ihr hochgeladen" in job["error"]["message"]
        r = c.post("/werkstatt/analysen/projection", data={"layer": "gebiet", "base": "2024-12-31"},
                   files=[("scenarios", ("sz.toml", escape))])  # fmt: skip
        assert r.status_code == 403  # no CSRF token
    with Workspace.open(projection_root, read_only=True) as ws:
        assert ws.store.observations("gebiet", ["prog_neubau_ew"], ["2026-12-31"]).empty


def test_segregation_reports_every_period(tmp_path: Path) -> None:
    from tests.werkstatt_helpers import make_workspace

    root = make_workspace(tmp_path)  # kinder and ew on four areas, 2022 and 2023
    seen: list[tuple[int, int, str | None]] = []
    form = {"layer": "gebiet", "group": "kinder", "total": "ew"}
    res = run_analysis(
        root, "segregation", form, progress=lambda s, t, label=None: seen.append((s, t, label))
    )
    assert [(s, t) for s, t, _ in seen] == [(1, 3), (1, 6), (2, 6), (3, 6), (4, 6), (5, 6), (6, 6)]
    assert seen[1][2] == "Stand 2022-12-31 (1 von 2)" and seen[2][2] == "Stand 2023-12-31 (2 von 2)"
    assert res.analysis == "segregation" and res.rows
