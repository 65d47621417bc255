"""Classification of values into classes (for maps, indices and reports).

Methods: ``manual`` (explicit classes with open/closed bounds, e.g. the MSS thresholds),
``quantile`` (R ``quantile`` types 7 or 9, assigned like R ``findInterval(all.inside = TRUE)``,
as GISD does), ``equal_interval``, ``jenks`` (Fisher–Jenks natural breaks) and ``stddev``
(standard-deviation classes) from PySAL ``mapclassify``.  Missing values get the
"no value" class; optionally exact zeros get a class of their own and do not influence the breaks.
Breaks can be computed on one period or pooled over the whole time series (``breaks_from``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

NO_VALUE = "kein Wert"


class ClassDef(BaseModel):
    """One class of a manual classification; a missing bound is open (−∞ / +∞)."""

    model_config = ConfigDict(extra="forbid")

    code: int
    label: str
    lower: float | None = None
    upper: float | None = None
    lower_inclusive: bool = True
    upper_inclusive: bool = False
    symbol: str | None = None  # short sign, e.g. "+" / "+/-" / "-" for MSS dynamics

    def contains(self, x: np.ndarray) -> np.ndarray:
        ok = np.ones(x.shape, dtype=bool)
        if self.lower is not None:
            ok &= (x >= self.lower) if self.lower_inclusive else (x > self.lower)
        if self.upper is not None:
            ok &= (x <= self.upper) if self.upper_inclusive else (x < self.upper)
        return ok

    def describe(self) -> str:
        lo = "" if self.lower is None else f"{_de(self.lower)} {'≤' if self.lower_inclusive else '<'} "
        hi = "" if self.upper is None else f" {'≤' if self.upper_inclusive else '<'} {_de(self.upper)}"
        return f"{lo}x{hi}".strip()


def _de(v: float) -> str:
    return f"{v:g}".replace(".", ",").replace("-", "−")


class ClassificationSpec(BaseModel):
    """How to classify (declared in an index spec or chosen in the atlas)."""

    model_config = ConfigDict(extra="forbid")

    method: str = "quantile"
    k: int = 5
    quantile_type: int = 9
    classes: list[ClassDef] | None = None
    labels: list[str] | None = None
    zero_class: bool = False
    scope: str = "period"  # period | series
    groups: list[list[int]] | None = None  # merge classes, e.g. GISD gisd_k: [[1], [2, 3, 4], [5]]

    @model_validator(mode="after")
    def _check(self) -> ClassificationSpec:
        if self.method not in ("manual", "quantile", "equal_interval", "jenks", "stddev"):
            raise ValueError(f"unbekannte Klassifikation {self.method!r}")
        if self.method == "manual":
            if not self.classes:
                raise ValueError("manuelle Klassifikation braucht 'classes'")
            check_tiling(self.classes)
        elif not 2 <= self.k <= 12:
            raise ValueError("Klassenzahl k muss zwischen 2 und 12 liegen")
        if self.quantile_type not in (7, 9):
            raise ValueError("quantile_type 7 oder 9")
        if self.scope not in ("period", "series"):
            raise ValueError("scope 'period' oder 'series'")
        if self.groups is not None:
            flat = sorted(c for g in self.groups for c in g)
            if self.method == "manual" or flat != list(range(1, self.k + 1)):
                raise ValueError(f"'groups' muss die Klassen 1 bis {self.k} je einmal aufteilen")
        return self


def check_tiling(classes: list[ClassDef]) -> None:
    """Manual classes must cover the number line without gaps or overlaps."""
    cs = sorted(classes, key=lambda c: -math.inf if c.lower is None else c.lower)
    if cs[0].lower is not None or cs[-1].upper is not None:
        raise ValueError("die erste Klasse muss nach unten, die letzte nach oben offen sein")
    for a, b in itertools.pairwise(cs):
        if a.upper is None or b.lower is None or a.upper != b.lower:
            raise ValueError(f"Lücke oder Überlappung zwischen {a.label!r} und {b.label!r}")
        if a.upper_inclusive == b.lower_inclusive:
            raise ValueError(
                f"Grenze {_de(a.upper)} gehört zu beiden oder keiner Klasse ({a.label!r}, {b.label!r})"
            )


@dataclass
class Classification:
    """Result: a code and label per value, the breaks and the classes."""

    codes: np.ndarray
    labels: np.ndarray
    classes: list[ClassDef]
    method: str
    breaks: list[float] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for lab in self.labels:
            out[str(lab)] = out.get(str(lab), 0) + 1
        return out


def quantile_breaks(values: np.ndarray, k: int, qtype: int = 9) -> list[float]:
    """k+1 breaks at probabilities 0, 1/k, …, 1 (R type 9 = numpy ``normal_unbiased``)."""
    method = "normal_unbiased" if qtype == 9 else "linear"
    probs = np.linspace(0, 1, k + 1)
    return [float(b) for b in np.quantile(np.asarray(values, dtype=float), probs, method=method)]  # type: ignore[call-overload]


def find_interval(x: np.ndarray, breaks: list[float]) -> np.ndarray:
    """R ``findInterval(x, breaks, all.inside = TRUE)``: 1 … len(breaks) − 1."""
    k = len(breaks) - 1
    return np.clip(np.searchsorted(np.asarray(breaks), x, side="right"), 1, k)


def breaks_from(values: np.ndarray, spec: ClassificationSpec) -> list[float]:
    """The upper class bounds (quantile: all k+1 breaks) computed from ``values``."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if spec.zero_class:
        v = v[v != 0]
    if spec.method == "manual" or len(v) == 0:
        return []
    if spec.method == "quantile":
        return quantile_breaks(v, spec.k, spec.quantile_type)
    import warnings

    import mapclassify

    k = min(spec.k, len(np.unique(v)))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Numba not installed")
        if spec.method == "equal_interval":
            c = mapclassify.EqualInterval(v, k=k)
        elif spec.method == "jenks":
            c = mapclassify.FisherJenks(v, k=k)
        else:
            c = mapclassify.StdMean(v)
    return [float(b) for b in c.bins]


def classify(
    values: np.ndarray, spec: ClassificationSpec, breaks: list[float] | None = None
) -> Classification:
    """Classify ``values``; ``breaks`` from :func:`breaks_from` (pooled over a series) or computed here.

    >>> spec = ClassificationSpec(method="quantile", k=2)
    >>> classify(np.array([1.0, 2.0, 3.0, np.nan]), spec).codes.tolist()
    [1, 1, 2, None]
    """
    x = np.asarray(values, dtype=float)
    codes = np.full(x.shape, None, dtype=object)
    labels = np.full(x.shape, NO_VALUE, dtype=object)
    ok = ~np.isnan(x)
    if spec.zero_class:
        zero = ok & (x == 0)
        codes[zero] = 0
        labels[zero] = "0"
        ok &= ~zero
    if spec.method == "manual":
        classes = list(spec.classes or [])
        used = breaks or []
    else:
        used = breaks if breaks is not None else breaks_from(x, spec)
        classes = _classes_from_breaks(used, spec)
    if spec.method == "manual":
        for c in classes:
            hit = ok & c.contains(np.where(ok, x, 0.0))
            codes[hit] = c.code
            labels[hit] = c.label
    elif used:
        if spec.method == "quantile":
            idx = find_interval(x[ok], used)
        else:
            idx = np.clip(np.searchsorted(np.asarray(used), x[ok], side="left") + 1, 1, len(used))
        codes[ok] = idx.astype(object)
        labels[ok] = np.array([classes[i - 1].label for i in idx], dtype=object)
    if spec.groups is not None:
        return _grouped(codes, labels, classes, spec, used)
    return Classification(codes=codes, labels=labels, classes=classes, method=spec.method, breaks=used)


def _grouped(
    codes: np.ndarray,
    labels: np.ndarray,
    classes: list[ClassDef],
    spec: ClassificationSpec,
    used: list[float],
) -> Classification:
    """Classes merged into groups (codes 1 … number of groups), e.g. GISD's ``gisd_k``."""
    groups = spec.groups or []
    to_group = {c: g for g, members in enumerate(groups, start=1) for c in members}
    names = spec.labels or [f"Klassen {', '.join(map(str, m))}" for m in groups]
    out_codes = np.array([None if c is None else to_group.get(int(c)) for c in codes], dtype=object)
    out_labels = np.array(
        [lab if g is None else names[g - 1] for g, lab in zip(out_codes, labels, strict=True)], dtype=object
    )
    merged = []
    for g, members in enumerate(groups, start=1):
        lo = classes[min(members) - 1].lower if classes else None
        hi = classes[max(members) - 1].upper if classes else None
        merged.append(ClassDef(code=g, label=names[g - 1], lower=lo, upper=hi))
    return Classification(codes=out_codes, labels=out_labels, classes=merged, method=spec.method, breaks=used)


def _classes_from_breaks(breaks: list[float], spec: ClassificationSpec) -> list[ClassDef]:
    if not breaks:
        return []
    if spec.method == "quantile":
        bounds = list(itertools.pairwise(breaks))
    else:
        lows = [-math.inf, *breaks[:-1]]
        bounds = list(zip(lows, breaks, strict=True))
    out = []
    for i, (lo, hi) in enumerate(bounds, start=1):
        label = (
            spec.labels[i - 1]
            if spec.labels and i - 1 < len(spec.labels) and spec.groups is None
            else (
                f"{_de(round(lo, 2))} bis {_de(round(hi, 2))}"
                if math.isfinite(lo)
                else f"bis {_de(round(hi, 2))}"
            )
        )
        out.append(
            ClassDef(
                code=i,
                label=label,
                lower=None if not math.isfinite(lo) else lo,
                upper=hi,
                lower_inclusive=True,
                upper_inclusive=spec.method != "quantile",
            )
        )
    return out
