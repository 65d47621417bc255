"""Consultations, answers and positions in ``beteiligung.sqlite`` beside the store.

Why a file of its own: the public server writes the residents' answers while it only *reads* the
store (:mod:`planlabor.atlas.access`), and planners moderate while the server runs.  SQLite in
WAL mode lets the server, the Werkstatt and the command line write at the same time (as the
users file :mod:`planlabor.atlas.sessions` does).  The file is the workspace's raw material, kept
owner-only; what becomes public are the counts :func:`planlabor.participation.results.aggregate`
writes into the store as observations (through the confidentiality rules) and the texts a
planner approved.  No IP address, no time of day, no cookie is stored with an answer.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

from planlabor.errors import InputError, NotFoundError
from planlabor.participation.model import STATES, Answer, Consultation, Position
from planlabor.sqlitefile import PrivateSqlite

FILE = "beteiligung.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS consultations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    question TEXT NOT NULL,
    categories TEXT NOT NULL,
    layer TEXT NOT NULL,
    areas TEXT NOT NULL,
    opens TEXT NOT NULL,
    closes TEXT NOT NULL,
    target TEXT,
    themes TEXT,
    min_count INTEGER NOT NULL,
    reference TEXT,
    state TEXT NOT NULL,
    created_by TEXT,
    created_on TEXT
);
CREATE TABLE IF NOT EXISTS answers (
    answer_id INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation TEXT NOT NULL,
    area_id TEXT NOT NULL,
    categories TEXT NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL,
    received_on TEXT NOT NULL,
    moderated_by TEXT,
    moderated_on TEXT
);
CREATE INDEX IF NOT EXISTS answers_of ON answers (consultation, state);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS positions (
    position_id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    position TEXT NOT NULL,
    stated_on TEXT NOT NULL,
    source TEXT NOT NULL,
    recorded_by TEXT,
    recorded_on TEXT
);
"""


class ParticipationStore(PrivateSqlite):
    """The participation file of one workspace; safe to share between threads."""

    def __init__(self, root_or_file: str | Path) -> None:
        p = Path(root_or_file)
        super().__init__(p / FILE if p.is_dir() else p, _SCHEMA)

    def __enter__(self) -> ParticipationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cur = self.con.execute(sql, args)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]  # type: ignore[misc]

    def secret(self) -> bytes:
        """The key that signs the proof-of-work tasks (made once, shared by all server processes)."""
        import secrets

        with self._tx() as con:
            con.execute("INSERT OR IGNORE INTO meta VALUES ('task_secret', ?)", (secrets.token_hex(32),))
            row = con.execute("SELECT value FROM meta WHERE key = 'task_secret'").fetchone()
        return bytes.fromhex(row[0])

    # ------------------------------------------------------------ consultations
    def add_consultation(self, c: Consultation, by: str | None = None) -> None:
        with self._tx() as con:
            if con.execute("SELECT 1 FROM consultations WHERE id = ?", (c.id,)).fetchone():
                raise InputError(
                    f"Eine Befragung mit der Kennung {c.id!r} gibt es schon.",
                    column="Kennung",
                    hint="Wählen Sie eine andere Kennung (z. B. mit Jahr: jugend2027).",
                )
            con.execute(
                "INSERT INTO consultations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    c.id,
                    c.title,
                    c.question,
                    json.dumps(c.categories, ensure_ascii=False),
                    c.layer,
                    json.dumps(c.areas, ensure_ascii=False),
                    c.opens.isoformat(),
                    c.closes.isoformat(),
                    c.target,
                    json.dumps(list(c.themes), ensure_ascii=False),
                    c.min_count,
                    c.reference,
                    c.state,
                    by,
                    date.today().isoformat(),
                ),
            )

    def consultations(self) -> list[Consultation]:
        return [_consultation(r) for r in self._rows("SELECT * FROM consultations ORDER BY opens DESC, id")]

    def consultation(self, cid: str) -> Consultation:
        rows = self._rows("SELECT * FROM consultations WHERE id = ?", (cid,))
        if not rows:
            raise NotFoundError(
                f"Die Befragung {cid!r} gibt es nicht.",
                hint="planlabor beteiligung liste zeigt alle Befragungen.",
            )
        return _consultation(rows[0])

    def set_state(self, cid: str, state: str) -> Consultation:
        self.consultation(cid)
        with self._tx() as con:
            con.execute("UPDATE consultations SET state = ? WHERE id = ?", (state, cid))
        return self.consultation(cid)

    # ------------------------------------------------------------ answers
    def add_answer(self, cid: str, area_id: str, categories: list[str], text: str, today: date) -> int:
        with self._tx() as con:
            cur = con.execute(
                "INSERT INTO answers (consultation, area_id, categories, text, state, received_on) "
                "VALUES (?, ?, ?, ?, 'neu', ?)",
                (cid, area_id, json.dumps(categories), text, today.isoformat()),
            )
            return int(cur.lastrowid or 0)

    def answers(self, cid: str, state: str | None = None, with_text: bool = False) -> list[Answer]:
        sql = "SELECT * FROM answers WHERE consultation = ?"
        args: tuple[Any, ...] = (cid,)
        if state:
            sql += " AND state = ?"
            args += (state,)
        if with_text:
            sql += " AND text <> ''"
        return [
            Answer(
                r["answer_id"],
                r["consultation"],
                r["area_id"],
                tuple(json.loads(r["categories"])),
                r["text"],
                r["state"],
                r["received_on"],
            )
            for r in self._rows(sql + " ORDER BY answer_id", args)
        ]

    def moderate(self, cid: str, answer_ids: list[int], state: str, by: str | None) -> int:
        """Set the moderation state of answers; returns how many changed."""
        if state not in STATES:
            raise InputError(f"Unbekannter Zustand {state!r}.", expected=", ".join(STATES))
        with self._tx() as con:
            n = 0
            for aid in answer_ids:
                cur = con.execute(
                    "UPDATE answers SET state = ?, moderated_by = ?, moderated_on = ? "
                    "WHERE consultation = ? AND answer_id = ?",
                    (state, by, datetime.now().date().isoformat(), cid, int(aid)),
                )
                n += cur.rowcount
        return n

    def counts(self, cid: str) -> dict[str, int]:
        rows = self._rows(
            "SELECT state, COUNT(*) AS n FROM answers WHERE consultation = ? GROUP BY state", (cid,)
        )
        return {s: 0 for s in STATES} | {r["state"]: int(r["n"]) for r in rows}

    # ------------------------------------------------------------ positions
    def add_position(self, p: Position, by: str | None = None) -> int:
        with self._tx() as con:
            cur = con.execute(
                "INSERT INTO positions (subject, actor, actor_type, position, stated_on, source, "
                "recorded_by, recorded_on) VALUES (?,?,?,?,?,?,?,?)",
                (
                    p.subject,
                    p.actor,
                    p.actor_type,
                    p.position,
                    p.stated_on.isoformat(),
                    p.source,
                    by,
                    date.today().isoformat(),
                ),
            )
            return int(cur.lastrowid or 0)

    def positions(self, subject: str | None = None) -> list[Position]:
        sql = "SELECT * FROM positions"
        args: tuple[str, ...] = ()
        if subject:
            sql, args = sql + " WHERE subject = ?", (subject,)
        return [
            Position(
                r["position_id"],
                r["subject"],
                r["actor"],
                r["actor_type"],
                r["position"],
                date.fromisoformat(r["stated_on"]),
                r["source"],
            )
            for r in self._rows(sql + " ORDER BY subject, stated_on, position_id", args)
        ]

    def remove_position(self, position_id: int) -> bool:
        with self._tx() as con:
            return con.execute("DELETE FROM positions WHERE position_id = ?", (position_id,)).rowcount > 0


def _consultation(r: Any) -> Consultation:
    return Consultation(
        id=r["id"],
        title=r["title"],
        question=r["question"],
        categories=json.loads(r["categories"]),
        layer=r["layer"],
        opens=date.fromisoformat(r["opens"]),
        closes=date.fromisoformat(r["closes"]),
        target=r["target"] or "",
        themes=tuple(json.loads(r["themes"] or "[]")),
        min_count=int(r["min_count"]),
        reference=r["reference"],
        state=r["state"],
        areas=json.loads(r["areas"]),
    )
