"""Import of observation tables: file → staging → validated long table → store.

Handles wide tables (one column per variable) and long tables (variable and
value columns), periods from an option or a column, missing-value markers as
status flags, unmatched area keys (refuse or quarantine), key corrections,
and writes atomically with a versioned import log.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from planlabor.config import DEFAULT_MISSING_MARKERS
from planlabor.errors import InputError, NotFoundError
from planlabor.io.periods import EXPECTED_FORMS, parse_period, parse_period_option, period_end
from planlabor.io.table import RawTable, ReadOptions, _q, read_table, unique_name
from planlabor.store import ImportRecord, Store

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
)
LONG_VARIABLE_NAMES = ("variable", "merkmal", "indikator", "kennzahl")
LONG_VALUE_NAMES = ("value", "wert", "anzahl")


@dataclass
class ImportOptions:
    """What to import and how; ``None`` means detect."""

    layer: str
    id_column: str | None = None
    period: str | None = None
    period_column: str | None = None
    stichtag: bool = False
    variable_column: str | None = None
    value_column: str | None = None
    columns: list[str] | None = None
    exclude_columns: list[str] = field(default_factory=list)
    read: ReadOptions = field(default_factory=ReadOptions)
    missing_values: dict[str, str] | None = None
    on_unmatched: Literal["refuse", "quarantine"] = "refuse"
    map_keys: dict[str, str] = field(default_factory=dict)
    id_width: int | None = None


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _find_column(columns: list[str], wanted: str, what: str, raw: RawTable, option: str) -> str:
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


def _guess(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    return None


def number_sql(col: str, decimal: str, thousands: str | None) -> str:
    """SQL expression parsing a text column to DOUBLE (NULL if not a number)."""
    e = f"trim({col})"
    if thousands:
        e = f"replace({e}, '{thousands}', '')"
    if decimal == ",":
        e = f"replace({e}, ',', '.')"
    return f"TRY_CAST({e} AS DOUBLE)"


_LEADING_ZERO = re.compile(r"^0\d+$")


def _classify_columns(
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
        # mostly text: a text column; mostly numbers: a variable whose stray cells are errors
        if n_bad * 2 > len(cells):
            skipped[col] = "Textspalte"
        else:
            first_bad.pop(col, None)
            variables.append(col)
    return variables, skipped, first_bad


def _select_columns(all_cols: list[str], opts: ImportOptions, raw: RawTable) -> list[str]:
    cols = all_cols
    if opts.columns:
        chosen: list[str] = []
        for pat in opts.columns:
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
    return [c for c in cols if not any(fnmatch.fnmatchcase(c, p) for p in opts.exclude_columns)]


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
    layer = store.layer(opts.layer)
    if layer is None:
        known = ", ".join(lay.layer_id for lay in store.layers()) or "(noch keine)"
        raise NotFoundError(
            f"Die Raumebene {opts.layer!r} gibt es im Arbeitsbereich nicht.",
            column="--layer",
            expected=f"eine vorhandene Raumebene: {known}",
            hint="Legen Sie die Raumebene zuerst mit 'planlabor areas import' an.",
        )
    raw = read_table(path, opts.read, con=store.staging_connection())
    if raw.hints:  # a publisher format (Eurostat) says which column is what
        hinted: dict[str, Any] = {k: v for k, v in raw.hints.items() if getattr(opts, k) is None}
        opts = replace(opts, **hinted)
    try:
        return _import(
            store, raw, opts, layer.layer_id, missing_defaults, dry_run, (layer.valid_from, layer.valid_to)
        )
    finally:
        raw.close()


def _import(
    store: Store,
    raw: RawTable,
    opts: ImportOptions,
    layer_id: str,
    missing_defaults: dict[str, str] | None,
    dry_run: bool,
    validity: tuple[Any, Any],
) -> ImportReport:
    con = raw.con
    cols = raw.columns
    warnings = list(raw.warnings)
    markers = dict(missing_defaults if missing_defaults is not None else DEFAULT_MISSING_MARKERS)
    if opts.missing_values is not None:
        markers.update(opts.missing_values)
    if raw.n_rows == 0:
        raise InputError(
            "Die Datei enthält keine Datenzeilen.",
            file=raw.path,
            row=2,
            expected="mindestens eine Zeile unter der Kopfzeile",
        )

    # --- key column
    if opts.id_column:
        id_col = _find_column(cols, opts.id_column, "Schlüsselspalte", raw, "--id-column")
    else:
        guess = _guess(cols, ID_COLUMN_NAMES)
        if guess is None:
            raise InputError(
                "Die Spalte mit den Gebietsschlüsseln ist nicht erkennbar.",
                file=raw.path,
                row=1,
                expected="eine Spalte wie id, RAUMID, PLR_ID, AGS; vorhanden: " + ", ".join(cols[:20]),
                hint="Geben Sie sie mit --id-column SPALTE an.",
            )
        id_col = guess

    # --- period
    period_col: str | None = None
    if opts.period and opts.period_column:
        raise InputError(
            "Bitte entweder --period oder --period-column angeben, nicht beides.", column="--period"
        )
    if opts.period:
        fixed_period: str | None = parse_period_option(opts.period, stichtag=opts.stichtag)
        period_source = f"Option --period {fixed_period}"
    else:
        fixed_period = None
        if opts.period_column:
            period_col = _find_column(cols, opts.period_column, "Zeitspalte", raw, "--period-column")
        else:
            period_col = _guess(cols, PERIOD_COLUMN_NAMES)
        if period_col is None:
            raise InputError(
                "Der Zeitraum der Werte ist unbekannt.",
                file=raw.path,
                expected="eine Zeitspalte (z. B. ZEIT, Jahr, Stichtag) oder die Option --period",
                hint="Geben Sie den Stichtag an, z. B. --period 2021-12-31, oder die Spalte mit "
                "--period-column.",
            )
        period_source = f"Spalte {period_col!r}"

    # --- long or wide
    var_col = opts.variable_column
    val_col = opts.value_column
    if var_col is None and val_col is None:
        gv, gw = _guess(cols, LONG_VARIABLE_NAMES), _guess(cols, LONG_VALUE_NAMES)
        if gv and gw:
            var_col, val_col = gv, gw
    if (var_col is None) != (val_col is None):
        raise InputError(
            "Für lange Tabellen sind --variable-column und --value-column beide nötig.",
            file=raw.path,
            column=var_col or val_col,
            hint="Geben Sie beide Optionen an (oder keine für eine breite Tabelle).",
        )
    skipped: dict[str, str] = {}
    marker_set = set(markers)
    id_sql = f"trim(replace({_q(id_col)}, '\"', ''))"
    if opts.id_width:
        id_sql = f"lpad({id_sql}, {int(opts.id_width)}, '0')"
    period_sql = f"trim({_q(period_col)})" if period_col else "CAST(NULL AS VARCHAR)"
    keyed, keys, parsed = (unique_name(p) for p in ("keyed", "keys", "parsed"))
    raw.temp_tables += [keyed, keys, parsed]
    variables: list[str] = []
    if var_col and val_col:
        var_col = _find_column(cols, var_col, "Variablenspalte", raw, "--variable-column")
        val_col = _find_column(cols, val_col, "Wertspalte", raw, "--value-column")
        # long: one key row per value
        con.execute(
            f"CREATE TEMP TABLE {keyed} AS SELECT _line, {id_sql} AS area_id, {period_sql} AS period_raw, "
            f"trim({_q(var_col)}) AS variable FROM {raw.name}"
        )
        for c in cols:
            if c not in (id_col, period_col, var_col, val_col):
                skipped[c] = "nicht verwendet (lange Tabelle)"
        if opts.columns:
            names = [r[0] for r in con.execute(f"SELECT DISTINCT variable FROM {keyed}").fetchall()]
            keep = [n for n in names if n and any(fnmatch.fnmatchcase(n, p) for p in opts.columns)]
            con.execute(f"DELETE FROM {keyed} WHERE variable NOT IN (SELECT unnest(?))", [keep])
    else:
        reserved = {id_col} | ({period_col} if period_col else set())
        candidates = _select_columns([c for c in cols if c not in reserved], opts, raw)
        for c in cols:
            if c not in reserved and c not in candidates:
                skipped[c] = "ausgeschlossen"
        if opts.columns:
            variables = candidates
        else:
            variables, auto_skipped, first_bad = _classify_columns(raw, candidates, marker_set)
            skipped.update(auto_skipped)
        if not variables:
            example = next(iter(first_bad.items()), None) if not opts.columns else None
            raise InputError(
                "Die Datei enthält keine Zahlenspalten, die importiert werden könnten"
                + (f"; z. B. ist {example[1][1]!r} keine Zahl." if example else "."),
                file=raw.path,
                row=example[1][0] if example else 1,
                column=example[0] if example else None,
                expected="mindestens eine Spalte mit Zahlen",
                hint="Wählen Sie Spalten mit --columns, prüfen Sie --decimal oder geben Sie "
                "Fehlwert-Zeichen mit --missing an.",
            )
        # wide: one key row per file row (all checks on keys run on these, not per value)
        con.execute(
            f"CREATE TEMP TABLE {keyed} AS SELECT _line, {id_sql} AS area_id, {period_sql} AS period_raw "
            f"FROM {raw.name}"
        )

    # --- empty keys
    bad = con.execute(
        f"SELECT min(_line), count(DISTINCT _line) FROM {keyed} WHERE area_id IS NULL OR area_id = ''"
    ).fetchone()
    if bad and bad[1]:
        raise InputError(
            f"{bad[1]} Zeile(n) ohne Gebietsschlüssel.",
            file=raw.path,
            row=int(bad[0]),
            column=id_col,
            expected="ein Gebietsschlüssel in jeder Zeile",
            hint="Ergänzen oder löschen Sie die Zeilen ohne Schlüssel.",
        )
    if var_col:
        bad = con.execute(
            f"SELECT min(_line) FROM {keyed} WHERE variable IS NULL OR variable = ''"
        ).fetchone()
        if bad and bad[0] is not None:
            raise InputError(
                "Zeile ohne Variablennamen.",
                file=raw.path,
                row=int(bad[0]),
                column=var_col,
                expected="ein Variablenname in jeder Zeile",
            )

    # --- key corrections
    if opts.map_keys:
        kmap = unique_name("keymap")
        raw.temp_tables.append(kmap)
        con.execute(f"CREATE TEMP TABLE {kmap}(old VARCHAR, new VARCHAR)")
        con.executemany(f"INSERT INTO {kmap} VALUES (?, ?)", list(opts.map_keys.items()))
        con.execute(f"UPDATE {keyed} SET area_id = m.new FROM {kmap} m WHERE {keyed}.area_id = m.old")
        warnings.append("Schlüssel umgesetzt: " + ", ".join(f"{k} → {v}" for k, v in opts.map_keys.items()))

    # --- periods
    pmap = unique_name("pmap")
    raw.temp_tables.append(pmap)
    con.execute(f"CREATE TEMP TABLE {pmap}(period_raw VARCHAR, period VARCHAR)")
    if fixed_period is not None:
        con.execute(f"INSERT INTO {pmap} VALUES (NULL, ?)", [fixed_period])
        join_period = "TRUE"
    else:
        mapping = []
        for value, line in con.execute(
            f"SELECT period_raw, min(_line) FROM {keyed} GROUP BY period_raw"
        ).fetchall():
            if value is None or value == "":
                raise InputError(
                    "Zeile ohne Zeitraum.",
                    file=raw.path,
                    row=int(line),
                    column=period_col,
                    expected=EXPECTED_FORMS,
                    hint="Ergänzen Sie den Zeitraum oder geben Sie --period an.",
                )
            try:
                mapping.append((value, parse_period(value, stichtag=opts.stichtag)))
            except ValueError as exc:
                raise InputError(
                    f"Der Zeitraum {value!r} ist nicht lesbar.",
                    file=raw.path,
                    row=int(line),
                    column=period_col,
                    expected=EXPECTED_FORMS,
                    hint="Korrigieren Sie den Wert oder geben Sie --period an.",
                ) from exc
        con.executemany(f"INSERT INTO {pmap} VALUES (?, ?)", mapping)
        join_period = "p.period_raw = k.period_raw"
    var_sel = ", k.variable" if var_col else ""
    con.execute(
        f"CREATE TEMP TABLE {keys} AS SELECT k._line, k.area_id, p.period{var_sel} "
        f"FROM {keyed} k JOIN {pmap} p ON {join_period}"
    )

    # --- duplicates (per file row in wide tables, per value in long ones)
    group = "area_id, period" + (", variable" if var_col else "")
    dup = con.execute(
        f"SELECT {group}, min(_line), max(_line) FROM {keys} GROUP BY {group} HAVING count(*) > 1 "
        "ORDER BY min(_line) LIMIT 3"
    ).fetchall()
    if dup:
        first = dup[0]
        what = f"Gebiet {first[0]!r}, Zeitraum {first[1]}" + (f", Variable {first[2]!r}" if var_col else "")
        l1, l2 = first[-2], first[-1]
        raise InputError(
            f"{what} kommt mehrfach vor (Zeilen {l1} und {l2}).",
            file=raw.path,
            row=int(l2),
            column=id_col,
            expected="je Gebiet, Variable und Zeitraum genau ein Wert",
            hint="Entfernen Sie die doppelte Zeile oder prüfen Sie die Zeitspalte.",
        )

    # --- area matching (on the keys)
    area_ids = store.areas(layer_id)["area_id"].astype(str).tolist()
    layer_areas = unique_name("areas")
    raw.temp_tables.append(layer_areas)
    con.register(layer_areas + "_src", pa.table({"area_id": pa.array(area_ids, pa.string())}))
    con.execute(f"CREATE TEMP TABLE {layer_areas} AS SELECT area_id FROM {layer_areas}_src")
    con.unregister(layer_areas + "_src")
    unmatched_rows = con.execute(
        f"""SELECT k.area_id, list(DISTINCT k._line ORDER BY k._line) FROM {keys} k
        ANTI JOIN {layer_areas} a USING (area_id) GROUP BY k.area_id ORDER BY k.area_id"""
    ).fetchall()
    unmatched = {str(k): [int(x) for x in lines] for k, lines in unmatched_rows}
    matched = con.execute(
        f"SELECT count(DISTINCT area_id) FROM {keys} SEMI JOIN {layer_areas} USING (area_id)"
    ).fetchone()

    # --- values and flags: unpivot, attach keys, parse (one statement)
    flag_sql = _flag_case("u.raw", markers)
    num = number_sql("u.raw", raw.decimal, raw.thousands)
    if var_col and val_col:
        source = (
            f"SELECT k._line, k.area_id, k.period, k.variable, r.{_q(val_col)} AS raw "
            f"FROM {keys} k JOIN {raw.name} r USING (_line)"
        )
    else:
        unpivot_cols = ", ".join(_q(v) for v in variables)
        source = (
            f"SELECT * FROM (SELECT k.area_id, k.period, r._line, "
            f"{', '.join('r.' + _q(v) for v in variables)} "
            f"FROM {raw.name} r JOIN {keys} k USING (_line)) "
            f"UNPIVOT INCLUDE NULLS (raw FOR variable IN ({unpivot_cols}))"
        )
    con.execute(
        f"""CREATE TEMP TABLE {parsed} AS
        SELECT u._line, u.area_id, u.variable, u.period, u.raw, f.flag,
               CASE WHEN f.flag IS NULL THEN {num} END AS value
        FROM ({source}) u, LATERAL (SELECT {flag_sql} AS flag) f"""
    )
    grouping_check = ""
    if raw.thousands == ".":
        grouping_check = (
            " OR (flag IS NULL AND raw LIKE '%.%' AND NOT regexp_full_match("
            "trim(raw), '[-+]?\\d{1,3}(\\.\\d{3})+(,\\d*)?'))"
        )
    bad_filter = f"(flag IS NULL AND (value IS NULL OR NOT isfinite(value))){grouping_check}"
    bad_rows = con.execute(
        f"SELECT _line, variable, raw FROM {parsed} WHERE {bad_filter} ORDER BY _line LIMIT 5"
    ).fetchall()
    if bad_rows:
        line, variable, value = bad_rows[0]
        col = val_col if var_col and val_col else variable
        n_bad = con.execute(f"SELECT count(*) FROM {parsed} WHERE {bad_filter}").fetchone()
        dec_desc = "1.234,5" if raw.decimal == "," else "1234.5"
        raise InputError(
            f"Der Wert {value!r} ist keine Zahl und kein bekanntes Fehlwert-Zeichen "
            f"({n_bad[0] if n_bad else 1} solche Zelle(n)).",
            file=raw.path,
            row=int(line),
            column=col,
            expected=f"eine Zahl wie {dec_desc} oder ein Fehlwert-Zeichen: "
            + " ".join(repr(m) for m in markers),
            hint="Korrigieren Sie die Zelle, geben Sie --decimal an, oder schließen Sie die "
            "Spalte mit --exclude-column aus.",
        )

    periods = sorted(r[0] for r in con.execute(f"SELECT DISTINCT period FROM {keys}").fetchall())
    if var_col:
        variables_found = [
            r[0]
            for r in con.execute(
                f"SELECT variable FROM {keys} GROUP BY variable ORDER BY min(_line), variable"
            ).fetchall()
        ]
    else:
        variables_found = list(variables)
    flag_counts = {
        str(f): int(n)
        for f, n in con.execute(
            f"SELECT flag, count(*) FROM {parsed} WHERE flag IS NOT NULL GROUP BY flag ORDER BY flag"
        ).fetchall()
    }
    n_total = con.execute(f"SELECT count(*) FROM {parsed}").fetchone()
    n_values = int(n_total[0]) if n_total else 0

    vf, vt = validity
    for p in periods:
        end = period_end(p)
        if (vf and end < vf) or (vt and end > vt):
            warnings.append(
                f"Zeitraum {p} liegt außerhalb der Gültigkeit der Raumebene {layer_id!r} "
                f"({vf or '…'} bis {vt or '…'})."
            )

    options_record = {k: v for k, v in asdict(opts).items() if v not in (None, [], {})}
    report = ImportReport(
        file=str(raw.path),
        sha256=file_sha256(raw.path),
        layer=layer_id,
        rows=raw.n_rows,
        dialect=raw.dialect.describe() if raw.dialect else f"Tabellenblatt {raw.sheet!r}",
        id_column=id_col,
        period_source=period_source,
        variables=variables_found,
        skipped_columns=skipped,
        periods=periods,
        n_values=n_values,
        flag_counts=flag_counts,
        areas_matched=int(matched[0]) if matched else 0,
        areas_in_layer=len(area_ids),
        unmatched=unmatched,
        quarantined=0,
        warnings=warnings,
        dry_run=dry_run,
    )

    if unmatched and opts.on_unmatched == "refuse" and not dry_run:
        keys_ = list(unmatched)
        first_key = keys_[0]
        raise InputError(
            f"{len(keys_)} Gebietsschlüssel gibt es in der Raumebene {layer_id!r} nicht: "
            + ", ".join(f"{k} (Zeile {', '.join(map(str, unmatched[k][:3]))})" for k in keys_[:10])
            + (" …" if len(keys_) > 10 else "")
            + ". Nichts wurde importiert.",
            file=raw.path,
            row=unmatched[first_key][0],
            column=id_col,
            expected=f"Schlüssel der Raumebene {layer_id!r}",
            hint="Korrigieren Sie die Schlüssel (z. B. --map-key ALT=NEU), oder stellen Sie die "
            "Zeilen mit --on-unmatched quarantine zurück und prüfen Sie sie mit "
            "'planlabor quarantine'.",
        )
    if dry_run:
        return report

    import_id = store.next_id("imports", "import_id")
    report.import_id = import_id
    lit = "'" + layer_id.replace("'", "''") + "'"
    good_sql = (
        f"SELECT {lit} AS layer_id, area_id, variable, period, value, flag FROM {parsed} "
        f"SEMI JOIN {layer_areas} USING (area_id)"
    )
    quarantine_sql = f"""SELECT CAST({import_id} AS INTEGER) AS import_id, _line AS source_row,
        {lit} AS layer_id, area_id, variable, period, value, flag,
        'unbekannter Gebietsschlüssel' AS reason FROM {parsed} ANTI JOIN {layer_areas} USING (area_id)
        ORDER BY _line"""
    n_quarantine = sum(len(lines) * (1 if var_col else len(variables_found)) for lines in unmatched.values())
    slices = pa.table(
        {
            "layer_id": pa.array([layer_id] * len(periods) * len(variables_found), pa.string()),
            "variable": pa.array([v for v in variables_found for _ in periods], pa.string()),
            "period": pa.array(periods * len(variables_found), pa.string()),
        }
    )
    with store.transaction():
        before = store.count_current_slices(slices)
        store.log_import(
            ImportRecord(
                import_id=import_id,
                kind="observations",
                file=str(raw.path),
                sha256=report.sha256,
                imported_at=datetime.now(UTC).replace(tzinfo=None),
                options=options_record,
                layer_id=layer_id,
                rows_read=raw.n_rows,
                values_imported=n_values - n_quarantine,
                quarantined=n_quarantine,
                message="; ".join(warnings),
            )
        )
        store.add_observations_from(con, good_sql, import_id, slices)
        if n_quarantine:
            store.add_quarantine_from(con, quarantine_sql)
    report.quarantined = n_quarantine
    report.n_values = n_values - n_quarantine
    report.superseded_slices = before
    return report


def _flag_case(expr: str, markers: dict[str, str]) -> str:
    """SQL CASE mapping missing-value markers (trimmed; NULL counts as empty) to their flags."""

    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    whens = " ".join(f"WHEN {lit(m)} THEN {lit(f)}" for m, f in markers.items())
    return f"CASE coalesce(trim({expr}), '') {whens} END"
