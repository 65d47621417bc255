"""The atlas caches shared by the processes of ``planlabor serve --workers N`` (issue 18 point 4):
built once into ``.planlabor-cache/`` (owner-only), read by every worker without the store, a
change made while they run seen by all of them; templated answers compressed once per address."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from planlabor.atlas.access import LiveWorkspace
from planlabor.atlas.service import AtlasService
from planlabor.atlas.workers import prepare
from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace
from tests.attack import fill
from tests.conftest import write


@pytest.fixture
def root(grid_ws: Workspace, tmp_path: Path) -> Path:
    fill(grid_ws, tmp_path)
    grid_ws.close()
    return grid_ws.root


def _worker(root: Path) -> AtlasService:
    """What one worker process holds: its own LiveWorkspace and service."""
    live = LiveWorkspace(root)
    return AtlasService(live.source(), live)


def test_prepare_builds_once_and_workers_read_without_the_store(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = prepare(root)
    folder = Path(done["folder"])
    assert done["payloads"] >= 3 and done["frames"] >= 1 and folder.is_dir()
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700  # owner-only, like the store
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    built = _worker(root)
    expected = built.payload("values/gebiet", True)
    expected_frame = built.frame("gebiet", True)
    built.live.close()  # type: ignore[union-attr]

    worker = _worker(root)
    assert worker.shared is not None and worker.shared.dir == folder

    def no_store(wait: float) -> None:
        raise AssertionError("a worker opened the store although the shared cache holds the answer")

    monkeypatch.setattr(worker.live, "open", no_store)
    worker.warm(freeze=False)
    assert worker.payload("values/gebiet", True) == expected
    assert worker.frame("gebiet", True).equals(expected_frame)
    assert worker.payload("geo/gebiet", True)[1][:2] == b"\x1f\x8b"  # kept gzip-packed
    geo = worker.areas("gebiet")  # the OGC tables' geometry, as the store holds it
    assert sorted(geo["area_id"]) == ["A1", "A2", "A3", "A4"] and isinstance(geo["geom"].iloc[0], bytes)
    worker.live.close()  # type: ignore[union-attr]


def test_a_change_in_one_process_is_seen_by_the_others(root: Path, tmp_path: Path) -> None:
    prepare(root)
    a, b = _worker(root), _worker(root)
    for w in (a, b):
        w.warm(freeze=False)
        assert "2022-12-31" not in w.meta(True)["indicators"]["einwohner"]["layers"]["gebiet"]
    old = a.shared.dir  # type: ignore[union-attr]
    with Workspace.open(root) as ws:  # what the Werkstatt's writer process does: import, compute
        ws.import_table(
            write(
                tmp_path / "neu.csv", "id;ew;kinder;sgb2;publ;idx\nA1;1111;100;2;10;1\nA2;3000;600;300;20;1\n"
            ),
            ImportOptions(layer="gebiet", period="2022-12-31"),
        )
        ws.compute()
    for w in (a, b):
        w._next_check = 0.0
        w.check()  # what every request does (at most once a second)
    for _ in range(300):
        if not a._refreshing and not b._refreshing:
            break
        time.sleep(0.1)
    for w in (a, b):
        assert "2022-12-31" in w.meta(True)["indicators"]["einwohner"]["layers"]["gebiet"]
        assert w.shared is not None and w.shared.dir != old  # a new version, a new folder
        w.live.close()  # type: ignore[union-attr]
    fresh = _worker(root)
    assert "2022-12-31" in fresh.meta(True)["indicators"]["einwohner"]["layers"]["gebiet"]
    fresh.live.close()  # type: ignore[union-attr]
    assert not old.exists()  # the folder of the old version is removed


def test_templated_answers_are_compressed_once_per_address() -> None:
    from planlabor.atlas.cache import BASE_JSON, Entry
    from planlabor.atlas.service import _with_base

    entry = Entry(('{"href": "' + BASE_JSON + '/ogc"}' + " " * 2000).encode(), b"", True)
    one = _with_base(entry, b"http://a.example")
    assert one[0].startswith(b'{"href": "http://a.example/ogc"}') and one[1][:2] == b"\x1f\x8b"
    assert _with_base(entry, b"http://a.example")[1] is one[1]  # from the cache, not packed again
    assert _with_base(entry, b"http://b.example")[0].startswith(b'{"href": "http://b.example/ogc"}')
    twin = Entry(entry.raw.replace(b"ogc", b"api"), b"", True)  # another answer: its own text
    assert b"/api" in _with_base(twin, b"http://a.example")[0]


def test_rest_answers_built_by_one_process_are_read_by_another(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from planlabor.atlas.server import create_app

    url = "/api/values?layer=gebiet&indicator=einwohner&period=2021-12-31"
    live = LiveWorkspace(root)
    with TestClient(create_app(live.source(), live=live)) as c:
        first = c.get(url)
        csv = c.get(url.replace("/api/values", "/api/download") + "&format=csv")
        assert csv.status_code == 200 and "A1" in csv.text
    live.close()
    assert first.status_code == 200 and first.json()["values"]
    other = LiveWorkspace(root)
    app = create_app(other.source(), live=other)

    def not_built(*args: object, **kwargs: object) -> None:
        raise AssertionError("built again although another process wrote the answer")

    monkeypatch.setattr("planlabor.atlas.context.dumps", not_built)
    monkeypatch.setattr("planlabor.io.export.export", not_built)
    with TestClient(app) as c:
        again = c.get(url)
        assert c.get(url.replace("/api/values", "/api/download") + "&format=csv").content == csv.content
    other.close()
    assert again.status_code == 200 and again.json() == first.json()


def test_answers_per_parameters_are_bounded_on_disk(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ever new parameter combinations cannot fill the disk: past the budget, answers stay in memory
    (still correct), the payloads every worker needs are written regardless."""
    from fastapi.testclient import TestClient

    import planlabor.cache as shared_cache
    from planlabor.atlas.server import create_app

    monkeypatch.setattr(shared_cache, "OPTIONAL_BUDGET", 1)
    live = LiveWorkspace(root)
    with TestClient(create_app(live.source(), live=live)) as c:
        answer = c.get("/api/values?layer=gebiet&indicator=einwohner&period=2021-12-31")
    live.close()
    assert answer.status_code == 200 and answer.json()["values"]
    names = [f.name for d in root.rglob("atlas-*") if d.is_dir() for f in d.glob("*")]
    assert names and not [n for n in names if n.startswith(("answer", "download"))]
    unit = shared_cache.SharedCache(tmp_path / "c", "atlas", "v1")
    unit.put("payload", b"x" * 10)
    unit.put("answer/a", b"y" * 10, optional=True)
    assert unit.get("payload") == b"x" * 10 and unit.get("answer/a") is None
