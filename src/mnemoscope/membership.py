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
        lines += table_lines(self.summary)
        lines.append(f"run: {self.run_dir}")
        return "\n".join(lines)


def _views_needed(signals: Sequence[Signal]) -> list[str]:
    return sorted(set().union(*(s.views for s in signals))) if signals else []


def rows_for_chunk(chunk: Sequence[Sample], model: Model,
                   view_scorers: Mapping[str, Callable[[Sequence[str]], list[TokenScores]]],
                   signals: Sequence[Signal], save_tokens: bool) -> list[dict[str, Any]]:
    texts = [s.text for s in chunk]
    target = model.score(texts)
    # each view scored once per chunk, however many signals read it
    viewed = {name: scorer(texts) for name, scorer in view_scorers.items()}
    rows = []
    for i, (sample, scores) in enumerate(zip(chunk, target)):
        ctx = Context(text=sample.text, views={k: v[i] for k, v in viewed.items()})
        row: dict[str, Any] = {"id": sample.id}
        if sample.label is not None:
            row["label"] = sample.label
        row["n_tokens"] = len(scores)
        row["truncated"] = scores.truncated
        for signal in signals:
            row[signal.column] = float(signal(scores, ctx))
        if save_tokens:
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
        scorers = {view.registry_name: view.open(model) for view in self.views}
        return lambda chunk: rows_for_chunk(chunk, model, scorers, self.signals,
                                            self.save_tokens)


def _view_options(spec: ScoreSpec, reference: Model | None) -> dict[str, Any]:
    options = dict(spec.view_options)
    for name, value in (("reference_model", spec.reference_model), ("reference_model", reference)):
        if value is not None:
            options[name] = value
    return options


def prepare_views(signals: Sequence[Signal], options: Mapping[str, Any],
                  samples: Sequence[Sample], model: ModelConfig, engine: str) -> tuple[Any, ...]:
    """Each view the signals read, prepared on the driver (a second model loaded or
    described); shared with the audits that score like `score` (dataset inference)."""
    from .scale.engines import prepare_model

    def prepare_second_model(given: Any):
        config = model.with_model(given) if isinstance(given, str) else None
        return prepare_model(config, None if isinstance(given, str) else given, engine, [])

    setup = ViewSetup(options, prepare_second_model, samples)
    return tuple(views.get(name).prepare(setup) for name in _views_needed(signals))


def run_score(spec: ScoreSpec, *, model: Model | None = None, reference: Model | None = None,
              engine: str = "local", ray_address: str | None = None,
              workers: int = 2, samples: Sequence[Sample] | None = None) -> ScoreResult:
    """Run (or resume) a membership audit described by `spec`.

    engine="ray" scores on a Ray Data actor pool (`workers` actors, each holding the same
    backend and signals, writing the same run-store parts); see mnemoscope.scale.
    `samples`: score these instead of reading spec.data, which still names the file the
    run's identity records (watermark verify: its secret controls are never written)."""
    from .scale.engines import check_engine, prepare_model

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

    prepared = prepare_views(signals, options, samples, spec.model, engine)
    excluded = frozenset().union(*(v.excluded_ids() for v in prepared))
    if excluded:
        log.info("%d sample(s) serve a view (e.g. as a prefix) and are left out of the run",
                 len(excluded))
        samples = [s for s in samples if s.id not in excluded]
    job = ScoreJob(model_config, prepared, tuple(signals), spec.save_tokens)
    identity = {
        "views": {v.registry_name: resume_identity(v.identity()) for v in prepared
                  if v.identity() is not None},
        "data": data_identity(spec.data),
        "signals": [{"name": s.registry_name, "params": s.params(), "column": s.column}
                    for s in signals],
        "save_tokens": spec.save_tokens, "seed": spec.seed}
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
    summary.update(_verdicts(spec, run.dir, rows, columns, samples, summary, weights,
                             model_identity))
    run.finish(summary, report=spec.report)
    return ScoreResult(Path(spec.out), rows, summary, columns)


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
