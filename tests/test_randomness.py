"""Reproducible randomness: every permutation, bootstrap and clustering result depends only on the
seed. No code path reads or writes NumPy's global random state; every seeded command gives the
same output twice."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from planlabor.areas import AreaImportOptions
from planlabor.cli import cli
from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace
from tests.conftest import write

PACKAGE = Path(__file__).parent.parent / "planlabor"
#: functions of the legacy global generator (``np.random.<name>``) and of the ``random`` module
LEGACY = re.compile(
    r"\b(np|numpy)\.random\.(seed|rand|randn|randint|random|random_sample|choice|shuffle|permutation|"
    r"normal|uniform|binomial|multinomial|poisson|get_state|set_state)\s*\("
)


def test_no_global_random_state_in_the_source() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in LEGACY.finditer(text):
            offenders.append(f"{path.relative_to(PACKAGE)}: {m.group(0)}")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                mod = getattr(node, "module", None)
                if "random" in names and mod is None:
                    offenders.append(f"{path.relative_to(PACKAGE)}: import random")
    assert offenders == []


def _state() -> tuple[object, ...]:
    s = np.random.get_state()
    return (s[0], s[1].tobytes(), s[2], s[3], s[4])


def _grid(n: int) -> list[object]:
    return [box(c, r, c + 1, r + 1) for r in range(n) for c in range(n)]


def test_statistics_leave_the_global_state_alone() -> None:
    """esda's Moran and PySAL's segregation tests drew from the global state (p = 0,022 / 0,018 /
    0,019 in three runs); the planlabor versions neither read nor change it."""
    from planlabor.indices.typology import typology
    from planlabor.planning.effects import estimate_effect
    from planlabor.spatial import segregation as seg
    from planlabor.spatial.hotspots import analyse_values

    rng = np.random.default_rng(5)
    vals = pd.Series(rng.normal(size=100), index=[f"a{i}" for i in range(100)])
    vals.iloc[:12] += 2
    geoms = np.array(_grid(10), dtype=object)
    df = pd.DataFrame(
        {"x": rng.integers(0, 50, 40).astype(float), "t": rng.integers(60, 200, 40).astype(float)}
    )
    panel = pd.DataFrame(
        [
            {
                "area_id": f"a{i}",
                "period": str(y),
                "value": float(i % 7 + y - 2000 + (3 if i < 3 and y >= 2020 else 0)),
            }
            for i in range(40)
            for y in range(2016, 2024)
        ]
    )
    feats = pd.DataFrame(rng.normal(size=(60, 3)), columns=["u", "v", "w"]).assign(
        id=[f"g{i}" for i in range(60)]
    )
    np.random.seed(12345)  # any state: it must be the same afterwards
    before = _state()
    runs = []
    for _ in range(2):
        r = analyse_values(vals, geoms, "queen", permutations=199, seed=4)
        _v, p = seg.measures(df, "x", "t", permutations=99, seed=4)
        c = seg.compare(df.iloc[:20], df.iloc[20:], "x", "t", permutations=99, seed=4)
        e = estimate_effect(panel, ["a0", "a1", "a2"], [f"a{i}" for i in range(3, 40)], "2020", seed=4)
        t = typology(feats, ["u", "v", "w"], k=4, method="kmeans", seed=4)
        runs.append(
            (
                r["moran_p"],
                tuple(r["local"]["p"]),
                p["dissimilarity"],
                c["p_value"],
                e.p_value,
                tuple(t.labels),
            )
        )
    assert _state() == before
    assert runs[0] == runs[1]
    other = analyse_values(vals, geoms, "queen", permutations=199, seed=5)
    assert tuple(other["local"]["p"]) != runs[0][1]  # the seed is used


@pytest.fixture
def lattice(tmp_path: Path) -> Iterator[Path]:
    """A city of 8 × 8 areas with a clustered group share and two periods, as a closed workspace."""
    w = Workspace.init(tmp_path / "ws", name="Gitter")
    folder = tmp_path / "geo"
    folder.mkdir()
    ids = [f"G{i:02d}" for i in range(64)]
    gpd.GeoDataFrame(
        {"id": ["S"], "name": ["Stadt"]}, geometry=[box(0, 0, 8000, 8000)], crs="EPSG:25833"
    ).to_file(folder / "s.gpkg")
    gpd.GeoDataFrame(
        {"id": ids, "name": ids, "p": ["S"] * 64},
        geometry=[
            box(c * 1000, r * 1000, (c + 1) * 1000, (r + 1) * 1000) for r in range(8) for c in range(8)
        ],
        crs="EPSG:25833",
    ).to_file(folder / "g.gpkg")
    w.import_areas(folder / "s.gpkg", AreaImportOptions(layer="stadt", id_column="id", name_column="name"))
    w.import_areas(
        folder / "g.gpkg",
        AreaImportOptions(
            layer="gebiet", id_column="id", name_column="name", parent_layer="stadt", parent_column="p"
        ),
    )
    rng = np.random.default_rng(9)
    rows = ["id;jahr;ew;gruppe"]
    for year, shift in (("2021", 0), ("2024", 3)):
        for i, a in enumerate(ids):
            ew = int(rng.integers(500, 1500))
            share = 0.4 if (i // 8 < 3 and i % 8 < 3) else 0.1
            rows.append(f"{a};{year};{ew};{int(ew * share) + shift + int(rng.integers(0, 20))}")
    w.import_table(
        write(tmp_path / "d.csv", "\n".join(rows) + "\n"), ImportOptions(layer="gebiet", period_column="jahr")
    )
    w.close()
    yield w.root


def test_seeded_commands_repeat_exactly(lattice: Path) -> None:
    run = CliRunner().invoke
    root = str(lattice)
    commands = [
        ["hotspots", "--layer", "gebiet", "--variable", "gruppe", "--period", "2021", "--seed", "0"],
        [
            "segregation",
            "--layer",
            "gebiet",
            "--group",
            "gruppe",
            "--total",
            "ew",
            "--permutations",
            "99",
            "--compare",
            "2021",
            "2024",
            "--seed",
            "7",
        ],
    ]
    for args in commands:
        first = run(cli, ["-C", root, *args])
        second = run(cli, ["-C", root, *args])
        assert first.exit_code == 0, first.output
        assert first.output == second.output
    # the stored pseudo p-values are the same too, and a different seed draws differently
    ws = Workspace.open(lattice)
    try:
        p1 = ws.store.observations("gebiet", ["lisa_p_gruppe"], ["2021"])["value"].tolist()
    finally:
        ws.close()
    assert run(cli, ["-C", root, *commands[0][:-1], "1"]).exit_code == 0
    ws = Workspace.open(lattice)
    try:
        p2 = ws.store.observations("gebiet", ["lisa_p_gruppe"], ["2021"])["value"].tolist()
    finally:
        ws.close()
    assert p1 != p2
