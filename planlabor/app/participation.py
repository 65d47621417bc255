"""Use cases of Beteiligung (issue 21): open and close a consultation, take an answer (public
server), moderate, evaluate into observations, record stakeholder positions.

The consultations, answers and positions live in ``beteiligung.sqlite`` beside the store (see
:mod:`planlabor.participation.storage`); only :func:`evaluate` writes into the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from planlabor.app import Where, opened, root_of
from planlabor.app.audit import record
from planlabor.errors import InputError, NotFoundError
from planlabor.participation import model
from planlabor.participation.model import Answer, Consultation, Position
from planlabor.participation.storage import ParticipationStore


def _store(where: Where) -> ParticipationStore:
    return ParticipationStore(root_of(where))


def open_consultation(
    where: Where,
    cid: str,
    title: str,
    question: str,
    opens: str | date,
    closes: str | date,
    layer: str | None = None,
    target: str = "",
    categories: str | list[str] | None = None,
    themes: list[str] | None = None,
    min_count: int = 5,
    reference: str | None = None,
    by: str | None = None,
) -> Consultation:
    """Open a consultation on ``layer`` (default: the finest layer) for the time window."""
    model.check_id(cid)
    start, end = model.parse_day(opens, "Beginn"), model.parse_day(closes, "Ende")
    model.check_window(start, end)
    cats = model.parse_categories(categories)
    if not title.strip() or not question.strip():
        raise InputError("Titel und Frage der Befragung dürfen nicht leer sein.", column="Frage")
    if min_count < 1:
        raise InputError("Die Mindestfallzahl muss mindestens 1 sein.", column="Mindestfallzahl")
    with opened(where, read_only=True) as ws:
        layer = layer or ws.finest_layer()
        if ws.store.layer(layer) is None:
            raise NotFoundError(
                f"Die Raumebene {layer!r} gibt es nicht.", hint="planlabor layers zeigt die Raumebenen."
            )
        areas = ws.store.areas(layer)
        if reference and ws.catalog().get(reference) is None:
            raise NotFoundError(
                f"Den Vergleichsindikator {reference!r} gibt es im Katalog nicht.",
                column="Vergleichsindikator",
                hint="planlabor indicators zeigt die Indikatoren.",
            )
    names = {str(a): str(n or a) for a, n in zip(areas["area_id"], areas["name"], strict=True)}
    c = Consultation(
        cid,
        title.strip()[:120],
        question.strip()[:300],
        cats,
        layer,
        start,
        end,
        target.strip()[:120],
        tuple(t.strip() for t in themes or [] if t.strip()),
        min_count,
        reference or None,
        "offen",
        dict(sorted(names.items(), key=lambda kv: kv[1])),
    )
    with _store(where) as st:
        st.add_consultation(c, by)
    record(where, by, "beteiligung oeffnen", befragung=cid, ebene=layer)
    return c


def close_consultation(where: Where, cid: str, by: str | None = None) -> Consultation:
    with _store(where) as st:
        c = st.set_state(cid, "geschlossen")
    record(where, by, "beteiligung schliessen", befragung=cid)
    return c


@dataclass
class ConsultationState:
    consultation: Consultation
    counts: dict[str, int]


def consultations(where: Where) -> list[ConsultationState]:
    with _store(where) as st:
        return [ConsultationState(c, st.counts(c.id)) for c in st.consultations()]


def consultation(where: Where, cid: str) -> Consultation:
    with _store(where) as st:
        return st.consultation(cid)


def open_for_answers(root: Path, today: date | None = None) -> list[Consultation]:
    """Consultations that take answers today (what the public atlas offers)."""
    today = today or date.today()
    with ParticipationStore(root) as st:
        return [c for c in st.consultations() if c.accepts(today)]


def submit_answer(
    st: ParticipationStore,
    cid: str,
    area_id: str,
    categories: list[str],
    text: str,
    today: date | None = None,
) -> int:
    """Check and keep a resident's answer (state ``neu``: its text is shown only after approval)."""
    today = today or date.today()
    c = st.consultation(cid)
    if not c.accepts(today):
        raise InputError(f"Die Befragung „{c.title}“ nimmt keine Antworten an (mehr).")
    if area_id not in c.areas:
        raise InputError("Bitte wählen Sie ein Gebiet aus der Liste.", column="Gebiet")
    cats = list(dict.fromkeys(str(k) for k in categories))
    if not cats or any(k not in c.categories for k in cats):
        raise InputError("Bitte wählen Sie mindestens eine der angebotenen Antworten.", column="Kategorien")
    return st.add_answer(cid, area_id, cats, model.clean_text(text), today)


def answers(where: Where, cid: str, state: str | None = None, with_text: bool = False) -> list[Answer]:
    with _store(where) as st:
        st.consultation(cid)
        return st.answers(cid, state, with_text)


def moderate(where: Where, cid: str, answer_ids: list[int], decision: str, by: str | None = None) -> int:
    """Approve (``freigeben``) or reject (``ablehnen``) answers; rejected ones are not counted."""
    state = {"freigeben": "freigegeben", "ablehnen": "abgelehnt", "zuruecksetzen": "neu"}.get(decision)
    if state is None:
        raise InputError(
            f"Unbekannte Entscheidung {decision!r}.", expected="freigeben, ablehnen, zuruecksetzen"
        )
    with _store(where) as st:
        st.consultation(cid)
        n = st.moderate(cid, answer_ids, state, by)
    record(where, by, f"beteiligung {decision}", befragung=cid, antworten=len(answer_ids))
    return n


def approved_texts(root: Path, cid: str) -> list[dict[str, str]]:
    """The texts a planner approved (the only free text the public view shows)."""
    with ParticipationStore(root) as st:
        c = st.consultation(cid)
        return [
            {"gebiet": c.areas.get(a.area_id, a.area_id), "text": a.text}
            for a in st.answers(cid, "freigegeben", with_text=True)
        ]


@dataclass
class EvaluateOutcome:
    consultation: str
    import_id: int
    answers: int
    rejected: int
    areas: int
    catalog_file: str
    suppressed: int
    sentence: str | None = None
    table: list[dict[Any, Any]] = field(default_factory=list)


def evaluate(where: Where, cid: str, by: str | None = None) -> EvaluateOutcome:
    """Count answers per area and category into observations (an import of their own), declare
    them in ``beteiligung/<id>.toml``, compute, and return the published figures."""
    from planlabor.atlas.data import source_of
    from planlabor.participation.results import counts_frame, public_counts, reference_sentence, write_catalog

    with _store(where) as st:
        c = st.consultation(cid)
        all_answers = st.answers(cid)
    frame = counts_frame(c, all_answers)
    with opened(where) as ws:
        nr = ws.store.record_observations(
            "beteiligung",
            c.layer,
            frame,
            {"befragung": cid},
            f"Befragung {c.title}: Antworten je Gebiet",
            rows_read=len(all_answers),
        )
        path = write_catalog(ws.root, c)
    with opened(where) as ws:
        ws.compute()
        src = source_of(ws)
        pc = public_counts(src, c)
        sentence = reference_sentence(src, pc)
    rejected = sum(a.state == "abgelehnt" for a in all_answers)
    record(where, by, "beteiligung auswerten", befragung=cid, import_id=nr)
    return EvaluateOutcome(
        cid,
        nr,
        len(all_answers) - rejected,
        rejected,
        len(c.areas),
        path.name,
        pc.suppressed,
        sentence,
        pc.table.to_dict("records"),
    )


def record_position(
    where: Where,
    subject: str,
    actor: str,
    actor_type: str,
    position: str,
    stated_on: str | date,
    source: str,
    by: str | None = None,
) -> Position:
    """Record a named actor's position on a measure or decision (with date and source)."""
    texts = {"Maßnahme/Entscheidung": subject, "Akteur": actor, "Position": position, "Quelle": source}
    for col, value in texts.items():
        if not (value or "").strip():
            raise InputError(f"{col} darf nicht leer sein.", column=col)
    p = Position(
        0,
        subject.strip()[:200],
        actor.strip()[:200],
        model.check_actor_type(actor_type),
        model.clean_text(position, 2000),
        model.parse_day(stated_on, "Datum"),
        source.strip()[:300],
    )
    with _store(where) as st:
        pid = st.add_position(p, by)
    record(where, by, "beteiligung position", thema=p.subject, akteur=p.actor)
    return Position(pid, *list(p.__dict__.values())[1:])


def positions(where: Where, subject: str | None = None) -> list[Position]:
    with _store(where) as st:
        return st.positions(subject)


def remove_position(where: Where, position_id: int, by: str | None = None) -> None:
    with _store(where) as st:
        if not st.remove_position(position_id):
            raise NotFoundError(f"Die Position Nr. {position_id} gibt es nicht.")
    record(where, by, "beteiligung position entfernen", nr=position_id)
