"""CSV dialect detection for the files statistics offices actually publish.

Detects encoding (UTF-8, UTF-8 with BOM, cp1252, Latin-1), delimiter
(``;``, ``,``, tab, ``|``), decimal separator and thousands separator
(``1.234,5``).  Every guess can be overridden by an option.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from planlabor.errors import InputError

_CHUNK = 1 << 20
_CANDIDATE_DELIMITERS = [";", ",", "\t", "|"]
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}

_RE_DEC_COMMA = re.compile(r"^[-+]?\d+,\d+$")
_RE_DE_GROUPED = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$")
_RE_DEC_POINT = re.compile(r"^[-+]?\d*\.\d+$")
_RE_EN_GROUPED = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass(frozen=True)
class CsvDialect:
    """How to read a CSV file."""

    encoding: str
    delimiter: str
    decimal: str
    thousands: str | None

    def describe(self) -> str:
        names = {";": "Semikolon", ",": "Komma", "\t": "Tabulator", "|": "senkrechter Strich"}
        th = {".": "Punkt", ",": "Komma", None: "keins"}[self.thousands]
        return (
            f"Kodierung {self.encoding}, Trennzeichen {names.get(self.delimiter, self.delimiter)}, "
            f"Dezimalzeichen {'Komma' if self.decimal == ',' else 'Punkt'}, Tausendertrennzeichen {th}"
        )


_C1 = bytes(range(0x80)) + bytes(range(0xA0, 0x100))  # delete all but 0x80–0x9F


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes, else cp1252 or Latin-1."""
    with _open_bytes(path) as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        # not UTF-8: bytes that cp1252 leaves undefined mean Latin-1
        fh.seek(0)
        high: set[int] = set()
        while chunk := fh.read(_CHUNK):
            high.update(chunk.translate(None, _C1))
    return "latin-1" if high & _CP1252_UNDEFINED else "cp1252"


def _open_bytes(path: Path) -> IO[bytes]:
    """The file's bytes; of a ZIP archive, those of the one table inside (GENESIS flat files come
    zipped; reading the archive itself as text made detection depend on its timestamps)."""
    import zipfile

    if zipfile.is_zipfile(path):
        from planlabor.io.cells import zipped_table  # cells imports this module

        zf = zipfile.ZipFile(path)
        return zf.open(zipped_table(path))
    return path.open("rb")


def _sample_lines(path: Path, encoding: str, max_lines: int = 2000) -> list[str]:
    lines = []
    with io.TextIOWrapper(_open_bytes(path), encoding=encoding, errors="replace", newline="") as fh:
        for i, line in enumerate(fh):
            if i >= max_lines:
                break
            lines.append(line)
    return lines


def detect_delimiter(lines: list[str]) -> str:
    """The candidate giving the same number (>1) of fields on most sample lines.

    The most frequent width counts, not the first line's: publishers put title
    lines and notes with fewer fields above and below the table.
    """
    text = "".join(lines[:400])
    best, best_score = None, (0, 0)
    for cand in _CANDIDATE_DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(text), delimiter=cand) if r]
        except csv.Error:
            continue
        if len(rows) > 1 and len(lines) > len(rows):
            rows = rows[:-1]  # last line may be cut in the sample
        widths = Counter(len(r) for r in rows if len(r) >= 2)
        if not widths:
            continue
        width, consistent = max(widths.items(), key=lambda wc: (wc[1], wc[0]))
        score = (consistent, width)
        if consistent >= 0.3 * len(rows) and score > best_score:
            best, best_score = cand, score
    if best is None and all(len(r) == 1 for r in csv.reader(io.StringIO(text), delimiter=",") if r):
        return ","  # a single column: any delimiter reads it
    if best is None:
        raise InputError(
            "Das Trennzeichen der CSV-Datei ist nicht erkennbar.",
            expected="Spalten getrennt durch Semikolon, Komma, Tabulator oder |, in jeder Zeile gleich viele",
            hint="Geben Sie das Trennzeichen an, z. B. --delimiter ';'.",
        )
    return best


def detect_number_format(rows: list[list[str]], delimiter: str) -> tuple[str, str | None]:
    """Decimal and thousands separator from the tokens of the sample."""
    comma = grouped_de = point = grouped_en = 0
    for row in rows:
        for raw in row:
            tok = raw.strip()
            if not tok or not (tok[0].isdigit() or tok[0] in "+-"):
                continue
            if _RE_DEC_COMMA.match(tok):
                comma += 1
            elif _RE_DE_GROUPED.match(tok):
                grouped_de += 1
                if "," in tok:
                    comma += 1
            if _RE_DEC_POINT.match(tok) and not _RE_DE_GROUPED.match(tok):
                point += 1
            if _RE_EN_GROUPED.match(tok) and "." in tok and delimiter != ",":
                grouped_en += 1
    if comma and not point:
        return ",", "."
    if point and not comma:
        return ".", ("," if grouped_en else None)
    if comma and point:
        # both forms present: the majority wins, thousands follow it
        return (",", ".") if comma >= point else (".", None)
    if grouped_de and delimiter != ",":
        # only 1.234-like tokens: German thousands grouping is by far the likelier reading
        return ",", "."
    return ".", None


def sniff_csv(
    path: Path,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
) -> CsvDialect:
    """Detect the dialect of ``path``; given arguments win over detection."""
    try:
        return _sniff(path, encoding, delimiter, decimal, thousands)
    except (csv.Error, UnicodeError, LookupError) as exc:
        raise InputError(
            f"Die Datei ist nicht als CSV lesbar: {exc}",
            file=path,
            expected="eine Textdatei mit Kopfzeile und Spalten, getrennt durch ; , Tab oder |",
            hint="Prüfen Sie, ob die Datei wirklich eine CSV-Datei ist, und geben Sie Kodierung und "
            "Trennzeichen mit --encoding und --delimiter an.",
        ) from exc


def _sniff(
    path: Path,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
) -> CsvDialect:
    enc = encoding or detect_encoding(path)
    lines = _sample_lines(path, enc)
    if not lines:
        raise InputError(
            "Die Datei ist leer.", file=path, expected="eine Kopfzeile und mindestens eine Datenzeile"
        )
    try:
        delim = delimiter or detect_delimiter(lines)
    except InputError as exc:
        exc.file = path
        raise
    if decimal is None:
        rows = list(csv.reader(io.StringIO("".join(lines[1:])), delimiter=delim))
        dec, th = detect_number_format(rows, delim)
        if thousands is not None:
            th = thousands or None
    else:
        dec = decimal
        th = thousands if thousands is not None else ("." if decimal == "," else None)
        th = th or None
    if th == dec:
        raise InputError(
            "Dezimal- und Tausendertrennzeichen dürfen nicht gleich sein.",
            file=path,
            hint="Prüfen Sie --decimal und --thousands.",
        )
    return CsvDialect(encoding=enc, delimiter=delim, decimal=dec, thousands=th)
