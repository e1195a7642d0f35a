from __future__ import annotations

import math

import numpy as np
import pytest

from mnemoscope.metrics import (auroc, bootstrap_auroc_ci, clopper_pearson, summarize_signal,
                                tpr_at_fpr)


def test_auroc_hand_computed():
    # pairs (member, non-member): (0.9>0.8) (0.9>0.1) (0.4<0.8) (0.4>0.1) -> 3/4
    labels, scores = [1, 1, 0, 0], [0.9, 0.4, 0.8, 0.1]
    assert auroc(labels, scores) == pytest.approx(0.75)


def test_tpr_at_fpr_takes_largest_tpr_within_bound():
    # 10 non-members 0..9, members 8.5, 9.5, 20: at FPR 0 the threshold > 9 catches 2/3.
    labels = [0] * 10 + [1, 1, 1]
    scores = list(range(10)) + [8.5, 9.5, 20]
    assert tpr_at_fpr(labels, scores, 0.0) == pytest.approx(2 / 3)
    assert tpr_at_fpr(labels, scores, 0.1) == pytest.approx(1.0)    # one false positive allowed
    assert tpr_at_fpr(labels, scores, 0.05) == pytest.approx(2 / 3)


def test_bootstrap_ci_contains_point_and_is_seeded():
    rng = np.random.default_rng(1)
    labels = np.r_[np.ones(100), np.zeros(100)].astype(int)
    scores = np.r_[rng.normal(1, 1, 100), rng.normal(0, 1, 100)]
    point = auroc(labels, scores)
    low, high = bootstrap_auroc_ci(labels, scores, resamples=300, seed=3)
    assert low < point < high and 0.6 < low and high < 0.9
    assert (low, high) == bootstrap_auroc_ci(labels, scores, resamples=300, seed=3)


def test_clopper_pearson_known_values():
    low, high = clopper_pearson(0, 10)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 10))   # 0.3085
    low, high = clopper_pearson(10, 10)
    assert high == 1.0 and low == pytest.approx(0.025 ** (1 / 10))


def test_summary_single_class_says_why():
    result = summarize_signal([1, 1, 1], [0.1, 0.2, 0.3])
    assert result["auroc"] is None and "both classes" in result["reason"]
    assert result["mean"] == pytest.approx(0.2)
    unlabeled = summarize_signal(None, [0.1, 0.2])
    assert unlabeled["auroc"] is None and "no labels" in unlabeled["reason"]


def test_summary_drops_non_finite_scores_and_counts_them():
    result = summarize_signal([1, 0, 1, 0], [1.0, 0.0, math.nan, 0.5], resamples=50)
    assert result["n_not_finite"] == 1 and result["auroc"] == pytest.approx(1.0)
