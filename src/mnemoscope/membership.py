"""The membership audit (`mnemoscope score`): data + model + signals -> a run.

(Named membership.py, not score.py, so that the function `mnemoscope.score` is not
shadowed by a submodule of the same name.)

Every audit in mnemoscope has this shape: validate everything first (data, signals,
capabilities), open or resume the run, process what is not done yet in chunks that are
written as soon as they finish, then summarise from what is on disk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .data import DataConfig, data_identity, load_samples
from .metrics import summarize_signal
from .models import Model, ModelConfig, load_model, require
from .runs import RunWriter, default_out, resume_identity
from .signals import Context, Signal, ViewSetup, build_signals, split_specs, views
from .signals.function_tokens import breakdown_for_run
from .signals.minkpp import token_z_scores
from .types import InputError, Sample, TokenScores

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreSpec:
    """Everything `mnemoscope score` does, as data. The CLI builds one from its flags."""

    data: DataConfig
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    signals: tuple[str | Signal, ...] | None = None   # None = signals.DEFAULT (+ reference)
    reference_model: str | None = None           # adds the `reference` signal
    # settings of the views that signals read, by option name (see signals/views.py);
    # `reference_model` above is the same as view_options["reference_model"]
    view_options: Mapping[str, Any] = field(default_factory=dict)
    chunk_size: int = 64                         # samples per written part
    save_tokens: bool = True                     # per-token arrays for the report's heatmap
    bootstrap: int = 1000
    seed: int = 0
    progress: bool = True
    report: bool = True
    blind: bool = True                           # labelled: the text-only baseline + split check
    calibration: str | None = None               # a lab folder: apply its combined weights


@dataclass
class ScoreResult:
    run_dir: Path
    rows: Any                      # pandas.DataFrame: id, label?, one column per signal, ...
    summary: dict[str, Any]
    signals: list[str]

    def best_signal(self) -> str | None:
        """The single signal with the highest AUROC (see verdicts.best_name for `combined`)."""
        ranked = [(self.summary[k]["auroc"], k) for k in self.signals
                  if self.summary[k].get("auroc") is not None]
        return max(ranked)[1] if ranked else None

    def table(self) -> str:
        """The short text table the CLI prints."""
        from .verdicts.summary import best_name, table_lines

        lines = []
        labelled = any(self.summary[c].get("auroc") is not None for c in self.signals)
        if labelled:
            best = best_name(self.summary, self.signals)
            lines.append(f"{'signal':<22} {'AUROC':>6}  {'95% CI':<13}  {'TPR@1%FPR':>9}")
            shown = self.signals + [k for k in ("combined", "blind_baseline")
                                    if (self.summary.get(k) or {}).get("auroc") is not None]
            for name in shown:
                v = self.summary[name]
                low, high = v["auroc_ci"]
                mark = "  <- best" if name == best else ""
                lines.append(f"{name:<22} {v['auroc']:6.3f}  [{low:.3f}, {high:.3f}]  "
                             f"{v['tpr_at_1pct_fpr']:9.3f}{mark}")
        else:
            reason = next(iter(self.summary.values())).get("reason", "")
            lines.append(f"no AUROC: {reason}")
            lines.append(f"{'signal':<22} {'mean':>9} {'std':>9}")
            for name in self.signals:
                v = self.summary[name]
                lines.append(f"{name:<22} {v['mean']:9.4f} {v['std']:9.4f}")
        lines += self._series_lines()
        lines += table_lines(self.summary)
        lines.append(f"run: {self.run_dir}")
        return "\n".join(lines)

    def _series_lines(self) -> list[str]:
        """A checkpoint series: AUROC per checkpoint (the table above is the last one)."""
        series = {n: self.summary[n].get("by_checkpoint") for n in self.signals}
        if not all(series.values()):
            return []
        lines = ["AUROC by checkpoint:", f"{'checkpoint':<22} " + " ".join(
            f"{n[:16]:>16}" for n in self.signals)]
        for i, entry in enumerate(series[self.signals[0]]):
            values = [series[n][i].get("auroc") for n in self.signals]
            lines.append(f"{entry['checkpoint']:<22} " + " ".join(
                f"{'-' if v is None else f'{v:.3f}':>16}" for v in values))
        return lines


def _views_needed(signals: Sequence[Signal]) -> list[str]:
    return sorted(set().union(*(s.views for s in signals))) if signals else []


def rows_for_chunk(chunk: Sequence[Sample], model: Model,
                   view_scorers: Mapping[str, Callable[[Sequence[Sample]], list[Any]]],
                   signals: Sequence[Signal], save_tokens: bool) -> list[dict[str, Any]]:
    texts = [s.text for s in chunk]
    # signals that read only views (SaMIA's samples) run on generation-only backends: the
    # target's own scoring is skipped when no signal reads log-probs
    scored = any(s.reads_scores() for s in signals)
    target: Sequence[TokenScores | None] = model.score(texts) if scored else [None] * len(texts)
    # each view scored once per chunk, however many signals read it
    viewed = {name: scorer(chunk) for name, scorer in view_scorers.items()}
    rows = []
    for i, (sample, scores) in enumerate(zip(chunk, target)):
        ctx = Context(text=sample.text, views={k: v[i] for k, v in viewed.items()})
        row: dict[str, Any] = {"id": sample.id}
        if sample.label is not None:
            row["label"] = sample.label
        if scores is not None:
            row["n_tokens"] = len(scores)
            row["truncated"] = scores.truncated
        for signal in signals:
            row[signal.column] = float(signal(scores, ctx))  # type: ignore[arg-type]
        for result in ctx.views.values():          # what a view wants kept (neighbours, samples)
            if hasattr(result, "row_fields"):
                row.update(result.row_fields())
        if save_tokens and scores is not None:
            row["token_ids"] = scores.token_ids.astype(np.int32).tolist()
            row["token_logprobs"] = scores.logprobs.astype(np.float32).tolist()
            if scores.vocab_mean is not None:
                row["token_z"] = token_z_scores(scores).astype(np.float32).tolist()
            strings = getattr(model, "token_strings", None)
            if strings is not None:
                row["token_text"] = strings(scores.token_ids)
        rows.append(row)
    return rows


@dataclass(frozen=True)
class ScoreJob:
    """The per-chunk work of a score run as plain configs, so a Ray worker can rebuild it
    (see mnemoscope.scale); `open()` loads the model and views and returns chunk -> rows."""

    model: ModelConfig
    views: tuple[Any, ...]                    # prepared View objects (signals/views.py)
    signals: tuple[Signal, ...]
    save_tokens: bool

    def open(self, model: Model | None = None):
        model = model or load_model(self.model)
        for s in self.signals:
            require(model, s.needs, f"signal {s.column!r}")
        scorers = {view.registry_name: view.open_samples(model) for view in self.views}
        return lambda chunk: rows_for_chunk(chunk, model, scorers, self.signals,
                                            self.save_tokens)


def _view_options(spec: ScoreSpec, reference: Model | None) -> dict[str, Any]:
    options = dict(spec.view_options)
    for name, value in (("reference_model", spec.reference_model), ("reference_model", reference)):
        if value is not None:
            options[name] = value
    return options


def prepare_views(signals: Sequence[Signal], options: Mapping[str, Any],
                  samples: Sequence[Sample], model: ModelConfig, engine: str, *,
                  seed: int = 0, target: Any = None) -> tuple[Any, ...]:
    """Each view the signals read, prepared on the driver (a second model loaded or
    described); shared with the audits that score like `score` (dataset inference).
    `seed` seeds shots and neighbours; `target` is the loaded model, or its config on a
    Ray driver (DC-PDD's table and the token classes need its tokenizer)."""
    from .scale.engines import prepare_model

    def prepare_second_model(given: Any):
        config = model.with_model(given) if isinstance(given, str) else None
        return prepare_model(config, None if isinstance(given, str) else given, engine, [])

    setup = ViewSetup(options, prepare_second_model, samples, seed=seed, target=target)
    return tuple(views.get(name).prepare(setup) for name in _views_needed(signals))


def _score_identity(spec: ScoreSpec, prepared: Sequence[Any],
                    signals: Sequence[Signal]) -> dict[str, Any]:
    """The audit's own block of a score run's identity (one checkpoint or a series)."""
    return {
        "views": {v.registry_name: resume_identity(v.identity()) for v in prepared
                  if v.identity() is not None},
        "data": data_identity(spec.data),
        "signals": [{"name": s.registry_name, "params": s.params(), "column": s.column}
                    for s in signals],
        "save_tokens": spec.save_tokens, "seed": spec.seed}


def run_score(spec: ScoreSpec, *, model: Model | None = None, reference: Model | None = None,
              engine: str = "local", ray_address: str | None = None,
              workers: int = 2, samples: Sequence[Sample] | None = None) -> ScoreResult:
    """Run (or resume) a membership audit described by `spec`.

    engine="ray" scores on a Ray Data actor pool (`workers` actors, each holding the same
    backend and signals, writing the same run-store parts); see mnemoscope.scale.
    `samples`: score these instead of reading spec.data, which still names the file the
    run's identity records (watermark verify: its secret controls are never written)."""
    from .scale.engines import check_engine, prepare_model

    if model is None and spec.model.resolved_backend() == "hf":
        from .models.checkpoints import checkpoint_series

        series = checkpoint_series(spec.model.model)
        if series is not None:
            return run_score_series(spec, series, reference=reference, engine=engine,
                                    samples=samples)
    check_engine(engine, model)
    options = _view_options(spec, reference)
    weights = None
    if spec.calibration is not None:                 # a bad lab folder fails before loading
        from .verdicts.calibration import load_weights

        weights = load_weights(spec.calibration)
    signals = build_signals(spec.signals if spec.signals is not None or weights is None
                            else tuple(weights["columns"]), options)
    if weights is not None:
        missing = [c for c in weights["columns"] if c not in {s.column for s in signals}]
        if missing:
            raise InputError(f"--calibration {spec.calibration}: its weights need the signals "
                             f"{', '.join(missing)}; add them to --signals, or leave --signals "
                             "out to use the lab's")
    for name in _views_needed(signals):      # a missing view option fails before any loading
        views.get(name).check(options)
    samples = load_samples(spec.data) if samples is None else list(samples)
    needs = [(s.needs, f"signal {s.column!r}") for s in signals]
    model, model_identity, model_config = prepare_model(spec.model, model, engine, needs)

    prepared = prepare_views(signals, options, samples, spec.model, engine, seed=spec.seed,
                             target=model if model is not None else model_config)
    excluded = frozenset().union(*(v.excluded_ids() for v in prepared))
    if excluded:
        log.info("%d sample(s) serve a view (e.g. as a prefix) and are left out of the run",
                 len(excluded))
        samples = [s for s in samples if s.id not in excluded]
    job = ScoreJob(model_config, prepared, tuple(signals), spec.save_tokens)
    identity = _score_identity(spec, prepared, signals)
    run = RunWriter.open(spec.out, "score", identity, model=model_identity,
                         runtime={"batch_size": spec.model.batch_size, "device": spec.model.device,
                                  "chunk_size": spec.chunk_size, "engine": engine})
    pending = run.pending(samples)
    run.process(pending, job, chunk_size=spec.chunk_size,
                make_rows=job.open(model) if engine == "local" else None, total=len(samples),
                desc="scoring", unit="text", progress=spec.progress, engine=engine,
                workers=workers, address=ray_address)
    columns = [s.column for s in signals]
    rows = run.rows()
    labels = rows["label"].tolist() if "label" in rows.columns else None
    summary = {c: summarize_signal(labels, rows[c].to_numpy(dtype=float),
                                   resamples=spec.bootstrap, seed=spec.seed) for c in columns}
    if excluded:                  # texts that served a view (ReCaLL's shots): not in the metrics
        for c in columns:
            summary[c]["n_excluded"] = len(excluded)
    # where the membership gap sits: function tokens vs the content tokens after them
    breakdown = breakdown_for_run(rows, model if model is not None else model_config,
                                  resamples=spec.bootstrap, seed=spec.seed)
    if breakdown is not None:
        summary["token_classes"] = breakdown
    summary.update(_verdicts(spec, run.dir, rows, columns, samples, summary, weights,
                             model_identity))
    run.finish(summary, report=spec.report)
    return ScoreResult(Path(spec.out), rows, summary, columns)


def run_score_series(spec: ScoreSpec, series, *, reference: Model | None = None,
                     engine: str = "local", samples: Sequence[Sample] | None = None) -> ScoreResult:
    """`score` under every checkpoint of a series (models/checkpoints.py) as one resumable
    run: one row per text and checkpoint, id `<checkpoint>/<text id>`, with `checkpoint`,
    `step` and `sample_id` columns. Each signal's summary is that of the last checkpoint,
    plus `by_checkpoint`: the same metrics for every checkpoint, in order."""
    from .models import identity_of

    if engine != "local":
        raise InputError("a checkpoint series is scored with --engine local (it loads one "
                         "checkpoint after another)")
    options = _view_options(spec, reference)
    signals = build_signals(spec.signals, options)
    for name in _views_needed(signals):
        views.get(name).check(options)
    samples = load_samples(spec.data) if samples is None else list(samples)
    configs = [spec.model.with_model(c.path) for c in series]
    identities = [identity_of(c) for c in configs]

    prepared = prepare_views(signals, options, samples, spec.model, engine, seed=spec.seed)
    excluded = frozenset().union(*(v.excluded_ids() for v in prepared))
    samples = [s for s in samples if s.id not in excluded]
    identity = _score_identity(spec, prepared, signals)
    model_identity = {"name": f"{len(series)} checkpoints of {Path(series[0].path).parent.name}",
                      "checkpoints": [{"checkpoint": c.label, "step": c.step,
                                       **resume_identity(i)} for c, i in zip(series, identities)],
                      "versions": identities[0].get("versions", {})}
    run = RunWriter.open(spec.out, "score", identity, model=model_identity,
                         runtime={"batch_size": spec.model.batch_size, "device": spec.model.device,
                                  "chunk_size": spec.chunk_size, "engine": engine})
    for checkpoint, config in zip(series, configs):
        pending = run.pending(samples, row_ids=lambda s, c=checkpoint: [f"{c.label}/{s.id}"])
        if not pending:
            continue
        loaded = load_model(config)
        job = ScoreJob(config, prepared, tuple(signals), spec.save_tokens)
        run.process(pending, job, chunk_size=spec.chunk_size,
                    make_rows=_series_rows(job.open(loaded), checkpoint),
                    total=len(samples), desc=f"scoring {checkpoint.label}", unit="text",
                    progress=spec.progress)
        del loaded
    columns = [s.column for s in signals]
    rows = run.rows()
    summary = _series_summary(rows, series, columns, spec)
    run.finish(summary, report=spec.report)
    return ScoreResult(Path(spec.out), rows, summary, columns)


def _series_rows(make_rows, checkpoint):
    def rows_of(chunk):
        rows = make_rows(chunk)
        for row in rows:
            row["sample_id"] = row["id"]
            row["id"] = f"{checkpoint.label}/{row['id']}"
            row["checkpoint"], row["step"] = checkpoint.label, checkpoint.step
        return rows
    return rows_of


def _series_summary(rows, series, columns, spec: ScoreSpec) -> dict[str, Any]:
    by_checkpoint: dict[str, list] = {c: [] for c in columns}
    last: dict[str, Any] = {}
    for checkpoint in series:
        part = rows[rows["checkpoint"] == checkpoint.label]
        labels = part["label"].tolist() if "label" in part.columns else None
        for column in columns:
            metrics = summarize_signal(labels, part[column].to_numpy(dtype=float),
                                       resamples=spec.bootstrap, seed=spec.seed)
            by_checkpoint[column].append({"checkpoint": checkpoint.label, "step": checkpoint.step,
                                          **{k: metrics.get(k) for k in (
                                              "n", "mean", "std", "auroc", "auroc_ci",
                                              "tpr_at_1pct_fpr", "tpr_at_5pct_fpr")}})
            last[column] = metrics
    return {c: {**last[c], "checkpoint": series[-1].label, "by_checkpoint": by_checkpoint[c]}
            for c in columns}


def _verdicts(spec: ScoreSpec, run_dir: Path, rows: Any, columns: list[str],
              samples: Sequence[Sample], summary: dict[str, Any], weights: Any,
              model_identity: Any) -> dict[str, Any]:
    """blind_baseline, combined, split_check (labelled) and calibrated (--calibration)."""
    from .verdicts.summary import VerdictConfig, summarize_verdicts

    config = VerdictConfig(blind=spec.blind, bootstrap=spec.bootstrap, seed=spec.seed)
    return summarize_verdicts(run_dir, rows, columns, {s.id: s.text for s in samples}, summary,
                              config=config, calibration=weights, model_identity=model_identity)


def score(data: str, *, model: "str | Model" = "smollm2-135m", out: str | None = None,
          signals: "str | Sequence[str] | None" = None, reference_model: "str | Model | None" = None,
          text_column: str = "text", label_column: str | None = None, id_column: str | None = None,
          batch_size: int = 8, device: str = "auto", dtype: str = "auto",
          max_length: int | None = None, long_text: str = "truncate", backend: str = "hf",
          progress: bool = True,
          report: bool = True, engine: str = "local", ray_address: str | None = None,
          workers: int = 2, **options: Any) -> ScoreResult:
    """Python API: the same as `mnemoscope score`. Returns rows, summary and the run folder."""
    model_name = model if isinstance(model, str) else model.name
    out = out or default_out(str(data), model_name, "score")
    signal_specs = tuple(split_specs(signals)) if isinstance(signals, str) else \
        (tuple(signals) if signals is not None else None)
    ref_model = reference_model if not isinstance(reference_model, str) else None
    spec = ScoreSpec(
        data=DataConfig(path=str(data), text_column=text_column, label_column=label_column,
                        id_column=id_column),
        out=out,
        model=ModelConfig(model=model_name, device=device, dtype=dtype, batch_size=batch_size,
                          max_length=max_length, long_text=long_text,  # type: ignore[arg-type]
                          backend=backend),
        signals=signal_specs,
        reference_model=reference_model if isinstance(reference_model, str) else None,
        progress=progress, report=report, **options)
    return run_score(spec, model=None if isinstance(model, str) else model, reference=ref_model,
                     engine=engine, ray_address=ray_address, workers=workers)
