"""Command line: exit codes, help texts with examples, friendly errors."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from planlabor.cli import cli
from tests.conftest import DEMO, write


def run(*args: str, cwd: Path | None = None) -> tuple[int, str]:
    runner = CliRunner()
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def all_commands() -> list[list[str]]:
    out = []
    for name, cmd in cli.commands.items():
        sub = getattr(cmd, "commands", None)
        if sub:
            out.extend([[name, s] for s in sub])
        else:
            out.append([name])
    return out


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p))
def test_every_command_has_help_with_example(path: list[str]) -> None:
    code, out = run(*path, "--help")
    assert code == 0
    assert "Beispiel" in out and "planlabor" in out


def test_init_import_compute_export(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert run("init", str(ws), "--name", "T")[0] == 0
    code, out = run(
        "-C",
        str(ws),
        "areas",
        "import",
        str(DEMO / "lor_2021" / "lor_planungsraeume_2021.shp"),
        "--layer",
        "plr",
        "--id-column",
        "PLR_ID",
        "--name-column",
        "PLR_NAME",
    )
    assert code == 0 and "542 Gebiete" in out
    f = DEMO / "einwohner" / "berlin-lor-population-2021-02-t1-planning-areas.csv"
    args = [
        "-C",
        str(ws),
        "import",
        str(f),
        "--layer",
        "plr",
        "--period",
        "31.12.2021",
        "--exclude-column",
        "*_percentage",
    ]
    code, out = run(*args, "--dry-run")
    assert code == 0 and "Probelauf" in out and "542 von 542" in out
    code, out = run(*args)
    assert code == 0 and "Import Nr. 2" in out
    (ws / "catalog.toml").write_text(
        '[[indicator]]\nid = "ew"\nname = "EW"\nnumerator = ["inhabitants"]\n', encoding="utf-8"
    )
    assert run("-C", str(ws), "compute")[0] == 0
    code, out = run(
        "-C", str(ws), "export", "--layer", "plr", "--format", "csv", "--out", str(tmp_path / "o.csv")
    )
    assert code == 0 and (tmp_path / "o.csv").exists()
    code, out = run("-C", str(ws), "log")
    assert code == 0 and "sha256" in out
    code, out = run("-C", str(ws), "status")
    assert code == 0 and "plr" in out


def test_bad_input_exit_1_without_traceback(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run("init", str(ws))
    code, out = run(
        "-C",
        str(ws),
        "areas",
        "import",
        str(write(tmp_path / "a.csv", "id\nA\n")),
        "--layer",
        "g",
        "--id-column",
        "id",
    )
    bad = write(tmp_path / "b.csv", "id;v\nA;1\nB;2\n")
    code, out = run("-C", str(ws), "import", str(bad), "--layer", "g", "--period", "2021")
    assert code == 1
    assert "Fehler:" in out and "Zeile 3" in out and "Traceback" not in out
    assert "Lösung:" in out


def test_usage_error_exit_2() -> None:
    code, _ = run("import")
    assert code == 2
    code, _ = run("export", "--layer", "x", "--format", "pdf", "--out", "x")
    assert code == 2


def test_no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("status")
    assert code == 1 and "planlabor init" in out


def test_invalid_config_reported(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    run("init", str(ws))
    cfg = ws / "planlabor.toml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("min_count = 3", "min_count = 0"), encoding="utf-8"
    )
    code, out = run("-C", str(ws), "validate")
    assert code == 1 and "confidentiality.min_count" in out
