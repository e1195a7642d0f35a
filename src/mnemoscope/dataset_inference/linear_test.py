"""The dataset-inference test (Maini et al. 2024, "LLM Dataset Inference"; their
llm_dataset_inference `linear_di.py`), on feature matrices: no model here.

One split:
    1. split the suspect set A and the validation set B (known unseen, same distribution)
       each in two random halves;
    2. fit a linear model on the first halves (A = 1, B = 0): the features standardized on
       those halves, then L2 logistic regression, C = 1;
    3. score the second halves and run a one-sided Welch t-test, mean(A2) > mean(B2).
The held-out halves never touch the fit, so under "A was not trained on" (A and B
exchangeable) the test is a plain two-sample test and its p-value is valid.

Seeded splits: `splits` of them, combined by min(1, 2 x median p) (stats.median_p_value:
valid whatever the splits' dependence, unlike the plain median or the minimum).

False-positive check: the same test with two random halves of B in the roles of A and B,
repeated `false_positive_repeats` times; the rate of p < alpha should sit near alpha.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..metrics import auroc, clopper_pearson
from ..verdicts.stats import median_p_value, welch_t_test_greater

# The smallest group each held-out half may have: a Welch t-test needs 2 per group, and a
# linear model a member and a non-member to fit on.
MIN_PER_HALF = 2


@dataclass(frozen=True)
class InferenceConfig:
    alpha: float = 0.05
    splits: int = 10                     # seeded random half-splits, p-values combined
    false_positive_repeats: int = 20     # VAL-vs-VAL repetitions of the whole test
    seed: int = 0
    C: float = 1.0                       # L2 strength of the linear model


def one_split(suspect: np.ndarray, validation: np.ndarray, rng: np.random.Generator,
              C: float = 1.0) -> dict[str, float]:
    """Fit on random halves, test on the other halves (module docstring, steps 1-3)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    a, b = rng.permutation(len(suspect)), rng.permutation(len(validation))
    fit_a, test_a = a[: len(a) // 2], a[len(a) // 2:]
    fit_b, test_b = b[: len(b) // 2], b[len(b) // 2:]
    features = np.vstack([suspect[fit_a], validation[fit_b]])
    labels = np.r_[np.ones(len(fit_a)), np.zeros(len(fit_b))]
    scaler = StandardScaler().fit(features)
    model = LogisticRegression(C=C, max_iter=5000).fit(scaler.transform(features), labels)
    scores_a = model.decision_function(scaler.transform(suspect[test_a]))
    scores_b = model.decision_function(scaler.transform(validation[test_b]))
    test = welch_t_test_greater(scores_a, scores_b)
    test["heldout_auroc"] = auroc(np.r_[np.ones(len(scores_a)), np.zeros(len(scores_b))],
                                  np.r_[scores_a, scores_b])
    return test


def dataset_inference_test(suspect: np.ndarray, validation: np.ndarray, *, splits: int = 10,
                           seed: int | tuple[int, ...] = 0, C: float = 1.0) -> dict[str, Any]:
    """p_value (combined over `splits` seeded splits) and each split's test."""
    check_sizes(len(suspect), len(validation))
    rng = np.random.default_rng(seed)
    per_split = [one_split(suspect, validation, rng, C) for _ in range(splits)]
    p_values = [s["p_value"] for s in per_split]
    return {"p_value": median_p_value(p_values), "split_p_values": p_values,
            "median_split_p_value": float(np.median(p_values)),
            "heldout_auroc": float(np.median([s["heldout_auroc"] for s in per_split])),
            "mean_difference": float(np.median([s["mean_difference"] for s in per_split])),
            "splits": per_split}


def false_positive_check(validation: np.ndarray, config: InferenceConfig) -> dict[str, Any]:
    """The test run on two random halves of VAL, repeated: how often p < alpha where no
    set was trained on."""
    p_values = []
    for repeat in range(config.false_positive_repeats):
        order = np.random.default_rng((config.seed, 1, repeat)).permutation(len(validation))
        half = len(order) // 2
        result = dataset_inference_test(validation[order[:half]], validation[order[half:]],
                                        splits=config.splits, seed=(config.seed, 2, repeat),
                                        C=config.C)
        p_values.append(result["p_value"])
    hits = sum(p < config.alpha for p in p_values)
    return {"rate": hits / len(p_values) if p_values else None,
            "rate_ci": list(clopper_pearson(hits, len(p_values))) if p_values else None,
            "repeats": len(p_values), "alpha": config.alpha, "p_values": p_values}


def check_sizes(n_suspect: int, n_validation: int) -> None:
    if min(n_suspect, n_validation) < 2 * MIN_PER_HALF:
        raise ValueError(f"each set needs at least {2 * MIN_PER_HALF} texts to split in halves "
                         f"of {MIN_PER_HALF} (got {n_suspect} and {n_validation})")
