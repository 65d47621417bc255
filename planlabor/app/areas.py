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
