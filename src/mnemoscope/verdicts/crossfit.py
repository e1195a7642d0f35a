"""Cross-fitting: a prediction for every text from a model that never saw that text's label.

    scores = out_of_fold(fit_predict, labels, folds=5, repeats=5, seed=0)

Stratified k-fold, shuffled with a seed. `fit_predict(train_index, train_labels,
test_index)` is the only place a model is fitted, and it receives the labels of the
training rows only, so no fold can see its own labels (tests/test_verdicts.py holds a
memorising model to it). With repeats > 1 the k-fold is redrawn with seeds seed, seed+1,
...; each text's score is the mean of its out-of-fold scores, every one of which comes
from a model fitted without it.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


class TooFewLabelled(ValueError):
    """Fewer than two texts in a class: no cross-fitted prediction is possible."""


def usable_folds(labels: Sequence[int], folds: int) -> int:
    """k, lowered to the size of the smaller class (stratified k-fold needs a member and a
    non-member in every fold); TooFewLabelled below 2."""
    labels_arr = np.asarray(labels)
    smaller = int(min((labels_arr == 1).sum(), (labels_arr == 0).sum()))
    if smaller < 2:
        raise TooFewLabelled(f"cross-fitting needs at least 2 members and 2 non-members, got "
                             f"{int((labels_arr == 1).sum())} and {int((labels_arr == 0).sum())}")
    return min(folds, smaller)


def fold_indices(labels: Sequence[int], folds: int, seed: int):
    """(train_index, test_index) pairs of one seeded stratified k-fold."""
    from sklearn.model_selection import StratifiedKFold

    labels_arr = np.asarray(labels)
    splitter = StratifiedKFold(n_splits=usable_folds(labels_arr, folds), shuffle=True,
                               random_state=seed)
    return list(splitter.split(np.zeros(labels_arr.size), labels_arr))


def out_of_fold(fit_predict: FitPredict, labels: Sequence[int], *, folds: int = 5,
                repeats: int = 1, seed: int = 0) -> np.ndarray:
    """Out-of-fold scores, shape (n,), averaged over `repeats` seeded k-folds."""
    labels_arr = np.asarray(labels, dtype=np.int64)
    total = np.zeros(labels_arr.size, dtype=np.float64)
    for repeat in range(repeats):
        for train, test in fold_indices(labels_arr, folds, seed + repeat):
            total[test] += np.asarray(fit_predict(train, labels_arr[train].copy(), test),
                                      dtype=np.float64)
    return total / repeats
