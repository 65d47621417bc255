"""Comparison regions (Vergleichsregionen): the areas most similar to a region.

Each indicator is z-standardised over all areas that have every chosen indicator; the distance
is Euclidean over these z values (each indicator weighs the same).  With ``per_group`` the
nearest areas are taken from *each* group (e.g. each country), so that a German district is set
against its Austrian and Swiss peers and not only against its neighbours at home.  The atlas
does the same in the browser (button *Ähnliche Gebiete vergleichen*).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlabor.errors import InputError


@dataclass
class Peers:
    target: str
    indicators: list[str]
    table: pd.DataFrame  # area_id, group, distance, rank (target first, distance 0)
    excluded: list[str]  # areas left out for a missing value


def find_peers(
    values: pd.DataFrame,
    target: str,
    k: int = 5,
    groups: pd.Series | None = None,
    per_group: int | None = None,
) -> Peers:
    """``values``: one row per area (index = area ID), one column per indicator."""
    if target not in values.index:
        raise InputError(
            f"Für das Gebiet {target!r} gibt es keine Werte.",
            column="--area",
            hint="Prüfen Sie den Gebietsschlüssel und den Zeitraum.",
        )
    row = values.loc[target]
    usable = [c for c in values.columns if pd.notna(row[c])]
    if not usable:
        raise InputError(
            f"Das Gebiet {target!r} hat für keinen der Indikatoren einen Wert.", column="--indicator"
        )
    data = values[usable].astype(float)
    complete = data.dropna()
    excluded = sorted(set(data.index) - set(complete.index))
    sd = complete.std(ddof=0).replace(0, 1.0)
    z = (complete - complete.mean()) / sd
    dist = np.sqrt(((z - z.loc[target]) ** 2).sum(axis=1))
    table = pd.DataFrame({"area_id": z.index, "distance": dist.to_numpy()})
    table["group"] = table["area_id"].map(groups) if groups is not None else None
    table = table.sort_values(["distance", "area_id"]).reset_index(drop=True)
    head, rest = table[table["area_id"] == target], table[table["area_id"] != target]
    if per_group and groups is not None:
        rest = rest.groupby("group", sort=False, dropna=False).head(per_group)
    else:
        rest = rest.head(k)
    out = pd.concat([head, rest], ignore_index=True)
    out["rank"] = range(len(out))
    return Peers(target=target, indicators=usable, table=out, excluded=excluded)
