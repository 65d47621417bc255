"""Reader for the indicator tables of the Statistisches Amt Basel-Stadt (Indikatorenportal,
``data/<id>.tsv`` with ``metadata/single/<id>.json``), the Swiss format the shared files show.

Quirks handled: a UTF-8 byte-order mark, quoted headers, trailing empty lines; area keys
unpadded (``7``) in some files and zero-padded (``07``) in others (both become ``7``, the key of
the Wohnviertel geometry ``TXT``); the year in a column (``jahr_num``, ``Jahr``) or in the column
names (``Einwohner 2024``); a ``Rang`` column and name columns that are not values.  Rates are
kept as published (fractions: 0.014 = 1.4 %); the catalog converts them with ``factor = 100``.

The result is a long staging table (key column as in the file, ``period``, ``variable``,
``value``) that the
normal import checks and stores; the title and source from the metadata file go into the
import report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from planlabor.errors import InputError

ID_NAMES = ("wohnviertel_id", "wohnviertelid", "gemeinde_id", "wohnbezirk_id", "bezirk_id")
YEAR_NAMES = ("jahr_num", "jahr", "year")
NOT_VALUES = ("rang",)


def metadata_path(path: Path) -> Path:
    return path.parent.parent / "metadata" / "single" / f"{path.stem}.json"


def is_statabs_tsv(path: Path) -> bool:
    """A ``data/<number>.tsv`` with its ``metadata/single/<number>.json`` beside."""
    return path.suffix.lower() == ".tsv" and path.stem.isdigit() and metadata_path(path).exists()


def _slug(text: str) -> str:
    s = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def read_statabs(path: Path, con: duckdb.DuckDBPyConnection | None = None) -> Any:
    """The long staging table, or None if the table has no key column (then it is read as a
    plain table and the planner maps names to keys)."""
    from planlabor.io.table import long_staging

    df = pd.read_csv(
        path, sep="\t", dtype=str, encoding="utf-8-sig", skip_blank_lines=True, keep_default_na=False
    )
    df.columns = [str(c).strip().strip('"') for c in df.columns]
    lower = {c.lower(): c for c in df.columns}
    id_col = next((lower[n] for n in ID_NAMES if n in lower), None)
    if id_col is None:
        return None  # a table with names only (6502.tsv): read as a plain table
    year_col = next((lower[n] for n in YEAR_NAMES if n in lower), None)
    cols: dict[str, list[str]] = {id_col: [], "period": [], "variable": [], "value": []}
    warnings: list[str] = []
    skipped = []
    for col in df.columns:
        if col in (id_col, year_col) or col.lower() in NOT_VALUES:
            continue
        m = re.fullmatch(r"(.*?)\s*((?:19|20)\d\d)", col)
        name, year = (m.group(1), m.group(2)) if m else (col, None)
        values = df[col].str.strip()
        numeric = pd.to_numeric(values.replace("", None), errors="coerce")
        if numeric.isna().all() and (values != "").any():
            skipped.append(col)  # names and other text
            continue
        for i, (key, raw) in enumerate(zip(df[id_col], values, strict=True)):
            period = year or (df[year_col].iloc[i].strip() if year_col else "")
            if not period:
                raise InputError(
                    "Die Tabelle nennt kein Jahr (weder Spalte noch Spaltenname).",
                    file=path,
                    row=i + 2,
                    column=col,
                    expected="eine Spalte jahr_num/Jahr oder Spaltennamen wie 'Einwohner 2024'",
                    hint="Geben Sie das Jahr mit --period an.",
                )
            area = str(key).strip().strip('"').lstrip("0") or "0"
            for key, value in zip(cols, (area, period, _slug(name), raw), strict=True):
                cols[key].append(value)
    if skipped:
        warnings.append("Textspalten nicht übernommen: " + ", ".join(skipped) + ".")
    meta_file = metadata_path(path)
    if meta_file.exists():
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            warnings.append(
                f"Statistisches Amt Basel-Stadt, Indikator {meta.get('id', path.stem)}: "
                f"{meta.get('title', '')} "
                f"({meta.get('subtitle', '')}); Quelle: {'; '.join(meta.get('quellenangabe', []))}."
            )
        except (ValueError, OSError):
            warnings.append(f"Die Metadaten {meta_file.name} sind nicht lesbar.")
    warnings.append("Quoten wie veröffentlicht als Bruchteil (0,014 = 1,4 %) gespeichert.")
    return long_staging(path, id_col, cols, warnings, con)
