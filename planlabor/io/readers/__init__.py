"""The registry of table readers: publishers' formats and the generic table.

Every reader has a sniff that says how sure it is (0–1) that a file is in its
format, and a read that returns the same long table (:class:`~planlabor.io.source.Source`).
``planlabor import FILE --layer L`` takes the surest reader; ``--format NAME``
overrides; ``planlabor formats`` lists them with an example file each.
"""

from __future__ import annotations

from pathlib import Path

from planlabor.errors import InputError
from planlabor.io.readers import austria, bbsr, destatis, swiss
from planlabor.io.readers.base import Probe, ReadContext, Reader
from planlabor.io.readers.generic import read_generic
from planlabor.io.readers.plain import plain_source
from planlabor.io.source import Source

__all__ = ["REGISTRY", "Probe", "ReadContext", "Reader", "detect", "reader"]

THRESHOLD = 0.5


def _sniff_eurostat(p: Probe) -> float:
    from planlabor.io.eurostat import is_eurostat_tsv

    return 1.0 if not p.is_sheet and is_eurostat_tsv(p.path) else 0.0


def _read_eurostat(ctx: ReadContext) -> Source:
    from planlabor.io.eurostat import read_eurostat

    r = ctx.options.read
    raw = read_eurostat(ctx.path, r.select, ctx.options.variable_prefix or r.variable_prefix, ctx.con)
    return plain_source(ctx, raw, "eurostat", "Eurostat (TSV)")


def _sniff_basel(p: Probe) -> float:
    from planlabor.io.statabs import is_statabs_tsv

    return 0.95 if not p.is_sheet and is_statabs_tsv(p.path) else 0.0


def _read_basel(ctx: ReadContext) -> Source:
    from planlabor.io.statabs import read_statabs

    raw = read_statabs(ctx.path, ctx.con)
    if raw is None:
        return read_generic(ctx)
    return plain_source(ctx, raw, "basel", "Statistisches Amt Basel-Stadt (Indikatorenportal)")


def _sniff_generic(p: Probe) -> float:
    return 0.1


def _zensus_readers() -> list[Reader]:
    import importlib

    try:
        zensus = importlib.import_module("planlabor.io.zensus")
    except ImportError:
        return []
    return list(getattr(zensus, "READERS", []))


REGISTRY: list[Reader] = [
    *destatis.READERS,
    *bbsr.READERS,
    *austria.READERS,
    *swiss.READERS,
    Reader(
        "eurostat",
        "Eurostat: Tabelle als TSV",
        "Eurostat",
        "demo_r_pjanaggr3.tsv",
        _sniff_eurostat,
        _read_eurostat,
    ),
    Reader(
        "basel",
        "Statistisches Amt Basel-Stadt: Indikator (TSV mit Metadaten)",
        "Statistisches Amt Basel-Stadt",
        "data/6742.tsv",
        _sniff_basel,
        _read_basel,
    ),
    *_zensus_readers(),
    Reader(
        "tabelle",
        "Tabelle (CSV, TSV, XLSX, XLS, ODS): breit oder lang, mit Titeln, mehrzeiligen "
        "Köpfen und Jahren als Spalten",
        "—",
        "einwohner.csv",
        _sniff_generic,
        read_generic,
    ),
]


def reader(name: str) -> Reader:
    for r in REGISTRY:
        if r.name == name:
            return r
    raise InputError(
        f"Ein Dateiformat {name!r} gibt es nicht.",
        column="--format",
        expected="eines von: " + ", ".join(r.name for r in REGISTRY),
        hint="'planlabor formats' zeigt alle Formate mit einem Beispiel.",
    )


def detect(path: Path) -> tuple[Reader, float, list[tuple[str, float]]]:
    """The surest reader for ``path``, its score and all scores above zero."""
    probe = Probe(path)
    scores = []
    for r in REGISTRY:
        try:
            s = r.sniff(probe)
        except Exception:  # a sniff must never stop an import
            s = 0.0
        if s > 0:
            scores.append((r.name, s))
    scores.sort(key=lambda x: -x[1])
    best = reader(scores[0][0]) if scores and scores[0][1] >= THRESHOLD else reader("tabelle")
    return best, (scores[0][1] if scores else 0.1), scores
