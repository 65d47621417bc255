"""Attack suite, files and logs: owner-only store and folder, crash details in the workspace under a
unique name, never a fixed shared path (issue 15, point 5)."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from planlabor.cli import cli
from planlabor.workspace import Workspace


@pytest.mark.duckdb_only  # the DuckDB file's mode; on PostgreSQL the server's roles decide
def test_store_and_folder_are_owner_only(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "neu", name="Neu")
    try:
        assert stat.S_IMODE(ws.root.stat().st_mode) == 0o700
        store = ws.root / "planlabor.duckdb"
        assert stat.S_IMODE(store.stat().st_mode) & 0o077 == 0
    finally:
        ws.close()
    store.chmod(0o644)  # a store made by an earlier version
    with Workspace.open(ws.root) as again:
        again.store  # noqa: B018 - opening for writing tightens it
    assert stat.S_IMODE(store.stat().st_mode) == 0o600


def test_crash_details_go_to_a_unique_file_in_the_workspace(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: Workspace) -> None:
        raise RuntimeError("absichtlich")

    monkeypatch.setattr(Workspace, "status", boom)
    paths = []
    for _ in range(2):
        r = CliRunner().invoke(cli, ["-C", str(ws.root), "status"])
        assert r.exit_code == 1 and "Interner Fehler: RuntimeError: absichtlich" in r.output
        m = re.search(r"Details in (\S+\.log)", r.output)
        assert m, r.output
        paths.append(Path(m.group(1)))
    assert paths[0] != paths[1]
    for p in paths:
        assert p.parent == ws.root / "fehler" and "absichtlich" in p.read_text(encoding="utf-8")
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert not any(Path(p).name == "planlabor-fehler.log" for p in paths)


def test_crash_without_workspace_uses_a_private_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planlabor.workspace as wsmod

    monkeypatch.chdir(tmp_path)

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("ohne Arbeitsbereich")

    monkeypatch.setattr(wsmod.Workspace, "init", classmethod(boom))
    r = CliRunner().invoke(cli, ["init", str(tmp_path / "x")])
    m = re.search(r"Details in (\S+\.log)", r.output)
    assert r.exit_code == 1 and m, r.output
    p = Path(m.group(1))
    assert p.name.startswith("planlabor-fehler-") and p.name != "planlabor-fehler.log"
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    p.unlink()
