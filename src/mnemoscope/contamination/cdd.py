"""`mnemoscope contamination cdd`: CDD peakedness and TED accuracy on a benchmark.

Per item: one greedy output and n samples at temperature T (one batched call of n
sequences, seeded from (seed, item id), so rows do not depend on chunking, order, resumes
or which worker computes them). The formulas are in peakedness.py; this module runs the
model, writes one row per item and summarises:

    summary.json  flagged_rate, flagged_rate_ci, mean_peakedness, n_items, by_label (when
                  the items are labelled), ted (when they have answers), config
    parts/        one row per item: distances, longest, peakedness, flagged, greedy and
                  sampled texts, and with answers greedy_correct, sample_accuracy,
                  ted_accuracy, ted_kept

Prompts are the item text as is (a raw continuation, as the lab fine-tunes); with
chat_template=True the text is sent as a user message through the tokenizer's template.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..data import DataConfig
from ..models import Model, ModelConfig
from ..types import Capabilities, CapabilityError, InputError, Sample
from .peakedness import PRESETS

CHECKERS_HELP = "exact, numeric, auto (numeric when every answer is a number), or module:function"


@dataclass(frozen=True)
class CDDConfig:
    samples: int = 50                 # n sampled outputs per prompt
    temperature: float = 0.8
    max_new_tokens: int = 100
    compare_tokens: int = 100         # distances over the first this many tokens
    alpha: float = 0.05
    xi: float = 0.01
    tau: int = 2                      # TED: samples within tau tokens of greedy are dropped
    checker: str = "auto"             # see answers.py
    answer_column: str | None = "answer"
    chat_template: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if self.samples < 1 or self.max_new_tokens < 1 or self.compare_tokens < 1:
            raise InputError("samples, max_new_tokens and compare_tokens must be at least 1")
        if self.temperature <= 0:
            raise InputError(f"temperature {self.temperature} must be > 0 (CDD compares "
                             "sampled outputs with the greedy one)")
        if self.alpha < 0 or not 0 <= self.xi < 1 or self.tau < 0:
            raise InputError("alpha and tau must be >= 0 and xi in [0, 1)")

    @classmethod
    def preset(cls, name: str, **fields: Any) -> "CDDConfig":
        """A config with the alpha and xi of a preset (`default` or `real-world`); fields
        passed explicitly win."""
        if name not in PRESETS:
            raise InputError(f"unknown CDD preset {name!r}; use {' or '.join(PRESETS)}")
        alpha, xi = PRESETS[name]
        return cls(**{"alpha": alpha, "xi": xi, **fields})


@dataclass(frozen=True)
class CDDSpec:
    """Everything `mnemoscope contamination cdd` does, as data."""

    data: DataConfig
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    cdd: CDDConfig = field(default_factory=CDDConfig)
    chunk_size: int = 8               # items per written part
    progress: bool = True
    report: bool = True


@dataclass
class CDDResult:
    run_dir: Path
    rows: Any                         # pandas.DataFrame, one row per item
    summary: dict[str, Any]

    def table(self) -> str:
        s = self.summary
        lines = [f"{'group':<12} {'items':>6} {'flagged':>8} {'mean peak':>10}"]
        groups = [("all", s)] + list((s.get("by_label") or {}).items())
        for name, g in groups:
            lines.append(f"{name:<12} {g['n_items']:>6} {g['flagged_rate']:8.3f} "
                         f"{g['mean_peakedness']:10.3f}")
        if s.get("empty_greedy_share"):
            lines.append(f"warning: {s['empty_greedy_share']:.0%} of greedy outputs are empty; "
                         "an instruct model may need --chat-template")
        ted = s.get("ted")
        if ted:
            lines.append(f"TED ({ted['checker']}): original accuracy {ted['original_accuracy']:.3f} "
                         f"(greedy {ted['greedy_accuracy']:.3f}) -> corrected "
                         f"{ted['corrected_accuracy']:.3f}")
        lines.append(f"run: {self.run_dir}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- rows
def _prompt(model: Model, sample: Sample, config: CDDConfig) -> str:
    if not config.chat_template:
        return sample.text
    from ..benchmarks.prompting import render_chat

    return render_chat(model, [{"role": "user", "content": sample.text}])


def _outputs(model: Model, prompt: str, config: CDDConfig,
             seed: int) -> tuple[list[int], list[list[int]], str, list[str]]:
    """(greedy ids, sample ids, greedy text, sample texts). Token ids come straight from a
    backend that generates tokens; otherwise the texts are re-encoded with its tokenizer."""
    if hasattr(model, "generate_tokens"):
        ids = model.encode(prompt)
        greedy = model.generate_tokens([ids], max_new_tokens=config.max_new_tokens,
                                       temperature=0.0)[0][0]
        samples = model.generate_tokens([ids], max_new_tokens=config.max_new_tokens,
                                        n=config.samples, temperature=config.temperature,
                                        seed=seed)[0]
        return greedy, samples, model.decode(greedy), [model.decode(s) for s in samples]
    greedy_text = model.generate([prompt], max_new_tokens=config.max_new_tokens)[0][0]
    texts = model.generate([prompt], max_new_tokens=config.max_new_tokens, n=config.samples,
                           temperature=config.temperature, seed=seed)[0]
    return model.encode(greedy_text), [model.encode(t) for t in texts], greedy_text, list(texts)


def _batched_outputs(model: Model, prompts: list[str], config: CDDConfig,
                     seeds: list[int]) -> list[tuple[list[int], list[list[int]], str, list[str]]]:
    """_outputs of every prompt, from two batched calls (greedy, then all samples with one
    seed per prompt): the same tokens as one call per prompt (models/batched_generate.py)."""
    ids = [model.encode(prompt) for prompt in prompts]
    greedy = model.generate_tokens(ids, max_new_tokens=config.max_new_tokens, temperature=0.0)
    samples = model.generate_tokens(ids, max_new_tokens=config.max_new_tokens,
                                    n=config.samples, temperature=config.temperature,
                                    seeds=seeds)
    return [(g[0], drawn, model.decode(g[0]), [model.decode(x) for x in drawn])
            for g, drawn in zip(greedy, samples)]


def _check_backend(model: Model) -> None:
    from .items import require_generation

    require_generation(model, "CDD")
    if not hasattr(model, "generate_tokens") and not hasattr(model, "encode"):
        raise CapabilityError(f"CDD compares token ids, and backend {model.name!r} neither "
                              "generates tokens nor exposes its tokenizer. Use a backend that "
                              "does (Hugging Face, vLLM).")


def rows_for_chunk(chunk: Sequence[Sample], model: Model,
                   config: CDDConfig) -> list[dict[str, Any]]:
    """One row per item. Pure given the model weights: the samples of an item are seeded
    from (config.seed, item id), so any worker computing any chunk gives the same rows.
    Answers are read from each item's `config.answer_column`; TED columns appear when the
    items have one (run_cdd checks that all or none do, and resolves checker="auto")."""
    from ..extraction.discoverable import sample_seed
    from .peakedness import flagged, peakedness, sample_distances, ted_scores

    column = config.answer_column
    answers = {s.id: str(s.meta[column]) for s in chunk
               if column and s.meta.get(column) is not None}
    checker = _checker(config, answers) if answers else None
    rows = []
    prompts = [_prompt(model, sample, config) for sample in chunk]
    seeds = [sample_seed(config.seed, sample.id) for sample in chunk]
    batched = _batched_outputs(model, prompts, config, seeds) \
        if getattr(model, "per_prompt_seeds", False) else None
    for index, sample in enumerate(chunk):
        greedy, samples, greedy_text, sample_texts = batched[index] if batched is not None \
            else _outputs(model, prompts[index], config, seeds[index])
        distances, longest = sample_distances(greedy, samples, config.compare_tokens)
        peak = peakedness(distances, longest, config.alpha)
        row: dict[str, Any] = {"id": sample.id}
        if sample.label is not None:
            row["label"] = sample.label
        row.update(n_samples=len(samples), greedy_tokens=len(greedy),
                   sample_tokens=[len(s) for s in samples], distances=distances,
                   longest=longest, threshold=config.alpha * longest, peakedness=peak,
                   flagged=flagged(peak, config.xi), greedy_text=greedy_text,
                   sample_texts=sample_texts)
        if checker is not None and sample.id in answers:
            answer = answers[sample.id]
            correctness = [checker(text, answer) for text in sample_texts]
            ted = ted_scores(samples, distances, correctness, config.tau)
            row.update(answer=answer, greedy_correct=checker(greedy_text, answer),
                       sample_accuracy=ted.original, ted_accuracy=ted.corrected,
                       ted_kept=ted.kept, ted_removed_near_greedy=ted.removed_near_greedy,
                       ted_removed_duplicates=ted.removed_duplicates)
        rows.append(row)
    return rows


def _checker(config: CDDConfig, answers: dict[str, str]):
    from .answers import load_checker

    return load_checker(_resolve_checker(config, answers).checker)


# ---------------------------------------------------------------------------- summary
def _group_summary(rows) -> dict[str, Any]:
    from ..metrics import clopper_pearson

    n = int(len(rows))
    flags = int(rows["flagged"].sum()) if n else 0
    # an empty greedy output with empty samples is "peaked" too: a model that ends its turn at
    # once (an instruct model given a raw prompt) is flagged for saying nothing; see the docs
    return {"n_items": n, "flagged_rate": flags / n if n else None,
            "flagged_rate_ci": list(clopper_pearson(flags, n)) if n else None,
            "mean_peakedness": float(rows["peakedness"].mean()) if n else None,
            "empty_greedy_share": float((rows["greedy_tokens"] == 0).mean()) if n else None}


def _ted_summary(rows, config: CDDConfig) -> dict[str, Any]:
    n_samples = int(rows["n_samples"].sum())
    removed = int(rows["ted_removed_near_greedy"].sum() + rows["ted_removed_duplicates"].sum())
    return {"checker": config.checker, "tau": config.tau,
            "original_accuracy": float(rows["sample_accuracy"].mean()),
            "corrected_accuracy": float(rows["ted_accuracy"].mean()),
            "greedy_accuracy": float(rows["greedy_correct"].mean()),
            "samples_removed_share": removed / n_samples if n_samples else None,
            "items_with_nothing_kept": int((rows["ted_kept"] == 0).sum())}


def summarize_cdd(rows, config: CDDConfig) -> dict[str, Any]:
    summary = _group_summary(rows)
    has_ted = "sample_accuracy" in rows.columns
    groups = {}
    if "label" in rows.columns:
        groups = {"member": rows[rows["label"] == 1], "non_member": rows[rows["label"] == 0]}
        summary["by_label"] = {name: _group_summary(g) for name, g in groups.items() if len(g)}
    summary["ted"] = _ted_summary(rows, config) if has_ted else None
    if has_ted and groups:
        summary["ted_by_label"] = {name: _ted_summary(g, config)
                                   for name, g in groups.items() if len(g)}
    summary["config"] = asdict(config)
    return summary


# ---------------------------------------------------------------------------- run
def _resolve_checker(config: CDDConfig, answers: dict[str, str] | None) -> CDDConfig:
    from dataclasses import replace

    from ..benchmarks.arith_parse import ParseError, parse_number
    from .answers import check_answers

    if not answers:
        return config
    checker = config.checker
    if checker == "auto":
        try:
            for answer in answers.values():
                parse_number(answer)
            checker = "numeric"
        except ParseError:
            checker = "exact"
    check_answers(checker, answers)
    return replace(config, checker=checker)


@dataclass(frozen=True)
class CDDJob:
    """The per-chunk work of a CDD run as plain configs (a Ray worker rebuilds it)."""

    model: ModelConfig
    cdd: CDDConfig

    def open(self, model: Model | None = None):
        from ..models import load_model

        model = model or load_model(self.model)
        _check_backend(model)
        return lambda chunk: rows_for_chunk(chunk, model, self.cdd)


def run_cdd(spec: CDDSpec, *, model: Model | None = None, engine: str = "local",
            workers: int = 2, ray_address: str | None = None) -> CDDResult:
    """Run (or resume) a CDD/TED audit described by `spec`. engine="ray" samples on a Ray
    Data actor pool (`workers` actors, each holding the model) with the same rows."""
    from ..data import data_identity
    from ..runs import RunWriter
    from ..scale.engines import prepare_model
    from .items import load_items

    explicit_answers = spec.cdd.answer_column not in (None, "answer")
    samples, answers = load_items(spec.data, spec.cdd.answer_column, explicit_answers)
    config = _resolve_checker(spec.cdd, answers)
    model, model_identity, model_config = prepare_model(
        spec.model, model, engine, [(Capabilities.GENERATE, "CDD")])
    job = CDDJob(model_config, config)
    run = RunWriter.open(spec.out, "cdd", {"data": data_identity(spec.data), "cdd": asdict(config),
                                           "has_answers": answers is not None},
                         model=model_identity,
                         runtime={"batch_size": spec.model.batch_size,
                                  "chunk_size": spec.chunk_size, "engine": engine})
    run.process(run.pending(samples), job, chunk_size=spec.chunk_size,
                make_rows=job.open(model) if model is not None else None, total=len(samples),
                desc="CDD", progress=spec.progress, engine=engine, workers=workers,
                address=ray_address)
    rows = run.rows()
    summary = run.finish(summarize_cdd(rows, config), report=spec.report)
    return CDDResult(Path(spec.out), rows, summary)


def cdd(data: str, *, model: "str | Model" = "smollm2-135m", out: str | None = None,
        text_column: str = "text", label_column: str | None = None,
        id_column: str | None = None, preset: str = "default", batch_size: int = 8,
        device: str = "auto", chunk_size: int = 8, progress: bool = True, report: bool = True,
        engine: str = "local", workers: int = 2, ray_address: str | None = None,
        **config: Any) -> CDDResult:
    """Python API: the same as `mnemoscope contamination cdd`. `config` takes the fields of
    CDDConfig (samples, temperature, max_new_tokens, alpha, xi, tau, checker, ...)."""
    model_name = model if isinstance(model, str) else model.name
    out = out or str(Path("runs") / f"cdd-{Path(data).stem}-{Path(model_name).name}")
    spec = CDDSpec(data=DataConfig(path=str(data), text_column=text_column,
                                   label_column=label_column, id_column=id_column),
                   out=out, model=ModelConfig(model=model_name, batch_size=batch_size,
                                              device=device),
                   cdd=CDDConfig.preset(preset, **config), chunk_size=chunk_size,
                   progress=progress, report=report)
    return run_cdd(spec, model=None if isinstance(model, str) else model, engine=engine,
                   workers=workers, ray_address=ray_address)
