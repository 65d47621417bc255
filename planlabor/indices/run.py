"""Apply a preset or spec file to a table file: ``planlabor index PRESET_OR_SPEC INPUT --out FILE``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planlabor.errors import InputError
from planlabor.indices.engine import apply_index, component_steps
from planlabor.indices.spec import load_spec
from planlabor.io.fisbroker import check_mss_input, is_mss_input, read_strings, write_mss_output
from planlabor.io.safe_csv import write_csv
from planlabor.progress import ticker


@dataclass
class IndexFileReport:
    spec: str
    rows: int
    excluded: int
    out: str
    layout: str
    class_counts: dict[str, int]
    level_files: dict[str, str] = field(default_factory=dict)


def index_file(
    spec_or_preset: str,
    input_path: str | Path,
    out: str | Path,
    levels: list[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> IndexFileReport:
    """Apply a preset or spec to a table; with ``levels`` (columns naming higher units) also
    the population-weighted scores of those levels, each into ``<out>_<level>.<suffix>``;
    ``progress(step, total, label)`` hears of the table read, every component (Teilindex) of
    every period and the file written."""
    spec = load_spec(spec_or_preset)
    if levels:
        spec = spec.model_copy(update={"level_columns": list(levels)})
    path, out = Path(input_path), Path(out)
    df = read_strings(path)
    tell = ticker(progress, component_steps(spec, df) + 2)  # the table, each component, the file
    tell(f"Tabelle {path.name} gelesen: {len(df)} Zeilen")
    if spec.id == "mss2021" and is_mss_input([str(c) for c in df.columns]):
        check_mss_input(df, path)
        res = apply_index(spec, df, tell)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_mss_output(res.table, df, out)
        tell(f"{out.name} geschrieben")
        counts = res.table["matrix__label"].value_counts().to_dict()
        return IndexFileReport(
            spec.id,
            len(df),
            int(res.table["excluded"].sum()),
            str(out),
            "s_Indizes_MSS2021_homogen",
            {str(k): int(v) for k, v in counts.items()},
        )
    res = apply_index(spec, df, tell)
    table = res.table.drop(columns=[c for c in ("_line",) if c in res.table.columns])
    out.parent.mkdir(parents=True, exist_ok=True)
    _write(table, out)
    label_col = next((c for c in ("matrix__label", "total__label") if c in table.columns), None)
    if label_col is None:
        label_col = next((c for c in table.columns if c.endswith("__label")), None)
    counts = table[label_col].value_counts().to_dict() if label_col else {}
    files = {}
    for level, frame in res.levels.items():
        path = out.with_name(f"{out.stem}_{level}{out.suffix}")
        _write(frame, path)
        files[level] = str(path)
    tell(f"{out.name} geschrieben" + (f" und {len(files)} Ebene(n)" if files else ""))
    return IndexFileReport(
        spec.id,
        len(df),
        int(table["excluded"].sum()),
        str(out),
        "Tabelle",
        {str(k): int(v) for k, v in counts.items()},
        files,
    )


def _write(table: pd.DataFrame, out: Path) -> None:
    if out.suffix.lower() == ".xlsx":
        table.to_excel(out, index=False, sheet_name="Index")
    elif out.suffix.lower() in (".csv", ".txt"):
        write_csv(table, out, index=False, float_format="%.15g")
    else:
        raise InputError(
            f"Das Ausgabeformat {out.suffix!r} wird nicht unterstützt.",
            column="--out",
            expected="eine .csv- oder .xlsx-Datei",
        )
