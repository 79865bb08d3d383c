"""Medians, p99 and ratios of latency samples, in milliseconds.

p99 is the nearest-rank percentile: with fewer than 100 samples it is the slowest sample, which
is the honest reading of a small run (a quick run's p99 says little, and the report says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of ``samples`` (``fraction`` in (0, 1])."""
    if not samples:
        raise ValueError("no samples: the measurement produced nothing to summarise")
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    """One measurement's samples, summarised (ms)."""

    count: int
    p50: float
    p99: float
    mean: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> "Summary":
        return cls(len(samples_ms), percentile(samples_ms, 0.5), percentile(samples_ms, 0.99),
                   sum(samples_ms) / len(samples_ms))


def ratio(ours: float, theirs: float) -> Optional[float]:
    """ours / theirs, or None when the baseline is zero (no ratio to speak of)."""
    return None if theirs == 0 else ours / theirs


def verdict(value: Optional[float], limit: float, strict: bool = False, at_least: bool = False) -> str:
    """"met" or "not met" for a figure that must stay at most (``strict``: below; ``at_least``: at or
    above) ``limit``."""
    if value is None:
        return "not measured"
    if at_least:
        return "met" if value >= limit else "not met"
    return "met" if (value < limit if strict else value <= limit) else "not met"
