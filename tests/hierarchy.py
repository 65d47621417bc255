"""Workspaces with any area hierarchy and counts, built in code (for the confidentiality tests)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

from planlabor.areas import AreaImportOptions
from planlabor.io.importer import ImportOptions
from planlabor.workspace import Workspace
from tests.conftest import write


def tree_workspace(
    root: Path,
    parents: dict[str, dict[str, str | None]],
    data: dict[str, dict[str, float]],
    catalog: str,
    period: str = "2024",
    config: str = "",
) -> Workspace:
    """``parents``: layer → {area: parent area} from the top layer down (the first layer has no
    parents); ``data``: base area → {variable: count} on the last layer."""
    ws = Workspace.init(root, name="Test", catalog_text=catalog)
    if config:
        cfg = root / "planlabor.toml"
        cfg.write_text(
            cfg.read_text(encoding="utf-8").replace("secondary = true\n", config), encoding="utf-8"
        )
        ws.close()
        ws = Workspace.open(root)
    layers = list(parents)
    for k, lay in enumerate(layers):
        rows = ["id;name;parent"] + [f"{a};Gebiet {a};{p or ''}" for a, p in parents[lay].items()]
        path = write(root / "src" / f"{lay}.csv", "\n".join(rows) + "\n")
        opts = AreaImportOptions(layer=lay, id_column="id", name_column="name")
        if k:
            opts = AreaImportOptions(
                layer=lay,
                id_column="id",
                name_column="name",
                parent_layer=layers[k - 1],
                parent_column="parent",
            )
        ws.import_areas(path, opts)
    variables = sorted({v for row in data.values() for v in row})
    lines = ["id;" + ";".join(variables)]
    for area, row in data.items():
        lines.append(area + ";" + ";".join(_num(row.get(v)) for v in variables))
    src = write(root / "src" / "data.csv", "\n".join(lines) + "\n")
    ws.import_table(src, ImportOptions(layer=layers[-1], id_column="id", period=period))
    ws.compute()
    return ws


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else repr(float(v)).replace(".", ",")


def count_catalog(variables: list[str], min_count: int | None = None) -> str:
    """One count indicator per variable."""
    extra = f"\nmin_count = {min_count}" if min_count else ""
    return "\n".join(
        f'[[indicator]]\nid = "n_{v}"\nname = "Anzahl {v}"\nnumerator = ["{v}"]{extra}\n' for v in variables
    )


@st.composite
def area_trees(draw: st.DrawFn) -> tuple[dict[str, dict[str, str | None]], list[str]]:
    """A random area hierarchy of 1–3 levels below one total ``T`` (1–3 children each): the
    parents per layer ``l0…ln`` and the base areas."""
    depth = draw(st.integers(1, 3))
    parents: dict[str, dict[str, str | None]] = {"l0": {"T": None}}
    current = ["T"]
    for level in range(1, depth + 1):
        layer: dict[str, str | None] = {}
        for p in current:
            for k in range(draw(st.integers(1, 3))):
                layer[f"{p}{level}{k}"] = p
        parents[f"l{level}"] = layer
        current = list(layer)
    return parents, current
