"""From a recognised layout to long rows: choose the key column, find dimensions, read values.

The key column is the identifier column whose keys match the target layer
best (in any of the forms :mod:`planlabor.areas.keys` knows); where no column
of keys matches, names are matched against the layer's names.  Identifier
columns that are not the key, the name or the period but are needed to make
(key, period) unique are dimensions: their values become part of the
variable name (``anz_altersgr65_2``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from planlabor.areas.keys import KeyMatcher, clean_key
from planlabor.io.cellkinds import normalise_marker, parse_number
from planlabor.io.headers import ValueSpec, slug
from planlabor.io.layout import _KEY_NAME, Layout
from planlabor.io.source import VariableInfo

_TITLE_YEAR = re.compile(r"(?:,|\s)\s*((?:19|20)\d\d)\s*$")
_TITLE_DATE = re.compile(r"(?:Stichtag|Stand|zum)[:\s]+(\d{1,2}\.\d{1,2}\.\d{4})", re.I)


@dataclass
class KeyChoice:
    column: int | None  # None: names are the keys
    split: bool  # key and name in one cell
    by_name: bool
    rate: float
    description: str


@dataclass
class LongRows:
    rows: dict[str, list[Any]]
    variables: dict[str, VariableInfo]
    key: KeyChoice
    period_source: str
    has_periods: bool
    notes: list[str] = field(default_factory=list)
    skipped_columns: dict[str, str] = field(default_factory=dict)


def split_key_name(text: str | None) -> tuple[str | None, str | None]:
    """``'01001 Flensburg, Stadt'`` → ``('01001', 'Flensburg, Stadt')``; text without a key → (None, text)."""
    if text is None:
        return None, None
    m = _KEY_NAME.match(text)
    if m:
        return m.group(2), m.group(3).strip()
    return None, text.strip().lstrip(".->").strip()


def choose_key(layout: Layout, matcher: KeyMatcher) -> KeyChoice | None:
    """The identifier column whose keys match the target layer best."""
    g = layout.grid
    best: KeyChoice | None = None
    names = (
        [g.cell(r, layout.name_column) for r in layout.data_rows] if layout.name_column is not None else None
    )
    for c in layout.id_columns:
        cells = [g.cell(r, c) for r in layout.data_rows]
        split = c == layout.key_in_name
        keys = [split_key_name(v)[0] if split else v for v in cells]
        rate = matcher.match_rate([k for k in keys if k])
        title = layout.column_title(c)
        desc = f"{title} (Schlüssel und Name in einer Zelle)" if split else title
        if best is None or rate > best.rate:
            best = KeyChoice(c, split, False, rate, desc)
    if (best is None or best.rate < 0.5) and names is not None:
        rate = matcher.match_rate([], names)
        if best is None or rate > best.rate:
            best = KeyChoice(
                None, False, True, rate, f"{layout.column_title(layout.name_column or 0)} (Namen)"
            )
    return best


def _dimensions(layout: Layout, key: KeyChoice) -> list[int]:
    """Identifier columns that must join key and period to make rows unique."""
    g = layout.grid
    used = {key.column, layout.name_column, layout.period_column}
    others = [c for c in layout.id_columns + layout.attribute_columns if c not in used]

    def ident(r: int, cols: list[int]) -> tuple[Any, ...]:
        k = g.cell(r, key.column) if key.column is not None else g.cell(r, layout.name_column or 0)
        p = g.cell(r, layout.period_column) if layout.period_column is not None else None
        return (k, p, *(g.cell(r, c) for c in cols))

    chosen: list[int] = []
    rows = layout.data_rows
    for c in others:
        if len({ident(r, chosen) for r in rows}) == len(rows):
            break
        chosen.append(c)
    return chosen


def title_period(layout: Layout) -> str | None:
    """A period stated in the title or footer ("Stichtag: 09.05.2011", "…, 2020")."""
    g = layout.grid
    texts = [g.cell(r, 0) or "" for r in layout.title_rows] + [g.cell(r, 0) or "" for r in layout.footer_rows]
    for t in texts:
        m = _TITLE_DATE.search(t)
        if m:
            return m.group(1)
    for r in layout.title_rows:
        m = _TITLE_YEAR.search((g.cell(r, 0) or "").splitlines()[0] if g.cell(r, 0) else "")
        if m:
            return m.group(1)
    return None


def to_long(
    layout: Layout,
    key: KeyChoice,
    decimal: str,
    thousands: str | None,
    variable_prefix: str = "",
) -> LongRows:
    """Long rows of one recognised sheet or file."""
    g = layout.grid
    dims = _dimensions(layout, key)
    fixed = None
    period_source = "Spaltenköpfe"
    has_periods = True
    if layout.period_column is not None:
        period_source = f"Spalte {layout.column_title(layout.period_column)!r}"
    elif not any(v.period for v in layout.headers.values):
        fixed = title_period(layout)
        period_source = f"Titel der Tabelle ({fixed})" if fixed else "Option --period"
        has_periods = fixed is not None
    rows: dict[str, list[Any]] = {
        c: [] for c in ("_line", "_col", "key", "name", "period", "variable", "value", "num")
    }
    variables: dict[str, VariableInfo] = {}
    names: dict[tuple[int, tuple[str, ...]], str] = {}
    sheet = g.native_numbers is not None
    for r in layout.data_rows:
        k, n = _key_and_name(layout, key, r)
        period_row = g.cell(r, layout.period_column) if layout.period_column is not None else None
        dim_values = tuple(g.cell(r, c) or "" for c in dims)
        for spec in layout.headers.values:
            var = names.get((spec.column, dim_values))
            if var is None:
                var, info = _variable(spec, list(dim_values), variable_prefix)
                names[(spec.column, dim_values)] = var
                variables.setdefault(var, info)
            raw = g.cell(r, spec.column)
            rows["_line"].append(g.lines[r])
            rows["_col"].append(layout.column_title(spec.column))
            rows["key"].append(k)
            rows["name"].append(n)
            rows["period"].append(spec.period or period_row or fixed)
            rows["variable"].append(var)
            rows["value"].append(raw)
            rows["num"].append(
                _number(raw, g.is_native_number(r, spec.column), decimal, thousands) if sheet else None
            )
    notes = []
    if dims:
        notes.append(
            "Merkmale in Spalten (Teil des Variablennamens): "
            + ", ".join(layout.column_title(c) for c in dims)
        )
    skipped = {
        layout.column_title(c): "Merkmal der Gebiete, nicht importiert"
        for c in layout.attribute_columns
        if c not in dims
    }
    return LongRows(rows, variables, key, period_source, has_periods, notes, skipped)


def _key_and_name(layout: Layout, key: KeyChoice, r: int) -> tuple[str | None, str | None]:
    g = layout.grid
    name = g.cell(r, layout.name_column) if layout.name_column is not None else None
    if key.column is None:
        return None, name
    cell = g.cell(r, key.column)
    if key.split:
        k, n = split_key_name(cell)
        return k, n
    return (clean_key(cell) or None), name


def _variable(spec: ValueSpec, dims: list[str], prefix: str) -> tuple[str, VariableInfo]:
    var = spec.variable
    label = spec.label
    if dims:
        var = var + "_" + "_".join(slug(d) for d in dims if d)
        label = f"{label} ({', '.join(d for d in dims if d)})"
    if prefix:
        var = f"{prefix}{var}" if prefix.endswith("_") else f"{prefix}_{var}"
    return var, VariableInfo(label=label, unit=spec.unit, kind=guess_kind(spec.unit, label))


def _number(raw: str | None, native: bool, decimal: str, thousands: str | None) -> float | None:
    if raw is None:
        return None
    if native:
        try:
            return float(raw)
        except ValueError:
            return None
    t = normalise_marker(raw)
    value = parse_number(t, decimal, thousands)
    if value is None and decimal == "." and thousands is None:  # sheets: text cells in German form
        value = parse_number(t, ",", ".")
    return value


_SHARE = re.compile(
    r"(?i)(%|prozent|anteil|quote|je\s|pro\s|dichte|proportion|durchschnitt|mittel|index|rate)"
)
_COUNT = re.compile(r"(?i)^(anzahl|personen|fälle|faelle|einwohner|1\s?000|tsd\.?)$")


def guess_kind(unit: str | None, label: str) -> str | None:
    """``anzahl`` (summable), ``anteil`` (a rate or mean) or ``None`` (unknown)."""
    if unit and _COUNT.match(unit.strip()):
        return "anzahl"
    if (unit and _SHARE.search(unit)) or _SHARE.search(label):
        return "anteil"
    return None
