"""Header blocks of publishers' tables: from header cells to variables, labels, units and periods.

A header block may span several rows with merged cells (filled here to the
right within the span of the cell above), a row of years or dates (periods,
never variable names), a row of units, a row of column numbers, a row that
only names the period dimension ("Stichtag"), technical names above labels
(BBSR IRIS) and years inside the names ("Einkommensteuer 1998", ``…_bev98``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from planlabor.io.cellkinds import is_period_text, looks_like_year
from planlabor.io.cells import CellGrid

_UNIT = re.compile(
    r"(?i)^(anzahl|%|prozent|in %|in prozent|eur|euro|€|tsd\.?|1\s?000|mio\.?.*|mill\..*|km²|qkm|ha|"
    r"personen|fälle|faelle|je .+|pro .+|franken|chf|in .+|jahre|m²|einheit|einheiten)$"
)
_UNIT_SUFFIX = re.compile(
    r"^(.*?)(?:[\s,]*\((anzahl|in .+|anteil .+|%|prozent|eur|euro|.*je .+)\)|,\s*in ([^,]+))\s*$", re.I
)
_TIME_WORD = re.compile(
    r"(?i)^(stichtag|stichtage|jahr|jahre|zeit|zeitraum|datum|berichtsjahr|monat|quartal|year|date|time)$"
)
_TECH = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
_TRAILING_YEAR = re.compile(r"^(.*?)[\s_\-]*((?:19|20)\d\d)$")
_TRAILING_YY = re.compile(r"^(.*?[A-Za-z_])(\d\d)$")
_FOOTNOTE = re.compile(r"\s*(\d+\)|\*+)\s*$")
_ENUM = re.compile(r"^\s*(\d+\.?|[a-z]\))\s+")
_CONNECTORS = {"davon", "darunter", "und zwar", "davon:", "darunter:"}
MAX_ID = 64


def slug(text: str) -> str:
    """A variable name from a label: lower case, ASCII, words joined by ``_``.

    >>> slug("Verfügbare Plätze – Plätze für Krippenkinder")
    'verfuegbare_plaetze_plaetze_fuer_krippenkinder'
    """
    t = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode()
    t = re.sub(r"[^a-z0-9]+", "_", t).strip("_")
    if len(t) > MAX_ID:
        digest = hashlib.sha1(t.encode()).hexdigest()[:6]
        t = t[: MAX_ID - 7].rstrip("_") + "_" + digest
    if t and t[0].isdigit():
        t = "v_" + t
    return t or "wert"


def clean_label(text: str) -> str:
    t = _FOOTNOTE.sub("", text.strip())
    t = _ENUM.sub("", t)
    return re.sub(r"\s+", " ", t).strip()


@dataclass
class ValueSpec:
    """One value column: what it holds."""

    column: int
    variable: str
    label: str
    unit: str | None = None
    period: str | None = None  # raw text of the period from the header


@dataclass
class HeaderInfo:
    names: dict[int, str]  # column → header text as a person reads it
    values: list[ValueSpec]
    row_roles: dict[int, str] = field(default_factory=dict)
    measure: str | None = None  # what the whole table counts (from the title)

    def describe_rows(self, grid: CellGrid) -> str:
        roles = [
            f"Zeile {grid.lines[r]}: {role}" for r, role in self.row_roles.items() if role != "Bezeichnung"
        ]
        return f" ({'; '.join(roles)})" if roles else ""


def _filled_rows(grid: CellGrid, rows: list[int], cols: list[int]) -> list[dict[int, str]]:
    """Header cells with merged cells filled to the right within the span of the cell above."""
    out: list[dict[int, str]] = []
    colset = set(cols)
    for i, r in enumerate(rows):
        filled: dict[int, str] = {}
        for c in cols:
            v = grid.cell(r, c)
            if v is not None and v.strip():
                filled[c] = v.strip()
            elif c - 1 in colset and c - 1 in filled:
                same_parent = i == 0 or out[i - 1].get(c) == out[i - 1].get(c - 1)
                if same_parent and not _is_period(filled[c - 1]):
                    filled[c] = filled[c - 1]
        out.append(filled)
    return out


def _is_period(text: str) -> bool:
    return looks_like_year(text) or is_period_text(text)


def _role(cells: dict[int, str], next_cells: dict[int, str] | None, n_rows: int) -> str:
    vals = list(cells.values())
    if not vals:
        return "leer"
    if sum(_is_period(v) for v in vals) >= 0.6 * len(vals):
        return "Zeiträume"
    if len(vals) >= 3 and all(v.isdigit() for v in vals) and len({int(v) - c for c, v in cells.items()}) == 1:
        return "Spaltennummern"
    if all(_UNIT.match(v) for v in vals):
        return "Einheiten"
    if (
        next_cells
        and len(set(vals)) == 1
        and _TIME_WORD.match(vals[0])
        and sum(_is_period(v) for v in next_cells.values()) >= 0.6 * len(next_cells)
    ):
        return "Name der Zeitachse"
    if n_rows > 1 and all(_TECH.match(v) and ("_" in v or any(ch.isdigit() for ch in v)) for v in vals):
        return "technische Namen"
    return "Bezeichnung"


def read_headers(
    grid: CellGrid,
    header_rows: list[int],
    title_rows: list[int],
    value_cols: list[int],
    ident_cols: list[int],
    fallback: str = "wert",
) -> HeaderInfo:
    """Variables, labels, units and periods of the value columns; names of all columns."""
    filled = _filled_rows(grid, header_rows, value_cols)
    raw_ident = [{c: grid.cell(r, c) or "" for c in ident_cols} for r in header_rows]
    names = {c: " ".join(d[c].strip() for d in raw_ident if d[c].strip()) for c in ident_cols}
    roles = {
        header_rows[i]: _role(cells, filled[i + 1] if i + 1 < len(filled) else None, len(header_rows))
        for i, cells in enumerate(filled)
    }
    measure, measure_unit = _measure(grid, title_rows)
    group_rows = _group_cells(filled, header_rows, roles, value_cols)
    specs = [
        _spec(c, filled, header_rows, roles, len(header_rows), group_rows.get(c, set())) for c in value_cols
    ]
    for s in specs:
        if not s.label:
            s.label = measure or ""
        s.unit = s.unit or measure_unit
        names[s.column] = s.label + (f" {s.period}" if s.period else "")
    _name_variables(specs, fallback)
    return HeaderInfo(names=names, values=specs, row_roles=roles, measure=measure)


def _measure(grid: CellGrid, title_rows: list[int]) -> tuple[str | None, str | None]:
    """What a table counts, from the title: the line with a unit ("Bevölkerungsstand (Anzahl)"),
    else the last short title line."""
    texts = [t for t in (grid.cell(r, 0) for r in title_rows) if t]
    for text in texts:
        first = text.splitlines()[0]
        m = _UNIT_SUFFIX.match(first)
        if m and m.group(1).strip() and len(first) <= 200:
            return clean_label(m.group(1)), m.group(2) or m.group(3)
    for text in reversed(texts):
        first = text.splitlines()[0]
        if (
            len(first) <= 100
            and ":" not in first[:20]
            and not first.lower().startswith(("datenrevision", "stand"))
        ):
            return clean_label(first), None
    return None, None


def _group_cells(
    filled: list[dict[int, str]], rows: list[int], roles: dict[int, str], cols: list[int]
) -> dict[int, set[int]]:
    """Per column, the header rows whose cell only names a group (left out of the variable name).

    A cell below the first label row that spans several columns, each of which has a more
    specific label further down, names a classification ("Art des Gebäudes"); a label that is
    the same over all columns says nothing about any one of them.
    """
    label_rows = [i for i, r in enumerate(rows) if roles[r] == "Bezeichnung"]
    out: dict[int, set[int]] = {c: set() for c in cols}
    for pos, i in enumerate(label_rows):
        below = label_rows[pos + 1 :]
        values = [filled[i].get(c) for c in cols]
        if len(cols) > 1 and len(set(values)) == 1 and values[0] is not None and (pos > 0 or below):
            for c in cols:
                out[c].add(i)
            continue
        if pos == 0:
            continue
        runs: dict[str, list[int]] = {}
        for c in cols:
            v = filled[i].get(c)
            if v is not None:
                runs.setdefault(v, []).append(c)
        for run in runs.values():
            if len(run) > 1 and all(any(filled[j].get(c) for j in below) for c in run):
                for c in run:
                    out[c].add(i)
    return out


def _spec(
    c: int, filled: list[dict[int, str]], rows: list[int], roles: dict[int, str], n: int, group: set[int]
) -> ValueSpec:
    parts: list[str] = []
    id_parts: list[str] = []
    tech: str | None = None
    unit: str | None = None
    period: str | None = None
    for i, r in enumerate(rows):
        v = filled[i].get(c)
        if v is None:
            continue
        role = roles[r]
        if role == "Zeiträume":
            period = v if _is_period(v) else period
        elif role == "Einheiten":
            unit = v
        elif role == "technische Namen":
            tech = v
        elif role == "Bezeichnung":
            parts.append(v)
            if i not in group:
                id_parts.append(v)
    label_parts: list[str] = []
    year_in_name = False
    for p in parts:
        cl = clean_label(p)
        if not cl or cl.lower() in _CONNECTORS or (label_parts and label_parts[-1] == cl):
            continue
        if period is None and (m := _TRAILING_YEAR.match(cl)) and m.group(1):
            period, cl = m.group(2), m.group(1).strip()
            year_in_name = True
        label_parts.append(cl)
    if label_parts and (m := _UNIT_SUFFIX.match(label_parts[-1])):
        label_parts[-1], unit = m.group(1).strip(), unit or m.group(2) or m.group(3)
    tech = _tech_stem(tech, period)
    label = " – ".join(label_parts)
    spec = ValueSpec(column=c, variable="", label=label, unit=unit, period=period)
    spec.variable = tech or _id_from(id_parts, period)
    if n == 1 and parts and not tech:  # one header row: the column name is the variable, as written
        spec.variable = label if year_in_name else parts[0].strip()  # "Einwohner 2018": 2018 is the period
    return spec


def _tech_stem(tech: str | None, period: str | None) -> str | None:
    """``q_einkst_bev98`` → ``q_einkst_bev`` when the column's period is 1998."""
    if not tech or not period:
        return tech
    m = _TRAILING_YY.match(tech)
    if m and period.endswith(m.group(2)):
        return m.group(1).rstrip("_")
    m = _TRAILING_YEAR.match(tech)
    if m and m.group(1) and period == m.group(2):
        return m.group(1).rstrip("_")
    return tech


def _id_from(parts: list[str], period: str | None) -> str:
    cleaned: list[str] = []
    for p in parts:
        cl = clean_label(p)
        if period and (m := _TRAILING_YEAR.match(cl)) and m.group(2) == period:
            cl = m.group(1).strip()
        if not cl or cl.lower() in _CONNECTORS or (cleaned and cleaned[-1] == cl):
            continue
        if (m := _UNIT_SUFFIX.match(cl)) and m.group(1).strip():
            cl = m.group(1).strip()
        cleaned.append(cl)
    return slug(" ".join(cleaned)) if cleaned else ""


def _name_variables(specs: list[ValueSpec], fallback: str) -> None:
    """Give every value column a variable name, unique per period."""
    for s in specs:
        if not s.variable:
            s.variable = slug(s.label) if s.label else slug(fallback)
            if not s.label:
                s.label = fallback
    seen: dict[tuple[str, str | None], ValueSpec] = {}
    for s in specs:
        key = (s.variable, s.period)
        if key in seen:
            s.variable = f"{s.variable}_{s.column + 1}"
        seen[(s.variable, s.period)] = s
