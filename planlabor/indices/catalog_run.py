"""Indices declared in the workspace catalog (``[[index]]``): their output indicators and
their computation from catalog indicators by ``planlabor compute``.

Outputs per index ``ID`` and component ``C``: ``ID_C`` (index value), ``ID_C_klasse`` (class
code), ``ID_gesamt`` / ``ID_gesamt_klasse`` / ``ID_gesamt_NAME`` (total and its classes) and
``ID_matrix`` (matrix code), stored like any indicator so that exports, atlas and reports show
them.  A total with ``aggregate = "population"`` (GISD) is also computed for every layer above.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planlabor.catalog import Catalog, IndicatorDefinition
from planlabor.catalog.model import IndexRef
from planlabor.errors import ConfigError
from planlabor.indicators.compute import store_indicator_frame
from planlabor.indices.engine import apply_index
from planlabor.indices.spec import IndexSpec, load_spec
from planlabor.store import Store


def resolve_spec(ref: IndexRef, root: Path) -> IndexSpec:
    if ref.preset:
        return load_spec(ref.preset)
    if ref.spec:
        path = root / ref.spec
        if not path.exists():
            raise ConfigError(f"Die Indexdefinition {ref.spec!r} des Index {ref.id!r} fehlt.", file=path)
        return load_spec(path)
    raise ConfigError(f"Index {ref.id!r}: keine Definition.")  # guarded by IndexRef


def spec_of(ref: IndexRef, root: Path) -> IndexSpec:
    if ref.definition is not None:
        from pydantic import ValidationError

        try:
            return IndexSpec.model_validate(ref.definition)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(
                f"Index {ref.id!r}: Definition ungültig: {'.'.join(map(str, err['loc']))}: {err['msg']}"
            ) from exc
    return resolve_spec(ref, root)


def _define(base: dict[str, object], **fields: object) -> IndicatorDefinition:
    return IndicatorDefinition.model_validate({**base, **fields})


def outputs(ref: IndexRef, spec: IndexSpec) -> list[tuple[str, IndicatorDefinition]]:
    """(result column, indicator definition) for every output of an index."""
    base = {
        "theme": ref.theme,
        "public": ref.public,
        "derived_from": ref.id,
        "source": spec.source or f"berechnet mit planlabor nach {spec.name}",
    }
    out = _component_outputs(ref, spec, base) + _total_outputs(ref, spec, base)
    if spec.matrix:
        out.append(
            (
                "matrix__code",
                _define(
                    base,
                    id=f"{ref.id}_matrix",
                    name=f"{ref.name}: Gesamtindex (Status × Dynamik)",
                    unit="Code",
                    decimals=0,
                ),
            )
        )
    return out


def _component_outputs(
    ref: IndexRef, spec: IndexSpec, base: dict[str, object]
) -> list[tuple[str, IndicatorDefinition]]:
    """The outputs of each component: its value and, when classified, its class."""
    out: list[tuple[str, IndicatorDefinition]] = []
    for comp in spec.component:
        out.append(
            (
                comp.id,
                _define(
                    base,
                    id=f"{ref.id}_{comp.id}",
                    name=f"{ref.name}: {comp.name}",
                    unit="Index",
                    decimals=2,
                    description=f"{spec.name}, Komponente {comp.name}. {ref.description}".strip(),
                ),
            )
        )
        if comp.classification:
            out.append(
                (
                    f"{comp.id}__class",
                    _define(
                        base,
                        id=f"{ref.id}_{comp.id}_klasse",
                        name=f"{ref.name}: {comp.name} (Klasse)",
                        unit="Klasse",
                        decimals=0,
                        description=f"Klasse der Komponente {comp.name}",
                    ),
                )
            )
    return out


def _total_outputs(
    ref: IndexRef, spec: IndexSpec, base: dict[str, object]
) -> list[tuple[str, IndicatorDefinition]]:
    """The outputs of the total index: its value, its class and each further classification."""
    if not spec.total:
        return []
    out = [
        (
            "total",
            _define(
                base,
                id=f"{ref.id}_gesamt",
                name=f"{ref.name}: {spec.total.name}",
                unit="Index",
                decimals=2,
            ),
        )
    ]
    if spec.total.classification:
        out.append(
            (
                "total__class",
                _define(
                    base,
                    id=f"{ref.id}_gesamt_klasse",
                    name=f"{ref.name}: {spec.total.name} (Klasse)",
                    unit="Klasse",
                    decimals=0,
                ),
            )
        )
    for name in spec.total.more_classes:
        out.append(
            (
                f"total__class_{name}",
                _define(
                    base,
                    id=f"{ref.id}_gesamt_{name}",
                    name=f"{ref.name}: {spec.total.name} (Klassen: {name})",
                    unit="Klasse",
                    decimals=0,
                ),
            )
        )
    return out


def derive_outputs(catalog: Catalog, root: Path) -> Catalog:
    """Fill ``catalog.derived`` with the output indicators of the declared indices."""
    derived: list[IndicatorDefinition] = []
    for ref in catalog.indices:
        derived.extend(d for _, d in outputs(ref, spec_of(ref, root)))
    catalog.derived = derived
    return catalog


def index_input(store: Store, ref: IndexRef, spec: IndexSpec) -> tuple[IndexSpec, pd.DataFrame]:
    """The input table of a declared index (one row per area and period, the spec's column
    names) and the spec adapted to it."""
    vals = store.indicator_values(ref.layer, list(ref.inputs.values()))
    if vals.empty:
        return spec, pd.DataFrame()
    wide = vals.pivot_table(
        index=["area_id", "period"], columns="indicator_id", values="value", aggfunc="first", dropna=False
    ).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    for col, ind in ref.inputs.items():
        wide[col] = wide[ind] if ind in wide.columns else np.nan
    local = spec.model_copy(update={"id_column": "area_id", "period_column": "period", "name_column": None})
    return local, wide


def compute_indices(store: Store, catalog: Catalog, root: Path, compute_id: int) -> dict[str, int]:
    """Compute every declared index per period on its layer; returns values written per index."""
    written: dict[str, int] = {}
    for ref in catalog.indices:
        spec = spec_of(ref, root)
        local, wide = index_input(store, ref, spec)
        if wide.empty:
            written[ref.id] = 0
            continue
        table = apply_index(local, wide).table
        n = 0
        with store.transaction():
            for column, definition in outputs(ref, spec):
                frame = pd.DataFrame(
                    {
                        "layer_id": ref.layer,
                        "area_id": table["id"],
                        "period": table["period"],
                        "value": pd.to_numeric(table[column], errors="coerce"),
                        "flag": ["ausgeschlossen" if e else None for e in table["excluded"]],
                    }
                )
                frame.loc[frame["value"].isna() & frame["flag"].isna(), "flag"] = "fehlend"
                n += store_indicator_frame(store, definition.id, frame, compute_id)
            n += _aggregate_up(store, ref, spec, wide, table, compute_id)
        written[ref.id] = n
    return written


def _aggregate_up(
    store: Store, ref: IndexRef, spec: IndexSpec, wide: pd.DataFrame, table: pd.DataFrame, compute_id: int
) -> int:
    """GISD on every layer above the index's layer: population-weighted mean of the scores,
    rescaled to 0–1 per period and classified per period (RKI, GISD Readme)."""
    from planlabor.areas.hierarchy import ancestor_table
    from planlabor.indices.aggregate import aggregate_scores, classify_levels

    total = spec.total
    if total is None or total.aggregate != "population" or not spec.population_column:
        return 0
    pop = wide[spec.population_column] if spec.population_column in wide.columns else None
    if pop is None:
        return 0
    scores = pd.DataFrame(
        {
            "id": table["id"].astype(str).to_numpy(),
            "period": table["period"].astype(str).to_numpy(),
            "total": pd.to_numeric(table["total"], errors="coerce").to_numpy(dtype=float),
            "population": pd.to_numeric(pop, errors="coerce").to_numpy(dtype=float),
        }
    )
    anc = ancestor_table(store, ref.layer)
    ids = {o[0]: o[1].id for o in outputs(ref, spec)}
    n = 0
    for layer in [lay for lay in anc["anc_layer"].unique() if lay != ref.layer]:
        sub = anc[anc["anc_layer"] == layer]
        agg = classify_levels(
            aggregate_scores(scores, dict(zip(sub["area_id"], sub["anc_id"], strict=True))), total
        )
        columns = {"total": "score", "total__class": "class"} | {
            f"total__class_{k}": f"class_{k}" for k in total.more_classes
        }
        for col, src in columns.items():
            if col in ids and src in agg.columns:
                frame = pd.DataFrame(
                    {
                        "layer_id": layer,
                        "area_id": agg["id"],
                        "period": agg["period"],
                        "value": pd.to_numeric(agg[src], errors="coerce"),
                    }
                )
                n += store_indicator_frame(store, ids[col], frame, compute_id)
    return n
