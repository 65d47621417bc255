"""List the functions of a package that are longer than a limit (default 80 lines).

A function counts from its ``def`` line (decorators excluded) to its last line, nested functions
included.  A long function may stay long when its docstring says why, in a line starting with
``Länge:`` (e.g. ``Länge: eine Tabelle von Optionen, Zeile für Zeile gelesen``).

    python scripts/long_functions.py                # planlabor/, limit 80
    python scripts/long_functions.py --limit 60 planlabor/atlas
    python scripts/long_functions.py --all          # also those with a stated reason
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LIMIT = 80
REASON = "Länge:"
Func = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Long:
    path: Path
    name: str  # qualified: Class.method, outer.<locals>.inner
    line: int
    length: int
    reason: str | None


def _functions(
    tree: ast.AST, prefix: str = ""
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            yield name, node
            yield from _functions(node, f"{name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        elif not isinstance(node, ast.Lambda):
            yield from _functions(node, prefix)


def _reason(node: Func) -> str | None:
    doc = ast.get_docstring(node) or ""
    for line in doc.splitlines():
        if line.strip().startswith(REASON):
            return line.strip()[len(REASON) :].strip() or None
    return None


def scan(root: Path, limit: int = LIMIT) -> list[Long]:
    """The functions under ``root`` longer than ``limit`` lines, longest first."""
    out = []
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, node in _functions(tree):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                out.append(Long(path, name, node.lineno, length, _reason(node)))
    return sorted(out, key=lambda f: -f.length)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["planlabor"])
    parser.add_argument("--limit", type=int, default=LIMIT)
    parser.add_argument("--all", action="store_true", help="auch Funktionen mit begründeter Länge")
    args = parser.parse_args(argv)
    found = [f for p in args.paths for f in scan(Path(p), args.limit)]
    shown = found if args.all else [f for f in found if f.reason is None]
    for f in shown:
        why = f"  ({REASON} {f.reason})" if f.reason else ""
        print(f"{f.length:5d}  {f.path}:{f.line}  {f.name}{why}")
    print(f"{len(shown)} Funktionen länger als {args.limit} Zeilen", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
