"""The PostgreSQL store at scale (issue 18 point 6): bulk transfer in bounded pieces, the division
operators as a migration, connections handed back.  On the real cluster of scripts/test-postgres.sh.

The 11 M values themselves run in ``bench/run.py postgres`` (no timing in the suite); here the
pieces are made tiny so that a few rows take the same paths as millions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from planlabor.io.importer import ImportOptions
from planlabor.store import pgtables
from planlabor.store.migrations import SCHEMA_VERSION
from planlabor.store.postgres import PostgresStore
from planlabor.workspace import Workspace
from tests import pg
from tests.conftest import GRID_CATALOG, add_grid_areas, write
from tests.test_indicators import DATA_2021

pytestmark = pytest.mark.postgres_only

OPERATORS = (
    "SELECT count(*) FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace "
    "WHERE n.nspname = ? AND o.oprname = '/'"
)


def _url() -> str:
    return pg.with_schema(pg.require_url(), pg.PREFIX + "*")


def _grid(tmp_path: Path) -> Workspace:
    ws = Workspace.init(tmp_path / "w", store=_url(), catalog_text=GRID_CATALOG)
    add_grid_areas(ws, tmp_path)
    return ws


def _operators(store: Any) -> int:
    return int(store.query_df(OPERATORS, [store.schema]).iloc[0, 0])


def test_division_operators_are_a_migration_not_a_check_per_opening(tmp_path: Path) -> None:
    """``/`` gives NULL for a zero divisor from schema version 3 on; made once by the migration,
    not looked up again on every opening for writing (and an older store gets them)."""
    ws = Workspace.init(tmp_path / "w", store=_url())
    store = ws.store
    assert isinstance(store, PostgresStore)
    version = store.query_df("SELECT value FROM meta WHERE key = 'schema_version'")["value"][0]
    assert int(version) == SCHEMA_VERSION == 3
    assert _operators(store) > 0
    row = store.query_df("SELECT 1 / 0 AS a, 1.5 / 0 AS b, 7 / 2 AS c").iloc[0]
    assert row.isna().tolist() == [True, True, False] and row["c"] == 3
    for sig in store.query_df(
        "SELECT oprleft::regtype::text AS l, oprright::regtype::text AS r FROM pg_operator o "
        "JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE n.nspname = ? AND oprname = '/'",
        [store.schema],
    ).itertuples():
        store.execute(f'DROP OPERATOR "{store.schema}"./ ({sig.l}, {sig.r})')
    root = ws.root
    ws.close()
    with Workspace.open(root) as again:  # up to date: not checked, not made again
        assert _operators(again.store) == 0
        again.store.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Workspace.open(root) as old:  # a store of version 2: migrated
        assert _operators(old.store) > 0
        assert old.store.query_df("SELECT value FROM meta WHERE key = 'schema_version'")["value"][0] == "3"
        assert old.store.query_df("SELECT 1 / 0 AS a")["a"].isna().all()


def test_import_streams_in_batches_and_equals_one_piece(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import goes from the staging DuckDB to the server batch by batch in one COPY; with a
    batch of 3 rows the stored observations are the same as with one piece."""
    import planlabor.store.postgres as postgres

    pieces: list[int] = []
    plain = pgtables.for_csv

    def counted(table: pa.Table, srid: int) -> pa.Table:
        pieces.append(table.num_rows)
        return plain(table, srid)

    cols = "layer_id, area_id, variable, period, value, flag"
    order = "ORDER BY layer_id, area_id, variable, period"
    got = []
    for batch in (postgres.BATCH_ROWS, 3):
        monkeypatch.setattr(postgres, "BATCH_ROWS", batch)
        monkeypatch.setattr(pgtables, "BATCH_ROWS", batch)
        monkeypatch.setattr(pgtables, "for_csv", counted)
        ws = _grid(tmp_path / str(batch))
        pieces.clear()
        ws.import_table(
            write(tmp_path / "d.csv", DATA_2021),
            ImportOptions(layer="gebiet", period="2021", missing_values={"": "fehlend"}),
        )
        got.append(ws.store.query_df(f"SELECT {cols} FROM observations {order}").astype(str).to_csv())
        n = int(ws.store.query_df("SELECT count(*) AS n FROM observations")["n"].iloc[0])
        ws.close()
        assert sum(pieces) >= n > 6
        if batch == 3:
            assert max(pieces) <= 3 and len(pieces) >= n // 3
    assert got[0] == got[1]


def test_copy_out_spools_to_disk_with_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large results are spooled to a temporary file before pyarrow reads them: the same table."""
    ws = _grid(tmp_path)
    store = ws.store
    assert isinstance(store, PostgresStore)
    sql = "SELECT layer_id, area_id, name FROM areas ORDER BY layer_id, area_id"
    schema = store.query_arrow(f"{sql} LIMIT 0").schema
    want = store.copy_out(sql, schema)
    monkeypatch.setattr(pgtables, "SPOOL_BYTES", 16)
    got = store.copy_out(sql, schema)
    assert got.num_rows == 7 and got.equals(want)
    ws.close()
