"""Import of observation tables as a pipeline of named steps.

``read`` (the registry picks the reader; :mod:`planlabor.io.readers`) →
``recognise`` (the reader's layout: key, periods, variables, long rows) →
``keys`` (:mod:`planlabor.io.import_keys`) → ``periods`` and ``values``
(:mod:`planlabor.io.import_values`) → ``report`` (what a planner checks in the
dry run) → ``commit`` (atomic, versioned, with the import log).  Each step
raises a :class:`~planlabor.errors.PlanlaborError` naming file, row and column
and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from planlabor.config import DEFAULT_MISSING_MARKERS
from planlabor.errors import InputError, NotFoundError, examples
from planlabor.io import import_keys, import_values
from planlabor.io.cellkinds import PUBLISHER_MARKERS
from planlabor.io.files import file_sha256
from planlabor.io.import_keys import KeyResolution
from planlabor.io.import_values import number_sql
from planlabor.io.options import ImportOptions
from planlabor.io.periods import period_end
from planlabor.io.readers import ReadContext, detect, reader
from planlabor.io.source import Source
from planlabor.store import ImportRecord, Store
from planlabor.store.duckdb_ import memory_connection

__all__ = ["ImportOptions", "ImportReport", "file_sha256", "number_sql", "plan_and_import"]

AUTO_QUARANTINE_SHARE = 0.8  # unknown keys are quarantined (not refused) when at least this share matched


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    file: str
    sha256: str
    layer: str
    rows: int
    dialect: str
    id_column: str
    period_source: str
    variables: list[str]
    skipped_columns: dict[str, str]
    periods: list[str]
    n_values: int
    flag_counts: dict[str, int]
    areas_matched: int
    areas_in_layer: int
    unmatched: dict[str, list[int]]
    quarantined: int
    warnings: list[str]
    dry_run: bool
    import_id: int | None = None
    superseded_slices: int = 0
    format: str = "tabelle"
    format_title: str = ""
    layout: list[str] = field(default_factory=list)
    variable_labels: dict[str, dict[str, str | None]] = field(default_factory=dict)
    key_forms: dict[str, int] = field(default_factory=dict)
    other_layers: dict[str, int] = field(default_factory=dict)
    skipped_keys: list[dict[str, Any]] = field(default_factory=list)
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_and_import(
    store: Store,
    path: str | Path,
    opts: ImportOptions,
    missing_defaults: dict[str, str] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import one table of observations into ``store`` (or report what would happen).

    The import is atomic: it lands completely or not at all.  Earlier versions
    of the same (layer, variable, period) slices stay retrievable.
    """
    path = Path(path)
    _check_layer(store, opts.layer)
    if not path.exists():
        raise InputError(
            f"Die Datei {path} gibt es nicht.", file=path, hint="Prüfen Sie den Pfad und die Schreibweise."
        )
    markers = _markers(missing_defaults, opts)
    matcher = import_keys.build_matcher(store, opts.layer)
    fmt = reader(opts.format) if opts.format else detect(path)[0]
    own = store.staging_connection() is None
    con = memory_connection() if own else store.staging_connection()
    try:
        src = fmt.read(ReadContext(path, opts, matcher, con, markers))
        try:
            return _run(store, src, opts, matcher, markers, dry_run)
        finally:
            src.close()
    finally:
        if own:
            con.close()


def _check_layer(store: Store, layer_id: str) -> None:
    if store.layer(layer_id) is None:
        known = ", ".join(lay.layer_id for lay in store.layers()) or "(noch keine)"
        raise NotFoundError(
            f"Die Raumebene {layer_id!r} gibt es im Arbeitsbereich nicht.",
            column="--layer",
            expected=f"eine vorhandene Raumebene: {known}",
            hint="Legen Sie die Raumebene zuerst mit 'planlabor areas import' an.",
        )


def _markers(defaults: dict[str, str] | None, opts: ImportOptions) -> dict[str, str]:
    markers = dict(defaults if defaults is not None else DEFAULT_MISSING_MARKERS)
    for m, f in PUBLISHER_MARKERS.items():
        markers.setdefault(m, f)
    if opts.missing_values is not None:
        markers.update(opts.missing_values)
    return markers


def _run(
    store: Store, src: Source, opts: ImportOptions, matcher: Any, markers: dict[str, str], dry_run: bool
) -> ImportReport:
    if src.n_rows == 0:
        raise InputError(
            "Die Datei enthält keine Datenzeilen.", file=src.path, expected="mindestens eine Datenzeile"
        )
    pmap = import_values.resolve_periods(src, opts.period, opts.stichtag)
    changes = import_keys.load_changes(opts.changes)
    keys = import_keys.resolve_keys(src, pmap, matcher, opts.map_keys, changes, set(markers))
    if not opts.other_levels:
        _drop_other_levels(src, keys)
    fixed = opts.period is not None
    parsed = import_values.parse_values(src, keys, pmap, markers, opts.rename, fixed)
    import_values.check_values(src, parsed, markers)
    import_values.check_duplicates(src, parsed, keys, pmap, fixed)
    summable = {v for v, info in src.variables.items() if info.kind == "anzahl"}
    summable = {opts.rename.get(v, v) for v in summable}
    stored, not_merged = import_values.merge_changed(src, parsed, keys, summable)
    report = _report(store, src, opts, keys, stored, dry_run)
    if not_merged:
        report.warnings.append(
            "Werte früherer Gebiete nicht zusammengeführt (keine Zählwerte): " + examples(not_merged)
        )
    _decide_unmatched(src, opts, keys, report)
    if dry_run:
        return report
    _commit(store, src, opts, stored, report, keys)
    return report


def _drop_other_levels(src: Source, keys: KeyResolution) -> None:
    src.con.execute(
        f"UPDATE {keys.table} SET state = 'Ebene ohne Raumebene', layer_id = NULL, area_id = NULL "
        "WHERE state = 'andere Ebene'"
    )
    for s in keys.states:
        if s.state == "andere Ebene":
            s.state, s.how = "Ebene ohne Raumebene", f"{s.layer_id} (--no-other-levels)"


def _report(
    store: Store, src: Source, opts: ImportOptions, keys: KeyResolution, stored: str, dry_run: bool
) -> ImportReport:
    stats = _stats(src, stored)
    good = stats[stats["state"].isin(["Gebiet", "andere Ebene"])]
    periods = sorted(good["period"].unique().tolist())
    order = {opts.rename.get(v, v): i for i, v in enumerate(src.variable_order)}
    first = good.groupby("variable")["first_line"].min().sort_values(kind="stable")
    variables = sorted(first.index.tolist(), key=lambda v: (order.get(v, len(order)), int(first[v]), v))
    flagged = good[good["flag"].notna()].groupby("flag")["n"].sum()
    flags = {str(f): int(n) for f, n in flagged.sort_index().items()}
    n_values = (int(good["n"].sum()),)
    src.stats = stats
    target = [s for s in keys.states if s.state == "Gebiet"]
    other: dict[str, int] = {}
    for s in keys.by_state("andere Ebene"):
        other[str(s.layer_id)] = other.get(str(s.layer_id), 0) + 1
    forms: dict[str, int] = {}
    for s in target:
        forms[s.how] = forms.get(s.how, 0) + 1
    if keys.count("Gebietsänderung"):
        forms["Gebietsänderung"] = keys.count("Gebietsänderung")
    layer = store.layer(opts.layer)
    warnings = list(src.warnings) + _validity_warnings(periods, opts.layer, layer)
    labels = {
        opts.rename.get(v, v): {"label": info.label, "unit": info.unit, "kind": info.kind}
        for v, info in src.variables.items()
    }
    return ImportReport(
        file=str(src.path),
        sha256=file_sha256(src.path),
        layer=opts.layer,
        rows=src.n_rows,
        dialect=src.dialect,
        id_column=src.key_column,
        period_source=src.period_source,
        variables=variables,
        skipped_columns=src.skipped_columns,
        periods=periods,
        n_values=int(n_values[0]) if n_values else 0,
        flag_counts=flags,
        areas_matched=len(
            {s.area_id for s in target} | {s.area_id for s in keys.by_state("Gebietsänderung")}
        ),
        areas_in_layer=len(store.areas(opts.layer)),
        unmatched={str(s.key or s.name): s.lines for s in keys.by_state("unbekannt")},
        quarantined=0,
        warnings=warnings,
        dry_run=dry_run,
        format=src.reader,
        format_title=src.reader_title,
        layout=src.layout,
        variable_labels=labels,
        key_forms=forms,
        other_layers=other,
        skipped_keys=[
            {"key": s.key, "name": s.name, "state": s.state, "how": s.how, "lines": s.lines[:3]}
            for s in keys.states
            if s.state in ("Ebene ohne Raumebene", "keine Werte", "aufgelöst")
        ]
        + [
            {"key": s.key, "name": s.name, "state": s.state, "how": s.how, "lines": s.lines[:3]}
            for s in keys.by_state("Gebietsänderung")
        ],
        skipped_rows=src.skipped_rows,
    )


def _stats(src: Source, stored: str) -> pd.DataFrame:
    """One pass over the values: counts per state, layer, variable, period and flag.

    For a wide table's cells the pass groups by the row group number instead of four texts and
    names the groups afterwards (:func:`planlabor.io.import_values.parse_values`)."""
    if src.parsed_parts and src.parsed_parts[0] == stored:
        _, cells, info = src.parsed_parts
        return src.con.execute(
            f"""SELECT g.state, g.layer_id, s.variable, g.period, s.flag, s.n, s.first_line
            FROM (SELECT _grp, variable, flag, count(*) AS n, min(_line) AS first_line
                  FROM {cells} GROUP BY ALL) s
            JOIN (SELECT DISTINCT _grp, state, layer_id, period FROM {info}) g ON g._grp = s._grp"""
        ).df()
    return src.con.execute(
        f"""SELECT state, layer_id, variable, period, flag, count(*) AS n, min(_line) AS first_line
        FROM {stored} GROUP BY ALL"""
    ).df()


def _validity_warnings(periods: list[str], layer_id: str, layer: Any) -> list[str]:
    if layer is None:
        return []
    out = []
    vf, vt = layer.valid_from, layer.valid_to
    for p in periods:
        end = period_end(p)
        if (vf and end < vf) or (vt and end > vt):
            out.append(
                f"Zeitraum {p} liegt außerhalb der Gültigkeit der Raumebene {layer_id!r} "
                f"({vf or '…'} bis {vt or '…'})."
            )
    return out


def _decide_unmatched(src: Source, opts: ImportOptions, keys: KeyResolution, report: ImportReport) -> None:
    """Unknown keys: refused, or (``auto`` with most keys found) quarantined and reported."""
    unknown = keys.by_state("unbekannt")
    if not unknown or opts.on_unmatched in ("quarantine", "skip"):
        return
    found = keys.count("Gebiet") + keys.count("Gebietsänderung")
    share = found / max(1, found + len(unknown))
    if opts.on_unmatched == "auto" and share >= AUTO_QUARANTINE_SHARE:
        report.warnings.append(
            f"{len(unknown)} Schlüssel gibt es in der Raumebene {opts.layer!r} nicht; ihre Zeilen werden "
            "zurückgestellt (planlabor quarantine), nicht importiert. Frühere Gebiete (Gebietsreform, "
            "Gemeindefusion) ordnen Sie mit --changes TABELLE (Spalten alt;neu) den heutigen zu."
        )
        return
    if report.dry_run:
        return
    first = unknown[0]
    shown = [f"{s.key or s.name} (Zeile {', '.join(map(str, s.lines[:3]))})" for s in unknown]
    raise InputError(
        f"{len(unknown)} Gebietsschlüssel gibt es in der Raumebene {opts.layer!r} nicht: "
        + examples(shown, 10)
        + ". Nichts wurde importiert.",
        file=src.path,
        row=first.lines[0] if first.lines else None,
        column=src.key_column,
        expected=f"Schlüssel der Raumebene {opts.layer!r}, z. B. " + ", ".join(import_keys_examples(keys)),
        hint="Korrigieren Sie die Schlüssel (z. B. --map-key ALT=NEU), prüfen Sie --layer, oder stellen Sie "
        "die Zeilen mit --on-unmatched quarantine zurück und prüfen Sie sie mit 'planlabor quarantine'.",
    )


def import_keys_examples(keys: KeyResolution) -> list[str]:
    return [str(s.area_id) for s in keys.by_state("Gebiet")[:3]]


_NAME_NOTE = re.compile(r"\s*\((bis|ab) \d{2}\.\d{2}\.\d{4}\)\s*$")


def _fill_names(store: Store, keys: KeyResolution) -> int:
    """Areas without a name (built by --key-prefix) take the names the file states."""
    by_layer: dict[str, dict[str, str]] = {}
    for s in keys.states:
        if s.state in ("Gebiet", "andere Ebene") and s.name and s.layer_id and s.area_id:
            name = _NAME_NOTE.sub("", s.name.strip().lstrip(".->").strip())
            by_layer.setdefault(s.layer_id, {}).setdefault(s.area_id, name)
    n = 0
    for layer_id, names in by_layer.items():
        table = pa.table({"area_id": list(names), "name": list(names.values())})
        n += store.fill_area_names(layer_id, table)
    return n


def _commit(
    store: Store, src: Source, opts: ImportOptions, stored: str, report: ImportReport, keys: KeyResolution
) -> None:
    con = src.con
    import_id = store.next_id("imports", "import_id")
    report.import_id = import_id
    good = "state IN ('Gebiet', 'andere Ebene')"
    good_sql = f"SELECT layer_id, area_id, variable, period, value, flag FROM {stored} WHERE {good}"
    q_sql = f"""SELECT CAST({import_id} AS INTEGER) AS import_id, _line AS source_row,
        {_lit(opts.layer)} AS layer_id, coalesce(key, '') AS area_id, variable, period, value, flag,
        'unbekannter Gebietsschlüssel' AS reason FROM {stored} WHERE state = 'unbekannt' ORDER BY _line"""
    # counts and slices from the report's one pass over the values, not two more scans
    stats = src.stats
    n_q = int(stats.loc[stats["state"] == "unbekannt", "n"].sum())
    n_quarantine = n_q if opts.on_unmatched != "skip" else 0
    kept = stats[stats["state"].isin(["Gebiet", "andere Ebene"])]
    kept = kept[["layer_id", "variable", "period"]].drop_duplicates()
    slices = pa.table({c: pa.array(kept[c].tolist(), pa.string()) for c in kept.columns})
    options = {k: v for k, v in asdict(opts).items() if v not in (None, [], {}, "auto", True)}
    options["format"] = src.reader
    with store.transaction():
        report.superseded_slices = store.count_current_slices(slices)
        store.log_import(
            ImportRecord(
                import_id=import_id,
                kind="observations",
                file=str(src.path),
                sha256=report.sha256,
                imported_at=datetime.now(UTC).replace(tzinfo=None),
                options=options,
                layer_id=opts.layer,
                rows_read=src.n_rows,
                values_imported=report.n_values,
                quarantined=n_quarantine,
                message="; ".join(report.warnings)[:4000],
            )
        )
        store.add_observations_from(con, good_sql, import_id, slices)
        if n_quarantine:
            store.add_quarantine_from(con, q_sql)
        store.record_variable_info(import_id, _variable_rows(src, opts, report))
        named = _fill_names(store, keys)
    report.quarantined = n_quarantine
    if named:
        report.warnings.append(f"{named} Gebiet(e) ohne Namen haben den Namen aus der Datei erhalten.")


def _variable_rows(src: Source, opts: ImportOptions, report: ImportReport) -> pa.Table:
    names = report.variables
    infos = [src.variables.get(_original(v, opts.rename)) for v in names]
    return pa.table(
        {
            "variable": pa.array(names, pa.string()),
            "label": pa.array([i.label if i else None for i in infos], pa.string()),
            "unit": pa.array([i.unit if i else None for i in infos], pa.string()),
            "kind": pa.array([i.kind if i else None for i in infos], pa.string()),
            "definition": pa.array([i.definition if i else None for i in infos], pa.string()),
            "source": pa.array(
                [(i.source if i and i.source else src.reader_title) for i in infos], pa.string()
            ),
        }
    )


def _original(name: str, rename: dict[str, str]) -> str:
    for a, b in rename.items():
        if b == name:
            return a
    return name


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
