"""Progress of an action plan (Aktionsplan zur Umsetzung der UN-Behindertenrechtskonvention).

The items are measures of kind ``aktionsplan`` in the register (:mod:`planlabor.planning.measures`)
with field of action (Handlungsfeld), responsible unit, deadline, status and linked indicators.
:func:`progress` counts per field of action how many items are planned, started, done, delayed
or dropped, which are overdue on a given day, and how the linked indicators developed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from planlabor.planning.measures import STATUS, Measure

DONE = {"umgesetzt", "aufgegeben"}


@dataclass
class Progress:
    on: date
    items: list[Measure]
    by_field: pd.DataFrame  # field, one column per status, total, share_done, overdue
    overdue: list[Measure]
    indicators: list[dict[str, Any]] = field(default_factory=list)

    @property
    def share_done(self) -> float:
        return sum(m.status == "umgesetzt" for m in self.items) / len(self.items) if self.items else 0.0


def progress(items: list[Measure], on: date | None = None) -> Progress:
    on = on or date.today()
    rows = []
    fields = sorted({m.field_of_action or "ohne Handlungsfeld" for m in items})
    for f in fields:
        sub = [m for m in items if (m.field_of_action or "ohne Handlungsfeld") == f]
        row: dict[str, Any] = {"handlungsfeld": f}
        for s in STATUS:
            row[s] = sum((m.status or "geplant") == s for m in sub)
        row["gesamt"] = len(sub)
        row["anteil_umgesetzt"] = row["umgesetzt"] / len(sub) * 100
        row["ueberfaellig"] = sum(_overdue(m, on) for m in sub)
        rows.append(row)
    overdue = sorted((m for m in items if _overdue(m, on)), key=lambda m: (m.deadline or on, m.measure_id))
    return Progress(on=on, items=items, by_field=pd.DataFrame(rows), overdue=overdue)


def _overdue(m: Measure, on: date) -> bool:
    return m.deadline is not None and m.deadline < on and (m.status or "geplant") not in DONE
