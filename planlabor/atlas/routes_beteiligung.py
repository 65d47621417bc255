"""The public side of Beteiligung (issue 21) in ``planlabor serve``: the answer page and its API.

- ``GET /beteiligung`` the page (``static/beteiligung.html``, script and style as files);
- ``GET /api/beteiligung`` consultations open today, with their areas and the privacy note;
- ``GET /api/beteiligung/{id}/aufgabe`` a proof-of-work challenge (signed, expiring);
- ``POST /api/beteiligung/{id}/antwort`` an answer (JSON: area, categories, text, challenge,
  nonce) — rate-limited per client and in all, the work checked, kept as *neu*;
- ``GET /api/beteiligung/{id}/stimmen`` the texts a planner approved (nothing else).

Answers go to ``beteiligung.sqlite`` (:mod:`planlabor.participation.storage`), never to the store
the server only reads.  Nothing here stores an address: the rate limiter keys clients by a keyed
hash held in memory (:mod:`planlabor.participation.antispam`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from planlabor.errors import PlanlaborError
from planlabor.participation.antispam import Challenges, RateLimiter

log = logging.getLogger("planlabor.beteiligung")
MAX_ANSWER_BYTES = 4096
STATIC = {"beteiligung.js": "text/javascript", "beteiligung.css": "text/css"}
Cid = Annotated[str, PathParam(pattern=r"^[a-z][a-z0-9_]{0,19}$", description="Kennung der Befragung")]

PRIVACY = (
    "Sie antworten ohne Anmeldung. Wir fragen nicht nach Ihrem Namen, Ihrer Adresse oder Ihrem Alter. "
    "Gespeichert werden nur das gewählte Gebiet, Ihre Auswahl, Ihr Text und der Tag der Antwort – "
    "keine Uhrzeit, keine IP-Adresse, kein Cookie. Gegen massenhafte Antworten rechnet Ihr Browser "
    "vor dem Senden eine kleine Aufgabe, und der Server merkt sich kurz (nur im Arbeitsspeicher, ohne "
    "Ihre Adresse zu speichern), wie oft von einem Anschluss aus gesendet wurde. Ihr Text wird erst "
    "veröffentlicht, wenn die Planung ihn gelesen und freigegeben hat; Texte mit Namen, Beleidigungen "
    "oder Werbung werden nicht freigegeben. Zahlen werden nur je Gebiet veröffentlicht, und erst ab "
    "einer Mindestzahl von Antworten. Bitte schreiben Sie keine Namen oder Adressen in den Text."
)


@dataclass
class Participation:
    """The server's state for the answer endpoint."""

    root: Path | None
    challenges: Challenges = field(default_factory=Challenges)
    answers: RateLimiter = field(default_factory=lambda: RateLimiter(per_client=10, total=2000))
    tasks: RateLimiter = field(default_factory=lambda: RateLimiter(per_client=30, total=6000))
    _store: Any = None

    def store(self) -> Any:
        from planlabor.participation.storage import FILE, ParticipationStore

        if self.root is None or not (Path(self.root) / FILE).is_file():
            raise HTTPException(404, "Hier läuft keine Befragung.")
        if self._store is None:
            store = ParticipationStore(self.root)
            self.challenges.use_secret(store.secret())  # the same key in every worker process
            self._store = store
        return self._store


def _error(text: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/HTTPValidationError"}
    return {"description": text, "content": {"application/json": {"schema": schema}}}


ANSWER_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"description": "Angenommen (Text erst nach Freigabe sichtbar)"},
    400: _error("Ungültige Antwort"),
    403: _error("Sicherheitsaufgabe fehlt, falsch, abgelaufen oder schon verwendet"),
    413: _error("Antwort zu lang"),
    415: _error("Nicht als JSON gesendet"),
    429: _error("Zu viele Antworten in kurzer Zeit"),
}
ANSWER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "gebiet": {"type": "string"},
                        "kategorien": {"type": "array", "items": {"type": "string"}},
                        "text": {"type": "string", "maxLength": 500},
                        "aufgabe": {"type": "string"},
                        "loesung": {"type": "integer"},
                    },
                    "required": ["gebiet", "kategorien", "aufgabe", "loesung"],
                }
            }
        },
    }
}


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _too_many() -> JSONResponse:
    return JSONResponse(
        {"detail": "Zu viele Antworten in kurzer Zeit. Bitte versuchen Sie es später noch einmal."},
        status_code=429,
        headers={"Retry-After": "600"},
    )


def _public(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "titel": c.title,
        "frage": c.question,
        "zielgruppe": c.target,
        "themen": list(c.themes),
        "kategorien": [{"id": k, "name": v} for k, v in c.categories.items()],
        "ebene": c.layer,
        "gebiete": [{"id": k, "name": v} for k, v in c.areas.items()],
        "ende": c.closes.isoformat(),
        "mindestfallzahl": c.min_count,
        "max_text": 500,
    }


THANKS = "Danke für Ihre Antwort. Ihr Text erscheint erst nach der Prüfung durch die Planung."


def _install_files(app: FastAPI) -> None:
    """The answer page and its script and style files."""
    from planlabor.atlas.build import static_dir

    @app.get("/beteiligung", include_in_schema=False)
    def page() -> Response:
        return FileResponse(static_dir() / "beteiligung.html", headers={"Cache-Control": "no-cache"})

    for name, media in STATIC.items():

        def _file(name: str = name, media: str = media) -> FileResponse:
            return FileResponse(static_dir() / name, media_type=media, headers={"Cache-Control": "no-cache"})

        app.get(f"/{name}", include_in_schema=False)(_file)


def _read_answer(body: bytes) -> dict[str, Any]:
    """The posted answer as a JSON object (413 when too long, 400 when not an object)."""
    if len(body) > MAX_ANSWER_BYTES:
        raise HTTPException(413, "Die Antwort ist zu lang.")
    try:
        data = json.loads(body)
        assert isinstance(data, dict)
    except (ValueError, AssertionError):
        raise HTTPException(400, "Die Antwort ist kein gültiges JSON-Objekt.") from None
    return data


def install(app: FastAPI, root: Path | None, state: Participation | None = None) -> Participation:
    """Add the public routes of Beteiligung; ``state`` lets tests set difficulty and limits."""
    p = state or Participation(Path(root) if root else None)
    app.state.beteiligung = p

    _install_files(app)

    @app.get("/api/beteiligung", tags=["Beteiligung"], summary="Laufende Befragungen und Datenschutzhinweis")
    def running() -> dict[str, Any]:
        from datetime import date

        try:
            items = [c for c in p.store().consultations() if c.accepts(date.today())]
        except HTTPException:
            items = []
        return {"befragungen": [_public(c) for c in items], "datenschutz": PRIVACY}

    @app.get(
        "/api/beteiligung/{cid}/aufgabe",
        tags=["Beteiligung"],
        summary="Sicherheitsaufgabe vor dem Senden",
        responses={429: _error("Zu viele Anfragen in kurzer Zeit")},
    )
    def task(request: Request, cid: Cid) -> Response:
        if not p.tasks.allow(_client(request)):
            return _too_many()
        p.store().consultation(cid)
        return JSONResponse(p.challenges.issue(cid), headers={"Cache-Control": "no-store"})

    @app.post(
        "/api/beteiligung/{cid}/antwort",
        tags=["Beteiligung"],
        summary="Eine Antwort senden",
        status_code=201,
        responses=ANSWER_RESPONSES,
        openapi_extra=ANSWER_BODY,
    )
    async def answer(request: Request, cid: Cid) -> Response:
        if not p.answers.allow(_client(request)):
            return _too_many()
        p.store()  # 404 without a consultation; its key signs the tasks
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise HTTPException(415, "Bitte senden Sie die Antwort als JSON.")
        data = _read_answer(await request.body())
        if data.get("webseite"):  # a field people do not see: filled only by form robots
            return JSONResponse({"meldung": "Danke für Ihre Antwort."}, status_code=201)
        why = p.challenges.check(cid, str(data.get("aufgabe", "")), data.get("loesung"))
        if why:
            return JSONResponse({"detail": why}, status_code=403)
        cats = data.get("kategorien")
        if not isinstance(cats, list) or len(cats) > 20:
            raise HTTPException(400, "Bitte wählen Sie mindestens eine der angebotenen Antworten.")
        from planlabor.app.participation import submit_answer

        try:
            await run_in_threadpool(
                submit_answer,
                p.store(),
                cid,
                str(data.get("gebiet", "")),
                [str(c) for c in cats],
                str(data.get("text") or ""),
            )
        except PlanlaborError as err:
            return JSONResponse({"detail": err.message}, status_code=422)
        return JSONResponse({"meldung": THANKS}, status_code=201)

    @app.get("/api/beteiligung/{cid}/stimmen", tags=["Beteiligung"], summary="Freigegebene Texte")
    def voices(cid: Cid) -> dict[str, Any]:
        from planlabor.app.participation import approved_texts

        p.store()
        return {"befragung": cid, "stimmen": approved_texts(Path(p.root or "."), cid)}

    return p
