"""The extraction audit (`mnemoscope extract`): data + model -> a resumable run.

Same shape as the membership audit: validate, open or resume the run, process pending
samples in chunks written as they finish, then summarize from disk. Per-sample rows hold
the greedy measures, the sampled-extraction outcome and the PII recovered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from ..data import DataConfig, data_identity, load_samples
from ..models import Model, ModelConfig, load_model, require
from ..runs import RunWriter, default_out
from ..types import Capabilities, InputError, Sample
from .discoverable import DiscoverableConfig, add_sampled, greedy_rows
from .summary import summarize_extraction


@dataclass(frozen=True)
class ExtractSpec:
    """Everything `mnemoscope extract` does, as data."""

    data: DataConfig
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    extraction: DiscoverableConfig = field(default_factory=DiscoverableConfig)
    pii: bool = True
    chunk_size: int = 32          # samples per written part
    progress: bool = True


@dataclass
class ExtractResult:
    run_dir: Path
    rows: Any                     # pandas.DataFrame, one row per sample
    summary: dict[str, Any]

    def table(self) -> str:
        lines = [f"{'group':<12} {'exact':>7} {'approx':>7} {'sampled@N':>9} {'PII recovered':>13}"]

        def show(value):
            return "    n/a" if value is None else f"{value:7.3f}"

        for group in self.summary["exact_match_rate"]:
            lines.append(f"{group:<12} {show(self.summary['exact_match_rate'][group])} "
                         f"{show(self.summary['approx_match_rate'][group])} "
                         f"{show(self.summary['sampled_recall_at_n'][group]):>9} "
                         f"{show(self.summary['pii_recovery_rate'][group]):>13}")
        lines.append(f"run: {self.run_dir}")
        return "\n".join(lines)


def extraction_rows(chunk: Sequence[Sample], model: Model, spec: ExtractSpec) -> list[dict[str, Any]]:
    rows = greedy_rows(chunk, model, spec.extraction)
    add_sampled(rows, chunk, model, spec.extraction)
    if spec.pii:
        from .pii_recovery import add_pii_recovery

        add_pii_recovery(rows, chunk, model)
    return rows


@dataclass(frozen=True)
class ExtractJob:
    """The per-chunk work of an extract run as plain configs, so a Ray worker can rebuild
    it (see mnemoscope.scale); `open()` loads the model and returns chunk -> rows."""

    spec: ExtractSpec

    def open(self, model: Model | None = None):
        model = model or load_model(self.spec.model)
        require(model, Capabilities.GENERATE, "extraction")
        if not hasattr(model, "generate_tokens"):
            raise InputError(f"extraction needs token-level generation, which backend "
                             f"{model.name!r} does not offer; use the Hugging Face backend.")
        return lambda chunk: extraction_rows(chunk, model, self.spec)


def run_extract(spec: ExtractSpec, *, model: Model | None = None, engine: str = "local",
                workers: int = 2, ray_address: str | None = None) -> ExtractResult:
    """Run (or resume) an extraction audit described by `spec`. engine="ray" generates on a
    Ray Data actor pool (`workers` actors, each holding the model) with the same rows."""
    from ..scale.engines import prepare_model

    samples = load_samples(spec.data)
    model, identity, model_config = prepare_model(spec.model, model, engine,
                                                  [(Capabilities.GENERATE, "extraction")])
    job = ExtractJob(replace(spec, model=model_config))
    run = RunWriter.open(spec.out, "extract",
                         {"data": data_identity(spec.data),
                          "extraction": asdict(spec.extraction), "pii": spec.pii},
                         model=identity,
                         runtime={"batch_size": spec.model.batch_size,
                                  "chunk_size": spec.chunk_size, "engine": engine})
    pending = run.pending(samples)
    run.process(pending, job, chunk_size=spec.chunk_size,
                make_rows=job.open(model) if model is not None else None, total=len(samples),
                desc="extracting", unit="text", progress=spec.progress, engine=engine,
                workers=workers, address=ray_address)
    rows = run.rows()
    summary = summarize_extraction(rows)
    summary["config"] = asdict(spec.extraction)
    run.finish(summary, report=False)
    return ExtractResult(Path(spec.out), rows, summary)


def extract(data: str, *, model: "str | Model" = "smollm2-135m", out: str | None = None,
            text_column: str = "text", label_column: str | None = None,
            id_column: str | None = None, batch_size: int = 8, device: str = "auto",
            pii: bool = True, progress: bool = True, chunk_size: int = 32,
            engine: str = "local", workers: int = 2, ray_address: str | None = None,
            **extraction: Any) -> ExtractResult:
    """Python API: the same as `mnemoscope extract`. `extraction` takes the fields of
    DiscoverableConfig (prefix_tokens, suffix_tokens, samples, top_k, ...)."""
    model_name = model if isinstance(model, str) else model.name
    out = out or default_out(str(data), model_name, "extract")
    spec = ExtractSpec(data=DataConfig(path=str(data), text_column=text_column,
                                       label_column=label_column, id_column=id_column),
                       out=out, model=ModelConfig(model=model_name, batch_size=batch_size,
                                                  device=device),
                       extraction=DiscoverableConfig(**extraction), pii=pii,
                       chunk_size=chunk_size, progress=progress)
    return run_extract(spec, model=None if isinstance(model, str) else model, engine=engine,
                       workers=workers, ray_address=ray_address)
