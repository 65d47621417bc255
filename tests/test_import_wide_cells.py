"""A wide table's cells are staged without their row's texts (issue 22, point 4): the report
counts, the stored values and the quarantine are the same as from the full per-value table."""

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from planlabor.io import importer
from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace
from tests.conftest import write

WIDE = (
    "Gebiet;Jahr;ew;kinder\n"
    "A1;2020;1.234;10\n"
    "A2;2020;987;.\n"
    "A1;2021;1.240;11\n"
    "A2;2021;-;12\n"
    "ZZ;2021;5;6\n"  # unknown key: quarantined
    "D1;2021;2.221;-\n"  # a district: not an area of this layer, quarantined too
)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    cols = ["state", "layer_id", "variable", "period", "flag", "n", "first_line"]
    out = df[cols].astype(object).where(df[cols].notna(), None)
    return out.sort_values(cols[:5], key=lambda s: s.astype(str)).reset_index(drop=True)


def test_row_group_counts_equal_the_full_count(
    grid_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counts grouped by row-group number equal a GROUP BY over every value's own texts."""
    seen: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    original = importer._stats

    def both(src: Any, stored: str) -> pd.DataFrame:
        assert src.parsed_parts is not None and src.parsed_parts[0] == stored
        fast = original(src, stored)
        parts, src.parsed_parts = src.parsed_parts, None
        full = original(src, stored)
        src.parsed_parts = parts
        seen.append((fast, full))
        return fast

    monkeypatch.setattr(importer, "_stats", both)
    path = write(tmp_path / "wide.csv", WIDE, "cp1252")
    report = grid_ws.import_table(
        path,
        ImportOptions(
            layer="gebiet", id_column="Gebiet", on_unmatched="quarantine", rename={"kinder": "u18"}
        ),
    )
    fast, full = seen[0]
    pd.testing.assert_frame_equal(_sorted(fast), _sorted(full))
    assert report.variables == ["ew", "u18"]
    assert report.periods == ["2020", "2021"]
    assert report.n_values == 8  # 4 rows of areas × 2 variables
    assert report.flag_counts == {"nichts_vorhanden": 1, "unbekannt_oder_geheim": 1}
    assert report.quarantined == 4 and report.unmatched == {"ZZ": [6], "D1": [7]}
    df = grid_ws.store.observations(variables=["ew", "u18"])
    got = {
        (r["layer_id"], r["area_id"], r["variable"], r["period"]): (
            None if r["value"] != r["value"] else r["value"],
            r["flag"] if isinstance(r["flag"], str) else None,
        )
        for r in df.to_dict("records")
    }
    assert got[("gebiet", "A1", "ew", "2020")] == (1234.0, None)
    assert got[("gebiet", "A2", "u18", "2020")] == (None, "unbekannt_oder_geheim")
    assert got[("gebiet", "A2", "ew", "2021")] == (None, "nichts_vorhanden")
    assert got[("gebiet", "A1", "u18", "2021")] == (11.0, None)
    assert ("ZZ" not in {k[1] for k in got}) and len(got) == 8


def test_a_bad_cell_names_its_line_and_column_and_stores_nothing(grid_ws: Workspace, tmp_path: Path) -> None:
    from planlabor.errors import InputError

    path = write(tmp_path / "bad.csv", WIDE.replace("A2;2021;-;12", "A2;2021;-;zwölf"), "cp1252")
    with pytest.raises(InputError) as err:
        grid_ws.import_table(path, ImportOptions(layer="gebiet", id_column="Gebiet", on_unmatched="skip"))
    assert err.value.row == 5 and err.value.column == "kinder"
    assert "'zwölf'" in str(err.value)
    assert grid_ws.store.observations(variables=["ew"]).empty


@pytest.mark.duckdb_only
def test_a_failed_write_reports_its_own_error_and_resets_the_compression_setting() -> None:
    """FSST is switched off for the observations write only; a failed write keeps its error."""
    import duckdb
    import pyarrow as pa

    from planlabor.store.duckdb_ import DuckDBStore

    store = DuckDBStore(":memory:")
    slices = pa.table({"layer_id": ["x"], "variable": ["v"], "period": ["2020"]})
    bad = "SELECT CAST(NULL AS VARCHAR), 'a', 'v', '2020', 1.0, CAST(NULL AS VARCHAR)"
    with pytest.raises(duckdb.ConstraintException), store.transaction():
        store.add_observations_from(store.con, bad, 1, slices)
    setting = "SELECT value FROM duckdb_settings() WHERE name = 'disabled_compression_methods'"
    assert store.con.execute(setting).fetchone() == ("",)
    good = "SELECT 'x', 'a', 'v', '2020', 1.0, CAST(NULL AS VARCHAR)"
    with store.transaction():
        store.add_observations_from(store.con, good, 2, slices)
    assert store.con.execute(setting).fetchone() == ("",)
    assert store.con.execute("SELECT count(*) FROM observations").fetchone() == (1,)
    store.close()
