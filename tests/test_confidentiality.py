"""Confidentiality as one problem over all levels, periods and linked indicators, and its audit.

The attacks of issue 14 are rebuilt on small hierarchies: recovery across levels, zero cells
as the only partner, related indicators (sums of variables, shares adding up to 100 %).
Every scenario is checked by the LP audit; a per-level pattern (the earlier method) is shown
to fail the audit where the new one passes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planlabor.confidentiality import PRIMARY, SECONDARY, SuppressionRules
from planlabor.confidentiality.audit import audit
from planlabor.confidentiality.model import CountModel
from planlabor.confidentiality.pattern import compute_pattern, relations_of, suppression_status
from planlabor.confidentiality.relations import Relation, find_relations
from planlabor.io.export import collect_values
from planlabor.testing import assert_confidential
from planlabor.workspace import Workspace
from tests.hierarchy import count_catalog, tree_workspace

#: Stadt → 2 Prognoseräume → 4 Bezirksregionen → 8 Planungsräume
TREE = {
    "stadt": {"S": None},
    "pgr": {"P1": "S", "P2": "S"},
    "bzr": {"B1": "P1", "B2": "P1", "B3": "P2", "B4": "P2"},
    "plr": {f"R{i}": f"B{(i - 1) // 2 + 1}" for i in range(1, 9)},
}


def _status(ws: Workspace, layer: str, indicator: str) -> dict[str, str | None]:
    df = collect_values(ws.store, ws.catalog(), layer, [indicator], None, True, ws.rules())
    return {
        a: s if isinstance(s, str) else None for a, s in zip(df["area_id"], df["suppressed"], strict=True)
    }


def test_cross_level_recovery_is_closed(tmp_path: Path) -> None:
    # B1 = R1 + R2 = 1 + 0 is sensitive on the BZR level; R1 on the PLR level.  Per level,
    # B2 and R2 (a zero!) would be the partners – and B1 = P1 − B2 follows across levels.
    counts = [1, 0, 40, 55, 30, 20, 60, 45]
    ws = tree_workspace(
        tmp_path / "ws",
        TREE,
        {f"R{i}": {"fall": c} for i, c in enumerate(counts, start=1)},
        count_catalog(["fall"]),
    )
    plr, bzr = _status(ws, "plr", "n_fall"), _status(ws, "bzr", "n_fall")
    assert plr["R1"] == PRIMARY and bzr["B1"] == PRIMARY
    assert plr["R2"] is None or plr["R2"] == SECONDARY
    assert any(s == SECONDARY for a, s in plr.items() if a not in ("R1", "R2"))  # a real partner
    rep = assert_confidential(ws)
    row = rep.findings.set_index(["layer_id", "area_id"]).loc[("bzr", "B1")]
    assert row["lower"] <= 0 + 1e-9 and row["upper"] >= 1 + 3 - 1e-9  # [0, a + 3] at least
    ws.close()


def test_a_per_level_pattern_fails_the_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The earlier method's pattern for the same table: B1 follows from P1 − B2 exactly."""
    counts = [1, 0, 40, 55, 30, 20, 60, 45]
    ws = tree_workspace(
        tmp_path / "ws",
        TREE,
        {f"R{i}": {"fall": c} for i, c in enumerate(counts, start=1)},
        count_catalog(["fall"]),
    )
    old = pd.DataFrame(
        [
            ("plr", "R1", "n_fall", "2024", PRIMARY),
            ("plr", "R2", "n_fall", "2024", SECONDARY),  # the zero sibling as the only partner
            ("bzr", "B1", "n_fall", "2024", PRIMARY),
            ("bzr", "B2", "n_fall", "2024", SECONDARY),
        ],
        columns=["layer_id", "area_id", "indicator_id", "period", "status"],
    )
    import planlabor.confidentiality.pattern as pattern

    monkeypatch.setattr(pattern, "suppression_status", lambda store, catalog, rules: old)
    rep = audit(ws.store, ws.catalog(), ws.rules())
    failed = set(zip(rep.failures["layer_id"], rep.failures["area_id"], strict=True))
    assert ("bzr", "B1") in failed and ("plr", "R1") in failed
    b1 = rep.failures.set_index("area_id").loc["B1"]
    assert b1["lower"] == pytest.approx(1) and b1["upper"] == pytest.approx(1)  # recovered exactly
    r1 = rep.failures.set_index("area_id").loc["R1"]
    assert r1["upper"] == pytest.approx(1)  # R1 + R2 = 1 with R2 ≥ 0: never more than 1
    ws.close()


def test_zero_cell_is_never_the_only_protection(tmp_path: Path) -> None:
    tree = {"stadt": {"S": None}, "plr": {"A": "S", "B": "S", "C": "S"}}
    ws = tree_workspace(
        tmp_path / "ws",
        tree,
        {"A": {"fall": 2}, "B": {"fall": 0}, "C": {"fall": 50}},
        count_catalog(["fall"]),
    )
    st = _status(ws, "plr", "n_fall")
    assert st["A"] == PRIMARY and st["C"] == SECONDARY  # 0 cannot go down: C has to hide A
    assert_confidential(ws)
    ws.close()


MIGRATION = """
[[indicator]]
id = "einwohner"
name = "Einwohner:innen"
numerator = ["ew"]

[[indicator]]
id = "anteil_mh"
name = "Anteil mit Migrationshintergrund"
unit = "%"
numerator = ["mh"]
denominator = ["ew"]
factor = 100

[[indicator]]
id = "anteil_ausl"
name = "Anteil Ausländer:innen"
unit = "%"
numerator = ["ausl"]
denominator = ["ew"]
factor = 100

[[indicator]]
id = "anteil_dt_mh"
name = "Anteil Deutsche mit Migrationshintergrund"
unit = "%"
numerator = ["dtmh"]
denominator = ["ew"]
factor = 100
"""


def test_related_indicators_migration_background(tmp_path: Path) -> None:
    """mh = ausl + dtmh: a suppressed dtmh must not follow from the published mh and ausl."""
    data = {}
    for i in range(1, 9):
        ausl, dtmh = 100 + 7 * i, (2 if i == 3 else 60 + 5 * i)
        data[f"R{i}"] = {"ew": 1000 + 10 * i, "ausl": ausl, "dtmh": dtmh, "mh": ausl + dtmh}
    ws = tree_workspace(tmp_path / "ws", TREE, data, MIGRATION)
    m = CountModel(ws.store, ws.catalog(), ws.rules(), relations_of(ws.catalog()))
    rel = m.period("2024").relations["plr"]
    assert any(set(r.coef) == {"mh", "ausl", "dtmh"} for r in rel)  # found in the data
    st_dt, st_mh, st_au = (_status(ws, "plr", i) for i in ("anteil_dt_mh", "anteil_mh", "anteil_ausl"))
    assert st_dt["R3"] == PRIMARY
    assert st_mh["R3"] is not None or st_au["R3"] is not None  # otherwise dtmh = mh − ausl
    assert_confidential(ws)
    ws.close()


AGES = """
[[indicator]]
id = "einwohner"
name = "Einwohner:innen"
numerator = ["ew"]

[[indicator]]
id = "anteil_u18"
name = "Anteil unter 18"
unit = "%"
numerator = ["u18"]
denominator = ["ew"]
factor = 100

[[indicator]]
id = "anteil_18_65"
name = "Anteil 18 bis 65"
unit = "%"
numerator = ["a18_65"]
denominator = ["ew"]
factor = 100

[[indicator]]
id = "anteil_65"
name = "Anteil ab 65"
unit = "%"
numerator = ["a65"]
denominator = ["ew"]
factor = 100

[[relation]]
total = "ew"
parts = ["u18", "a18_65", "a65"]
"""


def test_shares_adding_up_to_100(tmp_path: Path) -> None:
    """(100 − 18–65 − 65+) × Einwohner / 100 must not give the suppressed under-18s."""
    data = {}
    for i in range(1, 9):
        u18, mid, old = (2 if i == 5 else 150 + i), 600 + 3 * i, 200 + 2 * i
        data[f"R{i}"] = {"ew": u18 + mid + old, "u18": u18, "a18_65": mid, "a65": old}
    ws = tree_workspace(tmp_path / "ws", TREE, data, AGES)
    st = {i: _status(ws, "plr", i) for i in ("anteil_u18", "anteil_18_65", "anteil_65", "einwohner")}
    assert st["anteil_u18"]["R5"] == PRIMARY
    assert any(st[i]["R5"] for i in ("anteil_18_65", "anteil_65", "einwohner"))
    rep = assert_confidential(ws)
    assert any("ew = " in r and "Katalog" in r for r in rep.relations)
    ws.close()


def test_publisher_table_with_a_few_finer_rows_links_kreise_and_land(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GENESIS table of Kreise with the Land total and one Gemeinde row in it (the Deutschland
    demo's Kita table): the Kreise stay the base of the Land total, so K1 = L − K2 − K3 is
    protected.  Taking the lone Gemeinde as base made every Kreis an unlinked value."""
    from planlabor.io.importer import ImportOptions
    from tests.conftest import write

    tree = {
        "land": {"L": None},
        "kreis": {"K1": "L", "K2": "L", "K3": "L"},
        "gemeinde": {"G1": "K1", "G2": "K1", "G3": "K2", "G4": "K3"},
    }
    ws = tree_workspace(tmp_path / "ws", tree, {"G1": {"fall": 1}}, count_catalog(["fall"]))
    for layer, rows in (("kreis", "K1;2\nK2;40\nK3;50\n"), ("land", "L;92\n")):
        src = write(tmp_path / f"{layer}.csv", "id;fall\n" + rows)
        ws.import_table(src, ImportOptions(layer=layer, id_column="id", period="2024"))
    ws.compute()
    kreis, land = _status(ws, "kreis", "n_fall"), _status(ws, "land", "n_fall")
    assert kreis["K1"] == PRIMARY
    assert SECONDARY in (kreis["K2"], kreis["K3"], land["L"])
    assert_confidential(ws)
    only_primary = pd.DataFrame(
        [("kreis", "K1", "n_fall", "2024", PRIMARY), ("gemeinde", "G1", "n_fall", "2024", PRIMARY)],
        columns=["layer_id", "area_id", "indicator_id", "period", "status"],
    )
    import planlabor.confidentiality.pattern as pattern

    monkeypatch.setattr(pattern, "suppression_status", lambda store, catalog, rules: only_primary)
    rep = audit(ws.store, ws.catalog(), ws.rules())
    k1 = rep.failures.set_index(["layer_id", "area_id"]).loc[("kreis", "K1")]
    assert k1["lower"] == pytest.approx(2) and k1["upper"] == pytest.approx(2)
    ws.close()


def test_protection_interval_is_configurable(tmp_path: Path) -> None:
    tree = {"stadt": {"S": None}, "plr": {"A": "S", "B": "S", "C": "S", "D": "S"}}
    data = {"A": {"fall": 2}, "B": {"fall": 4}, "C": {"fall": 9}, "D": {"fall": 100}}
    ws = tree_workspace(
        tmp_path / "ws",
        tree,
        data,
        count_catalog(["fall"]),
        config="secondary = true\nprotection_width = 8\n",
    )
    assert ws.rules().width() == 8
    st = _status(ws, "plr", "n_fall")
    assert st["A"] == PRIMARY and st["B"] is None and st["C"] == SECONDARY  # B (4) cannot give 8
    rep = assert_confidential(ws)
    a = rep.findings.set_index("area_id").loc["A"]
    assert a["upper"] >= 2 + 8 - 1e-9
    ws.close()


def test_rules() -> None:
    r = SuppressionRules(min_count=3, protection_percent=10)
    assert r.upper_protection(1) == 3 and r.lower_protection(1) == 1  # down to 0
    assert r.upper_protection(200) == 20 and r.lower_protection(200) == 20
    assert r.is_sensitive(2, 3) and not r.is_sensitive(0, 3) and not r.is_sensitive(3, 3)
    assert SuppressionRules(suppress_zero=True).is_sensitive(0, 3)


def test_relations_found_and_written() -> None:
    rows = [
        (f"a{i}", v, val)
        for i in range(40)
        for v, val in (("t", 10 + 3 * i + i % 5), ("p", 3 * i), ("q", 10 + i % 5))
    ]
    atoms = pd.DataFrame(rows, columns=["area_id", "variable", "value"])
    rels = find_relations(atoms, [])
    assert len(rels) == 1 and set(rels[0].coef) == {"t", "p", "q"}
    assert rels[0].text() in ("t = p + q", "p = − q + t", "q = − p + t") or "=" in rels[0].text()
    declared = Relation(coef={"t": 1.0, "p": -1.0, "q": -2.0}, source="Katalog")  # does not hold
    assert all(r.source == "Daten" for r in find_relations(atoms, [declared]))


def test_values_without_counts_untouched(grid_ws: Workspace, tmp_path: Path) -> None:
    from planlabor.io.importer import ImportOptions
    from tests.conftest import write

    grid_ws.import_table(
        write(tmp_path / "d.csv", "id;jahr;ew;kinder;sgb2;publ;idx\nA1;2021;100;1;2;2,82;1\nA2;2021;200;30;40;3;2\n"
              "A3;2021;300;40;50;4;3\nA4;2021;400;50;60;5;4\n"),
        ImportOptions(layer="gebiet", period_column="jahr"),
    )  # fmt: skip
    grid_ws.compute()
    df = collect_values(grid_ws.store, grid_ws.catalog(), "gebiet", None, None, True, grid_ws.rules())
    pub = df[df["indicator_id"] == "anteil_publ"].set_index("area_id")
    assert pub["suppressed"].isna().all() and pub.loc["A1", "value"] == pytest.approx(2.82)
    kids = df[df["indicator_id"] == "anteil_kinder"].set_index("area_id")
    assert kids.loc["A1", "suppressed"] == PRIMARY and pd.isna(kids.loc["A1", "numerator"])
    assert "intern" not in set(df["indicator_id"])  # not public
    assert len(suppression_status(grid_ws.store, grid_ws.catalog(), grid_ws.rules())) >= 2
    assert_confidential(grid_ws)


def test_pattern_is_stored_with_the_computation(grid_ws: Workspace, tmp_path: Path) -> None:
    from planlabor.io.importer import ImportOptions
    from tests.conftest import write

    grid_ws.import_table(
        write(tmp_path / "d.csv", "id;jahr;ew;kinder;sgb2\nA1;2021;100;1;9\nA2;2021;200;30;9\nA3;2021;300;40;9\n"
              "A4;2021;400;50;9\n"),
        ImportOptions(layer="gebiet", period_column="jahr"),
    )  # fmt: skip
    report = grid_ws.compute()
    assert report.suppressed[PRIMARY] >= 1 and report.suppressed[SECONDARY] >= 1
    stored = grid_ws.store.query_df("SELECT * FROM suppression")
    again = compute_pattern(grid_ws.store, grid_ws.catalog(), grid_ws.rules())
    assert len(stored) == len(again.indicators) and set(stored["fingerprint"]) == {again.fingerprint}


def test_audit_command(tmp_path: Path) -> None:
    """`planlabor geheimhaltung pruefen`: JSON on standard output (a fresh process, so HiGHS
    starts there), exit 0 when nothing is disclosed, 1 naming the cell when a file leaks."""
    import json
    import subprocess
    import sys

    tree = {"stadt": {"S": None}, "plr": {"A": "S", "B": "S", "C": "S"}}
    ws = tree_workspace(
        tmp_path / "ws",
        tree,
        {"A": {"fall": 2}, "B": {"fall": 30}, "C": {"fall": 50}},
        count_catalog(["fall"]),
    )
    from planlabor.io.export import ExportOptions

    ws.export(ExportOptions(layer="plr", out=tmp_path / "intern.csv"))  # not public: carries A
    ws.close()
    exe = str(Path(sys.executable).parent / "planlabor")
    cmd = [exe, "-C", str(tmp_path / "ws"), "geheimhaltung", "pruefen"]
    ok = subprocess.run([*cmd, "--json"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    out = json.loads(ok.stdout)
    assert out["ok"] and out["sensitive"] == 1 and out["failures"] == []
    bad = subprocess.run(
        [*cmd, "--ausgabe", str(tmp_path / "intern.csv")], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1 and "AUFGEDECKT" in bad.stdout and "Gebiet A" in bad.stdout
