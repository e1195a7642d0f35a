"""What a scored run adds to its summary once its rows are on disk.

Labelled (`score`, `lab`): three signal-shaped objects beside the per-signal ones, and the
cross-fitted predictions behind them in <run>/verdicts/out_of_fold.parquet:

    blind_baseline   a classifier that never sees the model (text_features.py)
    combined         cross-fitted logistic regression over every signal column
    split_check      blind_auroc, model_gain (+ CI), warning, message (split_check.py)

With `calibration` (a lab folder): `calibrated`, the lab's combined weights applied to
every row, per text in <run>/verdicts/calibrated.parquet.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..metrics import summarize_signal
from ..runs import write_bytes_atomic
from .crossfit import TooFewLabelled, out_of_fold, usable_folds
from .stats import reliability

log = logging.getLogger(__name__)

VERDICTS_DIR = "verdicts"
OUT_OF_FOLD_FILE = "out_of_fold.parquet"
CALIBRATED_FILE = "calibrated.parquet"
KEYS = ("blind_baseline", "combined", "split_check")


@dataclass(frozen=True)
class VerdictConfig:
    blind: bool = True                 # --no-blind: no baseline and no split check
    folds: int = 5
    repeats: int | None = None         # None: 5 up to 5,000 texts (steadier), else 1
    permutations: int = 19             # shuffled-label refits of the baseline: p >= 1/20
    bootstrap: int = 1000
    seed: int = 0

    def repeats_for(self, n: int) -> int:
        return self.repeats if self.repeats is not None else (5 if n <= 5000 else 1)


def labelled_verdicts(texts: Sequence[str], labels: Sequence[int],
                      signals: Mapping[str, np.ndarray],
                      signal_summaries: Mapping[str, Mapping[str, Any]],
                      config: VerdictConfig = VerdictConfig()):
    """(summary entries, out-of-fold frame) for a labelled run. Rows where a signal is not
    finite are left out of all three, so the paired comparison sees the same texts."""
    import pandas as pd

    from .classifiers import (blind_fit_predict, signals_fit_predict,
                              text_and_signals_fit_predict)
    from .split_check import split_check

    columns = list(signals)
    matrix = np.column_stack([np.asarray(signals[c], dtype=np.float64) for c in columns])
    labels_arr = np.asarray(labels, dtype=np.int64)
    keep = np.isfinite(matrix).all(axis=1)
    matrix, labels_arr = matrix[keep], labels_arr[keep]
    texts = [t for t, k in zip(texts, keep) if k]
    try:
        usable_folds(labels_arr, config.folds)
    except TooFewLabelled as exc:
        return {"split_check": {"warning": None, "message": f"no split check: {exc}"}}, None
    repeats = config.repeats_for(labels_arr.size)
    crossfit = dict(folds=config.folds, repeats=repeats, seed=config.seed)
    how = {**crossfit, "model": "logistic regression", "n_dropped_not_finite": int((~keep).sum())}

    def signal_shaped(scores, **extra):
        return {**summarize_signal(labels_arr, scores, resamples=config.bootstrap,
                                   seed=config.seed), **extra, **how}

    combined_scores = out_of_fold(signals_fit_predict(matrix), labels_arr, **crossfit)
    combined = signal_shaped(combined_scores, signals=columns,
                             reliability=reliability(labels_arr, combined_scores))
    ranked = [(v["auroc"], name) for name, v in signal_summaries.items()
              if v.get("auroc") is not None]
    if ranked:
        best_auroc, best = max(ranked)
        combined.update(best_single_signal=best, best_single_auroc=best_auroc,
                        named_best=bool(combined["auroc_ci"][0] > best_auroc))
    entries: dict[str, Any] = {"combined": combined}
    frame = {"label": labels_arr, "combined": combined_scores}
    if config.blind:
        blind_scores = out_of_fold(blind_fit_predict(texts), labels_arr, **crossfit)
        full_scores = out_of_fold(text_and_signals_fit_predict(texts, matrix), labels_arr,
                                  **crossfit)
        entries["blind_baseline"] = signal_shaped(
            blind_scores, features="TF-IDF word 1-2-grams + 8 simple text features")
        entries["split_check"] = split_check(
            labels_arr, blind_scores, full_scores, signal_summaries, entries["blind_baseline"],
            blind_permutation_p_value(texts, labels_arr, config), resamples=config.bootstrap,
            seed=config.seed)
        frame.update(blind_baseline=blind_scores, text_and_signals=full_scores)
    return entries, pd.DataFrame(frame)


def blind_permutation_p_value(texts: Sequence[str], labels: np.ndarray,
                              config: VerdictConfig) -> float:
    """(1 + #{shuffled >= observed}) / (1 + permutations), where each AUROC is that of the
    baseline cross-fitted once (one k-fold, the same seed) on the labels or on a seeded
    shuffle of them. Exact under exchangeable labels: no split bias."""
    from ..metrics import auroc
    from .classifiers import blind_fit_predict

    fit_predict = blind_fit_predict(texts)

    def cross_fitted_auroc(y):
        return auroc(y, out_of_fold(fit_predict, y, folds=config.folds, seed=config.seed))

    observed = cross_fitted_auroc(labels)
    shuffled = [cross_fitted_auroc(np.random.default_rng((config.seed, 5, k)).permutation(labels))
                for k in range(config.permutations)]
    return (1 + sum(value >= observed for value in shuffled)) / (1 + config.permutations)


def best_name(summary: Mapping[str, Any], signals: Sequence[str]) -> str | None:
    """The signal to mark best: the single signal with the highest AUROC, or `combined`
    when its CI lower bound exceeds that AUROC. The blind baseline is never best."""
    ranked = [(summary[s]["auroc"], s) for s in signals
              if isinstance(summary.get(s), dict) and summary[s].get("auroc") is not None]
    if not ranked:
        return None
    combined = summary.get("combined") or {}
    return "combined" if combined.get("named_best") else max(ranked)[1]


def write_frame(run_dir: str | Path, name: str, frame) -> Path:
    """A small Parquet file beside the run's parts (written atomically)."""
    folder = Path(run_dir) / VERDICTS_DIR
    folder.mkdir(exist_ok=True)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return write_bytes_atomic(folder / name, buffer.getvalue())


def summarize_verdicts(run_dir: str | Path, rows, columns: Sequence[str],
                       texts_by_id: Mapping[str, str], summary: Mapping[str, Any], *,
                       config: VerdictConfig, calibration: Mapping[str, Any] | None = None,
                       model_identity: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The summary entries this module adds to a scored run (and their files). Rows are
    taken in id order: folds and resamples then do not depend on the order parts were
    written in (a resumed run, or Ray, writes them in another)."""
    entries: dict[str, Any] = {}
    rows = rows.assign(id=rows["id"].astype(str)).sort_values("id", kind="stable") \
        .reset_index(drop=True)
    ids = rows["id"].astype(str).tolist()
    labelled = "label" in rows.columns and any(summary[c].get("auroc") is not None
                                               for c in columns)
    if labelled:
        texts = [texts_by_id.get(i, "") for i in ids]
        made, frame = labelled_verdicts(
            texts, rows["label"].to_numpy(), {c: rows[c].to_numpy(dtype=float) for c in columns},
            {c: summary[c] for c in columns}, config)
        entries.update(made)
        if frame is not None:
            keep = np.isfinite(rows[list(columns)].to_numpy(dtype=float)).all(axis=1)
            frame.insert(0, "id", np.asarray(ids, dtype=object)[keep])
            write_frame(run_dir, OUT_OF_FOLD_FILE, frame)
    if calibration is not None:
        entries["calibrated"] = calibrated_entry(run_dir, rows, calibration, model_identity,
                                                 config)
    return entries


def calibrated_entry(run_dir, rows, weights: Mapping[str, Any],
                     model_identity: Mapping[str, Any] | None,
                     config: VerdictConfig) -> dict[str, Any]:
    """Apply a lab's weights to every row: per-text probabilities in a file, and a
    signal-shaped summary of them (AUROC and reliability too when the rows are labelled)."""
    import pandas as pd

    from .calibration import apply_weights

    probabilities = apply_weights(weights, rows[weights["columns"]].to_numpy(dtype=float))
    write_frame(run_dir, CALIBRATED_FILE, pd.DataFrame(
        {"id": rows["id"].astype(str), "membership_probability": probabilities}))
    labels = rows["label"].tolist() if "label" in rows.columns else None
    entry = summarize_signal(labels, probabilities, resamples=config.bootstrap, seed=config.seed)
    finite = np.isfinite(probabilities)
    lab_hash = (weights.get("model") or {}).get("file_hash")
    same_model = bool(lab_hash) and lab_hash == (model_identity or {}).get("file_hash")
    if not same_model:
        log.warning("the calibration weights were fitted on another model (%s); the "
                    "probabilities assume this model memorizes as that one did",
                    (weights.get("model") or {}).get("name", "unknown"))
    entry.update(lab=str(weights.get("lab", "")), signals=list(weights["columns"]),
                 same_model=same_model, member_rate_assumed=weights.get("member_rate"),
                 expected_members=float(probabilities[finite].sum()),
                 n_above_half=int((probabilities[finite] > 0.5).sum()),
                 lab_out_of_fold=weights.get("out_of_fold", {}))
    if entry.get("auroc") is not None:
        known = finite & rows["label"].notna().to_numpy()
        entry["reliability"] = reliability(rows["label"].to_numpy()[known].astype(int),
                                           probabilities[known])
    return entry


def table_lines(summary: Mapping[str, Any]) -> list[str]:
    """What the CLI prints under its signal table."""
    lines = []
    check = summary.get("split_check")
    if check and check.get("message"):
        lines.append(("WARNING: " if check.get("warning") else "split check: ") +
                     check["message"])
    calibrated = summary.get("calibrated")
    if calibrated:
        lines.append(f"calibrated membership probability (lab weights {calibrated['lab']}): "
                     f"mean {calibrated['mean'] or 0.0:.3f}, {calibrated['n_above_half']} of "
                     f"{calibrated['n']} texts above 0.5 (per text: "
                     f"{VERDICTS_DIR}/{CALIBRATED_FILE})")
    return lines
