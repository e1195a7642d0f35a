"""The three cross-fitted classifiers of a labelled run, each `fit_predict` for
crossfit.out_of_fold (it sees only the training rows' labels):

    blind_fit_predict(texts)                  TF-IDF + simple text features -> LR
    text_and_signals_fit_predict(texts, X)    the same, plus the standardized signals
    signals_fit_predict(X)                    the standardized signals -> LR (`combined`)

All three return P(member). Logistic regression with an L2 penalty, the literature's plain
choice (Das et al. 2024 use bag-of-words with a linear model), deterministic
(liblinear/lbfgs). C = 10 on text designs (sparse TF-IDF needs room; see text_features.py),
C = 1 on the few standardized signals.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .text_features import TextDesign

TEXT_C = 10.0
SIGNALS_C = 1.0


def _logistic(C: float = TEXT_C, solver: str = "liblinear"):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, solver=solver, max_iter=5000)


def blind_fit_predict(texts: Sequence[str]):
    texts = list(texts)

    def fit_predict(train, train_labels, test):
        design = TextDesign().fit([texts[i] for i in train])
        model = _logistic().fit(design.transform([texts[i] for i in train]), train_labels)
        return model.predict_proba(design.transform([texts[i] for i in test]))[:, 1]

    return fit_predict


def text_and_signals_fit_predict(texts: Sequence[str], signals: np.ndarray):
    """The blind design with the signal columns appended (standardized on the training
    rows), so the gain over blind_fit_predict is what the model's scores add."""
    from scipy import sparse
    from sklearn.preprocessing import StandardScaler

    texts = list(texts)

    def fit_predict(train, train_labels, test):
        design = TextDesign().fit([texts[i] for i in train])
        scaler = StandardScaler().fit(signals[train])

        def matrix(rows):
            return sparse.hstack([design.transform([texts[i] for i in rows]),
                                  sparse.csr_matrix(scaler.transform(signals[rows]))],
                                 format="csr")

        model = _logistic().fit(matrix(train), train_labels)
        return model.predict_proba(matrix(test))[:, 1]

    return fit_predict


def fit_signal_model(signals: np.ndarray, labels: np.ndarray):
    """Standardize, then LR: the `combined` model (also what a lab saves, calibration.py)."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(signals)
    model = _logistic(SIGNALS_C, "lbfgs").fit(scaler.transform(signals), labels)
    return scaler, model


def signals_fit_predict(signals: np.ndarray):
    def fit_predict(train, train_labels, test):
        scaler, model = fit_signal_model(signals[train], train_labels)
        return model.predict_proba(scaler.transform(signals[test]))[:, 1]

    return fit_predict
