"""The public preview on *Berichte* only reads (issue 17): it is answered from the public atlas's
caches outside the writer queue, so it shows while a long job holds the store for writing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from planlabor.app import catalog as app_catalog
from planlabor.app.compute import compute
from planlabor.app.publish import public_view
from tests.test_werkstatt_katalog import FORM
from tests.werkstatt_helpers import login, make_app, make_workspace


def hold_store(root: str, holding: str, release: str) -> str:
    """A long writing job (runs in the Werkstatt's writer process): open the store for writing,
    say so, and keep it until ``release`` exists (at most two minutes)."""
    from planlabor.workspace import Workspace

    ws = Workspace.open(root)
    try:
        ws.store.layers()  # the store is open read-write: no other process may open the file now
        Path(holding).touch()
        end = time.monotonic() + 120
        while not Path(release).exists() and time.monotonic() < end:
            time.sleep(0.05)
    finally:
        ws.close()
    return "fertig"


def _wait_for(path: Path) -> None:
    end = time.monotonic() + 120
    while not path.exists():
        assert time.monotonic() < end, f"{path.name} fehlt"
        time.sleep(0.05)


def test_the_preview_answers_while_a_job_writes(tmp_path: Path) -> None:
    root = make_workspace(tmp_path)
    app_catalog.save_indicator(
        root, {**FORM, "min_count": "60"}
    )  # anteil_kinder, public, 0201 (50 children) withheld in both periods
    app_catalog.save_indicator(root, {**FORM, "id": "intern_sgb2", "name": "SGB II intern", "public": ""})
    compute(root)
    expected = public_view(root)  # the use case opening the store, as the command line would
    assert expected.suppressed_total == 2 and expected.internal == ["SGB II intern"]
    holding, release = tmp_path / "haelt", tmp_path / "los"
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:
        login(c)
        first = c.get("/werkstatt/berichte").text  # warms the public caches
        assert "2 Wert(e) sind wegen kleiner Fallzahlen gesperrt" in first
        shop = c.app.state.werkstatt  # type: ignore[attr-defined]
        job = shop.jobs.start("hold", "planerin", hold_store, str(root), str(holding), str(release))
        try:
            _wait_for(holding)
            r = c.get("/werkstatt/berichte")
            assert shop.jobs.get(job)["state"] == "läuft"  # answered while the job still writes
        finally:
            release.touch()
        assert r.status_code == 200
        assert "2 Wert(e) sind wegen kleiner Fallzahlen gesperrt" in r.text
        assert "Bleiben intern (nicht im öffentlichen Atlas): SGB II intern" in r.text
        assert "<td>Anteil Kinder</td>" in r.text
        end = time.monotonic() + 60
        while shop.jobs.get(job)["state"] != "fertig":
            assert time.monotonic() < end
            time.sleep(0.05)


@pytest.mark.duckdb_only  # on PostgreSQL a writing job does not hold readers out: the preview answers with data
def test_a_cold_preview_while_a_job_writes_says_so(tmp_path: Path) -> None:
    """Nothing cached yet and the store held: after the request's wait (5 s) a German note, no
    server path, and the page still answers."""
    root = make_workspace(tmp_path)
    holding, release = tmp_path / "haelt", tmp_path / "los"
    with TestClient(make_app(root), base_url="http://127.0.0.1") as c:
        login(c)
        shop = c.app.state.werkstatt  # type: ignore[attr-defined]
        job = shop.jobs.start("hold", "planerin", hold_store, str(root), str(holding), str(release))
        try:
            _wait_for(holding)
            r = c.get("/werkstatt/berichte")
            assert shop.jobs.get(job)["state"] == "läuft"
        finally:
            release.touch()
    assert r.status_code == 200 and "ein Auftrag schreibt in den Arbeitsbereich" in r.text
    assert str(tmp_path) not in r.text
