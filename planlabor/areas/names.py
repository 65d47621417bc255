"""Display names of a layer: one area (``Planungsraum 01100313``) and several (``Planungsräume``).

The plural is the layer's name (``layers.name``); the singular is stored in ``layer_names`` when
someone sets it (``planlabor areas names``), otherwise derived from the plural by the endings of
German area words (Räume → Raum, Regionen → Region, Bezirke → Bezirk, Gemeinden → Gemeinde …).
"""

from __future__ import annotations

import re
from typing import Any

from planlabor.errors import InputError, NotFoundError

# (plural ending, singular ending), longest first; words outside this list keep their form
_ENDINGS = [
    ("räume", "raum"),
    ("regionen", "region"),
    ("ionen", "ion"),
    ("länder", "land"),
    ("gebiete", "gebiet"),
    ("bezirke", "bezirk"),
    ("kreise", "kreis"),
    ("gemeinden", "gemeinde"),
    ("städte", "stadt"),
    ("teile", "teil"),
    ("viertel", "viertel"),
    ("quartiere", "quartier"),
    ("zellen", "zelle"),
    ("sprengel", "sprengel"),
    ("kantone", "kanton"),
    ("staaten", "staat"),
    ("blöcke", "block"),
]


def singular_of(plural: str) -> str:
    """The singular of a German layer name (first word that changes), e.g.

    >>> singular_of("Planungsräume"), singular_of("Bezirksregionen")
    ('Planungsraum', 'Bezirksregion')
    >>> singular_of("Planungsräume (System 2006)")
    'Planungsraum (System 2006)'
    >>> singular_of("Stadt"), singular_of("NUTS 3"), singular_of("Bezirke")
    ('Stadt', 'NUTS 3', 'Bezirk')
    """
    words = plural.split(" ")
    for k, w in enumerate(words):
        low = w.lower()
        for pl, sg in _ENDINGS:
            if low.endswith(pl) and re.match(r"^\w+$", w):
                words[k] = w[: len(w) - len(pl)] + (sg if w[len(w) - len(pl)].islower() else sg.capitalize())
                return " ".join(words)
    return plural


def layer_names(store: Any) -> dict[str, tuple[str, str]]:
    """``{layer: (singular, plural)}`` for every layer."""
    have = store.query_df(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'layer_names'"
    )["n"].iloc[0]
    # a store opened read-only from before this table existed: derived names only
    stored = (
        dict(store.query_df("SELECT layer_id, singular FROM layer_names").itertuples(index=False))
        if have
        else {}
    )
    out = {}
    for lay in store.layers():
        plural = lay.name or lay.layer_id
        out[lay.layer_id] = (stored.get(lay.layer_id) or singular_of(plural), plural)
    return out


def set_layer_names(store: Any, layer: str, singular: str | None = None, plural: str | None = None) -> None:
    """Set the singular and/or plural display name of a layer."""
    if store.layer(layer) is None:
        raise NotFoundError(f"Die Raumebene {layer!r} gibt es nicht.", column="LAYER")
    for label, value in (("--singular", singular), ("--plural", plural)):
        if value is not None and not value.strip():
            raise InputError("Der Name darf nicht leer sein.", column=label)
    if singular is not None:
        store.execute(
            "INSERT INTO layer_names VALUES (?, ?) "
            "ON CONFLICT (layer_id) DO UPDATE SET singular = excluded.singular",
            [layer, singular.strip()],
        )
    if plural is not None:
        store.execute("UPDATE layers SET name = ? WHERE layer_id = ?", [plural.strip(), layer])
