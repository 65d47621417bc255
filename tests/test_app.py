"""The application layer (issue 17): use cases the command line and the Werkstatt share, on a
real publisher file (GENESIS 12411-0015, Kreise of VG5000)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from planlabor.app import audit, imports
from planlabor.app.areas import layers
from planlabor.app.compute import compute
from planlabor.areas import AreaImportOptions, dissolve_layer
from planlabor.errors import InputError, NotFoundError
from planlabor.workspace import Workspace

DE = Path(__file__).resolve().parents[1] / "planlabor" / "demo" / "data" / "deutschland"
GENESIS = DE / "12411-0015.csv"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = Workspace.init(tmp_path_factory.mktemp("app") / "ws", name="Kreise", crs="EPSG:25832")
    ws.import_areas(
        DE / "VG5000_KRS.shp", AreaImportOptions(layer="kreis", id_column="ARS", name_column="GEN")
    )
    dissolve_layer(ws.store, "kreis", "land", key_prefix=2)
    ws.close()
    return ws.root


def observation_imports(root: Path) -> list[int]:
    return [e["import_id"] for e in imports.import_log(root) if e["kind"] == "observations"]


def value(root: Path, period: str, area: str) -> float:
    with Workspace.open(root, read_only=True) as ws:
        df = ws.store.observations(layer_id="kreis", variables=["bevoelkerungsstand"], periods=[period])
    return float(df[df["area_id"] == area]["value"].iloc[0])


def test_layers_name_their_areas(root: Path) -> None:
    got = {lay["id"]: lay for lay in layers(root)}
    assert got["kreis"]["areas"] == 400 and got["kreis"]["parent"] == "land"
    assert got["land"]["areas"] == 16


def test_preview_reports_and_changes_nothing(root: Path) -> None:
    out = imports.preview_import(root, GENESIS, {"layer": "kreis"})
    assert out.dry_run and out.import_id is None
    assert "bevoelkerungsstand" in out.report["variables"]
    assert out.report["areas_matched"] == 400
    assert "2018-12-31" in out.report["periods"]
    assert out.lines[0].startswith("Probelauf (nichts importiert)")
    assert observation_imports(root) == []


def test_cli_prints_the_same_report_as_the_use_case(root: Path) -> None:
    from planlabor.cli import cli

    res = CliRunner().invoke(cli, ["-C", str(root), "import", str(GENESIS), "--layer", "kreis", "--dry-run"])
    assert res.exit_code == 0
    assert res.output.splitlines() == imports.preview_import(root, GENESIS, {"layer": "kreis"}).lines


def test_bad_option_is_a_german_error_naming_the_option(root: Path) -> None:
    with pytest.raises(InputError) as exc:
        imports.import_file(root, GENESIS, {"layer": "kreis", "map_key": ["01001"]}, by="anna")
    assert exc.value.column == "--map-key" and "A=B" in exc.value.render()
    assert observation_imports(root) == []


def test_import_revert_and_audit(root: Path) -> None:
    first = imports.import_file(root, GENESIS, {"layer": "kreis"}, by="anna", name="12411-0015.csv")
    assert first.import_id is not None and not first.dry_run
    assert value(root, "2018-12-31", "01001") == 89504.0  # Flensburg, the published value
    second = imports.import_file(root, GENESIS, {"layer": "kreis"}, by="ben")
    assert second.report["superseded_slices"] > 0  # a new version of the same values
    assert observation_imports(root) == [first.import_id, second.import_id]
    n = imports.revert_import(root, first.import_id, by="anna")
    assert n == first.report["n_values"] and value(root, "2018-12-31", "01001") == 89504.0
    done = [(e["user"], e["action"], e["detail"].get("import_id")) for e in audit.entries(root)]
    assert done[:3] == [
        ("anna", "revert", first.import_id),
        ("ben", "import", second.import_id),
        ("anna", "import", first.import_id),
    ]
    with pytest.raises(NotFoundError):
        imports.revert_import(root, 999)


def test_compute_with_empty_catalog_computes_nothing(root: Path) -> None:
    assert compute(root).empty_catalog


def test_audit_from_the_command_line_names_the_account(root: Path) -> None:
    audit.record(root, None, "test")
    assert audit.entries(root, limit=1)[0]["user"].endswith("(Befehlszeile)")


def test_publish_through_the_command_line(root: Path, tmp_path: Path) -> None:
    from planlabor.cli import cli

    res = CliRunner().invoke(cli, ["-C", str(root), "atlas", "build", "--out", str(tmp_path / "atlas")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "atlas" / "index.html").is_file() and "Raumebenen, 0 Indikatoren" in res.output
    res = CliRunner().invoke(
        cli, ["-C", str(root), "report", "methods", "--format", "html", "--out", str(tmp_path / "m.html")]
    )
    assert res.exit_code == 0, res.output
    assert "Methodenanhang" in (tmp_path / "m.html").read_text(encoding="utf-8")
    assert audit.entries(root, limit=1)[0]["action"] == "atlas build"


def test_command_line_starts_without_the_library() -> None:
    """``planlabor --help`` loads click, not pandas, DuckDB or FastAPI (issue 22: start ≤ 0.5 s,
    measured in bench/bench_cli.py); every command group is still there."""
    import subprocess
    import sys

    code = (
        "import sys; from planlabor.cli import cli; "
        "print(sorted(m for m in ('pandas', 'duckdb', 'fastapi', 'pydantic') if m in sys.modules)); "
        "print(len(cli.commands))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded, n = out.splitlines()
    assert loaded == "[]" and int(n) >= 33


def test_profiles_through_the_command_line(root: Path, tmp_path: Path) -> None:
    from planlabor.cli import cli

    if not observation_imports(root):
        imports.import_file(root, GENESIS, {"layer": "kreis"})
    (root / "catalog.toml").write_text(
        '[[indicator]]\nid = "bevoelkerung"\nname = "Bevölkerung"\nnumerator = ["bevoelkerungsstand"]\n',
        encoding="utf-8",
    )
    assert compute(root).indicators == 1
    args = ["-C", str(root), "report", "profile", "--layer", "kreis", "--format", "html"]
    res = CliRunner().invoke(cli, [*args, "--area", "01001", "--out", str(tmp_path / "p.html")])
    assert res.exit_code == 0, res.output
    assert "1 Datei(en) geschrieben" in res.output and "Flensburg" in (tmp_path / "p.html").read_text(
        encoding="utf-8"
    )
    res = CliRunner().invoke(cli, [*args, "--area", "99999", "--out", str(tmp_path / "q.html")])
    assert res.exit_code == 1 and "Das Gebiet '99999' gibt es in der Raumebene 'kreis' nicht" in res.output
    res = CliRunner().invoke(
        cli, ["-C", str(root), "areas", "dissolve", "--layer", "kreis", "--into", "rb", "--key-prefix", "3"]
    )
    assert res.exit_code == 0 and "Raumebene 'rb' mit" in res.output
