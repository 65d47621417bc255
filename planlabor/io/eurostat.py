"""Reader for Eurostat's TSV tables (``demo_r_pjanaggr3.tsv``, ``nama_10r_3gdp`` …).

The first column packs the dimension codes, separated by commas, under a header such as
``freq,unit,sex,age,geo\\TIME_PERIOD`` (older files: ``unit,geo\\time``); the other columns are
years.  ``:`` means not available; letters after a number are flags (``b`` break in series,
``e`` estimated, ``p`` provisional, ``u`` low reliability, ``c`` confidential); newer extracts
also carry notes such as ``@N`` after ``:``.

The reader turns the file into a long staging table (``geo``, ``period``, ``variable``,
``value``) that the normal import checks and stores like any other table:

* ``select`` keeps only the given codes per dimension (``{"sex": ["T"], "geo": ["DE???"]}``;
  shell patterns allowed, ``DE???`` = the NUTS-3 regions of Germany);
* the variable name is ``prefix`` plus the codes of the dimensions that still vary, in lower
  case (``ew`` + age ``Y15-64`` → ``ew_y15_64``);
* numbers keep their value and lose their flag (the import report counts the flags); ``:`` is
  an empty value (flag ``fehlend``), ``: c`` a secret one (flag ``unbekannt_oder_geheim``);
* the Extra-Regio codes (``DEZZZ``) are not areas and are left out (with a warning).
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from planlabor.errors import InputError

_HEADER = re.compile(r"\\\s*(time_period|time)\s*$", re.I)
FLAG_NAMES = {
    "b": "Zeitreihenbruch",
    "e": "geschätzt",
    "p": "vorläufig",
    "u": "geringe Zuverlässigkeit",
    "d": "Definition abweichend",
    "z": "nicht zutreffend",
    "c": "vertraulich",
    "@N": "Fußnote (Eurostat-Anmerkung)",
}


def is_eurostat_tsv(path: Path) -> bool:
    """True if the first line has Eurostat's packed header (``…,geo\\TIME_PERIOD``)."""
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
            first = fh.readline().split("\t", 1)[0]
    except OSError:
        return False
    return bool(_HEADER.search(first))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def read_eurostat(
    path: Path,
    select: dict[str, list[str]] | None = None,
    prefix: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Any:
    """Read a Eurostat TSV into a long staging table (see the module docstring)."""
    from planlabor.io.table import long_staging

    select = {k.lower(): v for k, v in (select or {}).items()}
    with path.open("r", encoding="utf-8-sig") as fh:
        lines = fh.read().splitlines()
    if not lines:
        raise InputError("Die Datei ist leer.", file=path, row=1, expected="eine Eurostat-TSV-Tabelle")
    head, dims = _eurostat_header(path, lines[0], select)
    records, flags, extra = _eurostat_records(path, lines, head, dims, select)
    warnings: list[str] = []
    other = [d for d in dims if d != "geo"]
    frame = pd.DataFrame(records, columns=["geo", "period", *other, "value"])
    varying = [d for d in other if d != "freq" and frame[d].nunique() > 1]
    base = _slug(prefix or path.stem)
    if varying:
        frame["variable"] = base + "_" + frame[varying].agg("_".join, axis=1).map(_slug)
    else:
        frame["variable"] = base
    if extra:
        warnings.append(f"{extra} Zeilen mit Extra-Regio-Codes (…ZZ) ausgelassen: sie sind keine Gebiete.")
    if flags:
        warnings.append(
            "Eurostat-Kennzeichen übernommen als Zahl ohne Kennzeichen: "
            + ", ".join(f"{n} × {k} ({FLAG_NAMES.get(k, '?')})" for k, n in sorted(flags.items()))
            + "."
        )
    warnings.append("Eurostat-Tabelle in die Langform gebracht: Zeilenangaben zählen einen Wert je Zeile.")
    if varying:
        warnings.append("Variablen nach den Dimensionen " + ", ".join(varying) + " benannt.")
    cols = {c: frame[c].tolist() for c in ("geo", "period", "variable", "value")}
    # one record per value: messages about keys name the code itself; the reader's own
    # messages give the file line
    return long_staging(path, "geo", cols, warnings, con)


def _eurostat_header(path: Path, first: str, select: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """The header fields and the dimensions (lower case) of the first line; a table without
    ``geo`` or a ``--select`` of a dimension it does not have is refused."""
    head = first.split("\t")
    dims = [d.strip() for d in _HEADER.sub("", head[0]).split(",")]
    dims = [d.lower() for d in dims]
    if "geo" not in dims:
        raise InputError(
            "Die Eurostat-Tabelle hat keine Dimension 'geo'.",
            file=path,
            row=1,
            column=head[0],
            expected="eine Kopfzeile wie 'freq,unit,geo\\TIME_PERIOD'",
        )
    unknown = [k for k in select if k not in dims]
    if unknown:
        raise InputError(
            f"Die Dimension {unknown[0]!r} gibt es in der Tabelle nicht.",
            file=path,
            row=1,
            column="--select",
            expected="eine dieser Dimensionen: " + ", ".join(dims),
        )
    return head, dims


def _eurostat_records(
    path: Path, lines: list[str], head: list[str], dims: list[str], select: dict[str, list[str]]
) -> tuple[list[list[str]], dict[str, int], int]:
    """One record (geo, year, other codes, value) per value of the selected rows, the count of
    each Eurostat flag, and the number of extra-regio rows (``…ZZ``) left out."""
    years = [h.strip() for h in head[1:]]
    records: list[list[str]] = []
    flags: dict[str, int] = {}
    extra = 0
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        codes = [c.strip() for c in cells[0].split(",")]
        if len(codes) != len(dims) or len(cells) != len(head):
            raise InputError(
                f"Die Zeile hat {len(codes)} Codes und {len(cells)} Felder "
                f"statt {len(dims)} und {len(head)}.",
                file=path,
                row=n,
                expected="Codes durch Kommas getrennt, dann ein Wert je Jahr, durch Tabulatoren getrennt",
            )
        key = dict(zip(dims, codes, strict=True))
        if any(not any(fnmatch.fnmatchcase(key[d], p) for p in pats) for d, pats in select.items()):
            continue
        if key["geo"].endswith("ZZ") or key["geo"].endswith("ZZZ"):
            extra += 1
            continue
        for year, raw in zip(years, cells[1:], strict=True):
            value = _eurostat_value(path, n, year, raw, flags)
            records.append([key["geo"], year, *(key[d] for d in dims if d != "geo"), value])
    return records, flags, extra


def _eurostat_value(path: Path, row: int, year: str, raw: str, flags: dict[str, int]) -> str:
    """The value of one cell as text (``:`` → empty, or ``.`` when confidential), its flag
    letters counted in ``flags``; a cell not in the Eurostat form is refused."""
    text = raw.strip()
    m = re.fullmatch(r"(:|-?[0-9.]+)\s*([a-z]*|@[A-Za-z]+)", text)
    if not m:
        raise InputError(
            f"Der Wert {text!r} ist keine Zahl im Eurostat-Format.",
            file=path,
            row=row,
            column=year,
            expected="eine Zahl mit Punkt, optional mit Kennbuchstaben (z. B. '12.5 p'), oder ':'",
        )
    number, letters = m.group(1), m.group(2)
    for letter in [letters] if letters.startswith("@") else letters:
        flags[letter] = flags.get(letter, 0) + 1
    return ("." if "c" in letters else "") if number == ":" else number
