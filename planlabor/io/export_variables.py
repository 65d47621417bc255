"""Imported variables as an export (internal only): what a new workspace has before any indicator.

The observations of one layer are shaped like indicator values (one
"indicator" per variable, taken over as published) so that the same writers
(CSV, XLSX, GeoJSON, GeoPackage) serve both.
"""

from __future__ import annotations

import pandas as pd

from planlabor.catalog.model import Catalog, IndicatorDefinition
from planlabor.errors import InputError, NotFoundError
from planlabor.store import Store


def variable_values(
    store: Store, layer: str, variables: list[str] | None, periods: list[str] | None
) -> tuple[pd.DataFrame, Catalog]:
    """Current observations of ``layer`` in the shape of ``collect_values`` and a catalog for them."""
    obs = store.observations(layer_id=layer, variables=variables or None, periods=periods or None)
    if obs.empty:
        elsewhere = sorted(set(store.observations(variables=variables)["layer_id"])) if variables else []
        raise NotFoundError(
            f"Auf der Raumebene {layer!r} gibt es keine importierten Werte"
            + (f" der Variablen {', '.join(variables)}" if variables else "")
            + (f"; sie liegen auf: {', '.join(elsewhere)}" if elsewhere else "")
            + ".",
            column="--variable",
            hint="Variablen liegen auf der Ebene, auf die sie importiert wurden; für höhere Ebenen legen Sie "
            "Indikatoren an (planlabor catalog suggest --apply) und rechnen mit 'planlabor compute'.",
        )
    if variables:
        missing = [v for v in variables if v not in set(obs["variable"])]
        if missing:
            raise NotFoundError(
                f"Die Variable {missing[0]!r} gibt es auf {layer!r} nicht.", column="--variable"
            )
    info = store.variable_info().set_index("variable")
    names = store.areas(layer).rename(columns={"name": "area_name"})
    df = obs.rename(columns={"variable": "indicator_id"})
    df["numerator"] = float("nan")
    df["denominator"] = float("nan")
    df["suppressed"] = None
    df = df.merge(names, on="area_id", how="left")
    defs = []
    for v in sorted(df["indicator_id"].unique()):
        label = v
        unit = ""
        if v in info.index:
            label = str(info.loc[v, "label"] or v)
            unit = str(info.loc[v, "unit"] or "")
        # variable names are kept as the file wrote them ("SvB insgesamt"), not validated as indicator ids
        base = IndicatorDefinition(id="v", name=label, unit=unit, variable="v", public=False, decimals=2)
        defs.append(base.model_copy(update={"id": v, "variable": v}))
    return df, Catalog(indicator=defs)


def refuse_public() -> InputError:
    return InputError(
        "Importierte Variablen werden nur intern exportiert: für sie gibt es keine Geheimhaltungsregeln.",
        column="--variable",
        hint="Lassen Sie --public weg, oder legen Sie Indikatoren an (planlabor catalog suggest --apply) "
        "und exportieren Sie diese öffentlich.",
    )
