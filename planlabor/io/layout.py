"""Recognise the layout of a publisher's table on a grid of cells.

Finds the title block, the header block (one or more rows, merged cells
filled hierarchically), the data block and the footer; sorts the columns of
the data block into identifier columns (key, name, key and name in one cell,
period, attributes, dimensions) and value columns; reads each value column's
header path into a variable, its label, unit and, where the header is a year
or a date, its period.  The result (:class:`Layout`) explains itself in German
so that the dry run can show what was recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from planlabor.io.cellkinds import Kind, classify, looks_like_year
from planlabor.io.cells import CellGrid
from planlabor.io.headers import HeaderInfo, read_headers

_ID_NAME = re.compile(
    r"(?i)(^|[_\s\-])(code|id|nr|nummer|kennziffer|kennz|schl(ue|ü)ssel|gkz|ags|ars|nuts|bfs|"
    r"regions?-?id|gebiet|raumid|plr_id|gemeindenummer|gem_?nr|bezirk(snummer)?|district_code|"
    r"sub_district_code|gitter_id\w*)([_\s\-]|$)"
)
_PERIOD_NAME = re.compile(
    r"(?i)^(ref_year|ref_date|year|jahr|zeit|stichtag|datum|date|period|periode|zeitraum|berichtsjahr|"
    r"time|time_period)$"
)
_KEY_NAME = re.compile(r"^\s*([.\-> ]*?)\s*(\d[0-9A-Za-z]*)\s+(\S.*)$")
_FOOTER = re.compile(
    r"^\s*(_{3,}|-{5,}|©|\(c\)|Stand:|Quelle|Erstellungsdatum|Fußnote|Anmerkung|\d+\)\s)", re.I
)


@dataclass
class Layout:
    """What a grid's rows and columns are."""

    grid: CellGrid
    title_rows: list[int]
    header_rows: list[int]
    data_rows: list[int]
    footer_rows: list[int]
    skipped: list[tuple[int, str]]  # (file line, reason)
    id_columns: list[int]  # candidates for the key (best first)
    name_column: int | None
    key_in_name: int | None  # column holding "KEY NAME" in one cell
    period_column: int | None
    dimension_columns: list[int]
    attribute_columns: list[int]
    headers: HeaderInfo
    notes: list[str] = field(default_factory=list)
    numeric_key_columns: list[int] = field(default_factory=list)

    @property
    def value_columns(self) -> list[int]:
        return [v.column for v in self.headers.values]

    def column_title(self, c: int) -> str:
        return self.headers.names.get(c) or f"Spalte {self.grid.column_letter(c)}"

    def describe(self) -> list[str]:
        """The recognised layout in German, one line per part."""
        g = self.grid
        out: list[str] = []

        def span(rows: list[int]) -> str:
            if not rows:
                return "keine"
            a, b = g.lines[rows[0]], g.lines[rows[-1]]
            return f"Zeile {a}" if a == b else f"Zeilen {a}–{b}"

        if self.title_rows:
            out.append(f"Titel: {span(self.title_rows)}")
        out.append(f"Kopf: {span(self.header_rows)}" + self.headers.describe_rows(g))
        out.append(f"Daten: {span(self.data_rows)} ({len(self.data_rows)} Zeilen)")
        if self.footer_rows:
            out.append(f"Fußnoten: {span(self.footer_rows)}")
        out.extend(self.notes)
        return out


def kinds_of(grid: CellGrid, markers: set[str], decimal: str, thousands: str | None) -> list[list[Kind]]:
    return [
        [classify(v, markers, decimal, thousands, grid.is_native_number(r, c)) for c, v in enumerate(row)]
        for r, row in enumerate(grid.rows)
    ]


def _is_numeric(k: Kind) -> bool:
    return k in (Kind.NUMBER, Kind.MARKER)


def _candidate(kinds: list[Kind]) -> bool:
    """A data row: an identifier cell, then at least one number or marker to its right."""
    seen_ident = False
    for k in kinds:
        if k in (Kind.TEXT, Kind.KEY, Kind.PERIOD):
            seen_ident = True
        elif seen_ident and _is_numeric(k):
            return True
    return False


def find_data_block(grid: CellGrid, kinds: list[list[Kind]]) -> list[int]:
    """Rows of the largest run of data rows (short interruptions allowed)."""
    best: list[int] = []
    run: list[int] = []
    gap = 0
    for r, row in enumerate(kinds):
        if _candidate(row):
            run.append(r)
            gap = 0
            continue
        first = next((k for k in row if k is not Kind.EMPTY), None)
        if run and (first is Kind.KEY or _same_key_form(grid, r, run)):
            run.append(r)  # a keyed row without values (all cells empty) stays in the block
            continue
        text = grid.cell(r, 0) or ""
        if grid.is_blank(r) or not _FOOTER.match(text):
            gap += 1
            if gap <= 3:
                continue
        if len(run) > len(best):
            best = run
        run, gap = [], 0
    if len(run) > len(best):
        best = run
    return best


def _same_key_form(grid: CellGrid, r: int, run: list[int]) -> bool:
    """Whether row ``r`` starts with a number like the keys of the rows above (``13001`` below
    ``1001`` … ``12073`` where a spreadsheet stored the keys as numbers and dropped the zero)."""
    text = (grid.cell(r, 0) or "").strip()
    if not text.isdigit():
        return False
    above = [(grid.cell(x, 0) or "").strip() for x in run[-5:]]
    return len(above) == 5 and all(a.isdigit() and abs(len(a) - len(text)) <= 1 for a in above)


def _numeric_key_columns(
    grid: CellGrid, rows: list[int], value_cols: list[int], ident_cols: list[int]
) -> list[int]:
    """Value columns that are keys stored as numbers: integers, all different, left of the names
    (a spreadsheet saved ``01001`` as the number 1001)."""
    first_text = min(ident_cols) if ident_cols else grid.width
    found: list[int] = []
    for c in value_cols:
        cells = [(grid.cell(r, c) or "").strip() for r in rows]
        cells = [v for v in cells if v]
        if len(cells) < 10 or not all(v.isdigit() for v in cells) or len(set(cells)) != len(cells):
            continue
        if c < first_text:
            found.append(c)
        break  # only the leftmost value column can be the key
    return found


def _shape(text: str | None) -> str:
    """The form of a key: digits → 9, letters → a (``A1`` and ``B7`` share ``a9``)."""
    if not text:
        return ""
    return re.sub(r"[A-Za-zÄÖÜäöüß]+", "a", re.sub(r"\d", "9", text.strip()))


def _trim_top(grid: CellGrid, data: list[int]) -> list[int]:
    """A first row unlike the keys below it, with years ("Kennziffer;Name;2019;2020") or with no
    numbers at all ("id;x;t": a header whose names look like markers), is the header, not data."""
    if len(data) < 2:
        return data
    shapes = [_shape(grid.cell(r, 0)) for r in data[1:21]]
    common = max(set(shapes), key=shapes.count)
    first = data[0]
    if _shape(grid.cell(first, 0)) in shapes:
        return data
    numbers = [v for v in grid.rows[first][1:] if v is not None and v.strip().replace(".", "").isdigit()]
    years = bool(numbers) and all(looks_like_year(v) for v in numbers)
    consistent = shapes.count(common) >= 0.8 * len(shapes)
    return data[1:] if years or (not numbers and consistent) else data


def _extend_up(grid: CellGrid, data: list[int]) -> list[int]:
    """Rows above the block whose first cell has the form of the data's keys are data too
    (a value there that is not a number must be reported, not read as a header)."""
    shapes = [_shape(grid.cell(r, 0)) for r in data[:20]]
    common = max(set(shapes), key=shapes.count) if shapes else ""
    if not common or common == "a" or shapes.count(common) < 0.8 * len(shapes):
        return data
    r = data[0] - 1
    extra: list[int] = []
    while r >= 0 and not grid.is_blank(r) and _shape(grid.cell(r, 0)) == common:
        extra.insert(0, r)
        r -= 1
    return extra + data


def _value_columns(grid: CellGrid, kinds: list[list[Kind]], rows: list[int]) -> tuple[list[int], list[int]]:
    """Columns mostly numeric in the data block (values) and the others with content (identifiers)."""
    values, idents = [], []
    for c in range(grid.width):
        filled = [kinds[r][c] for r in rows if c < len(kinds[r]) and kinds[r][c] is not Kind.EMPTY]
        if not filled:
            continue
        numeric = sum(_is_numeric(k) for k in filled)
        if numeric >= 0.5 * len(filled):
            values.append(c)
        else:
            idents.append(c)
    return values, idents


def find_header_rows(
    grid: CellGrid, data_start: int, value_cols: list[int], ident_cols: list[int]
) -> tuple[list[int], list[int]]:
    """Header rows above the data and the title rows above them.

    Blank rows are skipped only until a row with a label over the value
    columns is found; the blank row above that ends the header block.
    """
    header: list[int] = []
    columns = set(value_cols) | set(ident_cols)
    labelled = False
    r = data_start - 1
    while r >= 0:
        if grid.is_blank(r):
            if labelled:
                break
            r -= 1
            continue
        filled = grid.filled(r)
        if not any(c in columns for c in filled) or filled == [0]:
            break
        header.insert(0, r)
        labelled = labelled or any(c in value_cols for c in filled)
        r -= 1
    title = [t for t in range(0, header[0] if header else data_start) if not grid.is_blank(t)]
    return header, title


def recognise(grid: CellGrid, markers: set[str], decimal: str, thousands: str | None) -> Layout | None:
    """The layout of ``grid``, or ``None`` where no data block is found."""
    kinds = kinds_of(grid, markers, decimal, thousands)
    data = find_data_block(grid, kinds)
    if not data:
        return None
    data = _extend_up(grid, _trim_top(grid, data))
    value_cols, ident_cols = _value_columns(grid, kinds, data)
    numeric_keys = _numeric_key_columns(grid, data, value_cols, ident_cols)
    for c in numeric_keys:
        value_cols.remove(c)
        ident_cols.append(c)
    ident_cols.sort()
    header_rows, title_rows = find_header_rows(grid, data[0], value_cols, ident_cols)
    headers = read_headers(grid, header_rows, title_rows, value_cols, ident_cols, grid.path.stem)
    # numeric columns whose header names a key or a period are identifiers after all
    for c in list(value_cols):
        name = " ".join(v.strip() for v in (grid.cell(r, c) for r in header_rows) if v and v.strip())
        if _ID_NAME.search(name) or _PERIOD_NAME.match(name.strip()):
            value_cols.remove(c)
            ident_cols.append(c)
    ident_cols.sort()
    if len(value_cols) != len(headers.values):
        headers = read_headers(grid, header_rows, title_rows, value_cols, ident_cols, grid.path.stem)
    layout = Layout(
        grid=grid,
        title_rows=title_rows,
        header_rows=header_rows,
        data_rows=data,
        footer_rows=[r for r in range(data[-1] + 1, len(grid.rows)) if not grid.is_blank(r)],
        skipped=[],
        id_columns=[],
        name_column=None,
        key_in_name=None,
        period_column=None,
        dimension_columns=[],
        attribute_columns=[],
        headers=headers,
        numeric_key_columns=numeric_keys,
    )
    _identifier_roles(layout, kinds, ident_cols)
    _skip_rows(layout, kinds)
    return layout


def _identifier_roles(layout: Layout, kinds: list[list[Kind]], ident_cols: list[int]) -> None:
    """Sort identifier columns into key candidates, period, name, key+name, attributes."""
    g, rows = layout.grid, layout.data_rows
    period_rank: list[tuple[int, int]] = []
    for c in ident_cols:
        cells = [g.cell(r, c) for r in rows]
        present = [v for v in cells if v is not None]
        if not present:
            continue
        col_kinds = [kinds[r][c] for r in rows if c < len(kinds[r]) and kinds[r][c] is not Kind.EMPTY]
        name = layout.headers.names.get(c, "")
        n = len(present)
        rank = _period_rank(present, name)
        if rank:
            period_rank.append((rank, c))
            continue
        if sum(bool(_KEY_NAME.match(v)) for v in present) >= 0.5 * n and any(
            k is Kind.TEXT for k in col_kinds
        ):
            layout.key_in_name = c
            layout.id_columns.append(c)
            continue
        distinct = len(set(present))
        text_share = sum(k is Kind.TEXT for k in col_kinds) / len(col_kinds)
        if text_share >= 0.8 and distinct >= 0.8 * n:
            if layout.name_column is None:
                layout.name_column = c
            layout.id_columns.append(c)  # names may be the keys
        elif text_share >= 0.8:
            layout.attribute_columns.append(c)
        else:
            layout.id_columns.append(c)
    if period_rank:
        best = max(period_rank)[1]
        layout.period_column = best
        layout.attribute_columns.extend(c for _, c in period_rank if c != best)  # REF_YEAR beside REF_DATE
    # keys before names: a column of codes is a better key than a column of names
    layout.id_columns.sort(key=lambda c: (c == layout.name_column, c))


_DATE_VALUE = re.compile(r"^(\d{8}|\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2})$")


def _period_rank(values: list[str], name: str) -> int:
    """How surely a column holds periods: 3 dates, 2 other periods, 1 years by name; 0 not at all."""
    from planlabor.io.cellkinds import is_period_text

    if _ID_NAME.search(name) and not _PERIOD_NAME.match(name.strip()):
        return 0
    periods = sum(is_period_text(v) for v in values)
    if periods < 0.9 * len(values):
        return 0
    if sum(bool(_DATE_VALUE.match(v.strip())) for v in values) >= 0.9 * len(values):
        return 3
    if all(looks_like_year(v) for v in values):
        return 1 if _PERIOD_NAME.match(name.strip()) else 0
    return 2


def _skip_rows(layout: Layout, kinds: list[list[Kind]]) -> None:
    """Rows inside the data block that carry no value (sub-headings, blank rows)."""
    g = layout.grid
    keep: list[int] = []
    value_cols = set(layout.value_columns)
    for r in layout.data_rows:
        if g.is_blank(r):
            continue
        keyed = Kind.KEY in kinds[r] or any(g.cell(r, c) for c in layout.numeric_key_columns)
        if not keyed and not any(c in value_cols and _is_numeric(k) for c, k in enumerate(kinds[r])):
            layout.skipped.append((g.lines[r], "Zwischenzeile ohne Werte"))
            continue
        keep.append(r)
    layout.data_rows = keep
