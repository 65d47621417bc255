"""BBSR: INKAR (Excel export and web CSV) and IRIS extracts; Statistik der BA (Excel).

* INKAR XLS (``E_Schuldnerquote.xls``): sheets ``Daten``, ``Metadaten``, ``Quellangabe``;
  row 1 ``Kennziffer, Raumeinheit, Aggregat`` and the indicator name per column, row 2 the
  years.  The long name, the formula and the source from ``Metadaten`` are kept as the
  variable's description.
* INKAR web CSV (``inkar_*.csv``): UTF-8 with BOM, every value quoted, decimal comma,
  thousands dot, row 2 the year of each column (they differ).
* IRIS (``IRIS_*.csv``): technical names above labels, the year in the column name
  (``q_einkst_bev98`` / ``Einkommensteuer 1998``), 9-digit Gemeindeverband keys.
* Statistik der BA (``Kreise_WO_Zeitreihe.xlsx``): an Impressum sheet, several data sheets,
  header blocks with merged cells, the Stichtage as dates, a row of column numbers, key and
  name in one cell (``01001 Flensburg, Stadt``), ``.`` for "kein Nachweis".
"""

from __future__ import annotations

from planlabor.io.cells import read_sheet_cells
from planlabor.io.headers import slug
from planlabor.io.readers.base import Probe, ReadContext, Reader
from planlabor.io.readers.generic import GridHints, read_generic
from planlabor.io.source import Source, VariableInfo


def sniff_inkar_xls(p: Probe) -> float:
    return 0.95 if p.is_sheet and {"Daten", "Metadaten"} <= set(p.sheets) else 0.0


def sniff_inkar_csv(p: Probe) -> float:
    if p.is_sheet or not p.lines:
        return 0.0
    head = p.lines[0].lstrip("\ufeff").replace('"', "")
    return 0.95 if head.startswith("Kennziffer;Raumeinheit") else 0.0


def sniff_iris(p: Probe) -> float:
    if p.is_sheet or len(p.lines) < 2:
        return 0.0
    first = p.lines[0].split(";", 1)[0].strip('"').lower()
    second = p.lines[1].split(";", 1)[0].strip('"').lower()
    known = ("gemeindeve", "kreise", "gemeinden", "laender", "kreisreg", "amr", "ror", "vbg")
    if first.startswith(known) and first[-2:].isdigit() and "kennziffer" in second:
        return 0.9
    return 0.0


def sniff_ba(p: Probe) -> float:
    if not p.is_sheet:
        return 0.0
    text = " ".join(str(c) for row in p.first_sheet_rows for c in row if c)
    if (
        "Statistik der Bundesagentur für Arbeit" in text
        or "Zentraler Statistik-Service" in text
        or ("Impressum" in p.sheets and "Beschäftigungsstatistik" in text)
    ):
        return 0.9
    return 0.0


def inkar_metadata(ctx: ReadContext) -> dict[str, VariableInfo]:
    """Long names, formulas and sources from the ``Metadaten`` sheet."""
    out: dict[str, VariableInfo] = {}
    try:
        grid = next(read_sheet_cells(ctx.path, "Metadaten"))
    except Exception:
        return out
    header: dict[str, int] | None = None
    for row in grid.rows:
        cells = [c or "" for c in row]
        if "Indikator" in cells and "Langname" in cells:
            header = {name: i for i, name in enumerate(cells)}
            continue
        if header and cells and cells[header["Indikator"]]:
            name = cells[header["Indikator"]]
            out[slug(name)] = VariableInfo(
                label=_cell(cells, header, "Langname") or name,
                definition=_cell(cells, header, "Berechnungsgrundlage"),
                source=_cell(cells, header, "Quelle"),
            )
    return out


def _cell(cells: list[str], header: dict[str, int], col: str) -> str | None:
    i = header.get(col)
    return cells[i] if i is not None and i < len(cells) and cells[i] else None


def read_inkar_xls(ctx: ReadContext) -> Source:
    from dataclasses import replace

    opts = replace(ctx.options, read=replace(ctx.options.read, sheet=ctx.options.read.sheet or "Daten"))
    hints = GridHints(reader="inkar", title="INKAR (BBSR), Excel-Export", variable_info=inkar_metadata(ctx))
    return read_generic(replace(ctx, options=opts), hints)


def read_inkar_csv(ctx: ReadContext) -> Source:
    return read_generic(ctx, GridHints(reader="inkar_csv", title="INKAR (BBSR), Web-CSV", force_grid=True))


def read_iris(ctx: ReadContext) -> Source:
    return read_generic(ctx, GridHints(reader="iris", title="IRIS (BBSR)", force_grid=True))


def read_ba(ctx: ReadContext) -> Source:
    hints = GridHints(
        reader="ba",
        title="Statistik der Bundesagentur für Arbeit (Excel)",
        markers={".": "unbekannt_oder_geheim", "*": "gesperrt", "x": "nicht_sinnvoll"},
        force_grid=True,
    )
    return read_generic(ctx, hints)


READERS = [
    Reader(
        "inkar",
        "INKAR: Excel-Export (Daten und Metadaten)",
        "BBSR",
        "E_Schuldnerquote.xls",
        sniff_inkar_xls,
        read_inkar_xls,
    ),
    Reader(
        "inkar_csv",
        "INKAR: CSV aus der Webanwendung",
        "BBSR",
        "inkar_sdg_etc.csv",
        sniff_inkar_csv,
        read_inkar_csv,
    ),
    Reader(
        "iris",
        "IRIS: Auszug als CSV",
        "BBSR",
        "IRIS_Einkommenssteuer_Gemeindeverbaende_2022.csv",
        sniff_iris,
        read_iris,
    ),
    Reader(
        "ba",
        "Statistik der Bundesagentur für Arbeit: Excel-Auswertung",
        "Bundesagentur für Arbeit",
        "Kreise_WO_Zeitreihe.xlsx",
        sniff_ba,
        read_ba,
    ),
]
