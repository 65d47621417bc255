"""Functions short enough to read in one screen (issue 17, Done-when): no function in the package
is longer than 80 lines unless its docstring says why ("Länge: …"). Functions still being split
are listed below with their length then; each may only shrink, and leaves the list once it is
short (scripts/long_functions.py lists them)."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("long_functions", ROOT / "scripts" / "long_functions.py")
assert _spec is not None and _spec.loader is not None
long_functions = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("long_functions", long_functions)  # dataclasses look their module up
_spec.loader.exec_module(long_functions)

#: (file, function) → its length in lines: debt still to be paid off (issue 17). Empty since
#: 2026-11-30: every function of the package is ≤ 80 lines or states its reason ("Länge: …").
KNOWN: dict[tuple[str, str], int] = {}


@functools.cache
def _found() -> list[object]:
    return long_functions.scan(ROOT / "planlabor")  # type: ignore[no-any-return]


def test_no_new_function_is_longer_than_80_lines_without_a_reason() -> None:
    new, grown = [], []
    for f in _found():
        key = (f.path.relative_to(ROOT).as_posix(), f.name)  # type: ignore[attr-defined]
        if f.reason:  # type: ignore[attr-defined]
            continue
        if key not in KNOWN:
            new.append(f"{key[0]}:{f.line} {key[1]} ({f.length} Zeilen)")  # type: ignore[attr-defined]
        elif f.length > KNOWN[key]:  # type: ignore[attr-defined]
            grown.append(f"{key[0]} {key[1]}: {KNOWN[key]} → {f.length} Zeilen")  # type: ignore[attr-defined]
    assert new == [], "Funktionen über 80 Zeilen: kürzen oder im Docstring 'Länge: Grund' angeben"
    assert grown == [], "Lange Funktionen dürfen nur kürzer werden"


def test_the_list_of_long_functions_only_shrinks() -> None:
    still = {(f.path.relative_to(ROOT).as_posix(), f.name) for f in _found()}  # type: ignore[attr-defined]
    paid = sorted(k for k in KNOWN if k not in still)
    assert paid == [], f"Jetzt kurz (aus KNOWN streichen): {paid}"


def test_the_scan_counts_nested_functions_and_reads_the_reason(tmp_path: Path) -> None:
    body = "\n".join(f"        x{i} = {i}" for i in range(85))
    src = tmp_path / "m.py"
    src.write_text(
        "class A:\n    def long(self):\n" + body + "\n\n"
        'def outer():\n    """Kurz.\n\n    Länge: eine Tabelle, Zeile für Zeile.\n    """\n'
        "    def inner():\n" + body + "\n",
        encoding="utf-8",
    )
    found = {f.name: f for f in long_functions.scan(src)}
    assert set(found) == {"A.long", "outer", "outer.<locals>.inner"}
    assert found["A.long"].length == 86 and found["A.long"].reason is None
    assert found["outer"].reason == "eine Tabelle, Zeile für Zeile."
