"""The dataset-level test: did the model see the published (watermarked) versions?

Each text i gives a paired difference d_i = score(watermarked_i) - score(control_i) of one
membership signal (higher = more member-like). Under H0 (the model saw neither version),
which of the two versions was published was a fair coin (leximark.draw_changes draws an
ordered pair uniformly), so every d_i is symmetric about 0 given |d_i|, independently
across texts. The sign-flip (randomisation) test uses exactly that: its p-value is the
share of the 2^n sign patterns whose sum is at least the observed sum. It is exact for any
score distribution (no normality, no equal variances), which matters with few texts and
heavy-tailed score differences; a one-sample t-test is reported beside it for reference.
For n <= EXACT_LIMIT all 2^n patterns are enumerated; above that a seeded Monte Carlo
sample of patterns gives p = (1 + hits) / (1 + resamples), which is still a valid p-value.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

EXACT_LIMIT = 16


def sign_flip_p_value(differences: Sequence[float], *, resamples: int = 100_000,
                      seed: int = 0) -> float:
    """One-sided p-value for H1: mean difference > 0."""
    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    n = d.size
    if n == 0:
        return 1.0
    observed = d.sum()
    tolerance = 1e-9 * max(1.0, float(np.abs(d).sum()))   # equal sums count as "at least"
    if n <= EXACT_LIMIT:
        patterns = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1) * 2 - 1   # (2^n, n)
        sums = patterns @ d
        return float(np.mean(sums >= observed - tolerance))
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, resamples, 10_000):
        size = min(10_000, resamples - start)
        signs = rng.integers(0, 2, size=(size, n), dtype=np.int8) * 2 - 1
        hits += int(np.count_nonzero(signs @ d >= observed - tolerance))
    return (1 + hits) / (1 + resamples)


def t_test_p_value(differences: Sequence[float]) -> float | None:
    """One-sample t-test of mean > 0 (one-sided), for reference."""
    from scipy.stats import ttest_1samp

    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    if d.size < 2 or np.allclose(d, d[0]):
        return None
    return float(ttest_1samp(d, 0.0, alternative="greater").pvalue)


def paired_auroc(differences: Sequence[float]) -> float | None:
    """P(score(watermarked_i) > score(control_i)), ties counting 1/2: the AUROC of telling
    the two versions of one text apart (0.5 = no signal)."""
    d = np.asarray(differences, dtype=np.float64)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return None
    return float(np.mean((d > 0) + 0.5 * (d == 0)))


def format_p(p: float) -> str:
    if p >= 0.001:
        return f"{p:.3g}"
    mantissa, exponent = f"{p:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def verdict(p_value: float, alpha: float, n_texts: int, signal: str) -> str:
    where = f"(sign-flip test on {signal}, {n_texts} texts, alpha = {alpha:g})"
    if p_value < alpha:
        return f"the model was trained on this dataset: p = {format_p(p_value)} {where}"
    return f"no evidence that the model was trained on this dataset: p = {format_p(p_value)} {where}"


def paired_test(differences: Sequence[float], *, resamples: int, seed: int) -> dict[str, Any]:
    d = np.asarray(differences, dtype=np.float64)
    finite = d[np.isfinite(d)]
    return {"n": int(finite.size),
            "mean_difference": float(finite.mean()) if finite.size else None,
            "std_difference": float(finite.std(ddof=1)) if finite.size > 1 else None,
            "p_value": sign_flip_p_value(finite, resamples=resamples, seed=seed),
            "t_test_p_value": t_test_p_value(finite),
            "paired_auroc": paired_auroc(finite),
            "exact": bool(finite.size <= EXACT_LIMIT)}


def minimum_p_value(n: int, resamples: int) -> float:
    """The smallest p-value the test can give with n texts."""
    return 2.0 ** -n if n <= EXACT_LIMIT else max(2.0 ** -n, 1 / (1 + resamples))
