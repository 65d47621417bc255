"""Docs stay in step with the code: every command and every catalog entry is documented."""

from pathlib import Path

import pytest

from planlabor.catalog.model import _parse, template_text
from planlabor.cli import cli

pytestmark = pytest.mark.nostore  # never opens a store: run once (conftest.py)

ROOT = Path(__file__).parent.parent


def _commands() -> list[str]:
    out = []
    for name, cmd in cli.commands.items():
        sub = getattr(cmd, "commands", None)
        out.extend([f"planlabor {name} {s}" for s in sub] if sub else [f"planlabor {name}"])
    return out


def test_every_command_in_reference() -> None:
    text = (ROOT / "docs" / "befehle.md").read_text(encoding="utf-8")
    missing = [c for c in _commands() if f"## `{c}" not in text]
    assert missing == [], f"undokumentierte Befehle: {missing}"


def test_readme_quick_start() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text and "## English" in text


def test_every_starter_indicator_documented() -> None:
    catalog = _parse(template_text("berlin"), "berlin.toml")
    text = (ROOT / "docs" / "katalog.md").read_text(encoding="utf-8")
    missing = [i.id for i in catalog.indicators if f"`{i.id}`" not in text]
    assert missing == []
