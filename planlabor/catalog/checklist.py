"""The data-request checklist (Datenanforderung) of a catalog or theme set.

For every variable the catalog's indicators need: what it is, who delivers it, at which spatial
level and how often, which indicators use it and whether the workspace already has it.  A social
planner sends this list to the statistics office, the Jobcenter or the youth office.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planlabor.catalog.model import Catalog
from planlabor.errors import InputError
from planlabor.io.safe_csv import write_csv

COLUMNS = [
    "Variable",
    "Bezeichnung",
    "Einheit",
    "Abgrenzung",
    "Datenhalter",
    "Räumliche Ebene",
    "Periodizität",
    "Benötigt für",
    "Hinweis",
    "Vorhanden",
]


def checklist(catalog: Catalog, have: set[str] | None = None) -> pd.DataFrame:
    """One row per variable used by the catalog's indicators, in order of first use.

    ``have``: the variables the workspace already holds (column *Vorhanden* ja/nein); ``None``
    leaves the column empty.  Variables the catalog does not describe are listed with a hint.
    """
    items = {v.id: v for v in catalog.data_items}
    users: dict[str, list[str]] = {}
    for ind in catalog.indicators:
        for var in ind.variables():
            users.setdefault(var, []).append(ind.name)
    rows = []
    for var, names in users.items():
        item = items.get(var)
        rows.append(
            {
                "Variable": var,
                "Bezeichnung": item.name if item else "",
                "Einheit": item.unit if item else "",
                "Abgrenzung": item.definition if item else "",
                "Datenhalter": item.supplier if item else "",
                "Räumliche Ebene": item.level if item else "",
                "Periodizität": item.periodicity if item else "",
                "Benötigt für": "; ".join(names),
                "Hinweis": (item.note if item else "im Katalog nicht beschrieben ([[variable]] fehlt)"),
                "Vorhanden": "" if have is None else ("ja" if var in have else "nein"),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def write_checklist(frame: pd.DataFrame, out: Path, title: str) -> Path:
    """Write the checklist as .xlsx, .csv (German Excel form), .md or .html."""
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        with pd.ExcelWriter(out, engine="xlsxwriter") as xw:
            frame.to_excel(xw, sheet_name="Datenanforderung", index=False, startrow=2)
            ws = xw.sheets["Datenanforderung"]
            ws.write(0, 0, title, xw.book.add_format({"bold": True, "font_size": 13}))
            wrap = xw.book.add_format({"text_wrap": True, "valign": "top"})
            for col, width in enumerate([26, 40, 12, 45, 40, 26, 24, 45, 30, 11]):
                ws.set_column(col, col, width, wrap)
            ws.freeze_panes(3, 1)
            ws.autofilter(2, 0, 2 + len(frame), len(frame.columns) - 1)
    elif suffix == ".csv":
        write_csv(frame, out, sep=";", index=False, encoding="utf-8-sig")
    elif suffix == ".md":
        lines = [f"# {title}", "", "| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
        for rec in frame.itertuples(index=False):
            lines.append("| " + " | ".join(str(v).replace("|", "/") for v in rec) + " |")
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif suffix in (".html", ".htm"):
        body = frame.to_html(index=False, escape=True, border=0)
        out.write_text(
            f'<!doctype html><html lang="de"><meta charset="utf-8"><title>{title}</title>'
            "<style>body{font-family:sans-serif}td,th{padding:4px 8px;vertical-align:top;"
            f"border-bottom:1px solid #ccc;text-align:left}}</style><h1>{title}</h1>{body}</html>",
            encoding="utf-8",
        )
    else:
        raise InputError(
            f"Das Format {suffix or '(ohne Endung)'} kann die Checkliste nicht schreiben.",
            file=out,
            expected="eine Datei mit der Endung .xlsx, .csv, .md oder .html",
        )
    return out
