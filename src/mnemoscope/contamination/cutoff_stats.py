"""Knowledge-cutoff statistics as pure functions over (month, correct) pairs.

    accuracy per period     period = month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY)
    gap                     (accuracy before - accuracy after) * 100, in percentage points;
                            "before" = items dated in the cutoff month or earlier
    gap CI                  percentile bootstrap: before and after items are resampled
                            separately (each side keeps its size), default 1,000 resamples
    change point            the split between two consecutive periods that maximises the
                            two-segment Bernoulli log-likelihood
                                sum over segments of  k log(k/n) + (n-k) log(1-k/n)
                            (a constant accuracy on each side), among splits that leave at
                            least `min_segment` items on each side; reported with its
                            log-likelihood ratio against one constant accuracy

Months are integers `year * 12 + month - 1`, so periods are plain arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

PERIODS = ("month", "quarter", "year")


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_of(month: int, period: str) -> int:
    """The period a month index falls in, as a sortable integer."""
    if period == "month":
        return month
    if period == "quarter":
        return (month // 12) * 4 + (month % 12) // 3
    return month // 12


def period_label(value: int, period: str) -> str:
    if period == "month":
        return month_label(value)
    if period == "quarter":
        return f"{value // 4:04d}-Q{value % 4 + 1}"
    return f"{value:04d}"


def last_month_of(value: int, period: str) -> int:
    """The last month index of a period (where a cutoff at that period's end falls)."""
    if period == "month":
        return value
    if period == "quarter":
        return (value // 4) * 12 + (value % 4) * 3 + 2
    return value * 12 + 11


@dataclass(frozen=True)
class PeriodAccuracy:
    period: str
    n: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n


def accuracy_by_period(months: Sequence[int], correct: Sequence[bool],
                       period: str) -> list[PeriodAccuracy]:
    totals: dict[int, list[int]] = {}
    for month, ok in zip(months, correct):
        cell = totals.setdefault(period_of(month, period), [0, 0])
        cell[0] += 1
        cell[1] += int(bool(ok))
    return [PeriodAccuracy(period_label(p, period), n, k) for p, (n, k) in sorted(totals.items())]


def gap_points(before: np.ndarray, after: np.ndarray) -> float:
    """(mean(before) - mean(after)) * 100."""
    return float((before.mean() - after.mean()) * 100.0)


def bootstrap_gap_ci(before: np.ndarray, after: np.ndarray, *, resamples: int = 1000,
                     level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    b = before[rng.integers(0, before.size, (resamples, before.size))].mean(axis=1)
    a = after[rng.integers(0, after.size, (resamples, after.size))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile((b - a) * 100.0, [tail, 100 - tail])
    return float(low), float(high)


def _segment_loglik(n: int, k: int) -> float:
    """max over p of log L(p) for k successes in n Bernoulli trials."""
    total = 0.0
    if k:
        total += k * math.log(k / n)
    if n - k:
        total += (n - k) * math.log((n - k) / n)
    return total


@dataclass(frozen=True)
class ChangePoint:
    last_period_before: str       # the cutoff estimate: the last period of the first segment
    cutoff_month: str             # that period's last month, YYYY-MM
    log_likelihood_ratio: float   # two segments vs one; 0 when accuracy is flat
    accuracy_before: float
    accuracy_after: float
    n_before: int
    n_after: int


def change_point(months: Sequence[int], correct: Sequence[bool], period: str,
                 min_segment: int) -> ChangePoint | None:
    """The maximum-likelihood split (see module doc); None when no split leaves
    `min_segment` items on both sides. Ties go to the earliest split."""
    cells = accuracy_by_period(months, correct, period)
    values = sorted({period_of(m, period) for m in months})
    n_all = sum(c.n for c in cells)
    k_all = sum(c.correct for c in cells)
    base = _segment_loglik(n_all, k_all)
    best: tuple[float, int, int, int] | None = None
    n_left = k_left = 0
    for split in range(1, len(cells)):
        n_left += cells[split - 1].n
        k_left += cells[split - 1].correct
        n_right, k_right = n_all - n_left, k_all - k_left
        if n_left < min_segment or n_right < min_segment:
            continue
        value = _segment_loglik(n_left, k_left) + _segment_loglik(n_right, k_right)
        if best is None or value > best[0] + 1e-12:
            best = (value, split, n_left, k_left)
    if best is None:
        return None
    value, split, n_left, k_left = best
    last = values[split - 1]
    return ChangePoint(last_period_before=period_label(last, period),
                       cutoff_month=month_label(last_month_of(last, period)),
                       log_likelihood_ratio=float(value - base),
                       accuracy_before=k_left / n_left,
                       accuracy_after=(k_all - k_left) / (n_all - n_left),
                       n_before=n_left, n_after=n_all - n_left)
