"""The dataset-inference audit (`mnemoscope dataset-inference SUSPECT --validation VAL`):
was this *set* of texts trained on? A test with a p-value (Maini et al. 2024), not an
AUROC on a split the user built.

    DIR/parts/*.parquet   one row per text: id (suspect:<id> or validation:<id>), label
                          (1 suspect, 0 validation), set, one column per feature signal
    DIR/summary.json      p_value, verdict, n_suspect, n_validation, alpha,
                          false_positive_check, split_check (a text-only classifier on
                          suspect vs validation), features, per-feature AUROC
    DIR/report.html

The rows are the membership audit's (membership.ScoreJob on both sets), so a crash loses
at most one chunk and a re-run resumes; the test itself (linear_test.py) runs on the rows
at the end, in seconds.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..data import DataConfig, data_identity, load_samples
from ..metrics import auroc
from ..models import Model, ModelConfig
from ..runs import RunWriter, resume_identity
from ..types import InputError, Sample
from .linear_test import InferenceConfig, dataset_inference_test, false_positive_check

log = logging.getLogger(__name__)

# Measured (docs/verdicts.md, "How small may VAL be"), on the lab's weak recipe (2 epochs,
# lr 1e-5) with 100 suspect members and the 17 features every HF model gives: the test
# found the trained set (p < 0.05) in 0, 0, 1, 2, 4 of 20 seeds with 8, 10, 16, 20, 30
# validation texts, 11/20 at 40, 15/20 at 60, 18/20 at 100. Its false-positive rate was
# 0-1 in 20 at every size: a small VAL costs power, not validity, and below 40 the test
# mostly cannot find even a known fine-tune.
MIN_VALIDATION = 40
MIN_SUSPECT = 8            # halves of 4: the smallest the t-test and fit can use at all
VERDICT_TRAINED, VERDICT_NONE = "trained on this data", "no evidence"


@dataclass(frozen=True)
class DatasetInferenceSpec:
    """Everything `mnemoscope dataset-inference` does, as data."""

    suspect: DataConfig
    validation: DataConfig
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    signals: tuple[str, ...] | None = None     # None: every signal the backend supports
    view_options: Mapping[str, Any] = field(default_factory=dict)
    test: InferenceConfig = field(default_factory=InferenceConfig)
    blind: bool = True                         # a text-only classifier on suspect vs VAL
    chunk_size: int = 64
    bootstrap: int = 1000
    progress: bool = True
    report: bool = True


@dataclass
class DatasetInferenceResult:
    run_dir: Path
    rows: Any
    summary: dict[str, Any]

    def table(self) -> str:
        s = self.summary
        fp = s["false_positive_check"]
        lines = [f"verdict: {s['verdict']} (p = {s['p_value']:.3g}, alpha {s['alpha']})",
                 f"suspect {s['n_suspect']} texts, validation {s['n_validation']} texts, "
                 f"{len(s['features'])} features, {s['splits']} splits; held-out AUROC "
                 f"{s['heldout_auroc']:.3f}",
                 "false-positive check: skipped (--false-positive-repeats 0)"
                 if fp["rate"] is None else
                 f"false-positive check (validation halves, {fp['repeats']} seeds): p < "
                 f"{fp['alpha']} in {fp['rate']:.0%}"]
        check = s.get("split_check")
        if check and check.get("warning"):
            lines.append("WARNING: " + check["message"])
        lines.append(f"run: {self.run_dir}")
        return "\n".join(lines)


def load_sets(spec: DatasetInferenceSpec) -> tuple[list[Sample], list[Sample]]:
    """Both sets, checked for size before any model loads."""
    suspect = load_samples(spec.suspect)
    validation = load_samples(spec.validation)
    if len(validation) < MIN_VALIDATION:
        raise InputError(f"--validation {spec.validation.path}: {len(validation)} texts; dataset "
                         f"inference needs at least {MIN_VALIDATION} known non-members from the "
                         "suspect set's distribution (the measured minimum, docs/verdicts.md). "
                         "Add texts to it.")
    if len(suspect) < MIN_SUSPECT:
        raise InputError(f"{spec.suspect.path}: {len(suspect)} suspect texts; the test needs at "
                         f"least {MIN_SUSPECT}.")
    overlap = {s.text for s in suspect} & {s.text for s in validation}
    if overlap:
        log.warning("%d text(s) appear in both the suspect and the validation set; the test "
                    "assumes the validation set was never trained on", len(overlap))
    tagged = [Sample(f"suspect:{s.id}", s.text, 1) for s in suspect]
    tagged += [Sample(f"validation:{s.id}", s.text, 0) for s in validation]
    return tagged[: len(suspect)], tagged[len(suspect):]


def run_dataset_inference(spec: DatasetInferenceSpec, *,
                          model: Model | None = None) -> DatasetInferenceResult:
    from ..membership import ScoreJob, prepare_views
    from ..scale.engines import prepare_model
    from ..signals import build_signals
    from .features import feature_signals

    suspect, validation = load_sets(spec)
    samples = suspect + validation
    options = dict(spec.view_options)
    if spec.signals is not None:
        signals = build_signals(spec.signals, options)
    model, model_identity, model_config = prepare_model(spec.model, model, "local", [])
    if spec.signals is None:
        signals = feature_signals(options, model.capabilities)
    prepared = prepare_views(signals, options, samples, spec.model, "local",
                             seed=spec.test.seed, target=model)
    job = ScoreJob(model_config, prepared, tuple(signals), save_tokens=False)
    identity = {
        "suspect": data_identity(spec.suspect), "validation": data_identity(spec.validation),
        "views": {v.registry_name: resume_identity(v.identity()) for v in prepared
                  if v.identity() is not None},
        "signals": [{"name": s.registry_name, "params": s.params(), "column": s.column}
                    for s in signals]}
    run = RunWriter.open(spec.out, "dataset_inference", identity, model=model_identity,
                         runtime={"batch_size": spec.model.batch_size,
                                  "chunk_size": spec.chunk_size})
    run.process(run.pending(samples), job, chunk_size=spec.chunk_size, make_rows=job.open(model),
                total=len(samples), desc="scoring both sets", unit="text",
                progress=spec.progress)
    # in id order: the seeded splits must not depend on the order the parts were written in
    rows = run.rows().sort_values("id", kind="stable").reset_index(drop=True)
    columns = [s.column for s in signals]
    texts = {s.id: s.text for s in samples}
    summary = summarize_dataset_inference(rows, columns, texts, spec)
    run.finish(summary, report=spec.report)
    return DatasetInferenceResult(Path(spec.out), rows, summary)


def summarize_dataset_inference(rows, columns: Sequence[str], texts: Mapping[str, str],
                                spec: DatasetInferenceSpec) -> dict[str, Any]:
    matrix = rows[list(columns)].to_numpy(dtype=np.float64)
    labels = rows["label"].to_numpy(dtype=int)
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        log.warning("%d text(s) with a feature that is not finite are left out of the test",
                    int((~finite).sum()))
    suspect, validation = matrix[finite & (labels == 1)], matrix[finite & (labels == 0)]
    config = spec.test
    result = dataset_inference_test(suspect, validation, splits=config.splits,
                                    seed=config.seed, C=config.C)
    trained = result["p_value"] < config.alpha
    summary: dict[str, Any] = {
        "p_value": result["p_value"],
        "verdict": VERDICT_TRAINED if trained else VERDICT_NONE,
        "n_suspect": int(len(suspect)), "n_validation": int(len(validation)),
        "alpha": config.alpha,
        "false_positive_check": false_positive_check(validation, config),
        "test": "one-sided Welch t-test of held-out linear scores, suspect > validation; "
                "p = min(1, 2 x median over seeded half-splits)",
        "splits": config.splits, "split_p_values": result["split_p_values"],
        "median_split_p_value": result["median_split_p_value"],
        "heldout_auroc": result["heldout_auroc"],
        "features": list(columns),
        "feature_auroc": {c: auroc(labels[finite], matrix[finite, i])
                          for i, c in enumerate(columns)},
        "config": asdict(config),
    }
    if spec.blind:
        summary["split_check"] = _blind_check(rows, labels, texts, spec)
    return summary


def _blind_check(rows, labels, texts: Mapping[str, str], spec) -> dict[str, Any]:
    """A text-only classifier on suspect vs validation (verdicts/): if it separates them
    (label-permutation p <= 0.05), the sets differ in distribution and the test would find
    that difference, trained or not."""
    from ..metrics import summarize_signal
    from ..verdicts.classifiers import blind_fit_predict
    from ..verdicts.crossfit import out_of_fold
    from ..verdicts.split_check import SEPARATES_AT
    from ..verdicts.summary import VerdictConfig, blind_permutation_p_value

    config = VerdictConfig(seed=spec.test.seed, bootstrap=spec.bootstrap)
    texts_in_order = [texts[i] for i in rows["id"].astype(str)]
    scores = out_of_fold(blind_fit_predict(texts_in_order), labels, folds=config.folds,
                         repeats=config.repeats_for(len(labels)), seed=config.seed)
    blind = summarize_signal(labels, scores, resamples=config.bootstrap, seed=config.seed)
    p_value = blind_permutation_p_value(texts_in_order, labels, config)
    low, high = blind["auroc_ci"]
    warning = bool(p_value <= SEPARATES_AT)
    found = (f"AUROC {blind['auroc']:.2f} [{low:.2f}, {high:.2f}], permutation p = "
             f"{p_value:.2f}")
    if warning:
        message = (f"a text-only classifier tells the suspect texts from the validation texts "
                   f"({found}): the two sets differ in distribution, and the test may be "
                   "measuring that difference, not training; draw the validation set from the "
                   "same source (docs/verdicts.md)")
    else:
        message = (f"a text-only classifier does not tell the suspect texts from the validation "
                   f"texts ({found})")
    return {"blind_auroc": blind["auroc"], "blind_auroc_ci": [low, high],
            "blind_permutation_p_value": p_value, "warning": warning, "message": message}
