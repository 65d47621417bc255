"""Reader for the Zensus grid files (Gitterzellen, INSPIRE grid in EPSG:3035).

Three layouts, the same for 100 m, 1 km and 10 km cells:

* **Zensus 2022 CSV** (the publisher's download, e.g. ``Zensus2022_Bevoelkerungszahl_1km-Gitter.csv``):
  ``GITTER_ID_1km;x_mp_1km;y_mp_1km;Einwohner``, ``;``-separated, decimal comma, ``–`` (en dash)
  for a value suppressed for confidentiality, ids like ``CRS3035RES1000mN2689000E4337000`` naming
  the south-west corner; a column ``werterlaeuternde_Zeichen`` holds notes, not values.
* **Zensus 2011 CSV** (``Zensus_Bevoelkerung_1km-Gitter.csv``): ``Gitter_ID_1km`` like
  ``1kmN2689E4337``, ``x_mp_1km``, ``y_mp_1km``; ``-1`` = no value, ``-9`` = suppressed.
* **Parquet** conversions of either (as in the z22data project): one or more value columns
  and the cell centre ``x``, ``y`` (or ``x_mp_1km``/``y_mp_1km``, or a ``GITTER_ID`` column);
  numeric ``-1`` = no value, ``-9`` = suppressed (the 2011 convention), empty = no value.

:func:`read_grid` returns a :class:`GridTable` whose ``frame`` is one long table, one row per
cell and variable: ``cell_id``, ``x``, ``y`` (cell centre, EPSG:3035), ``size`` (edge in metres),
``variable`` (the column name), ``raw`` (the text in the file), ``value`` (a number, or empty
where flagged), ``flag`` (``gesperrt`` / ``fehlend`` / empty) and ``line`` (the line in the
CSV, the record number in a Parquet file).  :func:`sniff` says how sure it is that a file is a
grid file (0–1).  Everything is vectorised (Arrow, NumPy): no Python loop per cell.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planlabor.errors import InputError

# The cell ids live in planlabor.areas.keys_grid; they are imported inside the functions because
# planlabor.areas imports planlabor.io at package level (a top-level import here would be a cycle).

#: for the registry of readers (``planlabor formats``): name, what it reads, an example file
FORMAT = "zensus-gitter"
DESCRIPTION = "Zensus-Gitterzellen 100 m / 1 km / 10 km: CSV des Zensus 2022 und 2011, Parquet-Umwandlungen"
EXAMPLE = "Zensus2022_Bevoelkerungszahl_1km-Gitter.csv (GITTER_ID_1km;x_mp_1km;y_mp_1km;Einwohner)"
#: Stichtage of the censuses (the file states the census; the grid has no date column)
CENSUS_DATES = {"2011": "2011-05-09", "2022": "2022-05-15"}
SUPPRESSED = "gesperrt"
NO_VALUE = "fehlend"
NOTE_COLUMNS = {"werterlaeuternde_zeichen", "werterläuternde_zeichen"}
LAYOUT_NAMES = {
    "zensus2022": "Zensus 2022 (CSV des Herausgebers)",
    "zensus2011": "Zensus 2011 (CSV des Herausgebers)",
    "parquet": "Parquet-Umwandlung (z. B. z22data)",
}
_ID = re.compile(r"^gitter_id(_(100m|1km|10km))?$", re.I)
_X = re.compile(r"^x(_mp(_(100m|1km|10km))?)?$", re.I)
_Y = re.compile(r"^y(_mp(_(100m|1km|10km))?)?$", re.I)
_DASHES = ("–", "—", "-")  # en dash as published, em dash and hyphen as re-saved by spreadsheets
EXPECTED_VALUE = "eine Zahl wie 1234, 1.234 oder 44,6, '–' für gesperrt oder leer"


@dataclass
class GridTable:
    """A grid file as one long table (see the module docstring) and what was recognised."""

    frame: pd.DataFrame
    path: Path
    layout: str
    cell_size: int
    variables: list[str]
    period: str | None = None
    period_source: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def layout_name(self) -> str:
        return LAYOUT_NAMES[self.layout]


# ---------------------------------------------------------------------- sniff
def sniff(path: str | Path) -> float:
    """How sure (0–1) that ``path`` is a Zensus grid file this module reads."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
            roles = _roles(names)
            if roles.id is not None:
                return 0.99
            if not (roles.x and roles.y and roles.values):
                return 0.0
            return (
                0.9 if _on_grid(pq.ParquetFile(path).read_row_group(0, columns=[roles.x, roles.y])) else 0.1
            )
        if path.suffix.lower() not in (".csv", ".txt"):
            return 0.0
        with path.open("rb") as fh:
            head = fh.read(4096)
    except (OSError, pa.ArrowInvalid):
        return 0.0
    lines = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    if not lines:
        return 0.0
    names = _split_header(lines[0])
    roles = _roles(names)
    if roles.id is None:
        return 0.3 if roles.x and roles.y and any("_mp_" in n.lower() for n in names) else 0.0
    if len(lines) > 1:
        from planlabor.areas.keys_grid import is_cell_id

        first = lines[1].split(_delimiter(lines[0]))[names.index(roles.id)]
        return 0.99 if is_cell_id(first.strip().strip('"')) else 0.5
    return 0.9


def _on_grid(table: pa.Table) -> bool:
    """True if the first coordinates are cell centres of a Zensus grid inside Europe's EPSG:3035 frame."""
    from planlabor.areas.keys_grid import size_from_centres

    head = table.slice(0, 1000)
    try:
        x = np.asarray(head.column(0).to_numpy(), dtype=np.float64)
        y = np.asarray(head.column(1).to_numpy(), dtype=np.float64)
    except (pa.ArrowInvalid, TypeError, ValueError):
        return False
    inside = (x > 1e6).all() and (x < 8e6).all() and (y > 1e6).all() and (y < 6e6).all()
    return bool(len(x)) and bool(inside) and size_from_centres(x, y) is not None


def _delimiter(header: str) -> str:
    return max((";", ",", "\t"), key=header.count)


def _split_header(header: str) -> list[str]:
    return [h.strip().strip('"') for h in header.lstrip("\ufeff").split(_delimiter(header))]


@dataclass(frozen=True)
class _Roles:
    """Which column is the cell id, the centre x/y, notes, values."""

    id: str | None
    x: str | None
    y: str | None
    notes: list[str]
    values: list[str]


def _roles(names: list[str]) -> _Roles:
    ids = [n for n in names if _ID.match(n)]
    xs = [n for n in names if _X.match(n)]
    ys = [n for n in names if _Y.match(n)]
    notes = [n for n in names if n.lower() in NOTE_COLUMNS]
    taken = set(ids[:1] + xs[:1] + ys[:1] + notes)
    return _Roles(
        id=ids[0] if ids else None,
        x=xs[0] if xs else None,
        y=ys[0] if ys else None,
        notes=notes,
        values=[n for n in names if n not in taken and n and not n.startswith("__index")],
    )


# ----------------------------------------------------------------------- read
def read_grid(path: str | Path) -> GridTable:
    """Read a Zensus grid file (CSV 2022/2011 or Parquet) into a long table."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"Die Datei {path} gibt es nicht.", file=path, hint="Prüfen Sie den Pfad.")
    if path.suffix.lower() == ".parquet":
        table, lines, layout = _read_parquet(path)
    else:
        table, lines, layout = _read_csv(path)
    names = table.column_names
    roles = _roles(names)
    values = roles.values
    if not values:
        raise InputError(
            "Die Gitterdatei hat keine Wertespalte.",
            file=path,
            row=1,
            expected="neben GITTER_ID und x_mp/y_mp mindestens eine Spalte mit Werten, z. B. Einwohner",
        )
    warnings: list[str] = []
    x, y, size, ids = _cells(path, table, roles, lines)
    if layout == "csv":
        layout = "zensus2011" if str(ids[0]).lower().startswith(("1km", "100m", "10km")) else "zensus2022"
    for col in roles.notes:
        n = int(
            pc.sum(pc.not_equal(pc.utf8_trim_whitespace(table.column(col).cast(pa.string())), "")).as_py()
            or 0
        )
        warnings.append(
            f"Spalte {col!r} enthält Hinweiszeichen, keine Werte ({n} nicht leer); nicht übernommen."
        )
    parts = []
    for col in values:
        raw, value, flag = _values(path, table.column(col), col, lines, layout, warnings)
        parts.append(
            pd.DataFrame(
                {
                    "cell_id": ids,
                    "x": x,
                    "y": y,
                    "size": size,
                    "variable": col,
                    "raw": raw,
                    "value": value,
                    "flag": flag,
                    "line": lines,
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    period, source = _period(path, layout)
    return GridTable(frame, path, layout, int(size[0]), list(values), period, source, warnings)


def _read_csv(path: Path) -> tuple[pa.Table, np.ndarray, str]:
    import pyarrow.csv as pacsv

    from planlabor.io.csv_ import detect_encoding

    data = path.read_bytes()
    encoding = detect_encoding(path)
    if encoding not in ("utf-8", "utf-8-sig"):
        data = data.decode(encoding).encode("utf-8")
    data = data.removeprefix(b"\xef\xbb\xbf")
    lines = _nonempty_lines(data)
    if len(lines) < 2:
        raise InputError("Die Gitterdatei hat keine Datenzeilen.", file=path, row=1)
    header = data[: data.find(b"\n")].decode("utf-8") if b"\n" in data else data.decode("utf-8")
    names = _split_header(header)
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=_delimiter(header)),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(
            "Eine Zeile der Gitterdatei hat nicht so viele Felder wie die Kopfzeile.",
            file=path,
            row=_ragged_line(data, _delimiter(header), len(names)),
            expected=f"{len(names)} Felder je Zeile, getrennt durch {_delimiter(header)!r}",
            detail=str(exc),
        ) from exc
    return table, lines[1 : table.num_rows + 1], "csv"


def _ragged_line(data: bytes, delimiter: str, width: int) -> int | None:
    """The first line with another number of fields than the header (only to report an error)."""
    import csv

    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")), delimiter=delimiter)
    for row in reader:
        if row and len(row) != width:
            return reader.line_num
    return None


def _nonempty_lines(data: bytes) -> np.ndarray:
    """Line numbers (1-based) of the non-empty lines: blank lines are skipped by the CSV reader,
    so data rows are matched to their line in the file through this list."""
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    if len(buf) and buf[-1] != 10:
        ends = np.append(ends, len(buf))
    starts = np.concatenate([[0], ends[:-1] + 1])
    length = ends - starts
    cr = np.zeros(len(ends), dtype=bool)
    has = length > 0
    cr[has] = buf[ends[has] - 1] == 13
    return np.flatnonzero(length - cr > 0) + 1


def _read_parquet(path: Path) -> tuple[pa.Table, np.ndarray, str]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(
            f"Die Parquet-Datei ist nicht lesbar: {exc}", file=path, expected="eine Parquet-Datei"
        ) from exc
    return table, np.arange(1, table.num_rows + 1), "parquet"


def _number_column(path: Path, column: pa.ChunkedArray, name: str, lines: np.ndarray) -> np.ndarray:
    """Coordinates as numbers; text that is not a number is an error naming its line."""
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        out = column.to_numpy().astype(np.float64)
    else:
        text = pc.replace_substring(pc.utf8_trim_whitespace(column), ",", ".")
        ok = pc.match_substring_regex(text, r"^-?[0-9]+(\.[0-9]+)?$").to_numpy(zero_copy_only=False)
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise InputError(
                f"Die Koordinate {column[i].as_py()!r} ist keine Zahl.",
                file=path,
                row=int(lines[i]),
                column=name,
                expected="der Zellmittelpunkt in Metern (EPSG:3035), z. B. 4337500",
            )
        out = pc.cast(text, pa.float64()).to_numpy()
    if np.isnan(out).any():
        i = int(np.flatnonzero(np.isnan(out))[0])
        raise InputError(
            "Der Zellmittelpunkt fehlt.", file=path, row=int(lines[i]), column=name, expected="eine Zahl"
        )
    return out


def _cells(
    path: Path, table: pa.Table, roles: _Roles, lines: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centre x, y, size and id of every row, checked against each other."""
    from planlabor.areas.keys_grid import format_cell_ids, parse_cell_ids, size_from_centres, size_from_name

    id_col, x_col, y_col = roles.id, roles.x, roles.y
    if id_col is not None:
        ids = np.asarray(table.column(id_col).to_numpy(), dtype=object)
        keys = parse_cell_ids(ids, file=path, column=id_col, lines=lines)
        size = keys.size
        x, y = keys.centre_x.astype(np.float64), keys.centre_y.astype(np.float64)
        if x_col and y_col:
            for name, want in ((x_col, x), (y_col, y)):
                got = _number_column(path, table.column(name), name, lines)
                bad = got != want
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    raise InputError(
                        f"Der Zellmittelpunkt {got[i]:.0f} passt nicht zur Zellen-ID {ids[i]!r} "
                        f"(Mitte dort: {want[i]:.0f}).",
                        file=path,
                        row=int(lines[i]),
                        column=name,
                        expected="die Mitte der Zelle: Südwestecke aus der ID plus halbe Zellgröße",
                    )
    elif x_col and y_col:
        x = _number_column(path, table.column(x_col), x_col, lines)
        y = _number_column(path, table.column(y_col), y_col, lines)
        stated = size_from_name(x_col) or size_from_name(path.name)
        found = size_from_centres(x, y)
        if stated is not None and (x % stated != stated / 2).any():
            found = None
        cell = stated if stated is not None and found is not None else found
        if cell is None:
            raise InputError(
                "Die Zellgröße ist nicht erkennbar: die Mittelpunkte liegen nicht auf einem "
                "100-m-, 1-km- oder 10-km-Gitter"
                + (f" (Spaltenname/Dateiname nennen {stated} m)." if stated else "."),
                file=path,
                column=x_col,
                expected="Zellmittelpunkte wie 4337500 (1 km) oder 4337550 (100 m) in EPSG:3035",
            )
        size = np.full(len(x), cell, dtype=np.int64)
        ids = format_cell_ids((x - cell / 2).astype(np.int64), (y - cell / 2).astype(np.int64), size)
    else:
        raise InputError(
            "Die Datei hat weder eine Gitterzellen-ID noch Zellmittelpunkte.",
            file=path,
            row=1,
            expected="eine Spalte GITTER_ID_1km (oder _100m) oder die Spalten x_mp_1km und y_mp_1km",
        )
    sizes = np.unique(size)
    if len(sizes) > 1:
        i = int(np.flatnonzero(size != size[0])[0])
        raise InputError(
            f"Die Datei mischt Zellgrößen ({', '.join(f'{s} m' for s in sizes)}).",
            file=path,
            row=int(lines[i]),
            column=id_col or x_col,
            expected="Zellen einer Größe je Datei",
        )
    _check_unique(path, x, y, ids, lines, id_col or x_col)
    return x, y, size, ids


def _check_unique(
    path: Path, x: np.ndarray, y: np.ndarray, ids: np.ndarray, lines: np.ndarray, column: str | None
) -> None:
    key = pd.Series((x * 2).astype(np.int64) * 20_000_000 + (y * 2).astype(np.int64))
    dup = key.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero((key == key.iloc[i]).to_numpy())[0])
        raise InputError(
            f"Die Zelle {ids[i]!r} steht zweimal in der Datei (zuerst in Zeile {int(lines[first])}).",
            file=path,
            row=int(lines[i]),
            column=column,
            expected="jede Zelle einmal",
        )


def _values(
    path: Path,
    column: pa.ChunkedArray,
    name: str,
    lines: np.ndarray,
    layout: str,
    warnings: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw text, number and flag of one value column."""
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        value = column.to_numpy().astype(np.float64)
        raw = np.asarray(pc.cast(column, pa.string()).to_numpy(zero_copy_only=False), dtype=object)
        missing = np.isnan(value)
        suppressed = np.zeros(len(value), dtype=bool)
    else:
        raw, value, missing, suppressed = _parse_text(
            path, column, name, lines, german=layout == "zensus2022"
        )
    if layout in ("zensus2011", "parquet"):
        missing = missing | (value == -1)
        suppressed = suppressed | (value == -9)
    elif (value < 0).any():
        warnings.append(
            f"Spalte {name!r}: {int((value < 0).sum())} negative Werte; im Zensus 2022 stehen "
            "gesperrte Werte als '–'. Prüfen Sie, ob die Datei umgewandelt wurde."
        )
    flag = np.full(len(value), None, dtype=object)
    flag[missing] = NO_VALUE
    flag[suppressed] = SUPPRESSED
    value[missing | suppressed] = np.nan
    return raw, value, flag


def _parse_text(
    path: Path, column: pa.ChunkedArray, name: str, lines: np.ndarray, german: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Numbers from text, dashes as suppressed, empty as no value.

    German numbers (the Zensus 2022 layout, or any column with a decimal comma): ``1.234`` is a
    thousand, ``44,6`` a decimal; a point that does not group thousands is refused rather than
    guessed.  Otherwise (2011 layout, Parquet text) a point is the decimal point.
    """
    text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    raw = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    dash = pc.is_in(text, pa.array(_DASHES)).to_numpy(zero_copy_only=False)
    empty = pc.equal(text, "").to_numpy(zero_copy_only=False)
    if german or bool(pc.any(pc.match_substring(text, ",")).as_py()):
        pattern = r"^[-+]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]+)(,[0-9]+)?$"
        ok = pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False)
        num = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
    else:
        num = text
        ok = pc.match_substring_regex(num, r"^[-+]?[0-9]+(\.[0-9]*)?$").to_numpy(zero_copy_only=False)
    bad = ~(ok | dash | empty)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"Der Wert {raw[i]!r} ist keine Zahl und kein Zeichen für gesperrt."
            + (f" ({int(bad.sum()) - 1} weitere solche Werte.)" if bad.sum() > 1 else ""),
            file=path,
            row=int(lines[i]),
            column=name,
            expected=EXPECTED_VALUE,
        )
    value = np.full(len(raw), np.nan)
    value[ok] = pc.cast(pc.filter(num, pa.array(ok)), pa.float64()).to_numpy()
    return raw, value, empty, dash


def _period(path: Path, layout: str) -> tuple[str | None, str | None]:
    """The census Stichtag the file states by its name or its id spelling."""
    m = re.search(r"zensus[ _-]?(2011|2022)", str(path).lower())
    if m:
        year = m.group(1)
        return CENSUS_DATES[year], f"Dateiname/Ordner nennt den Zensus {year} (Stichtag)"
    if layout == "zensus2011":
        return CENSUS_DATES["2011"], "Zellen-IDs im Stil des Zensus 2011 (Stichtag)"
    return None, None


# ------------------------------------------------------------- readers registry
@dataclass(frozen=True)
class GridReader:
    """The entry of the grid files in the registry of readers (:mod:`planlabor.io.readers`).

    It has the fields of :class:`planlabor.io.readers.base.Reader` but is defined here: importing
    that module would load the registry, which imports this module while it is being built.
    """

    name: str
    title: str
    publisher: str
    example: str
    sniff: Callable[[Any], float]
    read: Callable[[Any], Any]
    notes: list[str] = field(default_factory=list)


def _sniff_probe(probe: Any) -> float:
    return sniff(probe.path)


def _refer_to_grid_import(ctx: Any) -> Any:
    """Grid cells are not keyed by area: they are assigned to the areas by their position."""
    layer = ctx.options.layer
    period = f" --period {ctx.options.period}" if getattr(ctx.options, "period", None) else ""
    raise InputError(
        "Die Datei ist eine Gitterdatei des Zensus: ihre Zellen tragen keine Gebietsschlüssel, "
        "sondern werden den Gebieten nach ihrer Lage zugeordnet.",
        file=ctx.path,
        expected="für 'planlabor import' eine Tabelle mit Gebietsschlüsseln",
        hint=f"Importieren Sie sie mit 'planlabor grid import {ctx.path.name} --layer {layer}{period}' "
        "(mit --methode flaeche nach Flächenanteilen, mit --dry-run erst zur Ansicht).",
    )


READERS = [
    GridReader(
        FORMAT,
        DESCRIPTION,
        "Statistische Ämter des Bundes und der Länder (Zensus 2011, Zensus 2022)",
        "Zensus2022_Bevoelkerungszahl_1km-Gitter.csv",
        _sniff_probe,
        _refer_to_grid_import,
        ["Zellen werden räumlich zugeordnet: planlabor grid import DATEI --layer EBENE"],
    )
]
