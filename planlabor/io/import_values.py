"""Import steps *periods* and *values*: periods parsed, markers flagged, numbers checked.

All of it in SQL on the staging connection, so that millions of values are
parsed in one statement.  A cell that is neither a number nor a known marker
stops the import with file, line and column; so does a value that is not
finite, and a second value for the same area, variable and period.
"""

from __future__ import annotations

from planlabor.errors import InputError
from planlabor.io.import_keys import KeyResolution
from planlabor.io.periods import EXPECTED_FORMS, parse_period, parse_period_option
from planlabor.io.source import Source
from planlabor.io.table import unique_name

SUMMABLE_FLAG_OK = {"nichts_vorhanden"}  # "-": nothing there, a part that adds zero


def key_join(k: str, s: str) -> str:
    """Equality on (key, name) where either may be NULL, as a hash join (not IS NOT DISTINCT FROM)."""
    return (
        f"coalesce({k}.key, chr(1)) = coalesce({s}.key, chr(1)) "
        f"AND coalesce({k}.name, chr(1)) = coalesce({s}.name, chr(1))"
    )


def period_join(pmap: str, alias: str, fixed: bool) -> str:
    """The period table joined to the values: one row for --period, else by the raw period."""
    if fixed:
        return f"CROSS JOIN {pmap} p"
    return f"JOIN {pmap} p ON p.period_raw = {alias}.period"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def resolve_periods(src: Source, period: str | None, stichtag: bool) -> str:
    """A table (period_raw, period): one row with NULL for ``--period``, else one per raw period."""
    con = src.con
    pmap = unique_name("pmap")
    src.temp_tables.append(pmap)
    con.execute(f"CREATE TEMP TABLE {pmap}(period_raw VARCHAR, period VARCHAR)")
    if period is not None:
        if src.has_periods:
            _refuse_period_option(src, period)
        con.execute(f"INSERT INTO {pmap} VALUES (NULL, ?)", [parse_period_option(period, stichtag=stichtag)])
        return pmap
    mapping = []
    rel = src.rows or src.name
    col_sql = "NULL" if src.rows else "min(_col)"
    for value, line, col in con.execute(
        f"SELECT period, min(_line), {col_sql} FROM {rel} GROUP BY period ORDER BY min(_line)"
    ).fetchall():
        if value is None or str(value).strip() == "":
            raise InputError(
                "Der Zeitraum der Werte ist unbekannt: die Datei nennt keinen.",
                file=src.path,
                row=int(line) if src.period_source != "Option --period" else None,
                column=col if src.period_source != "Option --period" else None,
                expected="eine Zeitspalte (z. B. ZEIT, Jahr, Stichtag), Jahre/Daten als Spaltenköpfe "
                "oder die Option --period",
                hint="Geben Sie den Stichtag an, z. B. --period 2021-12-31, oder die Spalte mit "
                "--period-column.",
            )
        try:
            mapping.append((value, parse_period(value, stichtag=stichtag)))
        except ValueError as exc:
            raise InputError(
                f"Der Zeitraum {value!r} ist nicht lesbar.",
                file=src.path,
                row=int(line),
                column=src.period_column or col,
                expected=EXPECTED_FORMS,
                hint="Korrigieren Sie den Wert oder geben Sie --period an.",
            ) from exc
    if not mapping:
        raise InputError(
            "Die Datei enthält keine Werte.",
            file=src.path,
            expected="mindestens eine Zeile mit einem Gebiet und Werten",
            hint="Prüfen Sie, ob die richtige Datei oder das richtige Tabellenblatt (--sheet) gewählt ist.",
        )
    con.executemany(f"INSERT INTO {pmap} VALUES (?, ?)", mapping)
    return pmap


def _refuse_period_option(src: Source, period: str) -> None:
    seen = [r[0] for r in src.con.execute(f"SELECT DISTINCT period FROM {src.name} LIMIT 4").fetchall()]
    raise InputError(
        f"Die Datei nennt ihre Zeiträume selbst ({src.period_source}: {', '.join(map(str, seen[:3]))} …); "
        f"--period {period} würde sie alle überschreiben.",
        file=src.path,
        expected="Zeiträume aus der Datei oder --period, nicht beides",
        hint="Lassen Sie --period weg.",
    )


def flag_case(expr: str, markers: dict[str, str]) -> str:
    """SQL CASE mapping missing-value markers (trimmed; NULL counts as empty) to their flags."""
    whens = " ".join(f"WHEN {_lit(m)} THEN {_lit(f)}" for m, f in markers.items())
    return f"CASE coalesce(trim({expr}), '') {whens} END"


def number_sql(col: str, decimal: str, thousands: str | None) -> str:
    """SQL expression parsing a text column to DOUBLE (NULL if not a number).

    The cell is trimmed only when it does not read as a number untrimmed: the cast skips the
    ASCII blanks that ``trim`` removes, so a number reads the same either way (``trim`` also
    removes no-break spaces, which the cast does not skip).  Trimming every cell cost about a
    third of the parse (issue #22).
    """

    def cast(e: str) -> str:
        if thousands:
            e = f"replace({e}, '{thousands}', '')"
        if decimal == ",":
            e = f"replace({e}, ',', '.')"
        return f"TRY_CAST({e} AS DOUBLE)"

    return f"coalesce({cast(col)}, {cast(f'trim({col})')})"


def parse_values(
    src: Source, keys: KeyResolution, pmap: str, markers: dict[str, str], rename: dict[str, str], fixed: bool
) -> str:
    """One table (or view) of every value with its layer, area, canonical period, number and flag.

    The number is parsed first; only a cell that is no number (or a number equal to a marker that
    reads as one, like ``-9999``) is cleaned and compared with the markers as text: most cells of
    a large file are numbers, and cleaning and comparing every cell as text was the import's
    largest cost (issue #22).  A wide table is parsed by :func:`_parse_wide`.
    """
    if src.wide_columns and src.rows is not None:
        return _parse_wide(src, keys, pmap, markers, rename, fixed)
    parsed = unique_name("parsed")
    src.temp_tables.append(parsed)
    carry = ["key", "layer_id", "area_id", "state", "period"]
    out = "_line, key, layer_id, area_id, state, variable, period, CASE WHEN _bad THEN raw END AS raw, "
    out += "flag, value, _bad"
    cells = _cells_sql(src, markers, rename, _located_long(src, keys, pmap, fixed), carry, out)
    src.con.execute(f"CREATE TEMP TABLE {parsed} AS {cells}")
    return parsed


def _cells_sql(
    src: Source, markers: dict[str, str], rename: dict[str, str], located: str, carry: list[str], out: str
) -> str:
    """SQL parsing the cells of ``located`` (``_line``, the ``carry`` columns, variable, value, num):
    number, flag, value and ``_bad``; selects ``out``."""
    num = number_sql("s.value", src.decimal, src.thousands)
    cell = "coalesce(trim(replace(raw, '\"', '')), '')"  # text only where the number alone cannot decide
    numeric = _numeric_markers(src, markers)
    listed = ", ".join(f"CAST('{x!r}' AS DOUBLE)" for x in numeric)
    guard = f"num IS NOT NULL AND num NOT IN ({listed})" if numeric else "num IS NOT NULL"
    whens = " ".join(f"WHEN {_lit(m)} THEN {_lit(f)}" for m, f in markers.items())
    var = "s.variable"
    if rename:
        rwhens = " ".join(f"WHEN {_lit(a)} THEN {_lit(b)}" for a, b in rename.items())
        var = f"CASE s.variable {rwhens} ELSE s.variable END"
    kept = ", ".join(carry)
    return f"""SELECT {out}
        FROM (SELECT *, {bad_value(src.thousands)} AS _bad FROM (
            SELECT _line, {kept}, variable, raw, flag, CASE WHEN flag IS NULL THEN num END AS value
            FROM (SELECT *, CASE WHEN {guard} THEN NULL ELSE CASE {cell} {whens} END END AS flag FROM (
                SELECT s._line, {", ".join("s." + c for c in carry)}, {var} AS variable,
                       s.value AS raw, coalesce(s.num, {num}) AS num
                FROM ({located}) s))))"""


def _located_long(src: Source, keys: KeyResolution, pmap: str, fixed: bool) -> str:
    """SQL of every cell of a long source with its area (key resolution) and canonical period."""
    return f"""SELECT s._line, CASE WHEN k.state <> 'Gebiet' OR {src.rows is None} THEN s.key END AS key,
            k.layer_id, k.area_id, k.state, s.variable, p.period, s.value, s.num
        FROM {src.name} s
        JOIN {keys.table} k ON {key_join("k", "s")}
        {period_join(pmap, "s", fixed)}"""


def _parse_wide(
    src: Source, keys: KeyResolution, pmap: str, markers: dict[str, str], rename: dict[str, str], fixed: bool
) -> str:
    """A wide table: keys and periods are joined to the file rows (220,000 lookups, not 11 million),
    and only the cells' own columns are kept per value (line, row group, variable, number, flag).

    What belongs to the row (key, layer, area, state, period) is stored once per row in a row
    table; a view joins it back, so that the steps after this one see the same columns as for a
    long source.  Writing five texts per value into the staging table was a third of the parse
    (issue #22).  ``_grp`` numbers the (state, layer, period) combinations, so the report counts
    group by numbers instead of texts.
    """
    con = src.con
    info, cells, parsed = unique_name("rowinfo"), unique_name("cells"), unique_name("parsed")
    src.temp_tables += [info, cells]
    src.temp_views.insert(0, parsed)  # dropped before the tables it reads
    # joined to the small key and period tables only (as before), never file rows to file rows
    kg = f"(SELECT *, CAST(dense_rank() OVER (ORDER BY state, layer_id) AS BIGINT) AS _kg FROM {keys.table})"
    pg = f"(SELECT *, CAST(dense_rank() OVER (ORDER BY period) AS BIGINT) AS _pg FROM {pmap})"
    grp = "k._kg * 4294967296 + p._pg"
    joined = f"FROM {src.rows} r JOIN {kg} k ON {key_join('k', 'r')} {period_join(pg, 'r', fixed)}"
    con.execute(
        f"""CREATE TEMP TABLE {info} AS SELECT r._line, CASE WHEN k.state <> 'Gebiet' THEN r.key END AS key,
            k.layer_id, k.area_id, k.state, p.period, {grp} AS _grp {joined}"""
    )
    cols = ", ".join(_qi(c) for c in src.wide_columns)
    located = f"""SELECT _line, _pl_state AS state, _pl_grp AS _grp, variable, value,
            CAST(NULL AS DOUBLE) AS num
        FROM (SELECT r._line, k.state AS _pl_state, {grp} AS _pl_grp,
                     {", ".join("r." + _qi(c) for c in src.wide_columns)} {joined})
        UNPIVOT INCLUDE NULLS (value FOR variable IN ({cols}))"""
    out = "_line, _grp, variable, CASE WHEN _bad THEN raw END AS raw, flag, value, _bad"
    cells_sql = _cells_sql(src, markers, rename, located, ["state", "_grp"], out)
    con.execute(f"CREATE TEMP TABLE {cells} AS {cells_sql}")
    con.execute(
        f"""CREATE TEMP VIEW {parsed} AS SELECT c._line, i.key, i.layer_id, i.area_id, i.state, c.variable,
            i.period, c.raw, c.flag, c.value, c._bad
        FROM {cells} c JOIN {info} i ON i._line = c._line"""
    )
    src.parsed_parts = (parsed, cells, info)
    return parsed


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _numeric_markers(src: Source, markers: dict[str, str]) -> list[float]:
    """The numbers of the markers that also read as numbers (``-9999``): a cell with such a number
    is compared with the markers as text (``-9999`` is flagged, ``-9999,0`` stays a number)."""
    if not markers:
        return []
    num = number_sql("s.value", src.decimal, src.thousands)
    query = f"SELECT DISTINCT {num} FROM (SELECT unnest(?) AS value) s WHERE {num} IS NOT NULL"
    rows = src.con.execute(query, [list(markers)]).fetchall()
    return [float(r[0]) for r in rows]


def bad_value(thousands: str | None) -> str:
    """SQL: a value of an area (not a flag) that is no finite number, or not in German grouping
    although the file uses it; computed while parsing, so only bad cells keep their text."""
    grouping = ""
    if thousands == ".":
        pattern = "'[-+]?[0-9]{1,3}(\\.[0-9]{3})+(,[0-9]*)?'"  # [0-9], not \\d: 3× faster (DuckDB 1.5)
        # untrimmed first (a match starts and ends with no blank, so trimming changes nothing);
        # trimmed only where that fails: half the CPU of trimming every cell
        grouping = (
            f" OR (flag IS NULL AND raw LIKE '%.%' AND NOT CASE WHEN regexp_full_match(raw, {pattern})"
            f" THEN true ELSE regexp_full_match(trim(raw), {pattern}) END)"
        )
    return (
        f"coalesce(state IN ('Gebiet', 'andere Ebene', 'Gebietsänderung', 'unbekannt') AND "
        f"((flag IS NULL AND (value IS NULL OR NOT isfinite(value))){grouping}), false)"
    )


def check_values(src: Source, parsed: str, markers: dict[str, str]) -> None:
    """Every cell a finite number or a known marker, in German number form if the file uses it."""
    bad = "_bad"
    rows = src.con.execute(
        f"SELECT _line, variable, raw FROM {parsed} WHERE {bad} ORDER BY _line LIMIT 3"
    ).fetchall()
    if not rows:
        return
    line, variable, value = rows[0]
    col = _column_of(src, int(line), variable)
    n = src.con.execute(f"SELECT count(*) FROM {parsed} WHERE {bad}").fetchone()
    shown = value if len(str(value)) <= 40 else str(value)[:40] + "…"
    dec_desc = "1.234,5" if src.decimal == "," else "1234.5"
    raise InputError(
        f"Der Wert {shown!r} ist keine Zahl und kein bekanntes Fehlwert-Zeichen "
        f"({n[0] if n else 1} solche Zelle(n)).",
        file=src.path,
        row=int(line),
        column=col,
        expected=f"eine endliche Zahl wie {dec_desc} oder ein Fehlwert-Zeichen: "
        + " ".join(repr(m) for m in list(markers)[:12]),
        hint="Korrigieren Sie die Zelle, geben Sie --decimal an, ein Zeichen mit --missing ZEICHEN=KENNUNG, "
        "oder schließen Sie die Spalte mit --exclude-column aus.",
    )


def _column_of(src: Source, line: int, variable: str) -> str:
    """The column a value came from, as the file names it (looked up only for a message)."""
    hit = src.con.execute(
        f"SELECT _col FROM {src.name} WHERE _line = ? AND variable = ? LIMIT 1", [line, variable]
    ).fetchone()
    if hit is None:  # renamed: any value column of that line
        hit = src.con.execute(f"SELECT _col FROM {src.name} WHERE _line = ? LIMIT 1", [line]).fetchone()
    return str(hit[0]) if hit else variable


def check_duplicates(src: Source, parsed: str, keys: KeyResolution, pmap: str, fixed: bool) -> None:
    """At most one value per area, variable and period (changed areas are summed later).

    A wide table is checked per row (an area and period twice), not per value.
    """
    if src.rows:
        query = f"""SELECT k.layer_id, k.area_id, '*', p.period, min(r._line), max(r._line),
                   list(DISTINCT r.key)[:3]
            FROM {src.rows} r
            JOIN {keys.table} k ON {key_join("k", "r")}
            {period_join(pmap, "r", fixed)}
            WHERE k.state IN ('Gebiet', 'andere Ebene')
            GROUP BY k.layer_id, k.area_id, p.period HAVING count(*) > 1 ORDER BY min(r._line) LIMIT 1"""
    else:
        query = f"""SELECT layer_id, area_id, variable, period, min(_line), max(_line), list(DISTINCT key)[:3]
            FROM {parsed} WHERE state IN ('Gebiet', 'andere Ebene')
            GROUP BY layer_id, area_id, variable, period HAVING count(*) > 1 ORDER BY min(_line) LIMIT 1"""
    dup = src.con.execute(query).fetchall()
    if not dup:
        return
    layer, area, variable, period, l1, l2, keys_seen = dup[0]
    spelled = f" (geschrieben als {', '.join(repr(k) for k in keys_seen)})" if len(keys_seen) > 1 else ""
    what = "" if variable == "*" else f", Variable {variable!r}"
    raise InputError(
        f"Gebiet {area!r} der Raumebene {layer!r}{spelled}{what}, Zeitraum {period} kommt "
        f"mehrfach vor (Zeilen {l1} und {l2}).",
        file=src.path,
        row=int(l2),
        column=src.key_column,
        expected="je Gebiet, Variable und Zeitraum genau ein Wert",
        hint="Entfernen Sie die doppelte Zeile oder prüfen Sie die Zeitspalte.",
    )


def merge_changed(src: Source, parsed: str, keys: KeyResolution, summable: set[str]) -> tuple[str, list[str]]:
    """Sum the values of former areas into their successors (counts only); the rest is dropped.

    A part marked "-" adds nothing; any other marked part makes the sum partial (``teilsumme``).
    Returns the table of values to store and the variables that could not be merged.
    """
    con = src.con
    if not any(s.state == "Gebietsänderung" for s in keys.states):
        return parsed, []
    dropped = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT variable FROM {parsed} WHERE state = 'Gebietsänderung' ORDER BY 1"
        ).fetchall()
        if r[0] not in summable
    ]
    merged = unique_name("merged")
    src.temp_tables.append(merged)
    ok_flags = ", ".join(_lit(f) for f in SUMMABLE_FLAG_OK)
    keep = ", ".join(_lit(v) for v in dropped) or "''"  # not NULL: NOT IN (NULL) would drop every row
    con.execute(
        f"""CREATE TEMP TABLE {merged} AS
        SELECT * FROM {parsed} WHERE NOT (state = 'Gebietsänderung' AND variable IN ({keep}))
        AND NOT (state = 'Gebiet' AND (layer_id, area_id, variable, period) IN (
            SELECT layer_id, area_id, variable, period FROM {parsed} WHERE state = 'Gebietsänderung'
            AND variable NOT IN ({keep})))
        UNION ALL
        SELECT min(_line), min(key), layer_id, area_id, 'Gebiet', variable, period, NULL,
               CASE WHEN count(value) = 0 THEN min(flag)
                    WHEN bool_or(flag IS NOT NULL AND flag NOT IN ({ok_flags})) THEN 'teilsumme' END,
               CASE WHEN count(value) > 0 THEN sum(value) END, false
        FROM {parsed}
        WHERE state IN ('Gebiet', 'Gebietsänderung') AND variable NOT IN ({keep})
          AND (layer_id, area_id, variable, period) IN (
            SELECT layer_id, area_id, variable, period FROM {parsed} WHERE state = 'Gebietsänderung')
        GROUP BY layer_id, area_id, variable, period"""
    )
    return merged, dropped
