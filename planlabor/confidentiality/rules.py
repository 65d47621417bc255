"""The confidentiality rules of a workspace (``[confidentiality]`` in ``planlabor.toml``).

* **Sensitive cell** (primary suppression): a published count below its minimum count
  (``min_count`` of the indicator, else of the workspace; 0 only with ``suppress_zero``).
* **Protection interval**: for a sensitive count *a* the range an attacker can derive from
  everything published must reach at least *U* above *a* and down to max(0, *a* − *U*), with
  *U* = max(``protection_percent`` % of *a*, ``protection_width``).  This is the upper and lower
  protection level of the cell-suppression literature (Fischetti & Salazar-González 2000;
  τ-ARGUS, Hundepool et al. 2012, ch. 4): "some partner exists" is not enough.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class SuppressionRules:
    min_count: int = 3
    suppress_zero: bool = False
    secondary: bool = True
    marker: str = "•"
    protection_percent: float = 10.0
    protection_width: float | None = None  # counts; None = min_count

    def width(self) -> float:
        return float(self.min_count if self.protection_width is None else self.protection_width)

    def upper_protection(self, value: float) -> float:
        """U: how far above the true value the attacker's interval must reach."""
        return max(abs(value) * self.protection_percent / 100.0, self.width())

    def lower_protection(self, value: float) -> float:
        """L: how far below; at most down to 0 (counts are not negative)."""
        return min(max(value, 0.0), self.upper_protection(value))

    def is_sensitive(self, value: float, threshold: float) -> bool:
        if value != value:  # NaN: nothing published
            return False
        if value == 0:
            return self.suppress_zero
        return 0 < value < threshold

    def sensitive(self, values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
        """:meth:`is_sensitive` for arrays."""
        v = np.asarray(values, dtype=float)
        t = np.asarray(thresholds, dtype=float)
        out = (v > 0) & (v < t)
        if self.suppress_zero:
            out |= v == 0
        return np.asarray(out, dtype=bool)

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]
