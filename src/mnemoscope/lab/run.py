"""`mnemoscope lab`: ground truth on the user's own model, as a resumable run.

    DIR/spec.json            the lab's identity (data hash, model, split, canaries, training)
    DIR/lab_data.jsonl       the calibration set: id, text, label (1 = member)
    DIR/ground_truth.json    member and non-member ids, canaries with their secrets
    DIR/model/               the fine-tuned model (safetensors + tokenizer; load_model reads it)
                             and its training_curve.json, saved in the same rename
    DIR/training_curve.json  loss per optimiser step (a copy of model/training_curve.json)
    DIR/calibration/         a `score` run of every signal on lab_data.jsonl
    DIR/canaries/            a run with one row per canary: secret, repetitions, rank, exposure
    DIR/extraction/          an `extract` run on lab_data.jsonl with the fine-tuned model
    DIR/dynamics/            memorization checks during the fine-tune (docs/dynamics.md)
    DIR/checkpoints/         with save_checkpoints: the weights at every checked step
    DIR/summary.json         one object per signal (auroc, auroc_ci, tpr_at_1pct_fpr, ...),
                             plus `canaries`, `extraction`, `training`, `timings_s`

Resuming: each stage checks what is on disk. A saved model is never retrained; scoring,
exposure and extraction skip the rows already written. The curve travels inside the model
folder because a model renamed into place before its curve was written (a crash between the
two) used to be retrained on every resume, and the new model could not be renamed onto it.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from .. import faults
from ..data import DataConfig, data_identity, load_samples
from ..runs import RunWriter, read_json, write_json_atomic
from .config import LabSpec
from .split import split_lab, write_lab_data

log = logging.getLogger(__name__)
CURVE_FILE = "training_curve.json"   # inside every model folder the lab saves

def _identity(spec: LabSpec) -> dict[str, Any]:
    return {"data": data_identity(replace(spec.data, label_column=None)),
            "member_fraction": spec.member_fraction, "seed": spec.seed, "train": asdict(spec.train), "canaries": asdict(spec.canaries),
            **({"reference": {"trained_on_fraction": spec.reference_fraction}}
               if spec.reference == "trained" else {})}


def _training_texts(members, canaries, seed: int) -> list[str]:
    texts = [s.text for s in members]
    for canary in canaries:
        texts += [canary.text] * canary.repetitions
    random.Random(f"train-order:{seed}").shuffle(texts)  # the trainer reshuffles every epoch too
    return texts


def _reference_texts(pool, count: int, seed: int) -> list[str]:
    """The reference model's training texts: the pool (disjoint from every scored text, no
    canaries) cycled or cut to exactly `count` texts, so that with the same recipe it takes
    as many optimiser steps as the lab's model and learns the data's shared distribution
    to the same degree; only the member-specific part is left to tell them apart."""
    texts = [s.text for s in pool]
    texts = (texts * (count // len(texts) + 1))[:count]
    random.Random(f"reference-order:{seed}").shuffle(texts)
    return texts


def _split(spec: LabSpec):
    """Split and canaries. Reads and checks all the data, so it runs before anything is
    written: a missing or bad file must not leave a spec.json holding its hash."""
    from ..extraction.canaries import make_canaries
    from ..types import InputError

    samples = load_samples(replace(spec.data, label_column=None))
    try:
        members, nonmembers, reference_pool = split_lab(samples, spec.member_fraction, spec.seed,
                                                        spec.reference_split)
    except InputError as exc:           # too few texts: name the file they came from
        raise InputError(f"{spec.data.path}: {exc}") from None
    return members, nonmembers, reference_pool, make_canaries(spec.canaries, spec.seed)


def _prepare(spec: LabSpec, out: Path, split):
    """lab_data.jsonl and ground_truth.json for `split` (written once)."""
    members, nonmembers, reference_pool, canaries = split
    if not (out / "ground_truth.json").is_file():
        write_lab_data(out / "lab_data.jsonl", members, nonmembers)
        write_json_atomic(out / "ground_truth.json", {
            "member_ids": [s.id for s in members], "nonmember_ids": [s.id for s in nonmembers],
            "reference_ids": [s.id for s in reference_pool],
            "canaries": [asdict(c) | {"text": c.text} for c in canaries],
            "secret_space_size": spec.canaries.space_size})
    return members, nonmembers, reference_pool, canaries


def _train_if_needed(spec: LabSpec, out: Path, texts: list[str], name: str = "model",
                     monitor=None) -> list[dict[str, Any]]:
    """Fine-tune the base model on `texts` into out/<name>, its curve inside it and copied
    to out/training_curve.json (out/<name>_curve.json for another model); a model already
    saved is never retrained. `monitor` checks memorization during the fine-tune
    (DIR/dynamics/)."""
    from ..models import load_model
    from .train import fine_tune, save_model

    curve_path = out / (CURVE_FILE if name == "model" else f"{name}_curve.json")
    saved = _saved_curve(out / name, curve_path)
    if saved is not None:
        log.info("lab %s: %s already saved; not retraining", out, name)
        return saved
    trainee = load_model(spec.model)
    curve = fine_tune(trainee, texts, spec.train, progress=spec.progress, monitor=monitor,
                      checkpoints=out / "checkpoints" if monitor is not None
                      and spec.save_checkpoints else None)
    record = {"method": spec.train.method, "steps": curve}
    save_model(trainee, out / name, extra_json={CURVE_FILE: record})
    faults.point("model.renamed")
    write_json_atomic(curve_path, record)
    del trainee
    return curve


def _saved_curve(model_dir: Path, curve_path: Path) -> list[dict[str, Any]] | None:
    """The training curve of a model already saved in `model_dir` (restoring the copy at
    `curve_path`), or None when no model is saved."""
    if not (model_dir / "config.json").is_file():
        return None
    for path in (model_dir / CURVE_FILE, curve_path):
        if path.is_file():
            record = read_json(path, "training curve")
            if not curve_path.is_file():
                write_json_atomic(curve_path, record)
            return record["steps"]
    # The folder was renamed into place whole, so the model is complete; only a lab of an
    # older version, killed before writing the curve beside it, gets here. Retraining could
    # not replace it, and need not: keep the model, without training figures.
    log.warning("%s: the saved model has no training curve (an older version was stopped "
                "before writing it); using the model as saved, without training figures",
                model_dir)
    return []


def _reference_model(spec: LabSpec, out: Path):
    from ..models import load_model

    if spec.reference == "none":
        return None
    if spec.reference == "trained":
        return load_model(replace(spec.model, model=str((out / "reference_model").resolve())))
    return load_model(spec.model)


def _monitor(spec: LabSpec, out: Path, split):
    """Memorization checks during the fine-tune: the lab's members, non-members and
    canaries, written to DIR/dynamics/ (None when spec.dynamics is None)."""
    if spec.dynamics is None:
        return None
    from ..dynamics.monitor import Monitor

    members, nonmembers, _, canaries = split
    return Monitor(out / "dynamics", members, nonmembers, canaries, spec.dynamics,
                   progress=spec.progress)


def _dynamics_summary(out: Path) -> dict[str, Any] | None:
    """The lab summary's view of DIR/dynamics/summary.json: first crossings, indicators,
    overhead (the curves stay in that run)."""
    path = out / "dynamics" / "summary.json"
    if not path.is_file():
        return None
    dynamics = json.loads(path.read_text(encoding="utf-8"))
    return {"run": "dynamics", "steps": dynamics.get("steps"),
            "first_crossing": dynamics.get("first_crossing"),
            "indicators": dynamics.get("indicators"), "overhead": dynamics.get("overhead")}


def _exposures(spec: LabSpec, out: Path, tuned, canaries) -> list[dict[str, Any]]:
    from ..extraction.exposure import canary_exposure

    run = RunWriter.open(out / "canaries", "canary_exposure",
                         {"canaries": asdict(spec.canaries), "exposure": asdict(spec.exposure)},
                         model=tuned.identity())
    # one part per canary: a crash loses at most one
    pending = run.pending(canaries, sort_key=lambda c: 0)   # keeps their order
    run.process(pending, None, chunk_size=1, total=len(canaries), desc="canary exposure",
                unit="canary", progress=spec.progress,
                make_rows=lambda chunk: [canary_exposure(tuned, chunk[0],
                                                         spec.canaries.secret_digits,
                                                         spec.exposure)])
    rows = run.rows().to_dict("records")
    run.close()
    return rows


def run_lab(spec: LabSpec) -> dict[str, Any]:
    """Run (or resume) the lab; returns the summary also written to DIR/summary.json."""
    from ..extraction.audit import ExtractSpec, run_extract
    from ..extraction.exposure import exposure_by_repetition
    from ..membership import ScoreSpec, run_score
    from ..models import identity_of, load_model

    out = Path(spec.out)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    split = _split(spec)
    # refuses a folder made by another spec
    lab = RunWriter.open(out, "lab", _identity(spec), model=identity_of(spec.model))
    if not any(lab.parts.iterdir()):
        lab.parts.rmdir()                            # the lab's rows live in its sub-runs
    members, nonmembers, reference_pool, canaries = _prepare(spec, out, split)
    training_texts = _training_texts(members, canaries, spec.seed)
    curve = _train_if_needed(spec, out, training_texts, monitor=_monitor(spec, out, split))
    timings["training"] = time.perf_counter() - clock
    if spec.reference == "trained":
        clock = time.perf_counter()
        _train_if_needed(spec, out, _reference_texts(reference_pool, len(training_texts),
                                                     spec.seed), "reference_model")
        timings["reference_training"] = time.perf_counter() - clock

    tuned_config = replace(spec.model, model=str((out / "model").resolve()))
    tuned = load_model(tuned_config)
    reference = _reference_model(spec, out)
    lab_data = DataConfig(path=str(out / "lab_data.jsonl"))
    clock = time.perf_counter()
    scored = run_score(ScoreSpec(data=lab_data, out=str(out / "calibration"), model=tuned_config,
                                 signals=spec.signals, chunk_size=spec.chunk_size,
                                 bootstrap=spec.bootstrap, seed=spec.seed, progress=spec.progress,
                                 report=False),
                       model=tuned, reference=reference)
    timings["calibration"] = time.perf_counter() - clock

    clock = time.perf_counter()
    canary_rows = _exposures(spec, out, tuned, canaries)
    timings["exposure"] = time.perf_counter() - clock

    extraction = None
    if spec.run_extraction:
        clock = time.perf_counter()
        result = run_extract(ExtractSpec(data=lab_data, out=str(out / "extraction"),
                                         model=tuned_config, extraction=spec.extraction,
                                         pii=spec.pii, chunk_size=spec.chunk_size,
                                         progress=spec.progress), model=tuned)
        extraction = {k: v for k, v in result.summary.items() if k not in ("details", "config")}
        timings["extraction"] = time.perf_counter() - clock

    summary: dict[str, Any] = {name: scored.summary[name] for name in scored.signals}
    summary["best_signal"] = scored.best_signal()
    summary["canaries"] = {
        "by_repetition": exposure_by_repetition(canary_rows, spec.canaries.space_size),
        # sampled_rank / empirical_exposure: where the secret ranks among the sampled
        # candidates themselves (at most log2(samples + 1) bits), a check on the fitted tail
        "per_canary": [{k: _plain(row.get(k)) for k in (
                            "id", "repetitions", "secret", "method", "rank", "exposure",
                            "secret_log_perplexity", "sampled_rank", "empirical_exposure")}
                       for row in sorted(canary_rows, key=lambda r: r["id"])]}
    summary["extraction"] = extraction
    summary["training"] = {"method": spec.train.method, "epochs": spec.train.epochs,
                           "steps": len(curve), "learning_rate": spec.train.lr,
                           "batch_size": spec.train.batch_size, "schedule": spec.train.schedule,
                           "first_loss": curve[0]["loss"] if curve else None,
                           "last_epoch_mean_loss": _last_epoch_loss(curve)}
    summary["split"] = {"members": len(members), "nonmembers": len(nonmembers),
                        "reference_texts": len(reference_pool), "canaries": len(canaries)}
    summary["reference_model"] = spec.reference
    dynamics = _dynamics_summary(out)
    if dynamics is not None:
        summary["dynamics"] = dynamics
    summary["timings_s"] = {k: round(v, 1) for k, v in timings.items()}
    return lab.finish(summary, report=False)


def _plain(value):
    """A parquet cell as JSON: missing (NaN/None) -> None, numpy scalars -> Python."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def _last_epoch_loss(curve: list[dict[str, Any]]) -> float | None:
    if not curve:
        return None
    last = curve[-1]["epoch"]
    losses = [p["loss"] for p in curve if p["epoch"] == last]
    return sum(losses) / len(losses)


def summary_table(summary: dict[str, Any]) -> str:
    """The short text the CLI prints."""
    lines = [f"{'signal':<22} {'AUROC':>6}  {'95% CI':<13}  {'TPR@1%FPR':>9}"]
    for name, value in summary.items():
        if isinstance(value, dict) and "auroc" in value and value["auroc"] is not None:
            low, high = value["auroc_ci"]
            mark = "  <- best" if name == summary.get("best_signal") else ""
            lines.append(f"{name:<22} {value['auroc']:6.3f}  [{low:.3f}, {high:.3f}]  "
                         f"{value['tpr_at_1pct_fpr']:9.3f}{mark}")
    by_repetition = summary["canaries"]["by_repetition"]
    ceiling = next(iter(by_repetition.values()), {}).get("max_possible", 0.0)
    lines.append(f"canary exposure by repetitions (bits; max {ceiling:.1f}):")
    for reps, value in by_repetition.items():
        px = value.get("mean_secret_log_perplexity")
        lines.append(f"  x{reps:<4} mean {value['mean_exposure']:6.2f}  (min "
                     f"{value['min_exposure']:.2f}, max {value['max_exposure']:.2f}, n {value['n']})"
                     + (f"  secret Px {px:.1f} nats" if px is not None else ""))
    lines += _dynamics_lines(summary.get("dynamics"))
    extraction = summary.get("extraction")
    if extraction:
        for key in ("exact_match_rate", "approx_match_rate", "pii_recovery_rate"):
            shown = ", ".join(f"{g} {v:.3f}" if v is not None else f"{g} n/a"
                              for g, v in extraction[key].items())
            lines.append(f"{key}: {shown}")
    return "\n".join(lines)


def _dynamics_lines(dynamics: dict[str, Any] | None) -> list[str]:
    """'first memorized at step ...' per curve, and what the checks cost."""
    if not dynamics:
        return []
    lines = ["during training (DIR/dynamics):"]
    for name, entry in (dynamics.get("first_crossing") or {}).items():
        step = entry.get("step")
        lines.append(f"  {name:<28} >= {entry['threshold']:g}: "
                     + ("never" if step is None else f"first at step {step}"))
    overhead = dynamics.get("overhead") or {}
    if overhead:
        lines.append(f"  {overhead.get('checks')} checks, "
                     f"{100 * (overhead.get('share_of_training') or 0):.1f}% of training time")
    return lines
