"""Decision sheet for the Jugendhilfeausschuss: Kita need against places by area.

The numbers come from :func:`planlabor.planning.kita.plan` (observed children or the stored
projection), summed from the planning areas to the reporting level (e.g. Bezirksregionen): need
and places add up; shortfalls are summed per planning area first, so a surplus in one area does
not hide a gap in its neighbour (places are used near home).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planlabor.areas.hierarchy import ancestor_table
from planlabor.io.periods import format_period_de
from planlabor.planning.kita import plan
from planlabor.reports.data import ReportData


@dataclass
class Sheet:
    title: str
    period: str
    source: str
    scenario: str | None
    u3_rate: float
    ue3_rate: float
    level_name: str
    totals: dict[str, float]
    table: pd.DataFrame  # area_id, name, u3, ue3, plaetze, bedarf, saldo, fehlplaetze, quote
    findings: list[str]
    voices: Voices | None = None  # the young people's answers by area (issue 21)
    positions: list[Any] = field(default_factory=list)  # stakeholders' positions
    subject: str | None = None


@dataclass
class Voices:
    """A consultation's published answers for the sheet: counts by area and category (None where
    suppressed), the category named most often, approved texts only."""

    title: str
    question: str
    target: str
    window: str
    min_count: int
    labels: list[str]
    table: pd.DataFrame  # area_id, name, <label>…, Antworten, top
    side: pd.DataFrame | None  # Kita need beside the answers, when both are on the same level
    findings: list[str]
    quotes: list[dict[str, str]]


def add_participation(
    sheet: Sheet, data: ReportData, root: Path, consultation: str | None, subject: str | None
) -> Sheet:
    """The answers of ``consultation`` and the positions on ``subject`` (all if none is given) beside
    the Kita need: only published counts (:func:`planlabor.participation.results.public_counts`)
    and approved texts."""
    from planlabor.participation.results import public_counts, reference_sentence, top_category
    from planlabor.participation.storage import ParticipationStore

    with ParticipationStore(root) as st:
        sheet.positions = st.positions(subject) if subject or consultation else []
        sheet.subject = subject
        if consultation is None:
            return sheet
        c = st.consultation(consultation)
        quotes = [
            {"gebiet": c.areas.get(a.area_id, a.area_id), "text": a.text}
            for a in st.answers(c.id, "freigegeben", with_text=True)
        ]
    pc = public_counts(data.src, c)
    labels = list(c.categories.values())
    t = pc.table.copy()
    tops = [top_category(r, labels) for r in t.to_dict("records")]
    t["top"] = [x or "–" for x in tops]
    # areas with answers (published or suppressed); areas nobody answered for are left out
    t = t[[n is None or n > 0 for n in t["Antworten"]]].reset_index(drop=True)
    tops = [x for x in tops if x]
    from planlabor.io.export import format_number_de as de

    total = sum(v for v in t["Antworten"] if v is not None)
    findings = [
        f"Zur Befragung „{c.title}“ ({c.target or 'alle'}, {c.opens:%d.%m.%Y} bis {c.closes:%d.%m.%Y}) "
        f"gingen aus {len(t)} Gebieten Antworten ein, {de(total, 0)} davon in Gebieten mit veröffentlichter "
        f"Zahl; Zahlen unter {c.min_count} Antworten sind gesperrt ({pc.suppressed} Werte)."
    ]
    if tops:
        label, k = pd.Series(tops).value_counts().index[0], int(pd.Series(tops).value_counts().iloc[0])
        findings.append(
            f"In {k} von {len(tops)} Gebieten mit veröffentlichten Antworten wird am häufigsten genannt: {label}."
        )
    sentence = reference_sentence(data.src, pc)
    if sentence:
        findings.append(sentence)
    side = None
    if c.layer == sheet.table.attrs.get("level"):
        side = sheet.table[["area_id", "name", "bedarf", "fehlplaetze", "quote"]].merge(
            t[["area_id", "Antworten", "top"]], on="area_id", how="inner"
        )
    sheet.voices = Voices(
        c.title,
        c.question,
        c.target,
        f"{c.opens:%d.%m.%Y} bis {c.closes:%d.%m.%Y}",
        c.min_count,
        labels,
        t,
        side,
        findings,
        quotes[:8],
    )
    return sheet


def kita_sheet(
    data: ReportData,
    layer: str,
    period: str,
    level: str | None = None,
    scenario: str | None = None,
    u3_rate: float = 50.0,
    ue3_rate: float = 95.0,
    usable_share: float = 1.0,
) -> Sheet:
    store = data.src.store
    p = plan(store, layer, period, [u3_rate], ue3_rate, usable_share, save=False, scenario=scenario)
    t = p.table.copy()
    q = f"{u3_rate:g}"
    t = t.rename(
        columns={f"bedarf_u3_{q}": "bedarf", f"saldo_u3_{q}": "saldo", f"fehlplaetze_u3_{q}": "fehlplaetze"}
    )
    level = level or layer
    if level != layer:
        anc = ancestor_table(store, layer)
        anc = anc[anc["anc_layer"] == level][["area_id", "anc_id"]]
        t = t.merge(anc, on="area_id")
        cols = ["u3", "ue3", "plaetze", "nutzbare_plaetze", "bedarf", "saldo", "fehlplaetze"]
        t = t.groupby("anc_id", as_index=False)[cols].sum(min_count=1).rename(columns={"anc_id": "area_id"})
        names = store.areas(level).set_index("area_id")["name"]
        t.insert(1, "name", t["area_id"].map(names))
    kids = t["u3"] + t["ue3"]
    t["quote"] = t["nutzbare_plaetze"] / kids.where(kids > 0) * 100
    t = t.sort_values("fehlplaetze", ascending=False).reset_index(drop=True)
    t.attrs["level"] = level
    lay = store.layer(level)
    level_name = (lay.name if lay else level) or level
    tot = {
        "u3": float(t["u3"].sum()),
        "ue3": float(t["ue3"].sum()),
        "plaetze": float(t["nutzbare_plaetze"].sum()),
        "bedarf": float(t["bedarf"].sum()),
        "fehlplaetze": float(t["fehlplaetze"].sum()),
    }
    tot["saldo"] = tot["plaetze"] - tot["bedarf"]
    from planlabor.io.export import format_number_de as de

    gaps = t[t["fehlplaetze"] > 0.5]
    findings = [
        f"Für den {format_period_de(period)} ergibt sich bei einer Bedarfsquote von {de(u3_rate, 0)} % für Kinder "
        f"unter 3 Jahren und {de(ue3_rate, 0)} % für Kinder von 3 bis unter 6 Jahren ein Bedarf von "
        f"{de(tot['bedarf'], 0)} Plätzen bei {de(tot['plaetze'], 0)} nutzbaren Plätzen "
        f"({'Überschuss' if tot['saldo'] >= 0 else 'Fehlbedarf'} rechnerisch {de(abs(tot['saldo']), 0)} Plätze).",
        f"In {len(gaps)} von {len(t)} Gebieten ({level_name}) fehlen Plätze, zusammen {de(tot['fehlplaetze'], 0)}"
        + (
            f"; am meisten in {gaps['name'].iloc[0]} ({de(float(gaps['fehlplaetze'].iloc[0]), 0)})."
            if len(gaps)
            else "."
        ),
    ]
    title = "Kita-Bedarfsplanung: Bedarf und Plätze je Gebiet"
    return Sheet(title, period, p.children_source, scenario, u3_rate, ue3_rate, level_name, tot, t, findings)


def sheet_html(sheet: Sheet, layout: Any) -> str:
    from planlabor.io.export import format_number_de
    from planlabor.reports.render import _css, _env

    return str(
        _env()
        .get_template("sheet.html.j2")
        .render(
            s=sheet,
            css=_css(layout),
            logo=layout.logo,
            org=layout.organisation,
            workspace=layout.title,
            fmt=format_number_de,
        )
    )


def sheet_docx(sheet: Sheet, layout: Any) -> bytes:
    """The sheet as an editable Word document (planners finish the Beschlussvorlage there)."""
    from planlabor.io.export import format_number_de as de
    from planlabor.reports.docx_ import new_document, table, to_bytes

    doc = new_document(layout, sheet.title, "Vorlage für den Jugendhilfeausschuss")
    doc.add_paragraph(f"Vorlage für den Jugendhilfeausschuss · {layout.title}")
    doc.add_heading(sheet.title, level=1)
    doc.add_paragraph(
        f"Stichtag {format_period_de(sheet.period)} · Kinder: {sheet.source} · Bedarfsquoten U3 "
        f"{de(sheet.u3_rate, 0)} %, Ü3 {de(sheet.ue3_rate, 0)} % · {sheet.level_name}"
    )
    doc.add_heading("Sachstand", level=2)
    for f in sheet.findings:
        doc.add_paragraph(f)
    doc.add_heading("Bedarf und Plätze je Gebiet", level=2)
    cols = [
        sheet.level_name,
        "Kinder U3",
        "Kinder Ü3",
        "Plätze",
        "Bedarf",
        "Saldo",
        "Fehlend",
        "Versorgung %",
    ]
    tab = table(doc, cols)
    for r in sheet.table.to_dict("records"):
        q = r["quote"]
        vals = [f"{r['name']} ({r['area_id']})", de(r["u3"], 0), de(r["ue3"], 0), de(r["nutzbare_plaetze"], 0),
                de(r["bedarf"], 0), de(r["saldo"], 0), de(r["fehlplaetze"], 0), "–" if q != q else de(q, 1)]  # fmt: skip
        for cell, text in zip(tab.add_row().cells, vals, strict=True):
            cell.text = text
    _docx_participation(doc, sheet)
    return to_bytes(doc)


def _docx_participation(doc: Any, sheet: Sheet) -> None:
    """The answers by area and the positions, as in the HTML sheet (published counts only)."""
    from planlabor.io.export import format_number_de as de
    from planlabor.reports.docx_ import table

    if sheet.voices is None and not sheet.positions:
        return
    doc.add_heading("Planungsergebnis, Stimmen der Befragten und Positionen der Akteure", level=2)
    side = table(doc, ["Planungsergebnis und Befragung", "Positionen"])
    row = side.add_row().cells
    row[0].text = "\n".join(sheet.findings + (sheet.voices.findings if sheet.voices else []))
    row[1].text = (
        "\n".join(
            f"{p.actor} ({p.actor_type}, {p.stated_on:%d.%m.%Y}): {p.position} Quelle: {p.source}"
            for p in sheet.positions
        )
        or "Keine Positionen festgehalten."
    )
    v = sheet.voices
    if v is None:
        return
    doc.add_heading(f"Antworten je Gebiet: {v.question}", level=2)
    tab = table(doc, ["Gebiet", *v.labels, "Antworten"])
    for r in v.table.to_dict("records"):
        vals = [str(r["name"])] + [
            "•" if r[lab] is None else de(r[lab], 0) for lab in [*v.labels, "Antworten"]
        ]
        for cell, text in zip(tab.add_row().cells, vals, strict=True):
            cell.text = text
