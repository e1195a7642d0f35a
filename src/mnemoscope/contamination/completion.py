"""`mnemoscope contamination completion`: can the model finish a benchmark item from its
first 40 / 60 / 80 % (Wu et al. 2025)? The formulas are in prefix.py.

Per item, the prefixes at every ratio are continued greedily in one call (so an item's rows
depend on nothing but the item), with a budget of the longest remainder's token count plus
`slack_tokens`, capped at `max_new_tokens`. The prompt is the raw prefix (no chat template:
the test asks whether the model continues the text it saw).

    summary.json  rouge_l and exact_match per ratio (means over evaluable items), evaluable
                  counts, by_label (when labelled), config
    parts/        one row per (item, ratio): id "<item id>@<ratio>", item_id, ratio, prefix,
                  remainder, prediction, compared words, target, rouge_l, exact_match
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..data import DataConfig
from ..models import Model, ModelConfig
from ..types import InputError, Sample


@dataclass(frozen=True)
class CompletionConfig:
    ratios: tuple[float, ...] = (0.4, 0.6, 0.8)
    max_new_tokens: int = 256         # cap on the per-item budget
    slack_tokens: int = 8             # budget = longest remainder in tokens + this
    stem: bool = True                 # Porter stemming in ROUGE-L, as Wu et al.

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratios", tuple(float(r) for r in self.ratios))
        if not self.ratios or any(not 0 < r < 1 for r in self.ratios):
            raise InputError(f"ratios {list(self.ratios)} must be between 0 and 1 (exclusive)")
        if len(set(self.ratios)) != len(self.ratios):
            raise InputError(f"ratios {list(self.ratios)} repeat a value")
        if self.max_new_tokens < 1 or self.slack_tokens < 0:
            raise InputError("max_new_tokens must be >= 1 and slack_tokens >= 0")


def ratio_key(ratio: float) -> str:
    return f"{ratio:g}"


def row_id(item_id: str, ratio: float) -> str:
    return f"{item_id}@{ratio_key(ratio)}"


@dataclass(frozen=True)
class CompletionSpec:
    data: DataConfig
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    completion: CompletionConfig = field(default_factory=CompletionConfig)
    chunk_size: int = 16
    progress: bool = True
    report: bool = True


@dataclass
class CompletionResult:
    run_dir: Path
    rows: Any
    summary: dict[str, Any]

    def table(self) -> str:
        s = self.summary
        lines = [f"{'ratio':>6} {'items':>6} {'ROUGE-L':>8} {'exact':>7}"]
        for key in s["rouge_l"]:
            rouge, exact = s["rouge_l"][key], s["exact_match"][key]
            show = (lambda v: "    n/a" if v is None else f"{v:7.3f}")
            lines.append(f"{key:>6} {s['evaluable'][key]:>6} {show(rouge):>8} {show(exact)}")
        lines.append(f"run: {self.run_dir}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- rows
def _budget(model: Model, remainders: Sequence[str], config: CompletionConfig) -> int:
    encode = getattr(model, "encode", None)
    if encode is None:     # no tokenizer exposed: about two tokens per word
        longest = max(2 * len(r.split()) for r in remainders)
    else:
        longest = max(len(encode(r)) for r in remainders)
    return max(1, min(config.max_new_tokens, longest + config.slack_tokens))


def _predict(model: Model, chunk: Sequence[Sample], plans) -> list[dict[float, str]]:
    """Each item's greedy completion of each usable cut, by ratio."""
    predictions: list[dict[float, str]] = [{} for _ in chunk]
    jobs = [(index, ratio, sample.text[:cuts[ratio]], budget)
            for index, (sample, (cuts, usable, budget)) in enumerate(zip(chunk, plans))
            for ratio in usable]
    if getattr(model, "per_prompt_seeds", False):
        groups: dict[int, list] = {}
        for job in jobs:
            groups.setdefault(job[3], []).append(job)
        calls = sorted(groups.items())
    else:                                   # one call per item, as before
        calls = []
        for index in range(len(chunk)):
            mine = [job for job in jobs if job[0] == index]
            if mine:
                calls.append((mine[0][3], mine))
    for budget, group in calls:
        outputs = model.generate([job[2] for job in group], max_new_tokens=budget,
                                 temperature=0.0)
        for (index, ratio, _, _), out in zip(group, outputs):
            predictions[index][ratio] = out[0]
    return predictions


def rows_for_chunk(chunk: Sequence[Sample], model: Model,
                   config: CompletionConfig) -> list[dict[str, Any]]:
    """One row per (item, ratio). Greedy: pure given the weights. A backend that batches
    generation (per_prompt_seeds) gets one call per token budget for the whole chunk;
    greedy tokens depend on the batch only through float noise (models/batched_generate.py)."""
    from .prefix import cut_point, score_completion

    rows = []
    plans = []
    for sample in chunk:
        cuts = {ratio: cut_point(sample.text, ratio) for ratio in config.ratios}
        usable = [r for r in config.ratios
                  if sample.text[:cuts[r]].strip() and sample.text[cuts[r]:].split()]
        budget = _budget(model, [sample.text[cuts[r]:] for r in usable], config) \
            if usable else 0
        plans.append((cuts, usable, budget))
    all_predictions = _predict(model, chunk, plans)
    for sample, (cuts, usable, budget), predictions in zip(chunk, plans, all_predictions):
        for ratio in config.ratios:
            prefix, remainder = sample.text[:cuts[ratio]], sample.text[cuts[ratio]:]
            row: dict[str, Any] = {"id": row_id(sample.id, ratio), "item_id": sample.id}
            if sample.label is not None:
                row["label"] = sample.label
            prediction = predictions.get(ratio, "")
            scored = score_completion(remainder, prediction, config.stem)
            row.update(ratio=ratio, evaluable=ratio in predictions, cut_char=cuts[ratio],
                       prefix=prefix, remainder=remainder, prediction=prediction,
                       remainder_words=len(remainder.split()),
                       prediction_words=len(prediction.split()),
                       compared_words=scored.compared_words, target=scored.target,
                       rouge_l=scored.rouge_l, exact_match=scored.exact_match)
            rows.append(row)
    return rows


# ---------------------------------------------------------------------------- summary
def _per_ratio(rows, ratios: Sequence[float]) -> dict[str, dict[str, Any]]:
    rouge, exact, counts = {}, {}, {}
    for ratio in ratios:
        key = ratio_key(ratio)
        at = rows[(rows["ratio"] == ratio) & rows["evaluable"]] if len(rows) else rows
        counts[key] = int(len(at))
        rouge[key] = float(at["rouge_l"].mean()) if len(at) else None
        exact[key] = float(at["exact_match"].mean()) if len(at) else None
    return {"rouge_l": rouge, "exact_match": exact, "evaluable": counts}


def summarize_completion(rows, config: CompletionConfig) -> dict[str, Any]:
    summary: dict[str, Any] = _per_ratio(rows, config.ratios)
    summary["n_items"] = int(rows["item_id"].nunique()) if len(rows) else 0
    if "label" in rows.columns:
        summary["by_label"] = {
            name: _per_ratio(rows[rows["label"] == value], config.ratios)
            for name, value in (("member", 1), ("non_member", 0))
            if (rows["label"] == value).any()}
    summary["config"] = asdict(config)
    return summary


# ---------------------------------------------------------------------------- run
@dataclass(frozen=True)
class CompletionJob:
    """The per-chunk work of a completion run as plain configs (a Ray worker rebuilds it)."""

    model: ModelConfig
    completion: CompletionConfig

    def open(self, model: Model | None = None):
        from ..models import load_model

        model = model or load_model(self.model)
        return lambda chunk: rows_for_chunk(chunk, model, self.completion)


def run_completion(spec: CompletionSpec, *, model: Model | None = None, engine: str = "local",
                   workers: int = 2, ray_address: str | None = None) -> CompletionResult:
    """Run (or resume) a partial-prompt completion audit described by `spec`. engine="ray"
    generates on a Ray Data actor pool (`workers` actors) with the same rows."""
    from ..data import data_identity, load_samples
    from ..runs import RunWriter
    from ..scale.engines import prepare_model
    from ..types import Capabilities

    samples = load_samples(spec.data)
    model, model_identity, model_config = prepare_model(
        spec.model, model, engine, [(Capabilities.GENERATE, "partial-prompt completion")])
    job = CompletionJob(model_config, spec.completion)
    run = RunWriter.open(spec.out, "completion",
                         {"data": data_identity(spec.data), "completion": asdict(spec.completion)},
                         model=model_identity,
                         runtime={"batch_size": spec.model.batch_size,
                                  "chunk_size": spec.chunk_size, "engine": engine})
    ratios = spec.completion.ratios
    pending = run.pending(samples, row_ids=lambda s: [row_id(s.id, r) for r in ratios])
    run.process(pending, job, chunk_size=spec.chunk_size,
                make_rows=job.open(model) if model is not None else None, total=len(samples),
                desc="completion", progress=spec.progress, engine=engine, workers=workers,
                address=ray_address)
    rows = run.rows()
    summary = run.finish(summarize_completion(rows, spec.completion), report=spec.report)
    return CompletionResult(Path(spec.out), rows, summary)


def partial_completion(data: str, *, model: "str | Model" = "smollm2-135m",
                       out: str | None = None, text_column: str = "text",
                       label_column: str | None = None, id_column: str | None = None,
                       batch_size: int = 8, device: str = "auto", chunk_size: int = 16,
                       progress: bool = True, report: bool = True, engine: str = "local",
                       workers: int = 2, ray_address: str | None = None,
                       **config: Any) -> CompletionResult:
    """Python API: the same as `mnemoscope contamination completion`. `config` takes the
    fields of CompletionConfig (ratios, max_new_tokens, slack_tokens, stem)."""
    model_name = model if isinstance(model, str) else model.name
    out = out or str(Path("runs") / f"completion-{Path(data).stem}-{Path(model_name).name}")
    spec = CompletionSpec(data=DataConfig(path=str(data), text_column=text_column,
                                          label_column=label_column, id_column=id_column),
                          out=out, model=ModelConfig(model=model_name, batch_size=batch_size,
                                                     device=device),
                          completion=CompletionConfig(**config), chunk_size=chunk_size,
                          progress=progress, report=report)
    return run_completion(spec, model=None if isinstance(model, str) else model,
                          engine=engine, workers=workers, ray_address=ray_address)
