"""Install: a plain ``pip install planlabor`` gives a working demo (missing extras are named in a
German sentence), the package builds without warnings, ``make demo`` waits for the apt lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def test_demo_names_the_missing_reports_extra_instead_of_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import planlabor.demo as demo

    assert demo.missing_modules("json", "gibt_es_nicht_xyz") == ["gibt_es_nicht_xyz"]
    monkeypatch.setattr(demo, "missing_modules", lambda *names: ["weasyprint"])

    def boom(*a: object) -> list[str]:  # the reports must not even be tried
        raise AssertionError("reports attempted without their extra")

    monkeypatch.setattr(demo, "_reports", boom)
    said: list[str] = []
    assert demo.reports_if_installed(None, tmp_path, None, said.append) == []
    assert said == [
        "Berichte übersprungen: dafür fehlt das Zusatzpaket „reports“ (weasyprint). Installieren Sie es "
        "mit: pip install 'planlabor[reports]'"
    ]


@pytest.mark.slow
def test_package_builds_without_setuptools_warnings(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "license" not in (r.stdout + r.stderr).lower().replace("license-files", ""), r.stderr


def test_install_script_waits_for_the_apt_lock() -> None:
    text = (ROOT / "scripts" / "install-system-deps.sh").read_text(encoding="utf-8")
    assert "DPkg::Lock::Timeout" in text and "warte bis zu" in text and "erneut auf" in text
    r = subprocess.run(["bash", "-n", str(ROOT / "scripts" / "install-system-deps.sh")], capture_output=True)
    assert r.returncode == 0
