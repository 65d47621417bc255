"""The suppression pattern of a workspace and the one public-value function.

:func:`public_values` is the only way a published output gets indicator values: exports with
``--public``, the static atlas and its API, the OGC API, reports and anything added later call
it (through :func:`planlabor.io.export.collect_values`).  It applies the pattern that
:func:`compute_pattern` found for the whole workspace at once – all layers, all periods, all
linked indicators – never a per-layer or per-output rule.

The pattern is computed after ``planlabor compute`` and kept in the store (table
``suppression``, keyed by a fingerprint of the computation, the rules and the catalog); a
read-only store computes it in memory once per process.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from planlabor.catalog import Catalog
from planlabor.confidentiality.focus import focused_status
from planlabor.confidentiality.model import CountModel, count_indicators, term_key
from planlabor.confidentiality.protect import PRIMARY, SECONDARY, protect_period
from planlabor.confidentiality.relations import declared_relations
from planlabor.confidentiality.rules import SuppressionRules
from planlabor.confidentiality.stages import stage
from planlabor.store import Store

_CACHE: dict[tuple[str, str], pd.DataFrame] = {}
_LOCK = threading.Lock()
STATUS_COLUMNS = ["layer_id", "area_id", "indicator_id", "period", "status"]


@dataclass
class Pattern:
    fingerprint: str
    cells: pd.DataFrame  # term cells looked at: layer_id, area_id, period, term, value, threshold, status
    indicators: pd.DataFrame  # layer_id, area_id, indicator_id, period, status

    def counts(self) -> dict[str, int]:
        """Suppressed indicator values by kind."""
        vc = self.indicators["status"].value_counts()
        return {PRIMARY: int(vc.get(PRIMARY, 0)), SECONDARY: int(vc.get(SECONDARY, 0))}


def fingerprint(store: Store, catalog: Catalog, rules: SuppressionRules) -> str:
    """Changes whenever the values, the rules or the definitions that matter change."""
    comp = store.query_df("SELECT max(compute_id) AS c, count(*) AS n FROM computations")
    defs = [
        [i.id, i.kind, i.numerator, i.denominator, i.min_count, i.public, i.derived_from]
        for i in catalog.all_indicators()
    ]
    idx = [[r.id, r.layer, sorted(r.inputs.values())] for r in catalog.indices]
    rel = [[r.total, r.parts] for r in catalog.relations]
    text = json.dumps([comp.to_dict("records"), defs, idx, rel, rules.fingerprint()], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def relations_of(catalog: Catalog) -> list[Any]:
    return declared_relations([(r.total, list(r.parts)) for r in catalog.relations])


def compute_pattern(
    store: Store, catalog: Catalog, rules: SuppressionRules, root: Path | None = None
) -> Pattern:
    """Primary and secondary suppression of every published count, then of every indicator
    (``root``: the workspace folder, to read index definitions for their look-back)."""
    cells = focused_status(store, catalog, rules, relations_of(catalog))
    with stage("Indikatorstatus"):
        return Pattern(
            fingerprint(store, catalog, rules), cells, indicator_status(store, catalog, cells, root)
        )


def full_status(store: Store, catalog: Catalog, rules: SuppressionRules) -> pd.DataFrame:
    """Every term cell with its status, from the model of all cells (what :func:`focused_status`
    must reproduce on the cells it looks at; kept for the comparison in the tests)."""
    model = CountModel(store, catalog, rules, relations_of(catalog))
    status: dict[int, str] = {}
    periods = model.periods(sensitive_only=True)
    model.prepare(periods)
    for period in periods:
        status.update(protect_period(model, model.period(period), rules))
    return model.cells.assign(status=model.cells["cell"].map(status))


def indicator_status(
    store: Store, catalog: Catalog, cells: pd.DataFrame, root: Path | None = None
) -> pd.DataFrame:
    """An indicator value is suppressed when its numerator or denominator is (primär wins);
    an index output when one of its inputs is suppressed in that area in a period it uses."""
    defs = [i for i in count_indicators(catalog) if i.public]
    sup = cells[cells["status"].notna()]
    if not defs or sup.empty:
        return pd.DataFrame(columns=STATUS_COLUMNS)
    key = sup.set_index(["layer_id", "area_id", "period", "term"])["status"]
    where = sup[["layer_id", "area_id", "period"]].drop_duplicates().astype(str)
    # only the values of areas and periods with a suppressed cell (PostgreSQL: from the indicator
    # step's scratch if kept, see Store.counts_reader; the server took 2 s for this at 1.1 M values)
    iv = store.counts_reader().query_with(
        "SELECT v.layer_id, v.area_id, v.indicator_id, v.period FROM indicator_values v "
        "JOIN _pl_sup s ON s.layer_id = v.layer_id AND s.area_id = v.area_id AND s.period = v.period "
        "WHERE v.indicator_id IN (SELECT i FROM _pl_ids) "
        "ORDER BY v.layer_id, v.area_id, v.indicator_id, v.period",
        {
            "_pl_ids": pa.table({"i": pa.array([d.id for d in defs], pa.string())}),
            "_pl_sup": pa.Table.from_pandas(where, preserve_index=False),
        },
    )
    best = pd.Series([None] * len(iv), index=iv.index, dtype=object)
    for attr in ("numerator", "denominator"):
        terms = iv["indicator_id"].map({d.id: term_key(getattr(d, attr)) for d in defs if getattr(d, attr)})
        idx = pd.MultiIndex.from_arrays([iv["layer_id"], iv["area_id"], iv["period"], terms])
        st = pd.Series(key.reindex(idx).to_numpy(), index=iv.index)
        best = best.where(~(st == PRIMARY), PRIMARY)
        best = best.where(~((st == SECONDARY) & best.isna()), SECONDARY)
    out = iv.assign(status=best)[best.notna().to_numpy()]
    return pd.concat([out, _derived_status(store, catalog, out, root)], ignore_index=True)[STATUS_COLUMNS]


def _lookback(ref: Any, root: Path | None) -> int | None:
    """How many earlier periods an index uses (its longest change); None if unknown."""
    from planlabor.indices.catalog_run import spec_of

    try:
        spec = spec_of(ref, root or Path("."))
    except Exception:  # a broken or missing definition: be safe, use every earlier period
        return None
    return max((i.change_periods or 0 for c in spec.component for i in c.inputs), default=0)


def _derived_status(store: Store, catalog: Catalog, base: pd.DataFrame, root: Path | None) -> pd.DataFrame:
    frames = []
    for ref in catalog.indices:
        hit = base[base["indicator_id"].isin(set(ref.inputs.values())) & (base["layer_id"] == ref.layer)]
        if hit.empty:
            continue
        outs = [d.id for d in catalog.derived if d.derived_from == ref.id]
        vals = store.query_with(
            "SELECT layer_id, area_id, indicator_id, period FROM indicator_values "
            "WHERE layer_id = ? AND indicator_id IN (SELECT i FROM _pl_ids)",
            {"_pl_ids": pa.table({"i": pa.array(outs, pa.string())})},
            [ref.layer],
        )
        mask = _uses_suppressed(vals, hit, _lookback(ref, root))
        frames.append(vals[mask].assign(status=SECONDARY))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=STATUS_COLUMNS)


def _uses_suppressed(vals: pd.DataFrame, hit: pd.DataFrame, back: int | None) -> list[bool]:
    """Per value: is an input of its area suppressed in this period or the ``back`` before?"""
    from planlabor.io.periods import sort_periods

    order = {p: k for k, p in enumerate(sort_periods(sorted(set(vals["period"]) | set(hit["period"]))))}
    reach = len(order) if back is None else back
    marked: dict[str, list[int]] = {}
    for a, p in zip(hit["area_id"].tolist(), hit["period"].tolist(), strict=True):
        marked.setdefault(str(a), []).append(order[p])
    out = []
    for a, p in zip(vals["area_id"].tolist(), vals["period"].tolist(), strict=True):
        k = order[p]
        out.append(any(k - reach <= q <= k for q in marked.get(str(a), ())))
    return out


def store_pattern(store: Store, pattern: Pattern) -> None:
    """Keep the pattern in the store (replacing older ones)."""
    import pyarrow as pa

    ind = pattern.indicators
    with store.transaction():
        store.execute("DELETE FROM suppression")
        store.insert_arrow(
            "suppression",
            pa.table(
                {
                    "fingerprint": pa.array([pattern.fingerprint] * len(ind), pa.string()),
                    **{c: pa.array(ind[c].astype(str).tolist(), pa.string()) for c in STATUS_COLUMNS},
                }
            ),
        )
        store.execute("DELETE FROM suppression_meta")
        store.execute("INSERT INTO suppression_meta VALUES (?, ?)", [pattern.fingerprint, len(ind)])


def suppression_status(store: Store, catalog: Catalog, rules: SuppressionRules) -> pd.DataFrame:
    """The workspace's suppression pattern (indicator level): from the store if current, else
    computed (and stored when the store is writable)."""
    fp = fingerprint(store, catalog, rules)
    key = (str(getattr(store, "path", id(store))), fp)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
        try:
            meta = store.query_df("SELECT fingerprint FROM suppression_meta")
        except Exception:  # a store opened read-only before the table existed
            meta = pd.DataFrame(columns=["fingerprint"])
        if len(meta) and meta["fingerprint"].iloc[0] == fp:
            df = store.query_df(f"SELECT {', '.join(STATUS_COLUMNS)} FROM suppression")
        else:
            pattern = compute_pattern(store, catalog, rules)
            df = pattern.indicators
            if not getattr(store, "read_only", False):
                store_pattern(store, pattern)
        _CACHE[key] = df
        return df


def public_values(
    store: Store,
    catalog: Catalog,
    rules: SuppressionRules,
    layer: str,
    indicator_ids: list[str],
    periods: list[str] | None = None,
) -> pd.DataFrame:
    """Indicator values of ``layer`` as they may be published: ``value``, ``numerator`` and
    ``denominator`` removed where suppressed, column ``suppressed`` = ``primär``/``sekundär``.

    This is the single public-value path of planlabor; see ``docs/geheimhaltung.md``."""
    df = store.indicator_values(layer, indicator_ids, periods)
    status = suppression_status(store, catalog, rules)
    st = status[status["layer_id"] == layer].set_index(["area_id", "indicator_id", "period"])["status"]
    idx = pd.MultiIndex.from_arrays([df["area_id"], df["indicator_id"], df["period"]])
    df["suppressed"] = st.reindex(idx).to_numpy() if len(st) else np.full(len(df), None, dtype=object)
    mask = pd.notna(df["suppressed"]).to_numpy()
    for col in ("value", "numerator", "denominator"):
        df[col] = df[col].astype(float).mask(mask)
    return df
