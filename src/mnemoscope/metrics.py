"""Scores against labels: AUROC with a bootstrap CI, TPR at fixed low FPR with a
Clopper-Pearson CI. Scores follow the package convention: higher = more likely member."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

FPR_BOUNDS = {"tpr_at_5pct_fpr": 0.05, "tpr_at_1pct_fpr": 0.01, "tpr_at_0.1pct_fpr": 0.001}


def auroc(labels: Sequence[int], scores: Sequence[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(labels), np.asarray(scores, dtype=np.float64)))


def tpr_at_fpr(labels: Sequence[int], scores: Sequence[float], max_fpr: float) -> float:
    """The largest TPR over thresholds whose FPR is at most `max_fpr`."""
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(np.asarray(labels), np.asarray(scores, dtype=np.float64),
                            drop_intermediate=False)
    allowed = fpr <= max_fpr + 1e-12
    return float(tpr[allowed].max()) if allowed.any() else 0.0


def _auroc_by_ranks(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mann-Whitney U form of AUROC (ties count 1/2); fast enough to bootstrap."""
    from scipy.stats import rankdata

    positives = labels == 1
    n_pos = int(positives.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(scores)
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def bootstrap_ci(labels: Sequence[int], statistic, *columns: Sequence[float],
                 resamples: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap over texts of `statistic(labels, *columns)`, every column drawn
    on the same resample. Resamples where the statistic is NaN (a single class) are
    skipped; (nan, nan) when all are."""
    labels_arr = np.asarray(labels)
    arrays = [np.asarray(c, dtype=np.float64) for c in columns]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        pick = rng.integers(0, labels_arr.size, labels_arr.size)
        value = statistic(labels_arr[pick], *(a[pick] for a in arrays))
        if not math.isnan(value):
            values.append(value)
    if not values:
        return (math.nan, math.nan)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_auroc_ci(labels: Sequence[int], scores: Sequence[float], *, resamples: int = 1000,
                       level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap over samples (MIMIR also uses 1,000 resamples). Resamples that
    draw a single class are skipped."""
    return bootstrap_ci(labels, _auroc_by_ranks, scores, resamples=resamples, level=level,
                        seed=seed)


def clopper_pearson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial CI for a rate."""
    from scipy.stats import beta

    if trials == 0:
        return (math.nan, math.nan)
    alpha = 1 - level
    low = 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return low, high


def summarize_signal(labels: Sequence[int | None] | None, scores: Sequence[float], *,
                     resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Everything the summary and the report say about one signal."""
    scores_arr = np.asarray(scores, dtype=np.float64)
    finite = np.isfinite(scores_arr)
    result: dict[str, Any] = {
        "n": int(scores_arr.size),
        "n_not_finite": int((~finite).sum()),
        "mean": float(np.mean(scores_arr[finite])) if finite.any() else None,
        "std": float(np.std(scores_arr[finite])) if finite.any() else None,
    }
    empty = {"auroc": None, "auroc_ci": None, **{k: None for k in FPR_BOUNDS}}
    if labels is None or all(label is None for label in labels):
        return {**result, **empty, "reason": "no labels: scores only"}
    labels_arr = np.asarray(labels, dtype=np.int64)[finite]
    scores_arr = scores_arr[finite]
    n_members = int((labels_arr == 1).sum())
    n_nonmembers = int((labels_arr == 0).sum())
    result.update(n_members=n_members, n_nonmembers=n_nonmembers)
    if n_members == 0 or n_nonmembers == 0:
        which = "members (label 1)" if n_nonmembers == 0 else "non-members (label 0)"
        return {**result, **empty,
                "reason": f"all {labels_arr.size} labelled samples are {which}; AUROC and TPR "
                          "need both classes"}
    result["auroc"] = auroc(labels_arr, scores_arr)
    result["auroc_ci"] = list(bootstrap_auroc_ci(labels_arr, scores_arr, resamples=resamples,
                                                 seed=seed))
    for key, bound in FPR_BOUNDS.items():
        tpr = tpr_at_fpr(labels_arr, scores_arr, bound)
        result[key] = tpr
        result[key + "_ci"] = list(clopper_pearson(round(tpr * n_members), n_members))
    # With n non-members the smallest non-zero FPR is 1/n: below that, "TPR at FPR" means
    # "TPR with no false positive at all", which readers should know.
    result["min_nonzero_fpr"] = 1.0 / n_nonmembers
    return result
