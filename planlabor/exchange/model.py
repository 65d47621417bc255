"""The dossier file format: ``dossier.toml`` beside the method template and the public files.

A dossier is a folder::

    dossier.toml    description, contact, licence, Visitationen, recommendations, contents
    vorlage.toml    the method template (catalog, index definitions, report layout)
    bericht.pdf     the public report (optional)
    atlas/          a static public atlas snapshot (optional)

The description a planner writes (``planlabor dossier beschreibung`` prints a blank one) is the
same TOML without the machine parts (``format``, ``inhalt``, ``geheimhaltung``).
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planlabor.errors import ConfigError, InputError, NotFoundError

FORMAT = "planlabor-dossier"
FORMAT_VERSION = 1
DOSSIER_FILE = "dossier.toml"
TEMPLATE_FILE = "vorlage.toml"
REPORT_FILE = "bericht.pdf"
ATLAS_DIR = "atlas"
COUNTRIES = {"DE": "Deutschland", "AT": "Österreich", "CH": "Schweiz"}
KINDS = {"projekt": "Planungsprojekt", "positionspapier": "Positionspapier", "vorlage": "Fachvorlage"}
# the parts of a project description, in the order a page shows them
SECTIONS = {
    "ziel": "Ziel",
    "fragestellung": "Fragestellung",
    "vorgehen": "Vorgehen",
    "beteiligung": "Beteiligung",
    "wirkung": "Wirkung",
    "erkenntnisse": "Erkenntnisse",
}
# the criteria of a Visitation (peer review of a practice project)
CRITERIA = {
    "datenbasis": "Datenbasis",
    "methode": "Methode",
    "beteiligung": "Beteiligung",
    "wirkungsmessung": "Wirkungsmessung",
    "uebertragbarkeit": "Übertragbarkeit",
}
RATINGS = {1: "schwach", 2: "ausbaufähig", 3: "solide", 4: "gut", 5: "vorbildlich"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contact(_Strict):
    name: str = ""
    stelle: str = ""
    email: str = ""
    web: str = ""


class Recommendation(_Strict):
    """One recommendation of a position paper, with the indicator definitions it recommends."""

    titel: str = Field(min_length=1)
    text: str = ""
    indikatoren: list[str] = Field(default_factory=list)  # IDs in the dossier's vorlage.toml


class Visitation(_Strict):
    """A structured peer review: one rating 1–5 and a comment per criterion, reviewer and date."""

    gutachter: str = Field(min_length=1)
    institution: str = ""
    datum: date
    bewertung: dict[str, int] = Field(default_factory=dict)
    kommentar: dict[str, str] = Field(default_factory=dict)
    fazit: str = ""

    def model_post_init(self, _context: Any) -> None:
        for key, value in self.bewertung.items():
            if key not in CRITERIA:
                raise ValueError(f"unbekanntes Kriterium {key!r} (erlaubt: {', '.join(CRITERIA)})")
            if value not in RATINGS:
                raise ValueError(f"Bewertung {key} = {value}: erwartet 1 bis 5")
        for key in self.kommentar:
            if key not in CRITERIA:
                raise ValueError(f"unbekanntes Kriterium {key!r} (erlaubt: {', '.join(CRITERIA)})")


class Description(_Strict):
    """What a municipality writes about its project (or position paper)."""

    titel: str = Field(min_length=1)
    art: Literal["projekt", "positionspapier", "vorlage"] = "projekt"
    kommune: str = ""
    land: Literal["DE", "AT", "CH"] = "DE"
    raumtyp: str = ""  # e.g. Großstadt, Landkreis, Bund
    themen: list[str] = Field(default_factory=list)
    methoden: list[str] = Field(default_factory=list)
    jahr: int | None = None
    zusammenfassung: str = ""
    beschreibung: dict[str, str] = Field(default_factory=dict)
    kontakt: Contact = Field(default_factory=Contact)
    lizenz: str = "CC BY 4.0"
    begriffe: dict[str, str] = Field(default_factory=dict)  # indicator ID → compared concept
    empfehlung: list[Recommendation] = Field(default_factory=list)
    visitation: list[Visitation] = Field(default_factory=list)

    def model_post_init(self, _context: Any) -> None:
        unknown = [k for k in self.beschreibung if k not in SECTIONS]
        if unknown:
            raise ValueError(f"unbekannte Abschnitte {unknown} (erlaubt: {', '.join(SECTIONS)})")


class Dossier(Description):
    """A dossier as stored: the description plus what export added."""

    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    erstellt: str = ""
    software: str = ""
    inhalt: dict[str, str] = Field(default_factory=dict)  # part → relative path
    geheimhaltung: dict[str, str] = Field(default_factory=dict)
    ordner: str = Field(default="", exclude=True)  # where it was read from


def _validate(cls: type[Description], raw: dict[str, Any], path: Path) -> Any:
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise InputError(
            f"Die Dossierbeschreibung ist ungültig: {where + ': ' if where else ''}{msg}",
            file=path,
            hint="Vergleichen Sie mit 'planlabor dossier beschreibung' (leere Vorlage mit allen Feldern).",
        ) from exc


def _load_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise NotFoundError(f"Die Datei {path} gibt es nicht.", file=path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"Keine gültige TOML-Datei: {exc}", file=path) from exc


def read_description(path: str | Path) -> Description:
    """A description file (the form a planner fills in)."""
    p = Path(path)
    raw = _load_toml(p)
    for key in ("format", "format_version", "erstellt", "software", "inhalt", "geheimhaltung"):
        raw.pop(key, None)
    return _validate(Description, raw, p)


def write_description(desc: Description, path: str | Path) -> Path:
    """Save a description (e.g. what the Werkstatt form collected) as the TOML form."""
    p = Path(path)
    p.write_text(tomli_w.dumps(_clean(desc.model_dump(mode="python"))), encoding="utf-8")
    return p


def dossier_file(folder: str | Path) -> Path:
    """``dossier.toml`` of a dossier folder (or the file itself)."""
    p = Path(folder)
    return p if p.is_file() else p / DOSSIER_FILE


def is_dossier(folder: str | Path) -> bool:
    return dossier_file(folder).is_file()


def read_dossier(folder: str | Path) -> Dossier:
    path = dossier_file(folder)
    raw = _load_toml(path)
    if raw.get("format") != FORMAT:
        raise InputError("Die Datei ist kein planlabor-Dossier.", file=path, expected=f'format = "{FORMAT}"')
    if int(raw.get("format_version", 0)) > FORMAT_VERSION:
        raise ConfigError(
            f"Das Dossier hat das neuere Format {raw.get('format_version')}.",
            file=path,
            hint="Aktualisieren Sie planlabor.",
        )
    d: Dossier = _validate(Dossier, raw, path)
    d.ordner = str(path.parent)
    return d


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if v not in (None, "", [], {})}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def write_dossier(d: Dossier, folder: str | Path) -> Path:
    path = Path(folder) / DOSSIER_FILE
    data = _clean(d.model_dump(mode="python"))
    data = {"format": FORMAT, "format_version": FORMAT_VERSION, **data}
    path.write_text(
        "# planlabor-Dossier: Beschreibung, Kontakt, Lizenz, Visitationen (siehe docs/austausch.md)\n"
        + tomli_w.dumps(data),
        encoding="utf-8",
    )
    return path


def add_visitation(folder: str | Path, review: Visitation) -> Dossier:
    """Store a peer review in the dossier (appended; earlier ones are kept)."""
    d = read_dossier(folder)
    d.visitation.append(review)
    write_dossier(d, dossier_file(folder).parent)
    return d


def read_visitation(path: str | Path) -> Visitation:
    p = Path(path)
    raw = _load_toml(p)
    raw = raw.get("visitation", raw)
    try:
        return Visitation.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(
            f"Die Visitation ist ungültig: {'.'.join(map(str, err['loc']))}: {err['msg']}",
            file=p,
            hint="Vergleichen Sie mit 'planlabor dossier visitation --vorlage'.",
        ) from exc


DESCRIPTION_TEMPLATE = """\
# Beschreibung eines Planungsprojekts für ein planlabor-Dossier
# (planlabor dossier export --beschreibung DIESE_DATEI --out dossier/)
titel = "Sozialmonitoring Musterstadt"
art = "projekt"            # oder "positionspapier"
kommune = "Musterstadt"
land = "DE"                # DE, AT oder CH
raumtyp = "Großstadt"      # z. B. Großstadt, Mittelstadt, Landkreis, Land, Bund
themen = ["Familienarmut"] # leer: die Themen des Katalogs
methoden = ["Indikatorenkatalog", "Index (MSS-Verfahren)"]
jahr = 2025
zusammenfassung = "Ein Satz, worum es geht."
lizenz = "CC BY 4.0"

[beschreibung]
ziel = "Was das Projekt erreichen will."
fragestellung = "Welche Frage die Daten beantworten."
vorgehen = "Schritte, Daten, Raumebenen, Verfahren."
beteiligung = "Wer beteiligt war (Fachämter, Träger, Politik, Bewohner:innen)."
wirkung = "Was sich geändert hat und wie das gemessen wird."
erkenntnisse = "Was andere Kommunen daraus lernen können."

[kontakt]
name = ""
stelle = "Sozialplanung"
email = ""

# Nur für den Vergleich der Definitionen: Indikator-ID = Begriff (sonst erkannt)
[begriffe]
# fa_sgb2_quote_u15 = "Kinderarmut"

# Positionspapiere: Empfehlungen mit den Indikatoren, die sie empfehlen
# [[empfehlung]]
# titel = "Kinderarmut kleinräumig messen"
# text = "…"
# indikatoren = ["fa_sgb2_quote_u15"]
"""

VISITATION_TEMPLATE = """\
# Visitation (kollegiale Begutachtung) eines Praxisprojekts
# (planlabor dossier visitation DOSSIER/ --datei DIESE_DATEI)
# Bewertung je Kriterium: 1 schwach, 2 ausbaufähig, 3 solide, 4 gut, 5 vorbildlich
gutachter = "Name"
institution = "Sozialplanung Nachbarstadt"
datum = 2025-06-30
fazit = "Zusammenfassung in zwei Sätzen."

[bewertung]
datenbasis = 4
methode = 4
beteiligung = 3
wirkungsmessung = 2
uebertragbarkeit = 5

[kommentar]
datenbasis = ""
methode = ""
beteiligung = ""
wirkungsmessung = ""
uebertragbarkeit = ""
"""
