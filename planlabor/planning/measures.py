"""The register of measures (Maßnahmen) and of action-plan items (Aktionsplan nach UN-BRK).

A measure has an ID, a name, a theme, the areas it works in (on one layer), a start and an end,
a budget and a target indicator.  An action-plan item additionally has a field of action
(Handlungsfeld), a responsible unit, a deadline, a status and linked indicators.  Both live in
the store table ``measures`` with one row per version: registering a measure again adds a
version, removing it adds a closing version, so nothing is lost.

Tables for :func:`read_measures` (CSV or XLSX, one row per measure; German column names):

=================  ==========================================================================
``id``             short key, e.g. ``M01`` (letters, digits, ``_ - .``)
``name``           title
``thema``          Fachthema, e.g. ``Familienarmut``
``ebene``          layer of the areas, e.g. ``plr``
``gebiete``        area keys, separated by ``,`` or ``;`` (may be empty for city-wide items)
``beginn``/``ende``  dates (``2022-01-01`` or ``1.1.2022``)
``budget``         euros (German or machine form)
``zielindikator``  indicator ID the measure aims at
``handlungsfeld``, ``zustaendig``, ``frist``, ``status``, ``indikatoren``  (action plans)
``beschreibung``   free text
``oeffentlich``    ``ja``/``nein`` (default ja): shown in the public atlas
=================  ==========================================================================
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from planlabor.errors import InputError, NotFoundError
from planlabor.io.files import file_sha256
from planlabor.io.geo import read_attribute_table
from planlabor.planning.numbers import german_number
from planlabor.store import Store

Kind = Literal["massnahme", "aktionsplan"]
STATUS = ["geplant", "begonnen", "umgesetzt", "verzögert", "verschoben", "aufgegeben"]
COLUMNS = {
    "id": "measure_id",
    "name": "name",
    "thema": "theme",
    "ebene": "layer_id",
    "gebiete": "areas",
    "beginn": "start_date",
    "ende": "end_date",
    "budget": "budget",
    "zielindikator": "target_indicator",
    "handlungsfeld": "field_of_action",
    "zustaendig": "responsible",
    "frist": "deadline",
    "status": "status",
    "indikatoren": "indicators",
    "beschreibung": "description",
    "oeffentlich": "public",
}
ALIASES = {"zuständig": "zustaendig", "öffentlich": "oeffentlich", "massnahme": "name", "maßnahme": "name"}


@dataclass
class Measure:
    measure_id: str
    name: str
    kind: Kind = "massnahme"
    theme: str = ""
    layer_id: str | None = None
    areas: tuple[str, ...] = ()
    start_date: date | None = None
    end_date: date | None = None
    budget: float | None = None
    target_indicator: str | None = None
    field_of_action: str = ""
    responsible: str = ""
    deadline: date | None = None
    status: str = ""
    indicators: tuple[str, ...] = ()
    description: str = ""
    public: bool = True

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["areas"], d["indicators"] = list(self.areas), list(self.indicators)
        for k in ("start_date", "end_date", "deadline"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


def parse_date(text: Any, where: dict[str, Any]) -> date | None:
    """``2022-01-01``, ``1.1.2022`` or ``2022`` (→ 1 January); empty → None."""
    if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
        return None
    s = str(text).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            return date.fromisoformat(s)
        m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", s)
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if re.fullmatch(r"\d{4}", s):
            return date(int(s), 1, 1)
    except ValueError:
        pass
    raise InputError(f"{s!r} ist kein Datum.", expected="ein Datum wie 2022-01-01 oder 1.1.2022", **where)


def _number(text: Any, where: dict[str, Any], minimum: float | None = 0.0) -> float | None:
    return german_number(
        text, where, minimum, "Der Betrag", "ist keine Zahl.", "ein Betrag wie 250000 oder 250.000,00"
    )


def _list(text: Any) -> tuple[str, ...]:
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ()
    return tuple(p.strip() for p in re.split(r"[;,]", str(text)) if p.strip())


def read_measures(path: str | Path, kind: Kind = "massnahme") -> list[Measure]:
    """Read a table of measures (see the module docstring); every error names row and column."""
    path = Path(path)
    df = read_attribute_table(path)
    df.columns = [ALIASES.get(str(c).strip().lower(), str(c).strip().lower()) for c in df.columns]
    for need in ("id", "name"):
        if need not in df.columns:
            raise InputError(
                f"Die Spalte {need!r} fehlt.",
                file=path,
                row=1,
                column=need,
                expected="Spalten " + ", ".join(COLUMNS),
            )
    unknown = [c for c in df.columns if c not in COLUMNS and c != "_line"]
    if unknown:
        raise InputError(
            f"Die Spalte {unknown[0]!r} ist unbekannt.",
            file=path,
            row=1,
            column=unknown[0],
            expected="Spalten " + ", ".join(COLUMNS),
        )
    out: list[Measure] = []
    seen: set[str] = set()
    for i, rec in enumerate(df.to_dict("records")):
        m = _measure(rec, path, int(rec.get("_line") or i + 2), kind, seen)
        seen.add(m.measure_id)
        out.append(m)
    return out


def _measure(rec: dict[Any, Any], path: Path, row: int, kind: Kind, seen: set[str]) -> Measure:
    """One measure from one row of the table (``seen``: the IDs of the rows before); every error
    names the row and column."""

    def where(col: str, row: int = row) -> dict[str, Any]:
        return {"file": path, "row": row, "column": col}

    mid = str(rec.get("id") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}", mid):
        raise InputError(
            f"Die Maßnahmen-ID {mid!r} ist ungültig.",
            expected="Buchstaben, Ziffern, _ - . (höchstens 40 Zeichen), z. B. M01",
            **where("id"),
        )
    if mid in seen:
        raise InputError(f"Die ID {mid!r} kommt doppelt vor.", expected="jede ID einmal", **where("id"))
    name = str(rec.get("name") or "").strip()
    if not name:
        raise InputError("Der Name fehlt.", expected="ein Titel der Maßnahme", **where("name"))
    status = str(rec.get("status") or "").strip().lower()
    if status and status not in STATUS:
        raise InputError(
            f"Der Status {status!r} ist unbekannt.",
            expected="einer von: " + ", ".join(STATUS),
            **where("status"),
        )
    public = str(rec.get("oeffentlich") or "ja").strip().lower()
    if public not in ("ja", "nein", "true", "false", "1", "0"):
        raise InputError(f"{public!r} ist kein ja/nein.", expected="ja oder nein", **where("oeffentlich"))
    m = Measure(
        measure_id=mid,
        name=name,
        kind=kind,
        theme=str(rec.get("thema") or "").strip(),
        layer_id=(str(rec.get("ebene")).strip() or None) if rec.get("ebene") else None,
        areas=_list(rec.get("gebiete")),
        start_date=parse_date(rec.get("beginn"), where("beginn")),
        end_date=parse_date(rec.get("ende"), where("ende")),
        budget=_number(rec.get("budget"), where("budget")),
        target_indicator=(str(rec.get("zielindikator")).strip() or None)
        if rec.get("zielindikator")
        else None,
        field_of_action=str(rec.get("handlungsfeld") or "").strip(),
        responsible=str(rec.get("zustaendig") or "").strip(),
        deadline=parse_date(rec.get("frist"), where("frist")),
        status=status,
        indicators=_list(rec.get("indikatoren")),
        description=str(rec.get("beschreibung") or "").strip(),
        public=public in ("ja", "true", "1"),
    )
    if m.start_date and m.end_date and m.end_date < m.start_date:
        raise InputError("Das Ende liegt vor dem Beginn.", expected="ende ≥ beginn", **where("ende"))
    if m.areas and not m.layer_id:
        raise InputError("Gebiete brauchen eine Ebene.", expected="z. B. ebene = plr", **where("ebene"))
    return m


def check_measures(store: Store, measures: list[Measure], indicator_ids: set[str]) -> None:
    """Areas must exist on their layer and indicators in the catalog."""
    layers = {lay.layer_id for lay in store.layers()}
    keys: dict[str, set[str]] = {}  # layer → its area keys, read once
    for m in measures:
        if m.layer_id:
            if m.layer_id not in layers:
                raise NotFoundError(
                    f"Maßnahme {m.measure_id}: die Raumebene {m.layer_id!r} gibt es nicht.", column="ebene"
                )
            if m.layer_id not in keys:
                keys[m.layer_id] = set(store.areas(m.layer_id)["area_id"])
            known = keys[m.layer_id]
            bad = [a for a in m.areas if a not in known]
            if bad:
                raise InputError(
                    f"Maßnahme {m.measure_id}: die Gebiete {', '.join(bad[:5])} "
                    f"gibt es auf {m.layer_id!r} nicht.",
                    column="gebiete",
                    expected=f"Schlüssel der Raumebene {m.layer_id!r}",
                )
        for ind in [m.target_indicator, *m.indicators]:
            if ind and ind not in indicator_ids:
                raise InputError(
                    f"Maßnahme {m.measure_id}: den Indikator {ind!r} gibt es im Katalog nicht.",
                    column="zielindikator" if ind == m.target_indicator else "indikatoren",
                    hint="Die Indikatoren zeigt 'planlabor status' bzw. der Katalog.",
                )


def register(store: Store, measures: list[Measure], source: str | None = None, removed: bool = False) -> int:
    """Store the measures as new versions in one atomic step; returns the import number."""
    now = datetime.now(UTC).replace(tzinfo=None)
    versions = store.query_df("SELECT measure_id, max(version) AS v FROM measures GROUP BY measure_id")
    last = dict(zip(versions["measure_id"], versions["v"], strict=True))
    with store.transaction():
        import_id = store.log_new_import(
            "massnahmen-entfernt" if removed else "massnahmen",
            source,
            file_sha256(Path(source)) if source else None,
            {"kind": sorted({m.kind for m in measures})},
            rows_read=len(measures),
            values_imported=len(measures),
            message=", ".join(m.measure_id for m in measures[:20]),
        )
        for m in measures:
            store.execute(
                "INSERT INTO measures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    m.measure_id,
                    int(last.get(m.measure_id, 0)) + 1,
                    m.kind,
                    m.name,
                    m.theme,
                    m.layer_id,
                    json.dumps(list(m.areas)),
                    m.start_date,
                    m.end_date,
                    m.budget,
                    m.target_indicator,
                    m.field_of_action,
                    m.responsible,
                    m.deadline,
                    m.status,
                    json.dumps(list(m.indicators)),
                    m.description,
                    m.public,
                    removed,
                    import_id,
                    now,
                ],
            )
    return import_id


def measures(store: Store, kind: Kind | None = None, public_only: bool = False) -> list[Measure]:
    """The current version of every measure that is not removed."""
    df = store.query_df(
        "SELECT * FROM measures m "
        "WHERE version = (SELECT max(version) FROM measures n WHERE n.measure_id = m.measure_id) "
        "ORDER BY measure_id"
    )
    out = []
    for r in df.to_dict("records"):
        if r["removed"] or (kind and r["kind"] != kind) or (public_only and not r["public"]):
            continue
        out.append(
            Measure(
                measure_id=r["measure_id"],
                name=r["name"],
                kind=r["kind"],
                theme=r["theme"] or "",
                layer_id=r["layer_id"] if isinstance(r["layer_id"], str) else None,
                areas=tuple(json.loads(r["areas"] or "[]")),
                start_date=_d(r["start_date"]),
                end_date=_d(r["end_date"]),
                budget=None if pd.isna(r["budget"]) else float(r["budget"]),
                target_indicator=r["target_indicator"] if isinstance(r["target_indicator"], str) else None,
                field_of_action=r["field_of_action"] or "",
                responsible=r["responsible"] or "",
                deadline=_d(r["deadline"]),
                status=r["status"] or "",
                indicators=tuple(json.loads(r["indicators"] or "[]")),
                description=r["description"] or "",
                public=bool(r["public"]),
            )
        )
    return out


def get_measure(store: Store, measure_id: str) -> Measure:
    for m in measures(store):
        if m.measure_id == measure_id:
            return m
    raise NotFoundError(
        f"Die Maßnahme {measure_id!r} gibt es nicht.",
        column="MASSNAHME",
        hint="Die Maßnahmen zeigt 'planlabor massnahme list'.",
    )


def remove(store: Store, measure_id: str) -> int:
    """End a measure (a closing version; the earlier versions stay)."""
    return register(store, [get_measure(store, measure_id)], removed=True)


def _d(v: Any) -> date | None:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return pd.Timestamp(v).date()
    except (ValueError, TypeError):
        return None
