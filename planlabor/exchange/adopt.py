"""Adopting a method from a dossier: the data request that goes with ``template import``.

``planlabor template import DOSSIER/`` takes the dossier's ``vorlage.toml`` (see
:func:`planlabor.exchange.dossier.template_of`) with the existing validation report; this module
adds the list of data still to request (the theme checklist reduced to what is missing), written
into the workspace as ``datenanforderung_<vorlage>.xlsx`` for the statistics office or Jobcenter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class DataRequest:
    frame: pd.DataFrame  # rows of the checklist whose variable the workspace lacks
    written_to: Path | None


def data_request(ws: Any, source: str | Path, name: str, write: bool = True) -> DataRequest:
    """The checklist rows of ``source`` the workspace has no data for (and the .xlsx)."""
    from planlabor.catalog.checklist import checklist, write_checklist
    from planlabor.catalog.exchange import read_template, slug

    _, catalog = read_template(source)
    have = set(ws.store.query_df("SELECT DISTINCT variable FROM observations")["variable"])
    frame = checklist(catalog, have)
    frame = frame[frame["Vorhanden"] == "nein"].reset_index(drop=True)
    path = None
    if write and len(frame):
        path = write_checklist(
            frame, ws.root / f"datenanforderung_{slug(name)}.xlsx", f"Datenanforderung: {name}"
        )
    return DataRequest(frame, path)


def request_lines(req: DataRequest, limit: int = 40) -> list[str]:
    """The data request for the terminal: variable, what it is, who delivers it."""
    if not len(req.frame):
        return ["  Datenanforderung: alle benötigten Variablen sind vorhanden."]
    lines = [f"  Datenanforderung ({len(req.frame)} Variablen fehlen):"]
    for rec in req.frame.head(limit).to_dict("records"):
        who = rec["Datenhalter"] or "Datenhalter nicht angegeben"
        lines.append(f"  [ ] {rec['Variable']}: {rec['Bezeichnung'] or '—'} ({who})")
    if req.written_to:
        lines.append(f"  als Tabelle zum Versenden: {req.written_to}")
    return lines
