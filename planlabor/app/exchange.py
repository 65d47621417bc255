"""Use cases of the exchange (issue 20) for the Werkstatt: a project description from a form, and
the dossier exported from it (public values only, checked by the confidentiality audit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planlabor.app import Where, opened
from planlabor.app.audit import record

FORM_FILE = Path("werkstatt") / "dossier" / "beschreibung.toml"


def description_from_form(fields: dict[str, str]) -> Any:
    """A :class:`~planlabor.exchange.model.Description` from the form's text fields; a German
    :class:`~planlabor.errors.InputError` naming the field where one is wrong."""
    from planlabor.exchange.model import SECTIONS, Description, _validate

    def listed(name: str) -> list[str]:
        return [x.strip() for x in fields.get(name, "").split(",") if x.strip()]

    year = fields.get("jahr", "").strip()
    raw: dict[str, Any] = {
        "titel": fields.get("titel", "").strip(),
        "art": fields.get("art", "projekt"),
        "kommune": fields.get("kommune", "").strip(),
        "land": fields.get("land", "DE"),
        "raumtyp": fields.get("raumtyp", "").strip(),
        "themen": listed("themen"),
        "methoden": listed("methoden"),
        "jahr": int(year) if year.isdigit() else (year or None),
        "zusammenfassung": fields.get("zusammenfassung", "").strip(),
        "beschreibung": {k: fields[k].strip() for k in SECTIONS if fields.get(k, "").strip()},
        "kontakt": {k: fields.get(f"kontakt_{k}", "").strip() for k in ("name", "stelle", "email", "web")},
        "lizenz": fields.get("lizenz", "").strip() or "CC BY 4.0",
    }
    return _validate(Description, raw, Path("Formular „Dossier beschreiben“"))


def save_description(where: Where, description: Any) -> Path:
    """The description as the TOML form in the workspace (``werkstatt/dossier/beschreibung.toml``)."""
    from planlabor.exchange.model import write_description

    with opened(where, read_only=True) as ws:
        path = ws.root / FORM_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_description(description, path)


def export(where: Where, out: str | Path, with_report: bool = False, by: str | None = None) -> Any:
    """Export the dossier described in the saved form into ``out`` (the audit runs on the result)."""
    from planlabor.exchange.dossier import export_dossier
    from planlabor.exchange.model import read_description

    with opened(where, read_only=True) as ws:
        desc = read_description(ws.root / FORM_FILE)
        res = export_dossier(ws, Path(out), desc, report=with_report)
    record(where, by, "dossier export", out=str(res.out), indicators=res.indicators)
    return res
