"""Tables turned on their side: the areas as column headers, the periods down the rows.

City statisticians often publish "Jahr; Bezirk 1; Bezirk 2; …".  Where the
header cells over the value columns are the layer's keys or names (and not
years), the grid is transposed so that the areas become rows again.
"""

from __future__ import annotations

from dataclasses import replace

from planlabor.areas.keys import KeyMatcher
from planlabor.io.cellkinds import looks_like_year
from planlabor.io.cells import CellGrid
from planlabor.io.layout import Layout


def areas_across(grid: CellGrid, layout: Layout | None, matcher: KeyMatcher) -> bool:
    """Whether the header cells over the value columns are areas of the target layer."""
    if layout is not None and layout.header_rows:
        first = layout.header_rows[-1]
    else:
        first = next((r for r in range(len(grid.rows)) if not grid.is_blank(r)), -1)
        if first < 0:
            return False
    cells = [(grid.cell(first, c) or "").strip() for c in range(1, grid.width)]
    cells = [c for c in cells if c]
    if len(cells) < 2 or all(looks_like_year(c) for c in cells):
        return False
    by_key = matcher.match_rate(cells)
    by_name = matcher.match_rate([], list(cells)) if by_key < 0.8 else 0.0
    return max(by_key, by_name) >= 0.8


def transposed(grid: CellGrid) -> CellGrid:
    """The grid with rows and columns swapped (lines become column numbers)."""
    width = grid.width
    rows = [[grid.cell(r, c) for r in range(len(grid.rows))] for c in range(width)]
    native = None
    if grid.native_numbers is not None:
        native = [{r for r in range(len(grid.rows)) if c in grid.native_numbers[r]} for c in range(width)]
    return replace(
        grid,
        rows=rows,
        lines=list(range(1, width + 1)),
        native_numbers=native,
        source=grid.source + ", gedreht (Gebiete als Spalten)",
    )
