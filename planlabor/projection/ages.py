"""Splitting age bands into single years of age.

Municipal data come in irregular bands (Berlin half-yearly files: <6, 6–15, 15–18, …; the
register extracts: 0–1, 1–2, 2–3, 3–5, 5–6, …).  The single years are graduated with a
monotone cubic spline through the cumulative population at the band limits (Fritsch & Carlson
1980, PCHIP, as used for graduating grouped demographic data): the cumulative curve passes
exactly through every band total, is monotone, so single-year counts are never negative, and
is smooth across band limits.  Integer results keep each band's total exactly (largest
remainder rounding within each band).  The open top band (e.g. 65+) is closed at ``max_age``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np

from planlabor.errors import InputError


@dataclass(frozen=True)
class Band:
    lower: int
    upper: int  # exclusive

    @property
    def width(self) -> int:
        return self.upper - self.lower


def parse_band(name: str, max_age: int = 100) -> Band:
    """Age band from a column name: ``E_E03_05`` → 3–5, ``inhabitants_age_6_15`` → 6–15,
    ``inhabitants_age_below_6`` → 0–6, ``inhabitants_age_above_65`` → 65–max_age, ``E_E95_110`` → 95–110.

    >>> parse_band("E_E03_05")
    Band(lower=3, upper=5)
    >>> parse_band("inhabitants_age_above_65", 100)
    Band(lower=65, upper=100)
    """
    if m := re.search(r"below_(\d+)$", name):
        return Band(0, int(m.group(1)))
    if m := re.search(r"above_(\d+)$", name):
        return Band(int(m.group(1)), max_age)
    if m := re.search(r"(\d+)_(\d+)$", name):
        lo, hi = int(m.group(1)), int(m.group(2))
        if hi <= lo:
            raise InputError(f"Altersgruppe {name!r}: obere Grenze nicht über der unteren.", column=name)
        return Band(lo, hi)
    raise InputError(
        f"Aus {name!r} ist keine Altersgruppe lesbar.",
        column=name,
        expected="Namen wie E_E03_05, inhabitants_age_6_15, …_below_6, …_above_65",
    )


def graduate(counts: np.ndarray, bands: list[Band], integer: bool = True) -> np.ndarray:
    """Single-year counts for ages ``bands[0].lower`` … ``bands[-1].upper - 1``.

    ``counts`` may be 1-D (one area) or 2-D (areas × bands).
    """
    from scipy.interpolate import PchipInterpolator

    order = np.argsort([b.lower for b in bands])
    bands = [bands[i] for i in order]
    c = np.atleast_2d(np.asarray(counts, dtype=float))[:, order]
    for a, b in itertools.pairwise(bands):
        if a.upper != b.lower:
            raise InputError(
                f"Die Altersgruppen schließen nicht lückenlos an ({a.upper} ≠ {b.lower}).",
                expected="aneinandergrenzende Altersgruppen",
            )
    if (c < 0).any() or np.isnan(c).any():
        raise InputError("Altersgruppen enthalten negative oder fehlende Werte.", expected="Anzahlen ≥ 0")
    limits = np.array([bands[0].lower] + [b.upper for b in bands], dtype=float)
    ages = np.arange(bands[0].lower, bands[-1].upper + 1, dtype=float)
    cum = np.concatenate([np.zeros((c.shape[0], 1)), np.cumsum(c, axis=1)], axis=1)
    out = np.empty((c.shape[0], len(ages) - 1))
    for i in range(c.shape[0]):
        spline = PchipInterpolator(limits, cum[i])
        out[i] = np.maximum(np.diff(spline(ages)), 0.0)
    # exact band totals (the spline hits the limits; this removes floating-point drift)
    for j, b in enumerate(bands):
        sl = slice(b.lower - bands[0].lower, b.upper - bands[0].lower)
        s = out[:, sl].sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, sl] = np.where(s > 0, out[:, sl] * (c[:, j : j + 1] / s), c[:, j : j + 1] / b.width)
        if integer:
            out[:, sl] = _round_keep_total(out[:, sl], c[:, j])
    return out[0] if np.ndim(counts) == 1 else out


def _round_keep_total(x: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Round rows to integers keeping each row's (integer) total: largest remainder."""
    fl = np.floor(x)
    short = np.rint(totals).astype(int) - fl.sum(axis=1).astype(int)
    rem = x - fl
    out = fl.copy()
    for i in range(x.shape[0]):
        if short[i] > 0:
            out[i, np.argsort(-rem[i], kind="stable")[: short[i]]] += 1
    return out
