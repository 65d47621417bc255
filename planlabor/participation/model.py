"""What a consultation (Befragung) is, what an answer and a stakeholder position are — checked
once here, with German errors naming the field and the expected form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from planlabor.errors import InputError

ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
MAX_TEXT = 500  # characters of a resident's short text
MAX_CATEGORIES = 12
STATES = ("neu", "freigegeben", "abgelehnt")  # moderation of an answer
ACTOR_TYPES = ("Träger", "Verband", "Jugendvertretung", "Verwaltung")

#: the fixed categories of "Was fehlt hier?" for young people (a consultation may name its own)
JUGEND_KATEGORIEN: dict[str, str] = {
    "spielplaetze": "Spielplätze",
    "treffpunkte": "Treffpunkte für Jugendliche",
    "sport": "Sport- und Bewegungsflächen",
    "gruen": "Grünflächen und Parks",
    "beratung": "Beratung und Unterstützung",
    "sicherheit": "Sicherheit und Beleuchtung",
    "verkehr": "Sichere Wege und Bus/Bahn",
    "kultur": "Kultur und Freizeitangebote",
}


@dataclass(frozen=True)
class Consultation:
    """A consultation: a question with fixed categories, on one layer, in a time window."""

    id: str
    title: str
    question: str
    categories: dict[str, str]  # id → label, in the order shown
    layer: str
    opens: date
    closes: date
    target: str = ""  # Zielgruppe, e.g. "Jugendliche von 12 bis 21 Jahren"
    themes: tuple[str, ...] = ()
    min_count: int = 5
    reference: str | None = None  # indicator the report compares with (e.g. child poverty)
    state: str = "offen"  # offen | geschlossen
    areas: dict[str, str] = field(default_factory=dict)  # area id → name (snapshot at opening)

    def accepts(self, today: date) -> bool:
        """Whether answers are taken on ``today``."""
        return self.state == "offen" and self.opens <= today <= self.closes

    @property
    def period(self) -> str:
        """The period of the results (the last day of the time window)."""
        return self.closes.isoformat()

    def variable(self, category: str) -> str:
        return f"beteiligung_{self.id}_{category}"

    @property
    def total_variable(self) -> str:
        return f"beteiligung_{self.id}_antworten"


@dataclass(frozen=True)
class Answer:
    answer_id: int
    consultation: str
    area_id: str
    categories: tuple[str, ...]
    text: str
    state: str
    received_on: str  # the day only (no time of day: nothing to link to a server log)


@dataclass(frozen=True)
class Position:
    """A named actor's position on a measure or a planning decision."""

    position_id: int
    subject: str  # Maßnahme oder Entscheidung, e.g. "Kita-Bedarfsplanung 2030"
    actor: str
    actor_type: str
    position: str
    stated_on: date
    source: str


def check_id(value: str, what: str = "Kennung der Befragung") -> str:
    if not ID_RE.match(value or ""):
        raise InputError(
            f"Die {what} {value!r} ist ungültig.",
            column=what,
            expected="Kleinbuchstaben, Ziffern und _, beginnend mit einem Buchstaben, höchstens 20 Zeichen "
            "(z. B. jugend2026)",
        )
    return value


def parse_categories(text: str | list[str] | None) -> dict[str, str]:
    """Categories from ``"spielplaetze=Spielplätze; sport=Sportflächen"`` (or a list of such
    items); empty: the fixed categories for young people (:data:`JUGEND_KATEGORIEN`)."""
    items = text if isinstance(text, list) else re.split(r"[;\n]", text or "")
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        return dict(JUGEND_KATEGORIEN)
    out: dict[str, str] = {}
    for item in items:
        key, sep, label = item.partition("=")
        key = key.strip()
        if key in JUGEND_KATEGORIEN and not sep:
            label = JUGEND_KATEGORIEN[key]
        if not label.strip():
            raise InputError(
                f"Die Kategorie {item!r} hat keine Bezeichnung.",
                column="Kategorien",
                expected="kennung=Bezeichnung, getrennt durch Semikolon (z. B. spielplaetze=Spielplätze; "
                "sport=Sportflächen)",
            )
        out[check_id(key, "Kennung der Kategorie")] = label.strip()[:80]
    if len(out) > MAX_CATEGORIES:
        raise InputError(
            f"{len(out)} Kategorien sind zu viele.",
            column="Kategorien",
            expected=f"höchstens {MAX_CATEGORIES}",
        )
    if "antworten" in out:
        raise InputError(
            "Die Kategorie 'antworten' ist reserviert (Zahl der Antworten).", column="Kategorien"
        )
    return out


def parse_day(value: str | date, what: str) -> date:
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            from datetime import datetime

            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InputError(f"{what}: {value!r} ist kein Datum.", column=what, expected="TT.MM.JJJJ oder JJJJ-MM-TT")


def check_window(opens: date, closes: date) -> None:
    if closes < opens:
        raise InputError(
            f"Die Befragung endet ({closes:%d.%m.%Y}) vor ihrem Beginn ({opens:%d.%m.%Y}).",
            column="Ende",
            hint="Setzen Sie das Ende auf den Tag des Beginns oder später.",
        )


def check_actor_type(value: str) -> str:
    for t in ACTOR_TYPES:
        if value.strip().lower() == t.lower():
            return t
    raise InputError(
        f"Die Art des Akteurs {value!r} ist unbekannt.", column="Art", expected=", ".join(ACTOR_TYPES)
    )


def clean_text(text: str | None, limit: int = MAX_TEXT) -> str:
    """A resident's text: control characters removed, whitespace collapsed, at most ``limit``."""
    if not text:
        return ""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]", "", str(text))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        raise InputError(
            f"Der Text ist {len(text)} Zeichen lang.", column="Text", expected=f"höchstens {limit}"
        )
    return text
