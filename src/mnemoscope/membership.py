"""The membership audit (`mnemoscope score`): data + model + signals -> a run.

(Named membership.py, not score.py, so that the function `mnemoscope.score` is not
shadowed by a submodule of the same name.)

Every audit in mnemoscope has this shape: validate everything first (data, signals,
capabilities), open or resume the run, process what is not done yet in chunks that are
written as soon as they finish, then summarise from what is on disk.
"""

from __future__ import annotations

import logging
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import __version__
from .data import DataConfig, data_hash, load_samples
from .metrics import summarize_signal
from .models import Model, ModelConfig, load_model, require
from .runs import RunWriter, chunked, read_rows, write_summary
from .signals import Context, Signal, build_signals
from .signals.minkpp import token_z_scores
from .types import InputError, Sample, TokenScores

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreSpec:
    """Everything `mnemoscope score` does, as data. The CLI builds one from its flags."""

    data: DataConfig
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    signals: tuple[str | Signal, ...] | None = None   # None = loss, zlib, lowercase, min_k, min_k_plus_plus
    reference_model: str | None = None           # adds the `reference` signal
    chunk_size: int = 64                         # samples per written part
    save_tokens: bool = True                     # per-token arrays for the report's heatmap
    bootstrap: int = 1000
    seed: int = 0
    progress: bool = True
    report: bool = True


@dataclass
class ScoreResult:
    run_dir: Path
    rows: Any                      # pandas.DataFrame: id, label?, one column per signal, ...
    summary: dict[str, Any]
    signals: list[str]

    def best_signal(self) -> str | None:
        ranked = [(v["auroc"], k) for k, v in self.summary.items() if v.get("auroc") is not None]
        return max(ranked)[1] if ranked else None

    def table(self) -> str:
        """The short text table the CLI prints."""
        lines = []
        labelled = any(v.get("auroc") is not None for v in self.summary.values())
        if labelled:
            best = self.best_signal()
            lines.append(f"{'signal':<22} {'AUROC':>6}  {'95% CI':<13}  {'TPR@1%FPR':>9}")
            for name in self.signals:
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
        lines.append(f"run: {self.run_dir}")
        return "\n".join(lines)


def _views_needed(signals: Sequence[Signal]) -> set[str]:
    return set().union(*(s.views for s in signals)) if signals else set()


def _check_capabilities(signals: Sequence[Signal], model: Model) -> None:
    for s in signals:
        require(model, s.needs, f"signal {s.column!r}")


def _check_reference(signals: Sequence[Signal], has_reference: bool) -> None:
    if "reference" in _views_needed(signals) and not has_reference:
        raise InputError("signal 'reference' needs a reference model: pass --reference-model PATH "
                         "(a smaller model of the same family, or the base model of a fine-tune).")


def rows_for_chunk(chunk: list[Sample], model: Model, reference: Model | None,
                    signals: Sequence[Signal], save_tokens: bool) -> list[dict[str, Any]]:
    texts = [s.text for s in chunk]
    target = model.score(texts)
    views: dict[str, list[TokenScores]] = {}
    needed = _views_needed(signals)
    if "lowercase" in needed:
        views["lowercase"] = model.score([t.lower() for t in texts])
    if "reference" in needed and reference is not None:
        views["reference"] = reference.score(texts)
    rows = []
    for i, (sample, scores) in enumerate(zip(chunk, target)):
        ctx = Context(text=sample.text, views={k: v[i] for k, v in views.items()})
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
    (see mnemoscope.scale); `open()` loads the models and returns chunk -> rows."""

    model: ModelConfig
    reference: ModelConfig | None
    signals: tuple[Signal, ...]
    save_tokens: bool

    def open(self, model: Model | None = None, reference: Model | None = None):
        model = model or load_model(self.model)
        if reference is None and self.reference is not None:
            reference = load_model(self.reference)
        _check_capabilities(self.signals, model)
        return lambda chunk: rows_for_chunk(chunk, model, reference, self.signals,
                                            self.save_tokens)


def summarize_run(run_dir: Path, signal_columns: Sequence[str], *, resamples: int = 1000,
                  seed: int = 0) -> tuple[Any, dict[str, Any]]:
    rows = read_rows(run_dir, columns=None)
    labels = rows["label"].tolist() if "label" in rows.columns else None
    summary = {c: summarize_signal(labels, rows[c].to_numpy(dtype=float), resamples=resamples,
                                   seed=seed) for c in signal_columns}
    write_summary(run_dir, summary)
    return rows, summary


def _score_identity(spec: ScoreSpec, signals: Sequence[Signal], model_identity: dict[str, Any],
                    reference_identity: dict[str, Any] | None) -> dict[str, Any]:
    """What must match for a run folder to be resumed. Library versions, batch size, device
    and engine are recorded in spec.json but do not block a resume."""
    def strip(identity):
        return None if identity is None else {k: v for k, v in identity.items() if k != "versions"}

    return {
        "kind": "score",
        "model": strip(model_identity),
        "reference_model": strip(reference_identity),
        "data": {"path": str(Path(spec.data.path).resolve()), "hash": data_hash(spec.data.path),
                 "text_column": spec.data.text_column, "label_column": spec.data.label_column,
                 "id_column": spec.data.id_column, "limit": spec.data.limit},
        "signals": [{"name": s.registry_name, "params": s.params(), "column": s.column}
                    for s in signals],
        "save_tokens": spec.save_tokens,
        "seed": spec.seed,
    }


def _open_run(spec: ScoreSpec, signals, model_identity, reference_identity, engine: str):
    extra = {"mnemoscope_version": __version__, "python": platform.python_version(),
             "versions": model_identity.get("versions", {}),
             "runtime": {"batch_size": spec.model.batch_size, "device": spec.model.device,
                         "chunk_size": spec.chunk_size, "engine": engine}}
    return RunWriter(spec.out, _score_identity(spec, signals, model_identity, reference_identity),
                     extra)


def _pending(samples: list[Sample], writer: RunWriter, out: str) -> list[Sample]:
    done = writer.done_ids()
    pending = [s for s in samples if s.id not in done]
    if done:
        log.info("resuming %s: %d of %d samples already scored", out,
                 len(samples) - len(pending), len(samples))
    pending.sort(key=lambda s: len(s.text))       # length buckets across the whole run
    return pending


def run_score(spec: ScoreSpec, *, model: Model | None = None, reference: Model | None = None,
              engine: str = "local", ray_address: str | None = None,
              workers: int = 2) -> ScoreResult:
    """Run (or resume) a membership audit described by `spec`.

    engine="ray" scores on a Ray Data actor pool (`workers` actors, each holding the same
    backend and signals, writing the same run-store parts); see mnemoscope.scale."""
    samples = load_samples(spec.data)
    has_reference = spec.reference_model is not None or reference is not None
    signals = build_signals(spec.signals, reference=has_reference)
    _check_reference(signals, has_reference)
    from .scale.engines import prepare_model, run_chunks

    reference_config = (ModelConfig(**{**asdict(spec.model), "model": spec.reference_model})
                        if spec.reference_model else None)
    needs = [(s.needs, f"signal {s.column!r}") for s in signals]
    model, model_identity, model_config = prepare_model(spec.model, model, engine, needs)
    reference_identity = None
    if reference is not None or reference_config is not None:
        reference, reference_identity, reference_config = prepare_model(
            reference_config, reference, engine, [])
    job = ScoreJob(model_config, reference_config, tuple(signals), spec.save_tokens)
    writer = _open_run(spec, signals, model_identity, reference_identity, engine)
    pending = _pending(samples, writer, spec.out)
    run_chunks(writer, job, list(chunked(pending, spec.chunk_size)), engine=engine,
               make_rows=job.open(model, reference) if engine == "local" else None,
               workers=workers, address=ray_address, total=len(samples),
               already_done=len(samples) - len(pending), desc="scoring", progress=spec.progress)

    columns = [s.column for s in signals]
    rows, summary = summarize_run(Path(spec.out), columns, resamples=spec.bootstrap, seed=spec.seed)
    result = ScoreResult(Path(spec.out), rows, summary, columns)
    if spec.report:
        _write_report(Path(spec.out))
    return result


def _write_report(run_dir: Path) -> None:
    try:
        from .report import write_report
    except ImportError:
        return
    write_report(run_dir)


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
    out = out or str(Path("runs") / f"{Path(data).stem}-{Path(model_name).name}")
    from .signals import split_specs

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
