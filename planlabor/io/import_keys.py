"""Import step *keys*: every distinct key (or name) of a file resolved to a layer and area, or explained.

Each key ends in exactly one of these states, all shown in the dry run:

* ``Gebiet`` — an area of the target layer (exactly or in another spelling, see
  :mod:`planlabor.areas.keys`);
* ``andere Ebene`` — an area of another layer of the hierarchy (Land, Deutschland in a
  Kreis table): imported there;
* ``Ebene ohne Raumebene`` — a row of a higher level with no layer of its own: skipped;
* ``Gebietsänderung`` — a former area mapped to its successor by a change table: counts
  are summed into the successor;
* ``keine Werte`` — the row has no value at all (only markers): skipped;
* ``aufgelöst`` — values only in earlier periods, none in the file's latest: an area that
  no longer exists; skipped;
* ``unbekannt`` — anything else: quarantined or refused (``--on-unmatched``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyarrow as pa

from planlabor.areas.keys import KeyMatcher, LayerKeys, clean_key, name_key, related_keys
from planlabor.errors import InputError
from planlabor.io.source import Source
from planlabor.io.table import unique_name
from planlabor.store import Store

_TOTAL_WORDS = {"insgesamt", "gesamt", "summe", "zusammen", "total"}
TOTAL_NAMES = {"deutschland", "schweiz", "osterreich", "oesterreich", "insgesamt", "gesamt", "summe", "total"}


@dataclass
class KeyState:
    key: str | None
    name: str | None
    state: str
    layer_id: str | None = None
    area_id: str | None = None
    how: str = ""
    lines: list[int] = field(default_factory=list)


@dataclass
class KeyResolution:
    table: str  # temp table (key, name, layer_id, area_id, state)
    states: list[KeyState]

    def by_state(self, state: str) -> list[KeyState]:
        return [s for s in self.states if s.state == state]

    def count(self, state: str) -> int:
        return sum(1 for s in self.states if s.state == state)


def build_matcher(store: Store, target: str) -> KeyMatcher:
    layers = []
    for info in store.layers():
        df = store.areas(info.layer_id)
        keys = df["area_id"].astype(str).tolist()
        names = {k: (n if isinstance(n, str) and n else None) for k, n in zip(keys, df["name"], strict=True)}
        layers.append(LayerKeys(info.layer_id, keys, names))
    return KeyMatcher(layers, target)


def load_changes(path: str | None) -> dict[str, str]:
    """Former key → successor key: the built-in German Kreis changes plus a table of one's own."""
    text = resources.files("planlabor.areas").joinpath("data/gebietsaenderungen_de.csv").read_text("utf-8")
    out = _parse_changes(text.splitlines(), "gebietsaenderungen_de.csv")
    if path:
        p = Path(path)
        if not p.exists():
            raise InputError(f"Die Änderungstabelle {p} gibt es nicht.", file=p, column="--changes")
        out.update(_parse_changes(p.read_text(encoding="utf-8-sig").splitlines(), str(p)))
    return out


def dissolved_areas() -> dict[str, str]:
    """Keys of German Kreise that no longer exist → the last day they existed (DD.MM.YYYY)."""
    text = resources.files("planlabor.areas").joinpath("data/aufgeloeste_kreise_de.csv").read_text("utf-8")
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    out = {}
    for r in csv.DictReader(rows, delimiter=";"):
        y, m, d = r["bis"].split("-")
        out[r["schluessel"]] = f"{d}.{m}.{y}"
    return out


def _parse_changes(lines: list[str], file: str) -> dict[str, str]:
    rows = [line for line in lines if line.strip() and not line.startswith("#")]
    if not rows:
        return {}
    delim = ";" if ";" in rows[0] else ","
    reader = csv.DictReader(rows, delimiter=delim)
    cols = {c.lower(): c for c in reader.fieldnames or []}
    if "alt" not in cols or "neu" not in cols:
        raise InputError(
            "Die Änderungstabelle braucht die Spalten 'alt' und 'neu'.",
            file=file,
            row=1,
            expected="Kopfzeile alt;neu[;gueltig_ab]",
        )
    return {clean_key(r[cols["alt"]]): clean_key(r[cols["neu"]]) for r in reader if r[cols["alt"]]}


@dataclass
class _Row:
    """One distinct (key, name) of the file and what its values say."""

    key: str | None
    name: str | None
    lines: list[int]
    n_values: int  # numbers and markers other than "-"
    last: str | None  # last period with a number
    only_dashes: bool  # nothing but "-" (nothing there): an area that did not exist


@dataclass
class _Context:
    matcher: KeyMatcher
    map_keys: dict[str, str]
    changes: dict[str, str]
    dissolved: dict[str, str]
    target_keys: set[str]
    latest: str | None
    names_are_keys: bool


_DASHES = "('-', '–', '—')"


def resolve_keys(
    src: Source,
    pmap: str,
    matcher: KeyMatcher,
    map_keys: dict[str, str],
    changes: dict[str, str],
    markers: set[str],
) -> KeyResolution:
    """Resolve all distinct (key, name) pairs of ``src``; writes the mapping table."""
    con = src.con
    rows = _distinct_rows(src, pmap, markers, matcher, map_keys)
    last_period = con.execute(f"SELECT max(period) FROM {pmap}").fetchone()
    names_are_keys = all(not r.key for r in rows) or _names_link(rows, matcher)
    if names_are_keys:
        for r in rows:
            r.key = None if r.name else r.key
    ctx = _Context(
        matcher,
        map_keys,
        changes,
        dissolved_areas(),
        set(matcher.layers[matcher.target].keys),
        last_period[0] if last_period else None,
        names_are_keys,
    )
    states = [_state(r, ctx) for r in rows]
    _refuse_keyless(src, states)
    _refuse_ambiguous_names(src, matcher, states)
    table = unique_name("keymap")
    con.register(
        table + "_src",
        pa.table(
            {
                "key": pa.array([s.key for s in states], pa.string()),
                "name": pa.array([s.name for s in states], pa.string()),
                "layer_id": pa.array([s.layer_id for s in states], pa.string()),
                "area_id": pa.array([s.area_id for s in states], pa.string()),
                "state": pa.array([s.state for s in states], pa.string()),
            }
        ),
    )
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {table}_src")
    con.unregister(table + "_src")
    src.temp_tables.append(table)
    return KeyResolution(table, states)


def _distinct_rows(
    src: Source, pmap: str, markers: set[str], quick: KeyMatcher, map_keys: dict[str, str]
) -> list[_Row]:
    """Every distinct (key, name) with its lines; what its values say only where the key is not
    found at once (a plain table of 11 million values is not scanned again for that)."""
    rel = src.rows or src.name
    result = src.con.execute(
        f"SELECT key, name, list(DISTINCT _line ORDER BY _line)[:5] FROM {rel} "
        "GROUP BY key, name ORDER BY min(_line)"
    ).fetchall()
    rows = [_Row(k, n, [int(x) for x in lines], 1, None, False) for k, n, lines in result]
    exact = quick.layers[quick.target].exact
    need = [
        r
        for r in rows
        if not (r.key in exact and r.key not in map_keys)
        and quick.match(map_keys.get(clean_key(r.key), clean_key(r.key)), r.name) is None
    ]
    if need:
        _value_stats(src, pmap, markers, need)
    return rows


def _value_stats(src: Source, pmap: str, markers: set[str], rows: list[_Row]) -> None:
    marker_list = ", ".join("'" + m.replace("'", "''") + "'" for m in markers | {""})
    number = f"(s.num IS NOT NULL OR (s.value IS NOT NULL AND trim(s.value) NOT IN ({marker_list})))"
    content = f"(s.num IS NOT NULL OR coalesce(trim(s.value), '') NOT IN ('', {_DASHES[1:-1]}))"
    fixed = src.con.execute(f"SELECT bool_and(period_raw IS NULL) FROM {pmap}").fetchone()
    join = f"LEFT JOIN {pmap} p ON " + ("TRUE" if fixed and fixed[0] else "p.period_raw = s.period")
    wanted = unique_name("wanted")
    src.con.register(wanted, pa.table({"key": [r.key for r in rows], "name": [r.name for r in rows]}))
    try:
        result = src.con.execute(
            f"""SELECT s.key, s.name, count(*) FILTER (WHERE {number}), max(p.period) FILTER (WHERE {number}),
                       count(*) FILTER (WHERE {content}) = 0
                       AND count(*) FILTER (WHERE trim(s.value) IN {_DASHES}) > 0
                FROM {src.name} s SEMI JOIN {wanted} w
                  ON coalesce(w.key, chr(1)) = coalesce(s.key, chr(1))
                 AND coalesce(w.name, chr(1)) = coalesce(s.name, chr(1))
                {join} GROUP BY s.key, s.name"""
        ).fetchall()
    finally:
        src.con.unregister(wanted)
    stats = {(k, n): (nv, last, bool(d)) for k, n, nv, last, d in result}
    for r in rows:
        r.n_values, r.last, r.only_dashes = stats.get((r.key, r.name), (0, None, False))


def _names_link(rows: list[_Row], matcher: KeyMatcher) -> bool:
    """The file's keys are another system than the layer's, but its names match: names link."""
    keys = [r.key for r in rows if r.key]
    names: list[str | None] = [r.name for r in rows if r.name]
    if not names or matcher.match_rate(keys) >= 0.2:
        return False
    return matcher.match_rate([], names) >= 0.5


def _state(row: _Row, ctx: _Context) -> KeyState:
    key, name, lines = row.key, row.name, row.lines
    k = clean_key(key) if key else ""
    k = ctx.map_keys.get(k, k)
    if not k and name and _FORMER.search(name):  # "Göttingen, Landkreis (bis 31.10.2016)" by name only
        return KeyState(key, name, "aufgelöst", how="früheres Gebiet", lines=lines)
    # in a keyed table a row without a key is another level ("Deutschland", "- Zürich"), never matched by name
    m = ctx.matcher.match(k, name) if k or ctx.names_are_keys else ctx.matcher.other_level(k, name)
    if m is not None:
        state = "Gebiet" if m.layer_id == ctx.matcher.target else "andere Ebene"
        return KeyState(key, name, state, m.layer_id, m.area_id, m.how, lines)
    k = _zero_lost(k, ctx)
    if k in ctx.changes and ctx.changes[k] in ctx.target_keys:
        to = ctx.changes[k]
        return KeyState(key, name, "Gebietsänderung", ctx.matcher.target, to, f"→ {to}", lines)
    level = _other_level(k, name, ctx)
    if level:
        return KeyState(key, name, "Ebene ohne Raumebene", how=level, lines=lines)
    if k in ctx.dissolved:
        return KeyState(key, name, "aufgelöst", how=f"bis {ctx.dissolved[k]}", lines=lines)
    if row.only_dashes or row.n_values == 0:
        return KeyState(key, name, "keine Werte", lines=lines)
    if ctx.latest is not None and row.last is not None and row.last < ctx.latest:
        return KeyState(key, name, "aufgelöst", how=f"Werte bis {row.last}", lines=lines)
    return KeyState(key, name, "unbekannt", lines=lines)


_FORMER = re.compile(r"\((bis|b\.)\s*\d{1,2}\.\d{1,2}\.\d{4}\)")


def _zero_lost(k: str, ctx: _Context) -> str:
    """A numeric key one digit short of the layer's keys whose padded form is a known former area
    (``3152`` from a spreadsheet for the Kreis ``03152`` dissolved in 2016)."""
    widths = {len(t) for t in ctx.target_keys}
    if k.isdigit() and len(widths) == 1 and len(k) + 1 == min(widths):
        padded = k.zfill(len(k) + 1)
        if padded in ctx.changes or padded in ctx.dissolved:
            return padded
    return k


def _other_level(k: str, name: str | None, ctx: _Context) -> str | None:
    """Why a row belongs to another level that has no layer here (or None)."""
    if not k and name and (name_key(name) in TOTAL_NAMES or set(name_key(name).split()) & _TOTAL_WORDS):
        return "Summe"
    if k in ("DG", "CH", "AT", "DE", "90000", "90001", "900"):
        return "Staat" if k not in ("90000", "90001", "900") else "Wien insgesamt"
    widths = {len(t) for t in ctx.target_keys}
    if k.isdigit() and len(widths) == 1 and len(k) < min(widths):
        return "übergeordnet"
    if k and related_keys(k, sorted(ctx.target_keys)):
        return "untergeordnet" if len(k) > min(widths) else "übergeordnet"
    if not k and name and not ctx.names_are_keys:
        return "ohne Schlüssel"
    return None


def _refuse_keyless(src: Source, states: list[KeyState]) -> None:
    """A row with neither key nor name cannot be placed anywhere."""
    lost = [s for s in states if not (s.key or "").strip() and not s.name and s.state != "keine Werte"]
    if lost:
        lines = sorted(line for s in lost for line in s.lines)
        raise InputError(
            f"{len(lines)} Zeile(n) ohne Gebietsschlüssel.",
            file=src.path,
            row=lines[0],
            column=src.key_column,
            expected="ein Gebietsschlüssel in jeder Zeile",
            hint="Ergänzen oder löschen Sie die Zeilen ohne Schlüssel.",
        )


def _refuse_ambiguous_names(src: Source, matcher: KeyMatcher, states: list[KeyState]) -> None:
    """Names as keys: a name that several areas carry cannot be placed."""
    for s in states:
        if s.key or not s.name or s.state not in ("Ebene ohne Raumebene", "unbekannt"):
            continue
        hits = matcher.ambiguous_names(s.name)
        if len(hits) > 1:
            raise InputError(
                f"Der Name {s.name!r} passt zu {len(hits)} Gebieten der Raumebene {matcher.target!r}: "
                + ", ".join(hits[:6]),
                file=src.path,
                row=s.lines[0] if s.lines else None,
                expected="eindeutige Gebietsnamen oder eine Spalte mit Schlüsseln",
                hint="Ergänzen Sie die Schlüssel in der Datei oder ordnen Sie mit --map-key zu.",
            )
