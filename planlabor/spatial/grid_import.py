"""Import Zensus grid files onto an area layer: read, assign, aggregate, store (one function).

:func:`import_grid` is the library entry point behind ``planlabor grid import`` (and, once the
file is recognised as a grid file, behind ``planlabor import FILE --layer L``).  Its report says
what a planner needs to check the result: cells read and assigned, cells outside every area,
suppressed cells, and per variable the total before (all cells) and after (all areas).

Values are stored as observations of the target layer through :meth:`Store.record_observations`:
logged with file and checksum, versioned (a re-import supersedes), revertible with
``planlabor revert``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planlabor.errors import InputError
from planlabor.io.export import format_number_de
from planlabor.io.periods import parse_period_option
from planlabor.io.zensus import GridTable, read_grid
from planlabor.spatial.grid import (
    METHODS,
    Assignment,
    CellValues,
    Method,
    aggregate,
    assign_cells,
    layer_polygons,
)
from planlabor.store import Store

#: name parts that mark a mean or share (averaged, not summed); 2011 names end in _A / _D
_INTENSIVE = ("anteil", "durchschn", "quote", "mittel", "dichte", "prozent", "je_", "pro_")


@dataclass
class VariableSummary:
    """One variable of a grid import, as the planner checks it."""

    variable: str  # name in the store
    column: str  # column in the file
    kind: str  # "Anzahl" (summed) or "Mittelwert" (averaged)
    rule: str  # why this kind
    cells_with_value: int
    cells_suppressed: int
    cells_without_value: int
    total_before: float  # counts: sum over all cells; means: mean over all cells
    total_outside: float  # counts: sum in cells outside every area
    total_partly_outside: float  # counts (flaeche): the part of border cells lying outside, by area
    total_after: float  # counts: sum over the areas; means: mean over the areas
    areas_partial: int  # areas with suppressed cells (partial sums)
    areas_suppressed: int  # areas whose cells are all suppressed
    weight: str | None = None


@dataclass
class GridImportReport:
    """What a grid import did (or, in a dry run, would do)."""

    files: list[str]
    layout: str
    cell_size: int
    layer: str
    method: str
    period: str
    period_source: str
    cells_read: int
    cells_assigned: int
    cells_outside: int
    cells_partly_outside: int
    outside_examples: list[str]
    areas_total: int
    areas_without_cells: list[str]
    variables: list[VariableSummary]
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    import_id: int | None = None

    def table(self) -> pd.DataFrame:
        """The per-variable summary as a table (one row per variable)."""
        return pd.DataFrame([asdict(v) for v in self.variables])

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The report for people, in German (what the command line prints)."""
        from planlabor.io.export import format_number_de as de

        def num(v: float, kind: str) -> str:
            return "–" if v != v else de(v, 2 if kind == "Mittelwert" else 0)

        method = {"zentroid": "Zellmittelpunkt im Gebiet", "flaeche": "nach Flächenanteil"}[self.method]
        out = [
            ("Probelauf (nichts importiert)" if self.dry_run else f"Import Nr. {self.import_id}")
            + ": "
            + " + ".join(self.files),
            f"  Format: {self.layout}, Zellgröße {de(self.cell_size, 0)} m",
            f"  Stichtag: {self.period} ({self.period_source})",
            f"  Zuordnung zur Raumebene {self.layer!r}: {method}",
            f"  Zellen: {de(self.cells_read, 0)} gelesen, {de(self.cells_assigned, 0)} zugeordnet, "
            f"{de(self.cells_outside, 0)} außerhalb aller Gebiete"
            + (
                f", {de(self.cells_partly_outside, 0)} teilweise außerhalb"
                if self.cells_partly_outside
                else ""
            ),
            f"  Gebiete: {de(self.areas_total - len(self.areas_without_cells), 0)} von "
            f"{de(self.areas_total, 0)} mit Zellen",
            "  Variable | Art | Zellen mit Wert / gesperrt / ohne Wert | vorher (alle Zellen) | "
            "außerhalb | nachher (alle Gebiete) | Gebiete Teilsumme / gesperrt",
        ]
        for v in self.variables:
            kind = v.kind + (f", gewichtet mit {v.weight}" if v.weight else "") + f" ({v.rule})"
            out.append(
                f"  {v.variable} | {kind} | {de(v.cells_with_value, 0)} / {de(v.cells_suppressed, 0)} / "
                f"{de(v.cells_without_value, 0)} | {num(v.total_before, v.kind)} | "
                f"{num(v.total_outside, v.kind)} | {num(v.total_after, v.kind)} | "
                f"{de(v.areas_partial, 0)} / {de(v.areas_suppressed, 0)}"
            )
        if self.outside_examples:
            out.append("  Zellen außerhalb, z. B.: " + ", ".join(self.outside_examples[:5]))
        out.extend(f"  Hinweis: {w}" for w in self.warnings)
        if not self.dry_run:
            out.append(
                "  Frühere Fassungen derselben Variablen sind ersetzt; zurückholen mit 'planlabor revert NR'."
            )
        return out


def classify(column: str, means: Sequence[str], counts: Sequence[str]) -> tuple[bool, str]:
    """Is a column a mean/share (True) or a count (False), and why."""
    low = column.lower()
    if low in {m.lower() for m in means}:
        return True, "--mittel"
    if low in {c.lower() for c in counts}:
        return False, "--anzahl"
    for part in _INTENSIVE:
        if part in low:
            return True, f"Name enthält '{part}'"
    if re.search(r"_a$", low):
        return True, "Endung _A (Anteil, Zensus 2011)"
    if re.search(r"_d$", low):
        return True, "Endung _D (Durchschnitt, Zensus 2011)"
    return False, "Anzahl (Standard)"


def _combine(tables: list[GridTable]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All cells of all files (cell_id, x, y) and the long values with a cell index."""
    sizes = {t.cell_size for t in tables}
    if len(sizes) > 1:
        raise InputError(
            "Die Dateien haben verschiedene Zellgrößen: "
            + ", ".join(f"{t.path.name} {t.cell_size} m" for t in tables),
            file=tables[1].path,
            expected="Dateien mit derselben Zellgröße (alle 100 m oder alle 1 km)",
        )
    seen: dict[str, Path] = {}
    for t in tables:
        for v in t.variables:
            if v.lower() in seen:
                raise InputError(
                    f"Die Variable {v!r} steht in zwei Dateien ({seen[v.lower()].name} und {t.path.name}).",
                    file=t.path,
                    column=v,
                    expected="jede Variable in einer Datei",
                )
            seen[v.lower()] = t.path
    long = pd.concat([t.frame for t in tables], ignore_index=True) if len(tables) > 1 else tables[0].frame
    key = (long["x"].to_numpy() * 2).astype(np.int64) * 20_000_000 + (long["y"].to_numpy() * 2).astype(
        np.int64
    )
    codes = pd.factorize(key)[0]
    first = np.unique(codes, return_index=True)[1]
    cells = long[["cell_id", "x", "y"]].iloc[first].reset_index(drop=True)
    values = pd.DataFrame(
        {
            "cell": codes,
            "variable": long["variable"].to_numpy(dtype=object),
            "value": long["value"].to_numpy(),
            "flag": long["flag"].to_numpy(dtype=object),
        }
    )
    return cells, values


def _cell_values(long: pd.DataFrame, variable: str, n_cells: int) -> CellValues:
    """One variable on all cells; cells the file does not list have no value."""
    rows = np.flatnonzero(long["variable"].to_numpy(dtype=object) == variable)
    cell = long["cell"].to_numpy()[rows]
    value = np.full(n_cells, np.nan)
    value[cell] = long["value"].to_numpy()[rows]
    flag = long["flag"].to_numpy(dtype=object)[rows]
    suppressed = np.zeros(n_cells, dtype=bool)
    suppressed[cell] = flag == "gesperrt"
    missing = np.ones(n_cells, dtype=bool)
    missing[cell] = flag == "fehlend"
    return CellValues(value, suppressed, missing)


def _period(tables: list[GridTable], period: str | None) -> tuple[str, str]:
    if period:
        return parse_period_option(period), "--period"
    found = {t.period for t in tables if t.period}
    if len(found) == 1:
        t = next(t for t in tables if t.period)
        return str(t.period), str(t.period_source)
    if len(found) > 1:
        raise InputError(
            "Die Dateien stammen aus verschiedenen Zensus-Jahren: " + ", ".join(sorted(found)) + ".",
            file=tables[0].path,
            hint="Importieren Sie sie einzeln oder geben Sie --period an.",
        )
    raise InputError(
        "Die Datei nennt keinen Stichtag (weder Zensus 2011 noch 2022 im Namen).",
        file=tables[0].path,
        column="--period",
        expected="ein Datum wie 2022-05-15 (Zensus 2022) oder 2011-05-09 (Zensus 2011)",
        hint="Geben Sie den Stichtag mit --period an.",
    )


def _find(variables: list[str], wanted: str, option: str, path: Path) -> str:
    for v in variables:
        if v.lower() == wanted.lower():
            return v
    raise InputError(
        f"Die Variable {wanted!r} ist in keiner der Dateien.",
        file=path,
        column=option,
        expected="eine von: " + ", ".join(variables),
        hint="Geben Sie die Datei mit dieser Variable mit an (mehrere Dateien sind erlaubt).",
    )


def _summary(
    name: str,
    column: str,
    intensive: bool,
    rule: str,
    vals: CellValues,
    agg: pd.DataFrame,
    a: Assignment,
    weight: CellValues | None,
    weight_name: str | None,
) -> VariableSummary:
    ok = ~(vals.suppressed | vals.missing)
    if intensive:
        if weight is None:
            wv, use = np.ones(len(ok)), ok
        else:
            wv, use = np.nan_to_num(weight.value), ok & ~(weight.suppressed | weight.missing)
        before = float(np.average(vals.value[use], weights=wv[use])) if wv[use].sum() > 0 else float("nan")
        area_w = np.bincount(a.area, weights=a.weight * (use * wv)[a.cell], minlength=a.n_areas)
        has = agg["value"].notna().to_numpy() & (area_w > 0)
        after = (
            float(np.average(agg["value"].to_numpy()[has], weights=area_w[has]))
            if has.any()
            else float("nan")
        )
        outside = part_out = float("nan")
    else:
        before = float(np.nansum(np.where(ok, vals.value, 0.0)))
        outside = float(np.nansum(np.where(ok & a.outside, vals.value, 0.0)))
        partly = ok & a.partly_outside
        part_out = float(np.nansum(np.where(partly, vals.value * (1 - a.covered), 0.0)))
        after = float(np.nansum(agg["value"].to_numpy()))
    flags = agg["flag"].to_numpy(dtype=object)
    return VariableSummary(
        variable=name,
        column=column,
        kind="Mittelwert" if intensive else "Anzahl",
        rule=rule,
        cells_with_value=int(ok.sum()),
        cells_suppressed=int(vals.suppressed.sum()),
        cells_without_value=int(vals.missing.sum()),
        total_before=before,
        total_outside=outside,
        total_partly_outside=part_out,
        total_after=after,
        areas_partial=int(np.isin(flags, ["teilsumme", "geschaetzt_unvollstaendig"]).sum()),
        areas_suppressed=int((flags == "gesperrt").sum()),
        weight=weight_name,
    )


def import_grid(
    store: Store,
    path: str | Path | Sequence[str | Path],
    layer_id: str,
    method: Method = "zentroid",
    period: str | None = None,
    weight: str | None = None,
    means: Sequence[str] = (),
    counts: Sequence[str] = (),
    rename: dict[str, str] | None = None,
    dry_run: bool = False,
) -> GridImportReport:
    """Read Zensus grid file(s), assign the cells to the areas of ``layer_id`` and store the
    values per area (see the module docstring).  Several files (e.g. ``Alter_D`` and
    ``Einwohner`` as weight) are joined by cell.

    ``method``: ``zentroid`` or ``flaeche``; ``weight``: the variable that weights means and
    shares; ``means``/``counts``: override the kind recognised from the name; ``rename``:
    column → variable name in the store.
    """
    if method not in METHODS:
        raise InputError(
            f"Die Methode {method!r} gibt es nicht.", column="--methode", expected="zentroid oder flaeche"
        )
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    area_ids, polygons = layer_polygons(store, layer_id)
    tables = [read_grid(p) for p in paths]
    per, per_source = _period(tables, period)
    cells, long = _combine(tables)
    columns = [v for t in tables for v in t.variables]
    weight_col = _find(columns, weight, "--gewicht", paths[0]) if weight else None
    x, y = cells["x"].to_numpy(), cells["y"].to_numpy()
    a = assign_cells(x, y, tables[0].cell_size, polygons, method)
    rename = {k.lower(): v for k, v in (rename or {}).items()}
    names = [rename.get(c.lower(), c) for c in columns]
    if len({n.lower() for n in names}) < len(names):
        raise InputError(
            "Nach dem Umbenennen tragen zwei Spalten denselben Variablennamen: " + ", ".join(names) + ".",
            column="--variable",
            expected="jede Variable mit eigenem Namen",
        )
    rows, summaries = _aggregate_columns(
        long, len(cells), columns, a, area_ids, weight_col, means, counts, rename
    )
    warnings = [w for t in tables for w in t.warnings]
    report = _report(
        paths, tables, layer_id, method, per, per_source, cells, a, area_ids, summaries, warnings
    )
    report.dry_run = dry_run
    if dry_run:
        return report
    from planlabor.io.importer import file_sha256

    frame = pd.concat(rows, ignore_index=True).assign(layer_id=layer_id, period=per)
    report.import_id = store.record_observations(
        "observations",
        layer_id,
        frame,
        {
            "format": "zensus-gitter",
            "layout": tables[0].layout,
            "files": [str(p) for p in paths],
            "method": method,
            "weight": weight_col,
            "period": per,
            "cell_size": tables[0].cell_size,
            "means": [s.column for s in summaries if s.kind == "Mittelwert"],
            "rename": rename,
        },
        message="; ".join(warnings),
        rows_read=len(cells),
        file=" + ".join(str(p) for p in paths),
        sha256=",".join(file_sha256(p) for p in paths),
    )
    return report


def _aggregate_columns(
    long: pd.DataFrame,
    n_cells: int,
    columns: list[str],
    a: Assignment,
    area_ids: list[str],
    weight_col: str | None,
    means: Sequence[str],
    counts: Sequence[str],
    rename: dict[str, str],
) -> tuple[list[pd.DataFrame], list[VariableSummary]]:
    """Aggregate each column from the cells to the areas (counts summed, means and shares
    weighted by ``weight_col``); return the values per area and a summary per column."""
    wvals = _cell_values(long, weight_col, n_cells) if weight_col else None
    rows, summaries = [], []
    for col in columns:
        intensive, rule = classify(col, means, counts)
        vals = _cell_values(long, col, n_cells)
        w = wvals if intensive and col != weight_col else None
        agg = aggregate(a, vals, intensive, w)
        name = rename.get(col.lower(), col)
        rows.append(
            pd.DataFrame({"area_id": area_ids, "variable": name, "value": agg["value"], "flag": agg["flag"]})
        )
        summaries.append(_summary(name, col, intensive, rule, vals, agg, a, w, weight_col if w else None))
    return rows, summaries


def _report(
    paths: list[Path],
    tables: list[GridTable],
    layer_id: str,
    method: str,
    period: str,
    period_source: str,
    cells: pd.DataFrame,
    a: Assignment,
    area_ids: list[str],
    summaries: list[VariableSummary],
    warnings: list[str],
) -> GridImportReport:
    outside = a.outside
    cells_per_area = np.bincount(a.area, minlength=a.n_areas)
    without = [area_ids[i] for i in np.flatnonzero(cells_per_area == 0)]
    warnings = list(warnings)
    if outside.any():
        warnings.append(
            f"{int(outside.sum())} Zellen liegen in keinem Gebiet von {layer_id!r}; ihre Werte fehlen "
            "in den Gebieten und stehen als 'außerhalb' im Bericht."
        )
    if a.partly_outside.any():
        share = "; ".join(
            f"{v.variable}: {format_number_de(v.total_partly_outside, 0)}"
            for v in summaries
            if v.kind == "Anzahl" and v.total_partly_outside > 0
        )
        warnings.append(
            f"{int(a.partly_outside.sum())} Zellen liegen nur teilweise in Gebieten von {layer_id!r}; "
            "ihr ganzer Wert geht an die überdeckten Gebiete (richtig, wo außerhalb niemand wohnt, "
            "etwa an der Küste; zu viel, wo die Raumebene an bewohntes Gebiet grenzt)"
            + (f". Nach Fläche außerhalb läge: {share}." if share else ".")
        )
    if without:
        hint = " Mit --methode flaeche erhalten sie ihren Flächenanteil." if method == "zentroid" else ""
        warnings.append(
            f"{len(without)} Gebiete enthalten keinen Zellmittelpunkt und bleiben ohne Wert "
            f"(Kennung 'fehlend'): {', '.join(without[:10])}{' …' if len(without) > 10 else ''}.{hint}"
        )
    if a.method == "flaeche" and (a.covered > 1 + 1e-6).any():
        warnings.append("Gebiete der Raumebene überlappen sich; Zellen wurden anteilig auf alle verteilt.")
    return GridImportReport(
        files=[str(p) for p in paths],
        layout=tables[0].layout_name,
        cell_size=tables[0].cell_size,
        layer=layer_id,
        method=method,
        period=period,
        period_source=period_source,
        cells_read=len(cells),
        cells_assigned=int((~outside).sum()),
        cells_outside=int(outside.sum()),
        cells_partly_outside=int(a.partly_outside.sum()),
        outside_examples=cells["cell_id"].to_numpy(dtype=object)[outside][:10].tolist(),
        areas_total=len(area_ids),
        areas_without_cells=without,
        variables=summaries,
        warnings=warnings,
    )
