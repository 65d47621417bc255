"""Werkstatt analyses report their real steps (issue 17 follow-up): the projection every year,
the Kita plan every projected date, the coverage its phases, the typology its three steps — in
the one bar of :func:`~planlabor.app.analysis_forms.run_analysis` (inputs checked, the analysis's
own steps, table, done), and the bar of a job survives a restarted server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from planlabor.app.analysis_forms import run_analysis
from planlabor.app.users import add_user
from planlabor.workspace import Workspace
from tests.conftest import write
from tests.test_cohort import _grid_population
from tests.werkstatt_helpers import PASSWORD, login, make_app

Seen = list[tuple[int, int, str | None]]


def _listen(seen: Seen) -> Any:
    return lambda s, t, label=None: seen.append((s, t, label))


def _one_bar(seen: Seen, inner: int) -> None:
    """Inputs checked (1 of 3), then ``inner`` steps of the analysis, the table and done, all of
    one total; the steps count up one by one."""
    assert seen[0][:2] == (1, 3)
    assert [(s, t) for s, t, _ in seen[1:]] == [(s, inner + 3) for s in range(2, inner + 4)]
    assert seen[-1][2] == "Fertig" and seen[-2][2] == "Ergebnis als Tabelle"


@pytest.fixture
def plan_root(grid_ws: Workspace, tmp_path: Path) -> Path:
    """Four areas with age bands at two dates, Kita places and three Kitas as points."""
    from planlabor.spatial.facilities import import_facilities

    _grid_population(grid_ws, "2023-12-31", 1.0)
    _grid_population(grid_ws, "2024-12-31", 1.02)
    places = pd.DataFrame(
        {"layer_id": "gebiet", "area_id": ["A1", "A2", "A3", "A4"], "variable": "kita_plaetze",
         "period": "2024-12-31", "value": [100.0, 200.0, 300.0, 0.0]}
    )  # fmt: skip
    grid_ws.store.record_observations("test", "gebiet", places, {})
    x0, y0 = 390000, 5820000
    rows = ["id;x;y;plaetze", f"k1;{x0 + 500};{y0 + 500};60", f"k2;{x0 + 1500};{y0 + 500};80",
            f"k3;{x0 + 2500};{y0 + 500};40"]  # fmt: skip
    path = write(tmp_path / "kitas.csv", "\n".join(rows) + "\n")
    import_facilities(
        grid_ws.store, path, "kita", "gebiet", "2024", "EPSG:25833", capacity_column="plaetze",
        id_column="id", x_column="x", y_column="y", source_crs="EPSG:25833",
    )  # fmt: skip
    root = Path(grid_ws.root)
    grid_ws.close()
    add_user(root, "planerin", PASSWORD, "editor")
    return root


def test_projection_reports_base_rates_every_year_and_saving(plan_root: Path) -> None:
    seen: Seen = []
    form = {"layer": "gebiet", "base": "2024-12-31", "calibrate": "2023-12-31", "years": "6"}
    run_analysis(plan_root, "projection", form, progress=_listen(seen))
    _one_bar(seen, 6 + 3)  # base stock, rates, six years, saving
    labels = [label for _, _, label in seen]
    assert labels[1] == "Basisbestand 2024-12-31 gelesen: 4 Gebiete"
    assert labels[2] == "Raten kalibriert an 2 Stichtagen"
    assert labels[3:9] == [f"Prognosejahr {2025 + i} ({i + 1} von 6)" for i in range(6)]
    assert labels[9].startswith("Prognose gespeichert (Import Nr. ")

    seen.clear()  # the Kita plan from the projection: one step per projected date
    run_analysis(plan_root, "kita", {"layer": "gebiet", "scenario": "intern"}, progress=_listen(seen))
    _one_bar(seen, 6)
    assert [label for _, _, label in seen[1:7]] == [
        f"Kita-Bedarf {2025 + i}-12-31 geplant ({i + 1} von 6)" for i in range(6)
    ]


def test_kita_plan_of_an_observed_date_is_one_step(plan_root: Path) -> None:
    seen: Seen = []
    run_analysis(plan_root, "kita", {"layer": "gebiet", "period": "2024-12-31"}, progress=_listen(seen))
    _one_bar(seen, 1)
    assert seen[1][2] == "Kita-Bedarf 2024-12-31 geplant"


def test_coverage_reports_its_phases(plan_root: Path) -> None:
    seen: Seen = []
    form = {"facility_type": "kita", "layer": "gebiet", "demand": "inhabitants_age_below_6",
            "period": "2024-12-31", "within": "800"}  # fmt: skip
    res = run_analysis(plan_root, "coverage", form, progress=_listen(seen))
    _one_bar(seen, 5)
    assert [label for _, _, label in seen[1:6]] == [
        "3 Einrichtungen (kita) gelesen",
        "Nachfrage inhabitants_age_below_6 von 4 Gebieten gelesen",
        "Nächste Einrichtung für 4 Gebiete bestimmt",
        "2SFCA: Einzugsbereiche von 3 Einrichtungen verrechnet",
        "Ergebnisse gespeichert",
    ]
    assert res.analysis == "coverage" and len(res.rows) == 4


def test_typology_reports_read_clustered_saved(tmp_path: Path) -> None:
    from tests.werkstatt_helpers import make_workspace

    root = make_workspace(tmp_path)
    seen: Seen = []
    form = {"layer": "gebiet", "period": "2023-12-31", "columns": "ew, kinder, sgb2", "k": "2"}
    run_analysis(root, "typology", form, progress=_listen(seen))
    _one_bar(seen, 3)
    assert seen[1][2] == "3 Merkmale von 4 Gebieten gelesen"
    assert str(seen[2][2]).startswith("2 Typen gebildet (kmeans), Silhouette ")
    assert str(seen[3][2]).startswith("Typen als typ gespeichert (Import Nr. ")


def _stand(c: TestClient, job: str) -> dict[str, Any]:
    return dict(c.get(f"/werkstatt/auftrag/{job}/stand").json())


def test_the_bar_of_a_projection_survives_a_restart(plan_root: Path) -> None:
    form = {"layer": "gebiet", "base": "2024-12-31", "years": "4"}
    with TestClient(make_app(plan_root), base_url="http://127.0.0.1") as c:
        csrf = login(c, password=PASSWORD)
        r = c.post("/werkstatt/analysen/projection", data={**form, "csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303, r.text[-2000:]
        job = r.headers["location"].rsplit("/", 1)[-1]
        end = time.monotonic() + 300
        while (s := _stand(c, job))["state"] in ("wartet", "läuft"):
            assert s["total"] in (None, 3, 4 + 3 + 3)
            assert time.monotonic() < end
            time.sleep(0.05)
        assert (s["state"], s["step"], s["total"], s["label"]) == ("fertig", 10, 10, "Fertig")
    with TestClient(make_app(plan_root), base_url="http://127.0.0.1") as c:  # a restarted server
        login(c, password=PASSWORD)
        assert (_stand(c, job)["step"], _stand(c, job)["total"]) == (10, 10)


def test_index_reports_table_every_component_and_file(tmp_path: Path) -> None:
    """MSS 2021 on the official input file: the table, its two components (three indicators each,
    one period) and the written file."""
    from tests.conftest import DATA
    from tests.werkstatt_helpers import make_workspace

    root = make_workspace(tmp_path)
    mss_in = DATA / "berlin" / "mss_2021" / "s_IndexInd_MSS2021_homogen.csv"
    seen: Seen = []
    res = run_analysis(
        root, "index", {"preset": "mss2021", "input_file": str(mss_in)}, progress=_listen(seen)
    )
    _one_bar(seen, 4)
    labels = [label for _, _, label in seen[1:5]]
    assert labels[:3] == [
        "Tabelle s_IndexInd_MSS2021_homogen.csv gelesen: 542 Zeilen",
        "Teilindex status (3 Indikatoren), 202012",
        "Teilindex dynamik (3 Indikatoren), 202012",
    ]
    assert str(labels[3]).startswith("index_mss2021_") and str(labels[3]).endswith(".csv geschrieben")
    assert res.summary == ["Index mss2021: 542 Zeilen, 6 ausgeschlossen (s_Indizes_MSS2021_homogen)"]
