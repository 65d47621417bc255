"""The PostgreSQL/PostGIS store's own features (issue 18), on the real cluster of scripts/test-postgres.sh.

Run by ``make test`` in its ``--backend postgres`` run (marker ``postgres_only``); everything
else of the suite runs there on PostgreSQL too.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from click.testing import CliRunner

from planlabor.atlas.data import meta_payload, source_of, values_payload
from planlabor.cli import cli
from planlabor.errors import ConfigError, StoreError
from planlabor.io.importer import ImportOptions
from planlabor.store.audit import audit_rows
from planlabor.store.copy import copy_workspace, fingerprints
from planlabor.store.migrations import SCHEMA_VERSION
from planlabor.store.pgurl import StoreUrl
from planlabor.store.postgres import PostgresStore
from planlabor.store.publish import publish_views
from planlabor.workspace import Workspace
from tests import pg
from tests.conftest import GRID_CATALOG, add_grid_areas, write
from tests.test_indicators import DATA_2021

pytestmark = pytest.mark.postgres_only


def _url(schema: str | None = None) -> str:
    return pg.with_schema(pg.require_url(), schema or pg.PREFIX + "*")


def _duck_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Workspace:
    monkeypatch.delenv("PLANLABOR_STORE", raising=False)
    w: Workspace = request.getfixturevalue("grid_ws")
    assert w.config.store.backend == "duckdb"
    w.import_table(
        write(tmp_path / "d.csv", DATA_2021),
        ImportOptions(layer="gebiet", period="2021", missing_values={"": "fehlend"}),
    )
    w.compute()
    return w


def _data(fp: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    """Fingerprints without the audit trail (a copy adds its own entry there)."""
    return {k: v for k, v in fp.items() if k != "audit"}


def _atlas(ws: Workspace) -> dict[str, Any]:
    src = source_of(ws)
    out: dict[str, Any] = {"meta": {k: v for k, v in meta_payload(src).items() if k != "generated"}}
    for layer in ("stadt", "bezirk", "gebiet"):
        out[layer] = values_payload(src, layer)
    return out


def test_init_with_store_url_keeps_password_out(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["init", str(tmp_path / "a"), "--store", _url()])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "a" / "planlabor.toml").read_text(encoding="utf-8")
    assert 'backend = "postgres"' in text and f"schema={pg.PREFIX}" in text and f"{pg.PREFIX}*" not in text
    ws = Workspace.open(tmp_path / "a")
    version = ws.store.query_df("SELECT value FROM meta WHERE key = 'schema_version'")["value"][0]
    assert version == str(SCHEMA_VERSION)
    ws.close()
    with pytest.raises(ConfigError, match="Passwort"):
        StoreUrl.parse("postgresql://anna:geheim@db/sozial")
    # a second workspace in the same schema is refused, the folder is not made
    schema = text.split("schema=")[1].split('"')[0]
    res = CliRunner().invoke(cli, ["init", str(tmp_path / "b"), "--store", _url(schema)])
    assert res.exit_code != 0 and "schon einen Arbeitsbereich" in res.output
    assert not (tmp_path / "b").exists()


def test_copy_to_postgres_and_back_is_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    src = _duck_ws(tmp_path, monkeypatch, request)
    want = fingerprints(src.store)
    assert want["observations"][0] > 0 and want["indicator_data"][0] > 0 and want["areas"][0] == 7
    server = copy_workspace(src, _url(), tmp_path / "server")
    assert server.tables == want and server.target.startswith("postgresql://")
    on_pg = Workspace.open(server.folder)
    assert on_pg.config.store.backend == "postgres"
    assert _data(fingerprints(on_pg.store)) == _data(want)
    assert fingerprints(on_pg.store)["audit"][0] == want["audit"][0] + 1
    assert _atlas(on_pg) == _atlas(src)
    back = copy_workspace(on_pg, str(tmp_path / "zurueck"))
    back_ws = Workspace.open(back.folder)
    assert back_ws.config.store.backend == "duckdb"
    assert _data(fingerprints(back_ws.store)) == _data(want)
    assert _atlas(back_ws) == _atlas(src)
    # the same export files from all three
    for w, name in ((src, "a"), (on_pg, "b"), (back_ws, "c")):
        out = str(tmp_path / f"{name}.csv")
        args = ["-C", str(w.root), "export", "--layer", "gebiet", "--format", "csv", "--public", "--out", out]
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 0, res.output
    a = (tmp_path / "a.csv").read_bytes()
    assert a == (tmp_path / "b.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()
    # the copy is in the audit trail of the new store
    assert audit_rows(on_pg.store, limit=1)[0]["aktion"] == "copy"
    on_pg.close()
    back_ws.close()


def test_concurrent_imports_lose_nothing(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "w", store=_url())
    url = StoreUrl.parse(ws.config.store.url or "")
    ws.close()
    errors: list[BaseException] = []

    def importer(k: int) -> None:
        try:
            w = Workspace.open(tmp_path / "w")
            frame = (
                __import__("pandas")
                .DataFrame(
                    {
                        "layer_id": "x",
                        "area_id": [f"a{i}" for i in range(50)],
                        "variable": f"v{k}",
                        "period": "2021",
                    }
                )
                .assign(value=float(k))
            )
            for _ in range(3):
                w.store.record_observations("observations", "x", frame, {})
            w.close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=importer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    store = PostgresStore(url)
    log = store.imports()
    assert sorted(log["import_id"]) == list(range(1, 13))  # twelve imports, no number twice
    cur = store.query_df(
        "SELECT variable, count(*) AS n FROM observations WHERE superseded_by IS NULL GROUP BY 1"
    )
    assert dict(zip(cur["variable"], cur["n"], strict=True)) == {f"v{k}": 50 for k in range(4)}
    assert len([r for r in audit_rows(store) if r["aktion"] == "import"]) == 12
    store.close()


def test_conflict_message_names_the_holder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace.init(tmp_path / "w", store=_url())
    url = StoreUrl.parse(ws.config.store.url or "")
    ws.close()
    monkeypatch.setattr("planlabor.store.postgres.LOCK_WAIT", 0.3)
    first, second = PostgresStore(url), PostgresStore(url)
    with first.transaction():
        first.execute("INSERT INTO meta VALUES ('x', '1')")
        with pytest.raises(StoreError, match=r"wird gerade von .* geändert") as exc:
            second.execute("INSERT INTO meta VALUES ('y', '1')")
        assert "erneut" in (exc.value.hint or "")
    second.execute("INSERT INTO meta VALUES ('y', '1')")  # free again
    assert set(second.query_df("SELECT key FROM meta")["key"]) >= {"x", "y"}
    first.close()
    second.close()


def test_revert_and_compute_in_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: Any) -> None:
    src = _duck_ws(tmp_path, monkeypatch, request)
    monkeypatch.setenv("PLANLABOR_USER", "anna")
    server = Workspace.open(copy_workspace(src, _url(), tmp_path / "s").folder)
    server.import_table(
        write(tmp_path / "e.csv", DATA_2021.replace(";100;", ";110;")),
        ImportOptions(layer="gebiet", period="2021", missing_values={"": "fehlend"}),
    )
    log = server.store.imports()
    first = int(log[log["kind"] == "observations"]["import_id"].min())
    server.revert(first)
    server.compute()
    rows = audit_rows(server.store)
    assert [r["aktion"] for r in rows[:3]] == ["compute", "revert", "import"]
    assert {r["wer"] for r in rows[:3]} == {"anna"} and rows[0]["datenbankbenutzer"] == "planlabor"
    res = CliRunner().invoke(cli, ["-C", str(server.root), "audit", "--limit", "3"])
    assert res.exit_code == 0 and "zurückgenommen" in res.output and "anna" in res.output
    server.close()


def _login(role: str, password: str) -> psycopg.Connection:
    with pg.admin() as con:
        con.execute(f"DROP ROLE IF EXISTS {role}")
        con.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    tcp = os.environ["PLANLABOR_TEST_PG_TCP"].replace("planlabor@", f"{role}:{password}@")
    return psycopg.connect(tcp, autocommit=True)


def test_published_views_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: Any) -> None:
    src = _duck_ws(tmp_path, monkeypatch, request)
    server = Workspace.open(copy_workspace(src, _url(), tmp_path / "s").folder)
    report = publish_views(server)
    assert report.views == {"bezirk": 2, "gebiet": 4, "stadt": 1}
    schema = server.store.schema  # type: ignore[attr-defined]
    reader = _login("qgis_leser", "lesen-123")
    with pg.admin() as con:
        con.execute(f'GRANT "{report.role}" TO qgis_leser')
    cols = [
        r[0]
        for r in reader.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = 'gebiet'",
            [report.schema],
        ).fetchall()
    ]
    assert "intern" not in cols and "sgb2_quote" in cols and "geom" in cols
    rows = reader.execute(
        f"SELECT gebiet, zeitraum, sgb2_quote, sgb2_quote_hinweis, einwohner, ST_SRID(geom) "
        f'FROM "{report.schema}".gebiet ORDER BY gebiet'
    ).fetchall()
    # A1: 2 of 100 (below min_count 3): suppressed as in the public atlas; inhabitants shown
    assert rows[0][:2] == ("A1", "2021") and rows[0][2] is None and rows[0][3] == "gesperrt"
    assert [r[4] for r in rows] == [100.0, 300.0, 50.0, 0.0] and rows[1][5] == 25833
    public = values_payload(source_of(server), "gebiet")["indicators"]["sgb2_quote"]["2021"]["v"]
    assert [r[2] for r in rows] == [None if v is None else pytest.approx(v) for v in public]
    for table in ("observations", "indicator_data", "indicator_values", "audit", "published_values", "areas"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute(f'SELECT 1 FROM "{schema}".{table} LIMIT 1')
    visible = reader.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema', 'public')"
    ).fetchall()
    assert sorted(visible) == [(report.schema, v) for v in ("bezirk", "gebiet", "stadt")]
    reader.close()
    server.close()


POSTGIS_OWN = {"spatial_ref_sys", "geometry_columns", "geography_columns"}


@pytest.mark.slow
def test_qgis_lists_the_views_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: Any
) -> None:
    src = _duck_ws(tmp_path, monkeypatch, request)
    server = Workspace.open(copy_workspace(src, _url(), tmp_path / "s").folder)
    report = publish_views(server)
    _login("qgis_karte", "karte-123").close()
    with pg.admin() as con:
        con.execute(f'GRANT "{report.role}" TO qgis_karte')
    tcp = urlsplit(os.environ["PLANLABOR_TEST_PG_TCP"])
    conninfo = (
        f"dbname='{tcp.path.lstrip('/')}' host={tcp.hostname} port={tcp.port} user='qgis_karte' "
        "password='karte-123' sslmode=disable"
    )
    script = Path(__file__).parent / "qgis_list_pg.py"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    done = subprocess.run(
        ["/usr/bin/python3", str(script), conninfo], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    listed = json.loads(done.stdout.strip().splitlines()[-1])
    own = [t for t in listed["tables"] if t[0] != "public"]
    assert own == [[report.schema, v, "geom", [25833]] for v in ("bezirk", "gebiet", "stadt")]
    assert {t[1] for t in listed["tables"] if t[0] == "public"} <= POSTGIS_OWN
    gebiet = listed["features"][f"{report.schema}.gebiet"]
    assert gebiet["valid"] and gebiet["count"] == 4
    assert {"gebiet", "zeitraum", "sgb2_quote", "sgb2_quote_hinweis"} <= set(gebiet["fields"])
    assert "intern" not in gebiet["fields"]
    server.close()


@pytest.mark.slow
def test_serve_workers_with_two_planners_writing(tmp_path: Path) -> None:
    """'serve --workers 2' on PostgreSQL while two planners import (different periods) and compute
    at the same time: both imports are kept, the server's workers show the new values."""
    import sys
    import time

    import httpx

    from tests.attack import free_port, wait_http

    exe = Path(sys.executable).parent / "planlabor"
    src = Workspace.init(tmp_path / "w", store=_url(), catalog_text=GRID_CATALOG)
    root = src.root
    src.close()
    base_ws = Workspace.open(root)
    add_grid_areas(base_ws, tmp_path)
    base_ws.close()
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [str(exe), "-C", str(root), "serve", "--workers", "2", "--port", str(port)], stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/api/layers", 240)  # two processes importing the libraries at once
        files = []
        for k, year in enumerate(("2021", "2022")):
            f = write(tmp_path / f"{year}.csv", DATA_2021.replace("A1;100;", f"A1;{100 + k};"))
            files.append((f, year))
        procs = [
            subprocess.Popen(
                [str(exe), "-C", str(root), "import", str(f), "--layer", "gebiet", "--period", year],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "PLANLABOR_USER": f"planer{year}"},
            )
            for f, year in files
        ]
        for p in procs:
            _out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err.decode()
        computes = [
            subprocess.Popen([str(exe), "-C", str(root), "compute"], stderr=subprocess.PIPE) for _ in range(2)
        ]
        for p in computes:
            assert p.wait(timeout=300) == 0, p.stderr.read().decode() if p.stderr else ""
        for _ in range(150):
            r = httpx.get(base + "/api/values?layer=gebiet&indicator=einwohner&period=2022")
            if r.status_code == 200:
                a1 = {v["area_id"]: v["value"] for v in r.json()["values"]}["A1"]
                if a1 == 101:
                    break
            time.sleep(0.2)
        assert r.status_code == 200 and a1 == 101
        # each worker notices the change by itself (within a second, then it warms the new state
        # while it still answers from the old one): the other worker catches up shortly
        for _ in range(150):
            r21 = httpx.get(base + "/api/values?layer=gebiet&indicator=einwohner&period=2021").json()
            if "values" in r21:
                break
            time.sleep(0.2)
        assert {v["area_id"]: v["value"] for v in r21["values"]}["A1"] == 100
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    w = Workspace.open(root)
    rows = audit_rows(w.store)
    assert {
        r["wer"] for r in rows if r["aktion"] == "import" and r["details"].get("art") == "observations"
    } == {
        "planer2021",
        "planer2022",
    }
    assert [r["aktion"] for r in rows].count("compute") == 2
    w.close()


def test_copy_out_keeps_nulls_empty_texts_and_doubles_exact(tmp_path: Path) -> None:
    import pyarrow as pa

    ws = Workspace.init(tmp_path / "w", name="Kopie", store=_url())
    store = ws.store
    assert isinstance(store, PostgresStore)
    values = [0.1 + 0.2, 1e-300, -2.5e17, None, 1 / 3]
    rows = pa.table(
        {
            "layer_id": ["l"] * 5,
            "area_id": ["a", "", 'b"c', "d,e", "f\ng"],
            "variable": ["v"] * 5,
            "period": ["2021"] * 5,
            "value": pa.array(values, pa.float64()),
            "flag": [None, "", "x", None, "ü"],
            "import_id": pa.array([1] * 5, pa.int32()),
            "superseded_by": pa.array([None] * 5, pa.int32()),
        }
    )
    store.insert_arrow("observations", rows)
    schema = store.query_arrow("SELECT * FROM observations LIMIT 0").schema
    with store.scratch({"observations": ("SELECT * FROM observations WHERE variable = ?", ["v"])}) as work:
        assert work is not store
        got = work.query_arrow("SELECT * FROM observations ORDER BY area_id")
    want = rows.sort_by("area_id")
    assert got.column("area_id").to_pylist() == want.column("area_id").to_pylist()
    assert got.column("flag").to_pylist() == want.column("flag").to_pylist()  # None ≠ ""
    assert got.column("value").to_pylist() == want.column("value").to_pylist()  # bit-exact
    assert store.copy_out("SELECT * FROM observations WHERE false", schema).num_rows == 0
    sql = "SELECT o.* FROM observations o JOIN _pl_v USING (variable) WHERE period = ? ORDER BY area_id"
    v = {"_pl_v": pa.table({"variable": ["v"]})}
    bulk, rows_df = store.query_bulk(sql, v, ["2021"]), store.query_with(sql, v, ["2021"])
    assert bulk.dtypes.tolist() == rows_df.dtypes.tolist() and bulk.astype(str).equals(rows_df.astype(str))
    assert store.query_bulk("SELECT area_id, value FROM observations WHERE false").empty
    ws.close()


def test_compute_on_postgres_equals_duckdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """The ratios computed in DuckDB for the server (Store.scratch) equal the DuckDB store's."""
    src = _duck_ws(tmp_path, monkeypatch, request)
    cols = "layer_id, area_id, indicator_id, period, value, numerator, denominator, flag"
    order = "ORDER BY layer_id, indicator_id, period, area_id"
    want = src.store.query_df(f"SELECT {cols} FROM indicator_values {order}")
    assert len(want) > 20 and want["value"].notna().sum() > 10
    on_pg = Workspace.open(copy_workspace(src, _url(), tmp_path / "server").folder)
    on_pg.store.execute("DELETE FROM indicator_data")
    report = on_pg.compute()
    got = on_pg.store.query_df(f"SELECT {cols} FROM indicator_values {order}")
    assert report.values_written == len(want)
    assert got.astype(str).to_csv() == want.astype(str).to_csv()
    # the pattern, read from the kept scratch (Store.keeping_scratch), equals the DuckDB store's
    pattern = "SELECT layer_id, area_id, indicator_id, period, status FROM suppression ORDER BY 1, 2, 3, 4, 5"
    want_pattern = src.store.query_df(pattern)
    assert len(want_pattern) > 0
    assert on_pg.store.query_df(pattern).astype(str).to_csv() == want_pattern.astype(str).to_csv()
    assert on_pg.store.counts_reader() is on_pg.store  # the scratch is closed after compute
    on_pg.close()


def test_server_reads_through_a_connection_pool(tmp_path: Path) -> None:
    """'serve' on PostgreSQL opens its read-only stores on pooled connections: one log-in for
    many requests, still read-only, each answer from the current data."""
    from planlabor.atlas.access import LiveWorkspace

    ws = Workspace.init(tmp_path / "w", store=_url(), catalog_text=GRID_CATALOG)
    add_grid_areas(ws, tmp_path)
    root = ws.root
    ws.close()
    live = LiveWorkspace(root)
    pids = set()
    for _ in range(5):
        store = live.open(2.0)
        pids.add(store.con.info.backend_pid)
        assert int(store.query_df("SELECT count(*) AS n FROM areas")["n"].iloc[0]) == 7
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            store.execute("DELETE FROM areas")
        store.close()
    assert len(pids) == 1
    live.close()
    assert live._pool is None


def test_read_only_store_reads_with_temporary_tables_and_writes_nothing(tmp_path: Path) -> None:
    """PostgreSQL refuses even CREATE TEMP TABLE in a read-only transaction; a read-only store
    (the server's, 'status') still joins its own small tables (query_with: the suppression's cell
    specs), and the tables of the workspace stay unwritable."""
    import pyarrow as pa

    ws = Workspace.init(tmp_path / "w", store=_url(), catalog_text=GRID_CATALOG)
    add_grid_areas(ws, tmp_path)
    root = ws.root
    ws.close()
    with Workspace.open(root, read_only=True) as ro:
        spec = {"_t_spec": pa.table({"layer_id": ["gebiet", "nirgends"]})}
        got = ro.store.query_with(
            "SELECT s.layer_id, count(a.area_id) AS n FROM _t_spec s "
            "LEFT JOIN areas a USING (layer_id) GROUP BY s.layer_id ORDER BY s.layer_id",
            spec,
        )
        assert got["layer_id"].tolist() == ["gebiet", "nirgends"]
        assert got["n"].tolist()[1] == 0 and got["n"].tolist()[0] > 0
        assert ro.store.query_with("SELECT count(*) AS n FROM _t_spec", spec)["n"][0] == 2  # again
        with pytest.raises((StoreError, psycopg.errors.ReadOnlySqlTransaction)):
            ro.store.execute("DELETE FROM areas")
        with pytest.raises((StoreError, psycopg.errors.ReadOnlySqlTransaction)):
            ro.store.query_with("DELETE FROM areas RETURNING area_id", spec)


def test_query_with_on_a_read_only_store(tmp_path: Path) -> None:
    """A read-only store (atlas, 'dossier export') may create no temporary table: the joined
    tables travel as arrays — same rows, NULLs, byte-wise text order and the store stays unchanged."""
    import pyarrow as pa

    ws = Workspace.init(tmp_path / "w", name="Lesen", store=_url())
    assert isinstance(ws.store, PostgresStore)
    url = ws.store.url
    ws.close()
    store = PostgresStore(url, read_only=True)
    keys = pa.table({"k": pa.array(["b", "B", None, "ä"], pa.string()), "n": pa.array([1.5, None, 3.0, 4.0])})
    got = store.query_with(
        "WITH x AS (SELECT k, n FROM _pl_keys) SELECT k, n, ? AS p FROM x ORDER BY k", {"_pl_keys": keys}, [7]
    )
    assert got["k"].tolist()[:3] == ["B", "b", "ä"] and got["k"].isna().tolist()[3]
    assert got["n"].fillna(-1).tolist() == [-1.0, 1.5, 4.0, 3.0] and set(got["p"]) == {7}
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        store.execute("CREATE TABLE nope (a INTEGER)")
    store.close()


def test_staging_duckdb_prints_no_progress_bar() -> None:
    """DuckDB draws a progress bar on stdout for any statement over 2 s (under load: the CSV read
    of an import on the server), into the command's output or JSON."""
    from planlabor.store.duckdb_ import memory_connection

    con = memory_connection()
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)
    con.close()


def test_a_server_hands_its_connections_back_when_it_stops(tmp_path: Path) -> None:
    """The pool and the watcher of a live workspace end with the application (lifespan shutdown),
    not with the process: no idle connections left on the shared server."""
    from fastapi.testclient import TestClient

    from planlabor.atlas.access import LiveWorkspace
    from planlabor.atlas.server import create_app

    ws = Workspace.init(tmp_path / "w", store=_url(), catalog_text=GRID_CATALOG)
    add_grid_areas(ws, tmp_path)
    root = ws.root
    ws.close()
    before = pg.open_connections()
    live = LiveWorkspace(root)
    with TestClient(create_app(live.source(), live=live)) as c:
        assert c.get("/api/layers").status_code == 200
        assert pg.open_connections() > before
    assert live._pool is None and live._watch is None
    assert pg.open_connections() == before
