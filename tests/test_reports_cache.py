"""The location maps' cache of the Sozialraumprofile (issue 22, point 2: one profile ≤ 2 s also
after a store change): a store change that leaves the areas as they are keeps the cached maps
(re-tagged with the new version), changed areas draw them anew; small areas whose rough outline
collapses keep an outline of their own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely

from planlabor.atlas.data import source_of
from planlabor.reports import cache
from planlabor.reports.charts import CachedInsets, SvgInsets
from planlabor.reports.data import ReportData
from planlabor.reports.render import Layout, ProfileBuilder

AREA = "01100101"


def _builder(ws) -> ProfileBuilder:  # type: ignore[no-untyped-def]
    return ProfileBuilder(ReportData(source_of(ws)), Layout.of(ws), "plr")


def _file(ws) -> Path:  # type: ignore[no-untyped-def]
    folder = cache.folder_of(ws.store, ws.root)
    assert folder is not None
    return folder / "lagekarten-plr.json"


def _tamper(path: Path, **changes: str) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_store_change_without_new_areas_keeps_the_maps(berlin) -> None:  # type: ignore[no-untyped-def]
    _file(berlin).unlink(missing_ok=True)
    fresh = _builder(berlin).svg_insets()
    assert isinstance(fresh, SvgInsets)
    stored = json.loads(_file(berlin).read_text(encoding="utf-8"))
    areas = berlin.store.areas("plr", geometry=True)
    assert stored["geometry"] == cache.fingerprint(areas["area_id"].astype(str), areas["geom"])
    assert stored["version"] == cache.store_version(berlin.store)
    assert len(stored["payload"]["paths"]) == len(areas) == 542
    want = fresh.inset(AREA, "Stülerstraße")

    _tamper(_file(berlin), version="vorher")  # the store changed, the areas did not
    again = _builder(berlin).svg_insets()
    assert isinstance(again, CachedInsets)
    got = again.inset(AREA, "Stülerstraße")
    assert want is not None and got is not None and got.svg == want.svg
    retagged = json.loads(_file(berlin).read_text(encoding="utf-8"))
    assert retagged["version"] == cache.store_version(berlin.store)

    _tamper(_file(berlin), version="vorher", geometry="andere Gebiete")  # the areas changed
    assert isinstance(_builder(berlin).svg_insets(), SvgInsets)
    assert json.loads(_file(berlin).read_text(encoding="utf-8"))["geometry"] == stored["geometry"]


def test_small_area_keeps_an_outline() -> None:
    big = shapely.box(0, 0, 10_000, 10_000)
    tiny = shapely.box(5_000, 5_000, 5_010, 5_010)  # far below the 1.5 pt tolerance (≈ 94 m)
    insets = SvgInsets(np.array([big, tiny], dtype=object), ["a", "b"])
    chart = insets.inset("b", "klein")
    assert chart is not None and 'd="M' in chart.svg and "Z" in chart.svg
    assert set(insets.parts()["paths"]) == {"a", "b"} and all(insets.parts()["paths"].values())


def test_fingerprint_changes_with_ids_and_outlines() -> None:
    a, b = shapely.to_wkb(shapely.box(0, 0, 1, 1)), shapely.to_wkb(shapely.box(0, 0, 1, 2))
    base = cache.fingerprint(["1", "2"], [a, b])
    assert base == cache.fingerprint(["1", "2"], [a, b])
    assert base != cache.fingerprint(["1", "3"], [a, b])
    assert base != cache.fingerprint(["1", "2"], [a, a])
