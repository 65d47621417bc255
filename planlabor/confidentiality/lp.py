"""Linear and mixed-integer programs with HiGHS (``highspy``; Huangfu & Hall 2018).

The audit solves two programs per suppressed cell that differ only in their objective; the
model is passed to HiGHS once and every further solve starts from the previous basis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # imported when a program is built (reports and exports need no scipy)
    import scipy.sparse as sp

INF = float("inf")
_QUIET = False


def _highs() -> Any:
    """A HiGHS instance without output; the first one prints a banner to the process' standard
    output (file descriptor 1, past Python), which would end up in the middle of ``--json``."""
    global _QUIET
    import highspy

    if _QUIET:
        return highspy.Highs()
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _QUIET = True
    return h


@dataclass
class LPResult:
    ok: bool  # optimal
    infeasible: bool
    unbounded: bool
    objective: float
    x: np.ndarray


class LinearProgram:
    """min cᵀx subject to row_lo ≤ A x ≤ row_hi and col_lo ≤ x ≤ col_hi."""

    def __init__(
        self,
        a: sp.spmatrix,
        row_lo: np.ndarray,
        row_hi: np.ndarray,
        col_lo: np.ndarray,
        col_hi: np.ndarray,
        cost: np.ndarray | None = None,
        integer: np.ndarray | None = None,
        time_limit: float | None = None,
    ) -> None:
        import highspy
        import scipy.sparse as sp

        self.n_cols = a.shape[1]
        self._a, self._row_lo, self._row_hi = sp.csr_matrix(a), np.asarray(row_lo), np.asarray(row_hi)
        self._col_lo, self._col_hi = np.asarray(col_lo), np.asarray(col_hi)
        self.h: Any = _highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("random_seed", 0)
        self.h.setOptionValue("threads", 1)
        lp = highspy.HighsLp()
        csc = sp.csc_matrix(a)
        lp.num_col_ = a.shape[1]
        lp.num_row_ = a.shape[0]
        lp.col_cost_ = np.zeros(self.n_cols) if cost is None else np.asarray(cost, dtype=float)
        lp.col_lower_ = np.asarray(col_lo, dtype=float)
        lp.col_upper_ = np.asarray(col_hi, dtype=float)
        lp.row_lower_ = np.asarray(row_lo, dtype=float)
        lp.row_upper_ = np.asarray(row_hi, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data.astype(float)
        if integer is not None and np.any(integer):
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integer
            ]
        if time_limit:
            self.h.setOptionValue("time_limit", float(time_limit))
        self.h.passModel(lp)
        self._cost_idx = np.arange(0)

    def set_objective(self, idx: np.ndarray, coef: np.ndarray) -> None:
        """Replace the cost vector by ``coef`` on the columns ``idx`` (all others 0)."""
        if len(self._cost_idx):
            self.h.changeColsCost(len(self._cost_idx), self._cost_idx, np.zeros(len(self._cost_idx)))
        idx = np.asarray(idx, dtype=np.int32)
        self.h.changeColsCost(len(idx), idx, np.asarray(coef, dtype=float))
        self._cost_idx = idx

    def solve(self) -> LPResult:
        import highspy

        self.h.run()
        status = self.h.getModelStatus()
        ok = status == highspy.HighsModelStatus.kOptimal or (
            status == highspy.HighsModelStatus.kTimeLimit and self.h.getInfo().primal_solution_status == 2
        )
        infeasible = status == highspy.HighsModelStatus.kInfeasible
        unbounded = status in (
            highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        )
        if ok:
            sol = self.h.getSolution()
            x = np.asarray(sol.col_value, dtype=float)
            obj = float(self.h.getInfo().objective_function_value)
        else:
            x, obj = np.zeros(self.n_cols), float("nan")
        if unbounded and not ok:
            infeasible = False
        return LPResult(ok=ok, infeasible=infeasible, unbounded=unbounded and not ok, objective=obj, x=x)

    def extreme(self, idx: np.ndarray, coef: np.ndarray) -> tuple[float, float]:
        """(min, max) of Σ coef·x over ``idx``; ±inf when unbounded, NaN when infeasible."""
        out = []
        for sign in (1.0, -1.0):
            self.set_objective(idx, sign * np.asarray(coef, dtype=float))
            r = self.solve()
            if r.ok:
                out.append(sign * r.objective)
            elif r.unbounded:
                out.append(-sign * INF)
            else:
                out.append(float("nan"))
        return out[0], out[1]
