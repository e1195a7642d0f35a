"""The statistics behind the verdicts, each a small pure function tested on a hand-worked
example: a one-sided Welch t-test, a paired bootstrap CI of an AUROC difference, a
reliability table with its expected calibration error, and the median-of-splits p-value."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..metrics import _auroc_by_ranks as auroc_by_ranks
from ..metrics import bootstrap_ci


def welch_t_test_greater(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """One-sided Welch t-test of mean(a) > mean(b) (unequal variances).

    t = (mean_a - mean_b) / sqrt(s_a^2/n_a + s_b^2/n_b), with s^2 the unbiased variances;
    df by Welch-Satterthwaite; p = P(T_df >= t). Equals
    scipy.stats.ttest_ind(a, b, equal_var=False, alternative="greater")."""
    from scipy.stats import t as student_t

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size < 2 or b.size < 2:
        raise ValueError(f"a Welch t-test needs at least 2 values per group, got {a.size} and "
                         f"{b.size}")
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    difference = float(a.mean() - b.mean())
    if va + vb == 0.0:          # both groups constant: the sign of the difference decides
        p = 0.0 if difference > 0 else 1.0
        return {"t": math.copysign(math.inf, difference) if difference else 0.0,
                "df": float(a.size + b.size - 2), "p_value": p, "mean_difference": difference}
    t = difference / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    return {"t": float(t), "df": float(df), "p_value": float(student_t.sf(t, df)),
            "mean_difference": difference}


def median_p_value(p_values: Sequence[float]) -> float:
    """One p-value from the p-values of several random splits of the same data, valid
    whatever their dependence: min(1, 2 * median) (Meinshausen, Meier & Buehlmann 2009,
    quantile aggregation with gamma = 1/2). The plain median is not a valid p-value."""
    values = np.asarray(p_values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no p-values to aggregate")
    return float(min(1.0, 2.0 * np.median(values)))


def paired_auroc_difference_ci(labels: Sequence[int], scores_a: Sequence[float],
                               scores_b: Sequence[float], *, resamples: int = 1000,
                               level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of AUROC(a) - AUROC(b), both computed on the same resample of
    texts (paired: the difference's CI is far narrower than the two CIs side by side).
    Resamples that draw a single class are skipped."""
    def difference(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
        return auroc_by_ranks(y, a) - auroc_by_ranks(y, b)     # NaN on a single class

    return bootstrap_ci(labels, difference, scores_a, scores_b, resamples=resamples,
                        level=level, seed=seed)


def reliability(labels: Sequence[int], probabilities: Sequence[float],
                bins: int = 10) -> dict[str, object]:
    """Reliability table of predicted membership probabilities: equal-width bins over
    [0, 1] (a probability of exactly 1 falls in the last bin); per non-empty bin the mean
    prediction, the observed member rate and the count. ECE = sum_bins n_b/N * |observed -
    predicted|; Brier = mean (p - label)^2."""
    y = np.asarray(labels, dtype=np.float64)
    p = np.asarray(probabilities, dtype=np.float64)
    which = np.minimum((p * bins).astype(int), bins - 1)
    table = []
    ece = 0.0
    for index in range(bins):
        inside = which == index
        count = int(inside.sum())
        if not count:
            continue
        predicted, observed = float(p[inside].mean()), float(y[inside].mean())
        ece += count / p.size * abs(observed - predicted)
        table.append({"low": index / bins, "high": (index + 1) / bins, "n": count,
                      "mean_predicted": predicted, "observed_rate": observed})
    return {"bins": table, "ece": float(ece), "brier": float(np.mean((p - y) ** 2))}
