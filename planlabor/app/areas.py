"""Use cases of the spatial layers (read side; the writing ones follow with the Werkstatt page
*Raumebenen*)."""

from __future__ import annotations

from typing import Any

from planlabor.app import Where, opened


def layers(where: Where) -> list[dict[str, Any]]:
    """Every layer: ``id``, ``name``, ``parent`` (layer id or None) and ``areas`` (count)."""
    with opened(where, read_only=True) as ws:
        out = []
        for lay in ws.store.layers():
            out.append(
                {
                    "id": lay.layer_id,
                    "name": lay.name,
                    "parent": lay.parent_layer,
                    "areas": len(ws.store.areas(lay.layer_id)),
                }
            )
    return out


def dissolve(
    where: Where,
    layer: str,
    into: str,
    key_prefix: int | None = None,
    area_id: str | None = None,
    name: str | None = None,
    layer_name: str | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    """Build the layer ``into`` from ``layer``: by the first ``key_prefix`` characters of the keys
    (with official names of Länder, Regierungsbezirke …), into one area ``area_id``, or by the
    parents; ``layer`` (new layer), ``areas`` and ``unnamed`` (counts)."""
    from planlabor.app.audit import record
    from planlabor.areas import dissolve_layer
    from planlabor.errors import InputError

    if area_id and key_prefix:
        raise InputError(
            "Bitte entweder eine Gebietsnummer oder die Schlüssellänge angeben, nicht beides.",
            column="--key-prefix",
        )
    with opened(where) as ws:
        res = dissolve_layer(
            ws.store, layer, into, area_id=area_id, name=name, layer_name=layer_name, key_prefix=key_prefix
        )
    record(where, by, "areas dissolve", layer=layer, into=into, areas=res.get("areas"))
    return dict(res)
