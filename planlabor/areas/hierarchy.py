"""The area hierarchy as an ancestor table for aggregation up the levels."""

from __future__ import annotations

import pandas as pd

from planlabor.store import Store


def layer_chain(store: Store, base_layer: str) -> list[str]:
    """``base_layer`` and its ancestors, bottom-up (e.g. plr, bzr, pgr, bezirk, stadt)."""
    parents = {lay.layer_id: lay.parent_layer for lay in store.layers()}
    chain = [base_layer]
    while parents.get(chain[-1]) and parents[chain[-1]] not in chain:
        chain.append(parents[chain[-1]])  # type: ignore[arg-type]
    return chain


def ancestor_table(store: Store, base_layer: str) -> pd.DataFrame:
    """Map every base area to itself and to each ancestor.

    Columns: ``area_id`` (base), ``anc_layer``, ``anc_id``.  Areas whose chain
    breaks (no parent) simply have no row at the higher levels.
    """
    chain = layer_chain(store, base_layer)
    base = store.areas(base_layer)[["area_id", "parent_id"]]
    frames = [pd.DataFrame({"area_id": base["area_id"], "anc_layer": base_layer, "anc_id": base["area_id"]})]
    current = pd.DataFrame({"area_id": base["area_id"], "anc_id": base["parent_id"]})
    for layer in chain[1:]:
        current = current.dropna(subset=["anc_id"])
        frames.append(
            pd.DataFrame({"area_id": current["area_id"], "anc_layer": layer, "anc_id": current["anc_id"]})
        )
        up = store.areas(layer)[["area_id", "parent_id"]].rename(
            columns={"area_id": "anc_id", "parent_id": "next"}
        )
        current = current.merge(up, on="anc_id", how="left")[["area_id", "next"]].rename(
            columns={"next": "anc_id"}
        )
    return pd.concat(frames, ignore_index=True).astype(
        {"area_id": object, "anc_layer": object, "anc_id": object}
    )
