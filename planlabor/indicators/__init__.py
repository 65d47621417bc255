"""Computing indicators for every layer and period, aggregated up the hierarchy."""

from planlabor.indicators.compute import ComputeReport, compute_indicators

__all__ = ["ComputeReport", "compute_indicators"]
