"""The one summary table at the end of ``make bench`` (issue 22, "Done when").

Every row the issue names: our figure, the fair peer's figure from the same run, their ratio,
the target and whether it is met.  The figures are those the bench modules' ``main()`` returned
(nothing is measured again here).  A bench whose ``main()`` returns no figure for a row may still
print it: the row's ``pattern`` (and ``peer_pattern``), a regular expression whose first group is
the figure, is then looked for in what the bench printed.  A bench that failed gives its rows as
"Fehler" with the first line of the error; a figure that is missing gives "—".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One row: ``ours`` and ``peer`` are keys of the bench's returned figures; the target is
    ``of`` ("ours" or "ratio" = ours / peer) ``op`` ("<=" or ">=") ``limit`` (None: no target,
    the row is for information).  ``ratio_key`` names the bench's median of the per-run ratios
    (ours and peer from the same run): when the bench returns it, that is the ratio, not the
    quotient of two medians, which may come from different runs."""

    label: str
    bench: str
    ours: str
    peer: str | None = None
    peer_label: str = ""
    unit: str = "s"
    of: str = "ours"
    op: str = "<="
    limit: float | None = None
    scale: float = 1.0
    pattern: str | None = None
    peer_pattern: str | None = None
    ratio_key: str | None = None


ROWS: list[Row] = [
    Row("1 Mio. Punkte → 542 PLR", "spatial", "points", "sjoin",
        'geopandas points_from_xy + sjoin "within"', of="ratio", limit=0.8, ratio_key="points_ratio"),
    Row("1 Mio. Punkte → 542 PLR, Punkte aus Datei", "spatial", "points_geoms", "sjoin_geoms",
        'geopandas sjoin "within"', of="ratio", limit=0.8, ratio_key="points_geoms_ratio"),
    Row("Umschlüsselung, gespeicherte Zuordnung", "spatial", "rebase", "tobler",
        "tobler, ein Aufruf", limit=1.0),
    Row("Umschlüsselung mit Verschneidung", "spatial", "rebase_with_overlay", "tobler",
        "tobler, ein Aufruf"),
    Row("LISA 999 Perm., 11.025 Gebiete", "spatial", "lisa", "esda", "esda warm", limit=6.0),
    Row("Indikatoren (11 Mio. Werte)", "foundation", "indicators_s", "hand_sql_s",
        "Hand-SQL, gleiche Speichergrenze", of="ratio", limit=1.0, ratio_key="ratio_vs_sql"),
    Row("compute ganz", "foundation", "compute_s", "hand_sql_s", "Hand-SQL, gleiche Speichergrenze",
        ratio_key="ratio_compute_vs_sql"),
    Row("Import", "foundation", "import_values_per_s", None, unit="Mio. Werte/s", op=">=",
        limit=1.0, scale=1e-6),
    Row("Spitzenspeicher Import + compute", "foundation", "peak_mb", None, unit="MB", limit=3072),
    Row("ein Sozialraumprofil aus der CLI", "reports", "profile_s", "profile_weasyprint_s",
        "weasyprint", limit=2.0),
    Row("ein Profil, erstes nach Änderung", "reports", "profile_changed_s", "profile_weasyprint_s",
        "weasyprint (warm)", limit=2.0),
    Row("ein Profil, Gebiete neu (ohne Cache)", "reports", "profile_cold_s", "profile_weasyprint_s",
        "weasyprint (warm)", limit=2.0),
    Row("alle 542 Profile", "reports", "all_s", "all_weasyprint_s", "weasyprint", limit=30.0),
    Row("Sozialbericht", "reports", "sozialbericht_s", "sozialbericht_weasyprint_s", "weasyprint",
        limit=10.0),
    Row("Profil-PDF, gleiches Dokument", "typst", "typst_s", "weasyprint_s", "weasyprint",
        of="ratio", limit=1.0),
    Row("planlabor --help (Start)", "cli", "help_s", "click_s", "python -c 'import click'", limit=0.5),
    Row("Berliner Atlas gepackt", "atlas", "zipped_mb", None, unit="MB", limit=2.0),
    Row("Gemeinden: erste Karte, Festplatte", "gemeindeatlas", "de_paint_disk_s",
        "de_old_paint_disk_s", "GeoJSON in Teilen (bisher)", limit=2.0,
        pattern=r"Gemeinden, Vektorkacheln, Festplatte: erste Karte ([\d.]+) s",
        peer_pattern=r"Gemeinden, GeoJSON in Teilen \(bisher\), Festplatte: erste Karte ([\d.]+) s"),
    Row("Gemeinden: erste Karte, Server", "gemeindeatlas", "de_paint_server_s",
        "de_old_paint_server_s", "GeoJSON in Teilen (bisher)", limit=2.0,
        pattern=r"Gemeinden, Vektorkacheln, Server: erste Karte ([\d.]+) s",
        peer_pattern=r"Gemeinden, GeoJSON in Teilen \(bisher\), Server: erste Karte ([\d.]+) s"),
    Row("Gemeinden: Indikatorwechsel", "gemeindeatlas", "de_switch_ms", "de_old_switch_ms",
        "GeoJSON in Teilen (bisher)", unit="ms", limit=300,
        pattern=r"Gemeinden, Vektorkacheln, Server: .*?Indikatorwechsel ([\d.]+) ms",
        peer_pattern=r"Gemeinden, GeoJSON in Teilen \(bisher\), Server: .*?Indikatorwechsel ([\d.]+) ms"),
    Row("Gemeinden: bis zur ersten Karte", "gemeindeatlas", "de_bytes_mb", "de_old_bytes_mb",
        "GeoJSON in Teilen (bisher)", unit="MB", limit=3.0,
        pattern=r"Gemeinden, Vektorkacheln, Server: .*?übertragen ([\d.]+) MB",
        peer_pattern=r"Gemeinden, GeoJSON in Teilen \(bisher\), Server: .*?übertragen ([\d.]+) MB"),
    Row("Gemeinden: bis zur ersten Karte, Festplatte", "gemeindeatlas", "de_disk_bytes_mb",
        "de_old_disk_bytes_mb", "GeoJSON in Teilen (bisher)", unit="MB", limit=3.0,
        pattern=r"Gemeinden, Vektorkacheln, Festplatte: .*?übertragen ([\d.]+) MB",
        peer_pattern=r"Gemeinden, GeoJSON in Teilen \(bisher\), Festplatte: .*?übertragen ([\d.]+) MB"),
    Row("PostgreSQL compute (11 Mio. Werte)", "postgres", "postgres_compute_s", "duckdb_compute_s",
        "DuckDB", of="ratio", limit=3.0),
    Row("API p95, 50 Clients, 4 Prozesse, DuckDB", "security", "p95_ms_duckdb_4", None, unit="ms",
        limit=50, pattern=r"DuckDB: mixed load, serve --workers 4,.*? p95 ([\d.]+) ms"),
    Row("API p95, 50 Clients, 4 Prozesse, PostgreSQL", "security", "p95_ms_postgresql_4",
        "p95_ms_duckdb_4", "DuckDB", unit="ms", limit=50,
        pattern=r"PostgreSQL: mixed load, serve --workers 4,.*? p95 ([\d.]+) ms"),
    Row("API erste Anfrage je URL, 4 Prozesse", "security", "first_ms_duckdb_4", None, unit="ms",
        limit=1000),
]  # fmt: skip


@dataclass
class Result:
    """One row's outcome for the table."""

    row: Row
    ours: float | None
    peer: float | None
    ratio: float | None
    met: bool | None
    note: str = ""


def _num(x: float | None, unit: str = "") -> str:
    if x is None or not math.isfinite(x):
        return "—"
    digits = 3 if abs(x) < 1 else 2 if abs(x) < 100 else 0
    text = f"{x:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} {unit}".rstrip()


def _figure(figures: Mapping[str, float], text: str, key: str | None, pattern: str | None) -> float | None:
    if key is None:
        return None
    if key in figures and figures[key] is not None:
        return float(figures[key])
    m = re.search(pattern, text) if pattern else None
    return float(m.group(1)) if m else None


def evaluate(
    row: Row, figures: Mapping[str, float] | None, text: str = "", error: str | None = None
) -> Result:
    """The row's figures, ratio and verdict from one bench's returned figures and printed text."""
    if error is not None:
        return Result(row, None, None, None, False, f"Fehler: {error}")
    figs = figures or {}
    ours = _figure(figs, text, row.ours, row.pattern)
    peer = _figure(figs, text, row.peer, row.peer_pattern)
    if ours is not None:
        ours *= row.scale
    if peer is not None:
        peer *= row.scale
    ratio = ours / peer if ours is not None and peer else None
    if row.ratio_key and figs.get(row.ratio_key) is not None:
        ratio = float(figs[row.ratio_key])
    if ours is None:
        why = "nicht gemessen" if figures else "keine Zahl (main() gibt keine Zahlen zurück)"
        return Result(row, None, peer, None, None, why)
    value = ratio if row.of == "ratio" else ours
    if row.limit is None:
        return Result(row, ours, peer, ratio, None)
    if value is None:
        return Result(row, ours, peer, ratio, None, "Vergleichszahl fehlt")
    met = value <= row.limit if row.op == "<=" else value >= row.limit
    return Result(row, ours, peer, ratio, met)


def target_text(row: Row) -> str:
    if row.limit is None:
        return "—"
    op = "≤" if row.op == "<=" else "≥"
    what = "Verh." if row.of == "ratio" else ""
    unit = "" if row.of == "ratio" else row.unit
    return " ".join(p for p in (what, op, _num(row.limit, unit)) if p)


def table(results: list[Result]) -> str:
    """The summary as aligned text (German number format)."""
    head = ("Zeile", "planlabor", "Vergleich (gleicher Lauf)", "Verhältnis", "Ziel", "erfüllt")
    lines = []
    for r in results:
        peer = f"{_num(r.peer, r.row.unit)} {r.row.peer_label}".strip() if r.row.peer else "—"
        met = "—" if r.met is None else ("ja" if r.met else "NEIN")
        ratio = _num(r.ratio) if r.ratio is not None else "—"
        lines.append((r.row.label, _num(r.ours, r.row.unit), peer, ratio, target_text(r.row), met, r.note))
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]

    def fmt(cells: tuple[str, ...]) -> str:
        out = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False))
        return (out + ("  " + cells[6] if len(cells) > 6 and cells[6] else "")).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([fmt(head), rule, *(fmt(x) for x in lines)])


def summarise(
    figures: Mapping[str, Mapping[str, float] | None],
    texts: Mapping[str, str],
    errors: Mapping[str, str],
    ran: list[str],
) -> list[Result]:
    """The results of every row whose bench ran (in the order of :data:`ROWS`)."""
    return [
        evaluate(row, figures.get(row.bench), texts.get(row.bench, ""), errors.get(row.bench))
        for row in ROWS
        if row.bench in ran
    ]
