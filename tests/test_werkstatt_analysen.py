"""The Werkstatt pages *Analysen* and *Berichte und Veröffentlichen* (issue 17): analyses with the
options of the command line as jobs, results as tables with atlas links; reports with progress per
step; the public preview; roles and CSRF; bounded disk for uploads and job files."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from planlabor.app import audit
from planlabor.app.analysis_forms import parse
from planlabor.app.analysis_tables import ANALYSES
from planlabor.app.imports import import_file
from planlabor.app.users import add_user
from planlabor.areas import AreaImportOptions, dissolve_layer
from planlabor.errors import InputError
from planlabor.workspace import Workspace
from tests.werkstatt_helpers import login, make_app

DE = Path(__file__).resolve().parents[1] / "planlabor" / "demo" / "data" / "deutschland"
SHARED = Path("/work/shared/data/publishers/genesis/12411-0015.csv")
GENESIS = SHARED if SHARED.is_file() else DE / "12411-0015.csv"
PASSWORD = "analysen-passwort-1"
CATALOG = """
[[indicator]]
id = "bevoelkerung"
name = "Bevölkerung"
theme = "Bevölkerung"
numerator = ["bevoelkerungsstand"]
decimals = 0

[[indicator]]
id = "anteil_nd"
name = "Anteil Nichtdeutsche"
theme = "Bevölkerung"
unit = "%"
numerator = ["nichtdeutsche"]
denominator = ["bevoelkerungsstand"]
factor = 100

[[indicator]]
id = "nichtdeutsche_n"
name = "Nichtdeutsche (Anzahl)"
theme = "Bevölkerung"
numerator = ["nichtdeutsche"]
min_count = 20000
decimals = 0

[[indicator]]
id = "intern_nd"
name = "Nichtdeutsche intern"
theme = "Bevölkerung"
numerator = ["nichtdeutsche"]
public = false
"""


def share(area_id: str) -> float:
    """The share of the code-built group: by Land (the first two digits), so it clusters in space."""
    return 0.04 + (int(area_id[:2]) % 5) * 0.03


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kreise with Länder, the real GENESIS population 2014–2018 and a group built in code."""
    from planlabor.app.compute import compute

    ws = Workspace.init(tmp_path_factory.mktemp("analysen") / "ws", name="Kreise", crs="EPSG:25832")
    ws.import_areas(
        DE / "VG5000_KRS.shp", AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN")
    )
    dissolve_layer(ws.store, "kreis", "land", key_prefix=2)
    ws.close()
    import_file(ws.root, GENESIS, {"layer": "kreis"}, by="test")
    with Workspace.open(ws.root) as w:
        pop = w.store.observations("kreis", ["bevoelkerungsstand"], ["2014-12-31", "2018-12-31"])
        pop = pop[pop["value"].notna()]
        group = pop.assign(
            variable="nichtdeutsche",
            value=[round(v * share(a)) for a, v in zip(pop["area_id"], pop["value"], strict=True)],
        )
        w.store.record_observations(
            "test", "kreis", group[["layer_id", "area_id", "variable", "period", "value"]], {"fixture": True}
        )
    (ws.root / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    compute(ws.root, by="test")
    add_user(ws.root, "planerin", PASSWORD, "editor")
    add_user(ws.root, "leserin", PASSWORD, "viewer")
    return ws.root


def _signed_in(root: Path, name: str) -> TestClient:
    c = TestClient(make_app(root), base_url="http://127.0.0.1")
    login(c, name, PASSWORD)
    return c


@pytest.fixture(scope="module")
def editor(root: Path) -> Iterator[TestClient]:
    with _signed_in(root, "planerin") as c:
        yield c


def _csrf(c: TestClient) -> str:
    return str(c.get("/api/session").json()["csrf"])


def _wait(c: TestClient, url: str) -> str:
    """The job's page once it is done; meanwhile its state as JSON (what werkstatt.js polls)."""
    job = url.rsplit("/", 1)[-1]
    for _ in range(900):
        state = c.get(f"/werkstatt/auftrag/{job}/stand").json()
        if state["state"] not in ("wartet", "läuft"):
            return c.get(url).text
        time.sleep(0.2)
    raise AssertionError("Auftrag nicht fertig")


def _start(c: TestClient, path: str, data: dict[str, str], files: Any = None) -> str:
    r = c.post(path, data={"csrf": _csrf(c), **data}, files=files, follow_redirects=False)
    assert r.status_code == 303, r.text[-3000:]
    return str(r.headers["location"])


# ------------------------------------------------------------ one description
def _command(name: str) -> click.Command:
    from planlabor.cli import cli

    cmd: Any = cli
    for part in name.split():
        cmd = cmd.commands[part]
    return cmd  # type: ignore[no-any-return]


def test_every_form_option_is_the_cli_option_with_its_default_and_choices() -> None:
    checked = 0
    for a in ANALYSES.values():
        if a.cli is None:
            continue
        params = {
            p.opts[0] if p.opts[0].startswith("--") else p.name.upper(): p for p in _command(a.cli).params
        }  # type: ignore[union-attr]
        for o in a.options:
            p = params.get(o.flag)
            assert p is not None, f"{a.id}: {o.flag} fehlt in 'planlabor {a.cli}'"
            if isinstance(p.type, click.Choice):
                assert tuple(p.type.choices) == o.choices, (a.id, o.flag)
            default = p.default if isinstance(p.default, int | float | str) and not p.multiple else None
            if default is not None and o.default not in (None, ()):
                assert type(o.default)(default) == o.default, (a.id, o.flag, default, o.default)
            checked += 1
    assert checked >= 40


def test_values_are_read_with_german_errors_naming_the_field() -> None:
    hot = ANALYSES["hotspots"]
    kw = parse(
        hot.options, {"layer": "kreis", "variable": "x", "period": "2018", "alpha": "0,01", "fdr": "1"}
    )
    assert kw["alpha"] == 0.01 and kw["fdr"] is True and kw["permutations"] == 999 and kw["threshold"] is None
    with pytest.raises(InputError) as e:
        parse(hot.options, {"layer": "kreis", "variable": "x", "period": "2018", "permutations": "viele"})
    assert (
        "„Permutationen“: 'viele' ist keine ganze Zahl" in e.value.message
        and e.value.location.column == "--permutations"
    )
    with pytest.raises(InputError) as e:
        parse(hot.options, {"layer": "kreis", "period": "2018"})
    assert "Variable oder Indikator" in e.value.message
    with pytest.raises(InputError) as e:
        parse(hot.options, {"layer": "kreis", "variable": "x", "period": "2018", "weights": "hexagon"})
    assert e.value.expected == "queen, rook, distance"
    assert parse(ANALYSES["kita"].options, {"layer": "a", "u3": "45 50;55"})["u3"] == [45.0, 50.0, 55.0]


# ------------------------------------------------------------------ analyses
def test_hotspots_run_as_a_job_with_the_cli_figures_a_table_and_an_atlas_link(
    root: Path, editor: TestClient
) -> None:
    page = editor.get("/werkstatt/analysen").text
    for a in ANALYSES.values():
        assert f'action="/werkstatt/analysen/{a.id}"' in page
    form = {"layer": "kreis", "variable": "anteil_nd", "period": "2018-12-31", "permutations": "99"}
    r = editor.post(
        "/werkstatt/analysen/hotspots", data={"csrf": _csrf(editor), **form, "permutations": "viele"}
    )
    assert r.status_code == 422 and "keine ganze Zahl" in r.text and 'value="anteil_nd"' in r.text
    text = _wait(editor, _start(editor, "/werkstatt/analysen/hotspots", form))
    moran = re.search(r"Moran&#39;s I = ([0-9,-]+), p = ([0-9,]+)", text)
    assert moran, text[-3000:]
    assert float(moran.group(1).replace(",", ".")) > 0.5  # the group share clusters by Land
    assert 'href="/#i=anteil_nd&amp;l=kreis&amp;p=2018-12-31"' in text
    rows = re.search(r"Hot Spots: die ersten 300 von ([0-9]{3}) Zeilen", text)
    assert rows and text.count("<tr>") == 301
    # the command line (its own process, like a planner's terminal) calls the same use case
    cmd = [
        "-C",
        str(root),
        "hotspots",
        "--layer",
        "kreis",
        "--variable",
        "anteil_nd",
        "--period",
        "2018-12-31",
    ]
    out = subprocess.run(
        [sys.executable, "-c", "from planlabor.cli import main; main()", *cmd, "--permutations", "99"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert f"Moran's I = {moran.group(1)}, p = {moran.group(2)}" in out.stdout
    with Workspace.open(root, read_only=True) as ws:
        lisa = ws.store.observations("kreis", ["lisa_anteil_nd"], ["2018-12-31"])
    assert len(lisa) == int(rows.group(1)) and set(lisa["value"].dropna()) <= {0, 1, 2, 3, 4}
    assert audit.entries(root, limit=2)[1]["user"] == "planerin"


def test_segregation_table_shows_the_dissimilarity_of_the_data(root: Path, editor: TestClient) -> None:
    with Workspace.open(root, read_only=True) as ws:
        obs = ws.store.observations("kreis", ["nichtdeutsche", "bevoelkerungsstand"], ["2018-12-31"])
    wide = obs.pivot_table(index="area_id", columns="variable", values="value").dropna()
    g, t = wide["nichtdeutsche"].to_numpy(), wide["bevoelkerungsstand"].to_numpy()
    expected = 0.5 * np.abs(g / g.sum() - (t - g) / (t - g).sum()).sum()
    form = {
        "layer": "kreis",
        "group": "nichtdeutsche",
        "total": "bevoelkerungsstand",
        "periods": "2014-12-31, 2018-12-31",
        "compare": "2014-12-31,2018-12-31",
    }
    text = _wait(editor, _start(editor, "/werkstatt/analysen/segregation", form))
    table = pd.read_html(io.StringIO(text), match="Zeitraum", decimal=",", thousands=".")[0]
    row = table[table["Zeitraum"] == "2018-12-31"].iloc[0]
    assert row["Gebiete"] == len(wide)
    assert float(row["dissimilarity"]) == pytest.approx(expected, abs=0.0006)
    assert "Veränderung von D" in text and 'href="/#i=anteil_nd&amp;l=kreis' in text


def test_typology_is_stored_for_atlas_and_projection(root: Path, editor: TestClient) -> None:
    form = {
        "layer": "kreis",
        "period": "2018-12-31",
        "columns": "anteil_nd, bevoelkerungsstand",
        "k": "3",
        "variable": "typ_test",
    }
    text = _wait(editor, _start(editor, "/werkstatt/analysen/typology", form))
    assert "3 Typen (kmeans) auf kreis am 2018-12-31" in text and "Mittel Anteil Nichtdeutsche" in text
    with Workspace.open(root, read_only=True) as ws:
        typ = ws.store.observations("kreis", ["typ_test"], ["2018-12-31"])
    assert len(typ) == 400 and set(typ["value"].dropna()) == {1.0, 2.0, 3.0}  # one Kreis without data


def test_a_failed_analysis_shows_the_german_error_and_changes_nothing(root: Path, editor: TestClient) -> None:
    with Workspace.open(root, read_only=True) as ws:
        before = len(ws.store.query_df("SELECT * FROM observations"))
    form = {"facility_type": "kita", "layer": "kreis", "demand": "bevoelkerungsstand", "period": "2018-12-31"}
    text = _wait(editor, _start(editor, "/werkstatt/analysen/coverage", form))
    assert "Das hat nicht geklappt" in text and "Lösung:" in text and "unverändert" in text
    assert 'href="/werkstatt/analysen"' in text
    with Workspace.open(root, read_only=True) as ws:
        assert len(ws.store.query_df("SELECT * FROM observations")) == before


# ------------------------------------------------------------------- reports
def test_profiles_of_all_areas_report_progress_per_step(root: Path, editor: TestClient) -> None:
    url = _start(
        editor, "/werkstatt/berichte/erstellen/profile", {"layer": "land", "all": "1", "fmt": "html"}
    )
    job = url.rsplit("/", 1)[-1]
    seen: list[tuple[Any, Any]] = []
    for _ in range(900):
        s = editor.get(f"/werkstatt/auftrag/{job}/stand").json()
        seen.append((s["step"], s["total"]))
        if s["state"] not in ("wartet", "läuft"):
            break
        time.sleep(0.1)
    assert s["state"] == "fertig" and (s["step"], s["total"]) == (16, 16)
    assert s["label"] == "Profil 16 von 16 geschrieben"
    text = editor.get(url).text
    links = re.findall(r'href="(/werkstatt/berichte/profile-[0-9a-f]+/[^"]+\.html)"', text)
    assert len(links) == 16
    r = editor.get(links[0])
    assert r.status_code == 200 and "Bevölkerung" in r.text
    assert editor.get("/werkstatt/berichte/..%2F..%2Fplanlabor.toml").status_code == 404
    folder = links[0].split("/")[3]
    assert "Alle Profile herunterladen (ZIP)" in text
    z = editor.get(f"/werkstatt/berichte/zip/{folder}")
    assert z.status_code == 200 and len(zipfile.ZipFile(io.BytesIO(z.content)).namelist()) == 16
    assert editor.get("/werkstatt/berichte/zip/..%2Fjobs").status_code == 404
    assert editor.get("/werkstatt/berichte/zip/profile-000000").status_code == 404
    assert links[0].split("/werkstatt/berichte/")[1] in editor.get("/werkstatt/berichte").text


def test_sozialbericht_as_a_job_and_download(editor: TestClient) -> None:
    text = _wait(
        editor,
        _start(editor, "/werkstatt/berichte/erstellen/sozialbericht", {"layer": "kreis", "fmt": "html"}),
    )
    link = re.search(r'href="(/werkstatt/berichte/sozialbericht-[0-9a-f]+\.html)"', text)
    assert link, text[-2000:]
    body = editor.get(link.group(1)).text
    assert "Anteil Nichtdeutsche" in body and "Nichtdeutsche intern" not in body  # the public edition


def test_public_preview_lists_what_is_published_and_the_suppressed_counts(
    root: Path, editor: TestClient
) -> None:
    from planlabor.app.publish import public_view

    view = public_view(root)
    by_id = {i.id: i for i in view.indicators}
    assert "intern_nd" not in by_id and view.internal == ["Nichtdeutsche intern"]
    with Workspace.open(root, read_only=True) as ws:
        g = ws.store.observations("kreis", ["nichtdeutsche"], ["2018-12-31"])["value"]
        pop = ws.store.observations("kreis", ["bevoelkerungsstand"])["value"].notna().sum()
    small = int((g < 20000).sum())  # below min_count: suppressed (plus secondary suppression)
    assert 0 < small <= by_id["nichtdeutsche_n"].suppressed["kreis"]
    assert by_id["bevoelkerung"].suppressed == {} and by_id["bevoelkerung"].layers["kreis"] == pop
    page = editor.get("/werkstatt/berichte").text
    assert "Vorschau: was öffentlich wird" in page and "Nichtdeutsche intern" in page
    assert (
        f"{view.suppressed_total:,}".replace(",", ".") + " Wert(e) sind wegen kleiner Fallzahlen gesperrt"
        in page
    )


def test_atlas_from_the_reports_page_as_a_zip(editor: TestClient) -> None:
    text = _wait(editor, _start(editor, "/werkstatt/berichte/erstellen/atlas", {}))
    assert "Atlas gebaut" in text and "(Schritt" not in text
    z = editor.get("/werkstatt/berichte/atlas.zip")
    assert z.status_code == 200 and "index.html" in zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert editor.get("/werkstatt/berechnen/atlas.zip").content == z.content  # the older address


# ------------------------------------------------------------- roles and CSRF
NEW_FORMS = [f"/werkstatt/analysen/{a}" for a in ANALYSES] + [
    f"/werkstatt/berichte/erstellen/{k}" for k in ("sozialbericht", "profile", "sheet", "atlas")
]


def test_every_new_form_needs_the_csrf_token(root: Path, editor: TestClient) -> None:
    jobs = len(list((root / "werkstatt" / "jobs").glob("*.json")))
    for path in NEW_FORMS:
        assert editor.post(path, data={"layer": "kreis"}).status_code == 403, path
        assert editor.post(path, data={"layer": "kreis", "csrf": "falsch"}).status_code == 403, path
    assert len(list((root / "werkstatt" / "jobs").glob("*.json"))) == jobs


def test_a_viewer_cannot_start_analyses_or_reports(root: Path) -> None:
    jobs = len(list((root / "werkstatt" / "jobs").glob("*.json")))
    with _signed_in(root, "leserin") as c:
        csrf = _csrf(c)
        page = c.get("/werkstatt/analysen").text
        assert "nur ansehen, nicht starten" in page and "/werkstatt/analysen/hotspots" not in page
        assert "nur herunterladen, nicht erstellen" in c.get("/werkstatt/berichte").text
        for path in NEW_FORMS:
            r = c.post(path, data={"csrf": csrf, "layer": "kreis", "variable": "x", "period": "2018-12-31"})
            assert r.status_code == 403 and "nur ansehen" in r.text, path
    assert len(list((root / "werkstatt" / "jobs").glob("*.json"))) == jobs


# -------------------------------------------------------------- bounded disk
def test_old_uploads_and_job_files_are_removed_and_the_rest_is_owner_only(tmp_path: Path) -> None:
    from planlabor.werkstatt.cleanup import sweep

    w = tmp_path / "werkstatt"
    old_upload = w / "uploads" / "tok1" / "a.csv"
    new_upload = w / "uploads" / "tok2" / "b.csv"
    old_job, live_job = w / "jobs" / "aaaaaaaaaaaaaaaa.json", w / "jobs" / "bbbbbbbbbbbbbbbb.json"
    report = w / "berichte" / "alt.pdf"
    atlas = w / "atlas" / "index.html"
    for p in (old_upload, new_upload, old_job, live_job, report, atlas):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x" * 1000)
        p.chmod(0o644)
    day = time.time() - 30 * 3600
    for p in (old_upload.parent, old_job, live_job, report, atlas):
        os.utime(p, (day, day))
    r = sweep(tmp_path, hours=24, live={"bbbbbbbbbbbbbbbb"})
    assert not old_upload.parent.exists() and not old_job.exists() and not report.exists()
    assert new_upload.exists() and live_job.exists() and atlas.exists()  # the last atlas stays
    assert r.removed == 3 and r.freed == 3000
    assert new_upload.stat().st_mode & 0o777 == 0o600 and new_upload.parent.stat().st_mode & 0o777 == 0o700


# ------------------------------------------------------------- job progress
class _InThread:
    """A writer that runs the use case in the calling thread (the job model without a process)."""

    def run(self, fn: Any, *args: Any, **kw: Any) -> Any:
        return fn(*args, **kw)


def _two_steps(n: int, progress: Any = None) -> int:
    progress(1, 2, "erster Schritt")
    progress(2, 2)
    return n * 2


def test_a_job_keeps_step_total_and_label_beside_its_state(tmp_path: Path) -> None:
    import json

    from planlabor.werkstatt.jobs import Jobs

    jobs = Jobs(tmp_path, _InThread())  # type: ignore[arg-type]
    job_id = jobs.start("test", "planerin", _two_steps, 21, with_progress=True)
    for _ in range(100):
        job = jobs.get(job_id)
        if job and job["state"] == "fertig":
            break
        time.sleep(0.02)
    assert job is not None and job["result"] == 42
    assert (job["step"], job["total"], job["label"]) == (2, 2, "Schritt 2 von 2")
    assert (tmp_path / "werkstatt" / "jobs" / f"{job_id}.json").stat().st_mode & 0o777 == 0o600
    # a job a stopped server left running: failed, with the German message (what a reload shows)
    orphan = tmp_path / "werkstatt" / "jobs" / "0123456789abcdef.json"
    orphan.write_text(
        json.dumps({"id": "0123456789abcdef", "kind": "test", "state": "läuft"}), encoding="utf-8"
    )
    assert Jobs(tmp_path, _InThread()).get("0123456789abcdef")["error"]["message"].startswith("Der Server")  # type: ignore[arg-type,index]


def test_an_index_preset_on_an_uploaded_table_gives_the_published_result(editor: TestClient) -> None:
    """The MSS 2021 preset on the official input file (FIS-Broker), uploaded in the form: the
    downloaded result is byte for byte the published s_Indizes_MSS2021_homogen.csv."""
    from tests.conftest import DATA

    mss_in = DATA / "berlin" / "mss_2021" / "s_IndexInd_MSS2021_homogen.csv"
    mss_out = DATA / "berlin" / "mss_2021" / "s_Indizes_MSS2021_homogen.csv"
    files = {"input_file": (mss_in.name, mss_in.read_bytes(), "text/csv")}
    text = _wait(editor, _start(editor, "/werkstatt/analysen/index", {"preset": "mss2021"}, files))
    assert "Index mss2021: 542 Zeilen, 6 ausgeschlossen" in text
    link = re.search(r'href="(/werkstatt/analysen/datei/index_mss2021_[0-9a-f]+\.csv)"', text)
    assert link, text[-2000:]
    assert editor.get(link.group(1)).content == mss_out.read_bytes()
    assert editor.get("/werkstatt/analysen/datei/..%2Fjobs").status_code == 404
