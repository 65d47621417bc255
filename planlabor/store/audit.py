"""The audit trail: who imported, changed, reverted, computed or published what and when.

Rows are written by the store in the same transaction as the change itself
(:meth:`planlabor.store.base.Store.audit`), so the trail and the data never disagree.  This module
reads it for the command line (``planlabor audit``), the API (``/api/intern/audit``) and the
Werkstatt page (issue 17: :func:`audit_log` is its data function).
"""

from __future__ import annotations

import getpass
import json
import os
from typing import Any

import pandas as pd

from planlabor.store.base import Store

#: actions and their German names
ACTIONS = {
    "import": "importiert",
    "revert": "zurückgenommen",
    "compute": "berechnet",
    "publish": "veröffentlicht",
    "copy": "kopiert",
    "change": "geändert",
}


def actor_name() -> str:
    """Who acts: ``PLANLABOR_USER`` (set by a server for its signed-in user) or the login name."""
    name = os.environ.get("PLANLABOR_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unbekannt"


def audit_log(store: Store, limit: int = 200, action: str | None = None) -> pd.DataFrame:
    """The newest ``limit`` entries (newest first): audit_id, happened_at, actor, db_user, action, action_de,
    subject, import_id, details (a dict).  Empty for a store from before the audit table."""
    if not store.has_table("audit"):
        return pd.DataFrame(
            columns=[
                "audit_id",
                "happened_at",
                "actor",
                "db_user",
                "action",
                "action_de",
                "subject",
                "import_id",
                "details",
            ]
        )
    where, params = "", []
    if action:
        where, params = "WHERE action = ?", [action]
    df = store.query_df(
        f"SELECT * FROM audit {where} ORDER BY audit_id DESC LIMIT {int(limit)}",
        params or None,
    )
    df.insert(
        list(df.columns).index("action") + 1, "action_de", df["action"].map(lambda a: ACTIONS.get(a, a))
    )
    df["details"] = [json.loads(d) if isinstance(d, str) and d else {} for d in df["details"]]
    return df


def audit_rows(store: Store, limit: int = 200, action: str | None = None) -> list[dict[str, Any]]:
    """:func:`audit_log` as JSON-ready dicts (time in ISO format)."""
    out = []
    for r in audit_log(store, limit, action).to_dict("records"):
        out.append(
            {
                "id": int(r["audit_id"]),
                "zeit": pd.Timestamp(r["happened_at"]).isoformat(),
                "wer": r["actor"],
                "datenbankbenutzer": r["db_user"] if isinstance(r["db_user"], str) else None,
                "aktion": r["action"],
                "aktion_de": r["action_de"],
                "was": r["subject"] if isinstance(r["subject"], str) else None,
                "import": None if pd.isna(r["import_id"]) else int(r["import_id"]),
                "details": r["details"],
            }
        )
    return out


def audit_lines(store: Store, limit: int = 50) -> list[str]:
    """The trail for people: one line per entry, German date and time."""
    lines = []
    for r in audit_rows(store, limit):
        when = pd.Timestamp(r["zeit"]).strftime("%d.%m.%Y %H:%M:%S")
        who = r["wer"] + (f" (DB {r['datenbankbenutzer']})" if r["datenbankbenutzer"] else "")
        what = r["was"] or ""
        nr = f"  Import {r['import']}" if r["import"] is not None else ""
        lines.append(f"{r['id']:>5}  {when}  {who:<24} {r['aktion_de']:<15} {what}{nr}")
    return lines
