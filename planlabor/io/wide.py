"""Plain tables read by DuckDB (one header row, large files): wide or long, as a long view.

A wide table has one column per variable; a long table has a variable and a
value column.  The key column is found by name (``RAUMID``, ``AGS``, …) or,
failing that, as the column whose keys match the target layer; the period by
name (``ZEIT``, ``Jahr``) or from ``--period``.  The result is a view with the
columns of :data:`planlabor.io.source.LONG_COLUMNS`, so that even 11 million
values are unpivoted only once, inside the import's single statement.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from planlabor.areas.keys import KeyMatcher
from planlabor.errors import InputError
from planlabor.io.cellkinds import looks_like_year
from planlabor.io.table import RawTable, _q, unique_name

PERIOD_COLUMN_NAMES = (
    "zeit",
    "jahr",
    "stichtag",
    "period",
    "periode",
    "year",
    "datum",
    "date",
    "zeitraum",
    "berichtsjahr",
    "jahr_num",
    "ref_date",
    "ref_year",
    "time",
    "time_period",
)
ID_COLUMN_NAMES = (
    "id",
    "raumid",
    "plr_id",
    "area_id",
    "gebiet",
    "gebiet_id",
    "ags",
    "ars",
    "gkz",
    "schluessel",
    "schlüssel",
    "key",
    "nuts_id",
    "geo",
    "code",
    "kennziffer",
    "regions-id",
    "gemeindenummer",
    "bfs_nr",
    "district_code",
)
LONG_VARIABLE_NAMES = ("variable", "merkmal", "indikator", "kennzahl")
LONG_VALUE_NAMES = ("value", "wert", "anzahl")
_LEADING_ZERO = re.compile(r"^0\d+$")


def find_column(columns: list[str], wanted: str, what: str, raw: RawTable, option: str) -> str:
    if wanted in columns:
        return wanted
    lower = {c.lower(): c for c in columns}
    if wanted.lower() in lower:
        return lower[wanted.lower()]
    raise InputError(
        f"Die {what} {wanted!r} gibt es in der Datei nicht.",
        file=raw.path,
        row=1,
        column=wanted,
        expected="eine dieser Spalten: " + ", ".join(columns[:30]) + (" …" if len(columns) > 30 else ""),
        hint=f"Prüfen Sie die Schreibweise bei {option}.",
    )


def guess_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def key_column(raw: RawTable, wanted: str | None, matcher: KeyMatcher, exclude: set[str]) -> tuple[str, bool]:
    """The column of area keys (named, guessed by name, or matching the layer best) and whether
    it holds names rather than keys (a Stadtteil profile keyed by name)."""
    cols = raw.columns
    if wanted:
        return find_column(cols, wanted, "Schlüsselspalte", raw, "--id-column"), False
    guess = guess_column([c for c in cols if c not in exclude], ID_COLUMN_NAMES)
    if guess:
        return guess, False
    sample = raw.sample(2000)
    rates = []
    for c in cols:
        if c in exclude:
            continue
        values = [str(r[c]) for r in sample if r[c] is not None]
        rates.append((matcher.match_rate(values), False, c))
        rates.append((matcher.match_rate([], list(values)), True, c))
    rate, by_name, best = max(rates, default=(0.0, False, ""))
    if rate < 0.3:
        raise InputError(
            "Die Spalte mit den Gebietsschlüsseln ist nicht erkennbar: keine Spalte enthält "
            f"Schlüssel oder Namen der Raumebene {matcher.target!r}.",
            file=raw.path,
            row=1,
            expected="eine Spalte mit Schlüsseln wie "
            + ", ".join(matcher.layers[matcher.target].keys[:3])
            + "; vorhanden: "
            + ", ".join(cols[:20]),
            hint="Geben Sie sie mit --id-column SPALTE an, oder prüfen Sie --layer.",
        )
    return best, by_name


def classify_columns(
    raw: RawTable, candidates: list[str], markers: set[str]
) -> tuple[list[str], dict[str, str], dict[str, tuple[int, str]]]:
    """Split candidate columns into numeric variables and skipped (text/key) columns.

    Also returns, per text column, the first cell that is not a number (line, value).
    """
    variables: list[str] = []
    skipped: dict[str, str] = {}
    first_bad: dict[str, tuple[int, str]] = {}
    sample = raw.sample(2000)
    dec, th = raw.decimal, raw.thousands
    for col in candidates:
        cells = [(r["_line"], str(r[col]).strip()) for r in sample if r[col] is not None]
        cells = [(line, v) for line, v in cells if v not in markers]
        if not cells:
            variables.append(col)
            continue
        if any(_LEADING_ZERO.match(v) for _, v in cells):
            skipped[col] = "Schlüsselspalte (führende Nullen)"
            continue
        n_bad = 0
        for line, v in cells:
            t = v.replace(th, "") if th else v
            if dec == ",":
                t = t.replace(",", ".")
            try:
                float(t)
            except ValueError:
                n_bad += 1
                first_bad.setdefault(col, (int(line), v))
        if n_bad * 2 > len(cells):
            skipped[col] = "Textspalte"
        else:
            first_bad.pop(col, None)
            variables.append(col)
    return variables, skipped, first_bad


def select_columns(
    all_cols: list[str], columns: list[str] | None, exclude: list[str], raw: RawTable
) -> list[str]:
    cols = all_cols
    if columns:
        chosen: list[str] = []
        for pat in columns:
            hits = [c for c in all_cols if fnmatch.fnmatchcase(c, pat)]
            if not hits:
                raise InputError(
                    f"Keine Spalte passt zu {pat!r}.",
                    file=raw.path,
                    row=1,
                    column=pat,
                    expected="Spaltennamen: " + ", ".join(all_cols[:30]),
                    hint="Prüfen Sie --columns.",
                )
            chosen.extend(h for h in hits if h not in chosen)
        cols = chosen
    return [c for c in cols if not any(fnmatch.fnmatchcase(c, p) for p in exclude)]


def period_column(raw: RawTable, wanted: str | None, fixed: str | None) -> str | None:
    if fixed is not None:
        return None
    if wanted:
        return find_column(raw.columns, wanted, "Zeitspalte", raw, "--period-column")
    return guess_column(raw.columns, PERIOD_COLUMN_NAMES)


def year_columns(columns: list[str]) -> list[str]:
    """Columns named like a year: such a header is a period, never a variable."""
    return [c for c in columns if looks_like_year(c)]


def long_view(
    raw: RawTable,
    key_col: str,
    period_col: str | None,
    variables: list[str] | None,
    var_col: str | None,
    val_col: str | None,
    id_width: int | None,
    by_name: bool = False,
) -> str:
    """A view with the long columns over the staged raw table."""
    key_sql = f"trim(replace({_q(key_col)}, '\"', ''))"
    if id_width:
        key_sql = f"lpad({key_sql}, {int(id_width)}, '0')"
    name_sql = "CAST(NULL AS VARCHAR)"
    if by_name:
        key_sql, name_sql = "CAST(NULL AS VARCHAR)", f"trim({_q(key_col)})"
    period_sql = f"trim({_q(period_col)})" if period_col else "CAST(NULL AS VARCHAR)"
    view = unique_name("longv")
    if var_col and val_col:
        body = (
            f"SELECT _line, {_lit(val_col)} AS _col, {key_sql} AS key, {name_sql} AS name, "
            f"{period_sql} AS period, trim({_q(var_col)}) AS variable, {_q(val_col)} AS value, "
            f"CAST(NULL AS DOUBLE) AS num FROM {raw.name}"
        )
    else:
        assert variables is not None
        cols = ", ".join(_q(v) for v in variables)
        body = (
            f"SELECT _line, variable AS _col, key, name, period, variable, value, "
            f"CAST(NULL AS DOUBLE) AS num FROM (SELECT _line, {key_sql} AS key, {name_sql} AS name, "
            f"{period_sql} AS period, "
            f"{cols} FROM {raw.name}) UNPIVOT INCLUDE NULLS (value FOR variable IN ({cols}))"
        )
    raw.con.execute(f"CREATE TEMP VIEW {view} AS {body}")
    return view


def rows_view(
    raw: RawTable,
    key_col: str,
    period_col: str | None,
    id_width: int | None,
    by_name: bool,
    variables: list[str] | None = None,
) -> str:
    """One record per file row (key, name, period, then the value columns ``variables``): keys,
    periods and duplicates are checked per row, and the import joins keys and periods to the
    rows before it unpivots the values (220,000 lookups instead of 11 million)."""
    key_sql = f"trim(replace({_q(key_col)}, '\"', ''))"
    if id_width:
        key_sql = f"lpad({key_sql}, {int(id_width)}, '0')"
    name_sql = "CAST(NULL AS VARCHAR)"
    if by_name:
        key_sql, name_sql = "CAST(NULL AS VARCHAR)", f"trim({_q(key_col)})"
    period_sql = f"trim({_q(period_col)})" if period_col else "CAST(NULL AS VARCHAR)"
    view = unique_name("rowsv")
    raw.con.execute(
        f"CREATE TEMP VIEW {view} AS SELECT _line, {key_sql} AS key, {name_sql} AS name, "
        f"{period_sql} AS period{''.join(', ' + _q(v) for v in variables or [])} FROM {raw.name}"
    )
    return view


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sample_values(raw: RawTable, column: str, n: int = 5) -> list[Any]:
    return [r[column] for r in raw.sample(n)]
