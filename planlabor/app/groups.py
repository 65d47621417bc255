"""Use cases of named area groups (issue 19): a selection of areas of one layer, saved under a
name (internal atlas view, ``planlabor gruppe anlegen``) and used by reports
(``planlabor report profile --gruppe``).

Stored in the table ``area_groups`` of the store (``store/schema.sql``; the keys as a JSON list,
the same SQL for DuckDB and PostgreSQL).  Saving and deleting are written to the audit log.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from planlabor.app import Where, opened
from planlabor.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from planlabor.store.base import Store

NAME_RE = re.compile(r"^[\wÄÖÜäöüß][\wÄÖÜäöüß .,()/+\-]{0,79}$")
MAX_KEYS = 20_000
TABLE = "area_groups"


def check_name(name: str) -> str:
    """The name without surrounding blanks, or an :class:`InputError` saying what is allowed."""
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise InputError(
            f"Der Gruppenname {name[:100]!r} ist nicht zulässig.",
            column="name",
            expected="1 bis 80 Zeichen: Buchstaben, Ziffern, Leerzeichen und . , ( ) / + - _",
            hint="Wählen Sie einen kurzen Namen wie „Nord-Neukölln“ oder „Fokusgebiete 2025“.",
        )
    return name


def _rows(store: Store, name: str | None = None) -> list[dict[str, Any]]:
    if not store.has_table(TABLE):  # a store not yet opened for writing by this version
        return []
    sql = f"SELECT name, layer_id, area_keys, created_by, created_at FROM {TABLE}"
    where, params = (" WHERE name = ?", [name]) if name else ("", None)
    df = store.query_df(sql + where + " ORDER BY name", params)
    out = []
    for rec in df.to_dict("records"):
        keys = json.loads(rec["area_keys"])
        at = rec["created_at"]
        out.append(
            {
                "name": rec["name"],
                "layer": rec["layer_id"],
                "keys": keys,
                "areas": len(keys),
                "created_by": rec["created_by"],
                "created_at": at.isoformat(sep=" ", timespec="seconds") if hasattr(at, "isoformat") else at,
            }
        )
    return out


def stored_groups(store: Store, layer: str | None = None) -> list[dict[str, Any]]:
    """Every group of the store (of ``layer`` only, when given), sorted by name."""
    return [g for g in _rows(store) if layer is None or g["layer"] == layer]


def stored_group(store: Store, name: str) -> dict[str, Any]:
    """One group by its name, or a :class:`NotFoundError` naming the groups there are."""
    rows = _rows(store, name.strip())
    if not rows:
        known = ", ".join(g["name"] for g in _rows(store)) or "keine"
        raise NotFoundError(
            f"Die Gebietsgruppe {name!r} gibt es nicht (vorhanden: {known}).",
            column="--gruppe",
            hint="Legen Sie sie im internen Atlas (Auswahl → „Als Gebietsgruppe speichern“) oder mit "
            "planlabor gruppe anlegen NAME --layer EBENE --area ID … an.",
        )
    return rows[0]


def list_groups(where: Where, layer: str | None = None) -> list[dict[str, Any]]:
    """The saved groups: ``name``, ``layer``, ``keys``, ``areas``, ``created_by``, ``created_at``."""
    with opened(where, read_only=True) as ws:
        return stored_groups(ws.store, layer)


def _check_keys(store: Store, layer: str, keys: list[str]) -> list[str]:
    if store.layer(layer) is None:
        known = ", ".join(lay.layer_id for lay in store.layers()) or "keine"
        raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht (vorhanden: {known}).", column="layer")
    keys = list(dict.fromkeys(str(k).strip() for k in keys if str(k).strip()))  # order kept, once each
    if not keys:
        raise InputError(
            "Die Gebietsgruppe enthält kein Gebiet.",
            column="keys",
            hint="Wählen Sie mindestens ein Gebiet aus (Karte, Liste oder --area ID).",
        )
    if len(keys) > MAX_KEYS:
        raise InputError(f"Eine Gebietsgruppe hat höchstens {MAX_KEYS} Gebiete.", column="keys")
    known_ids = set(store.areas(layer)["area_id"].astype(str))
    unknown = [k for k in keys if k not in known_ids]
    if unknown:
        raise InputError(
            f"{len(unknown)} Gebietsschlüssel gibt es auf der Ebene {layer!r} nicht: "
            + ", ".join(unknown[:10])
            + (" …" if len(unknown) > 10 else ""),
            column="keys",
            expected=f"Schlüssel der Gebiete der Ebene {layer!r}",
        )
    return keys


def save_group(
    where: Where, name: str, layer: str, keys: list[str], by: str | None = None, replace: bool = False
) -> dict[str, Any]:
    """Save the areas ``keys`` of ``layer`` as the group ``name``; an existing group of the same
    name is replaced only with ``replace``.  Returns the stored group."""
    from planlabor.app.audit import record

    name = check_name(name)
    with opened(where) as ws:
        store = ws.store
        keys = _check_keys(store, layer, keys)
        exists = bool(_rows(store, name))
        if exists and not replace:
            raise InputError(
                f"Eine Gebietsgruppe {name!r} gibt es schon.",
                column="name",
                hint="Wählen Sie einen anderen Namen oder ersetzen Sie die Gruppe (--ersetzen).",
            )
        at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        with store.transaction():
            store.execute(f"DELETE FROM {TABLE} WHERE name = ?", [name])
            store.execute(
                f"INSERT INTO {TABLE} (name, layer_id, area_keys, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [name, layer, json.dumps(keys, ensure_ascii=False), by, at],
            )
        group = _rows(store, name)[0]
    record(where, by, "gruppe anlegen", name=name, layer=layer, areas=len(keys), replaced=exists)
    return group


def delete_group(where: Where, name: str, by: str | None = None) -> dict[str, Any]:
    """Delete the group ``name`` (a :class:`NotFoundError` when there is none); the deleted group."""
    from planlabor.app.audit import record

    with opened(where) as ws:
        group = stored_group(ws.store, name)
        with ws.store.transaction():
            ws.store.execute(f"DELETE FROM {TABLE} WHERE name = ?", [group["name"]])
    record(where, by, "gruppe loeschen", name=group["name"], layer=group["layer"])
    return group


def compare_group(
    where: Where, name: str, period: str | None = None, internal: bool = False
) -> dict[str, Any]:
    """The group against the city: per indicator of the group's layer, the mean and median of the
    group's areas and of all areas (the latest period up to ``period``), and how many areas had a
    value.  Public values by default (suppressed cells left out), ``internal`` for the internal
    ones.  Means of areas, not of people: rates are compared as the atlas shows them."""
    from planlabor.atlas.data import source_of, values_frame

    with opened(where, read_only=True) as ws:
        group = stored_group(ws.store, name)
        src = source_of(ws)
        df = values_frame(src, group["layer"], public=not internal)
        names = {i.id: i.name for i in src.catalog.indicators}
    df = df[df["value"].notna()]
    if period:
        df = df[df["period"] <= period]
    rows = []
    keys = set(group["keys"])
    for iid, grp in df.groupby("indicator_id", sort=True):
        last = grp[grp["period"] == grp["period"].max()]
        mine = last[last["area_id"].astype(str).isin(keys)]["value"].astype(float)
        if mine.empty:
            continue
        city = last["value"].astype(float)
        rows.append(
            {
                "indicator": iid,
                "name": names.get(str(iid), str(iid)),
                "period": str(last["period"].iloc[0]),
                "group_mean": float(mine.mean()),
                "group_median": float(mine.median()),
                "group_n": int(mine.size),
                "city_mean": float(city.mean()),
                "city_median": float(city.median()),
                "city_n": int(city.size),
            }
        )
    return {"name": group["name"], "layer": group["layer"], "areas": group["areas"], "rows": rows}
