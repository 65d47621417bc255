"""Method templates round-trip between two workspaces, with a validation report."""

from pathlib import Path

import pytest

from planlabor.catalog.model import template_text
from planlabor.errors import InputError
from planlabor.workspace import Workspace
from tests.conftest import write


def test_round_trip_between_workspaces(berlin: Workspace, tmp_path: Path) -> None:
    out = berlin.export_template(tmp_path / "vorlage.toml", name="Sozialmonitoring Berlin", version="2.1")
    text = out.read_text(encoding="utf-8")
    assert 'format = "planlabor-vorlage"' in text and 'version = "2.1"' in text
    import tomllib

    definition = tomllib.loads(text)["index"][0]["definition"]  # inlined, the file stands alone
    assert definition["component"][0]["id"] == "status" and len(definition["component"][0]["inputs"]) == 4
    target = Workspace.init(tmp_path / "andere", name="Musterstadt")
    dry = target.import_template(out, dry_run=True)
    assert dry.indicators == len(berlin.catalog().indicators) and dry.indices == 2
    assert dry.ready == [] and "einwohner" in dry.missing  # no data yet
    rep = target.import_template(out)
    assert rep.written_to and Path(rep.written_to).exists()
    assert "vorlagen/sozialmonitoring_berlin.toml" in (target.root / "planlabor.toml").read_text(
        encoding="utf-8"
    )
    a, b = berlin.catalog(), target.catalog()
    assert [i.model_dump() for i in a.all_indicators()] == [i.model_dump() for i in b.all_indicators()]
    assert [r.id for r in b.indices] == ["armutsindex", "alterung"]
    # the report layout travels with the template
    assert rep.layout == "Berichtslayout ([report]) übernommen"
    assert target.config.report.accent == berlin.config.report.accent
    assert "[report]" in (target.root / "planlabor.toml").read_text(encoding="utf-8")
    # importing again collides
    with pytest.raises(InputError, match="schon gibt"):
        target.import_template(out)
    target.close()


def test_validation_report_against_data(grid_ws: Workspace, tmp_path: Path) -> None:
    from planlabor.io.importer import ImportOptions

    grid_ws.import_table(
        write(tmp_path / "d.csv", "id;inhabitants;inhabitants_foreigners\nA1;10;2\n"),
        ImportOptions(layer="gebiet", period="2021"),
    )
    rep = grid_ws.import_template("berlin", dry_run=True)
    assert "anteil_auslaender" in rep.ready and "einwohner" in rep.ready
    assert rep.missing["anteil_unter_6"] == ["inhabitants_age_below_6"]
    assert rep.conflicts == ["einwohner"]  # the grid catalog has its own 'einwohner'


def test_shipped_template_is_the_demo_catalog() -> None:
    assert "armutsindex" in template_text("berlin")


def test_not_a_template(tmp_path: Path, grid_ws: Workspace) -> None:
    with pytest.raises(InputError, match="keine planlabor-Vorlage"):
        grid_ws.import_template(write(tmp_path / "x.toml", 'themes = ["a"]\n'))


def test_report_layout_travels_with_the_template(ws: Workspace, tmp_path: Path) -> None:
    cfg = ws.root / "planlabor.toml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8")
        + '\n[report]\naccent = "#aa3300"\nprofile_title = "Quartiersprofil"\nkey_indicators = ["einwohner"]\n',
        encoding="utf-8",
    )
    source = Workspace.open(ws.root)
    out = source.export_template(tmp_path / "layout.toml", name="Layout")
    assert 'accent = "#aa3300"' in out.read_text(encoding="utf-8")
    target = Workspace.init(tmp_path / "ziel", name="Ziel")
    rep = target.import_template(out)
    assert rep.layout == "Berichtslayout ([report]) übernommen"
    assert (
        target.config.report.accent == "#aa3300" and target.config.report.profile_title == "Quartiersprofil"
    )
    assert target.config.report.key_indicators == ["einwohner"]
    # a workspace with its own layout keeps it
    other = Workspace.init(tmp_path / "eigen", name="Eigen")
    (other.root / "planlabor.toml").write_text(
        (other.root / "planlabor.toml").read_text(encoding="utf-8") + '\n[report]\naccent = "#000000"\n',
        encoding="utf-8",
    )
    other = Workspace.open(other.root)
    assert other.import_template(out).layout == "eigenes Berichtslayout ([report]) behalten"
    assert other.config.report.accent == "#000000"
    source.close()
    target.close()
    other.close()
