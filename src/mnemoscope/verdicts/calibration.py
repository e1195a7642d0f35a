"""The `combined` signal's weights as JSON: a lab fits them on its known members, and
`score --calibration LABDIR` applies them to texts nobody labelled.

    LABDIR/combined_weights.json
        columns       the signal columns, in order; each is also a --signals spec
        mean, scale   the standardization fitted on the lab's rows
        coef, intercept
        member_rate   the lab's share of members: the prior the probabilities assume
        model         the identity of the lab's fine-tuned model
        out_of_fold   AUROC, CI, TPRs and the reliability table of the cross-fitted
                      predictions on the lab (what the weights are worth)

    p(member | x) = 1 / (1 + exp(-(intercept + sum_j coef_j * (x_j - mean_j) / scale_j)))

JSON, never pickle: a weights file is data a user may receive from someone else.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..runs import read_json, write_json_atomic
from ..types import InputError
from .classifiers import fit_signal_model

WEIGHTS_FILE = "combined_weights.json"
FORMAT = "mnemoscope.combined_weights/1"


def fit_weights(signals: np.ndarray, labels: np.ndarray, columns: Sequence[str], *,
                model: Mapping[str, Any] | None = None,
                out_of_fold: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Fit the combined model on every labelled row (the cross-fitted predictions already
    said what it is worth) and describe it as plain JSON."""
    finite = np.isfinite(signals).all(axis=1)
    scaler, fitted = fit_signal_model(signals[finite], labels[finite])
    return {"format": FORMAT, "columns": list(columns),
            "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
            "coef": fitted.coef_[0].tolist(), "intercept": float(fitted.intercept_[0]),
            "n_members": int((labels[finite] == 1).sum()),
            "n_nonmembers": int((labels[finite] == 0).sum()),
            "member_rate": float(labels[finite].mean()),
            "model": dict(model or {}), "out_of_fold": dict(out_of_fold or {})}


def apply_weights(weights: Mapping[str, Any], signals: np.ndarray) -> np.ndarray:
    """P(member) per row of `signals` (columns in weights["columns"] order); NaN where a
    signal is not finite."""
    z = (np.asarray(signals, dtype=np.float64) - np.asarray(weights["mean"])) \
        / np.asarray(weights["scale"])
    logit = weights["intercept"] + z @ np.asarray(weights["coef"], dtype=np.float64)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-logit))


def save_weights(lab_dir: str | Path, weights: Mapping[str, Any]) -> Path:
    return write_json_atomic(Path(lab_dir) / WEIGHTS_FILE, weights)


def load_weights(lab_dir: str | Path) -> dict[str, Any]:
    """The weights a lab saved; an InputError that says what to do otherwise."""
    path = Path(lab_dir) / WEIGHTS_FILE
    if not path.is_file():
        raise InputError(f"--calibration {lab_dir}: no {WEIGHTS_FILE} there. Pass the folder "
                         "of a finished `mnemoscope lab` run (labs write it at the end).")
    weights = read_json(path, "combined weights")
    keys = ("columns", "mean", "scale", "coef", "intercept")
    if not isinstance(weights, dict) or weights.get("format") != FORMAT \
            or any(k not in weights for k in keys):
        raise InputError(f"{path}: not a combined-weights file of this mnemoscope version "
                         f"(format {FORMAT}). Re-run the lab to write it again.")
    sizes = {len(weights[k]) for k in ("columns", "mean", "scale", "coef")}
    numbers = [*weights["mean"], *weights["scale"], *weights["coef"], weights["intercept"]]
    if len(sizes) != 1 or not all(isinstance(v, (int, float)) and math.isfinite(v)
                                  for v in numbers) or min(weights["scale"]) <= 0:
        raise InputError(f"{path}: the weights are damaged (lengths or values do not fit). "
                         "Re-run the lab to write them again.")
    return {**weights, "lab": str(lab_dir)}
