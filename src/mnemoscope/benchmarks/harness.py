"""`mnemoscope bench eval`: one model, one items file -> a resumable run of graded answers.

The audit shape of membership.py: validate first (items, kinds), open or resume the run,
answer what is not done yet in chunks that are written as soon as they finish, then
summarise from the rows on disk. Decoding is greedy, so a run is reproducible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..models import Model, ModelConfig, load_model, require
from ..runs import RunWriter, write_chunks
from ..types import Capabilities, InputError
from .base import benchmarks
from .items import BenchItem, items_hash, read_items
from .prompting import has_chat_template, render_chat
from .summary import summarize_rows

log = logging.getLogger(__name__)

# Every row has every column, with "" or NaN (never None) where a value does not apply: a part
# whose column is all None gets Arrow's null type, and then `pandas.read_parquet(run/"parts")`
# cannot merge it with parts where the column holds strings or numbers.
ROW_DEFAULTS: dict[str, Any] = {"source_id": "", "parsed": "", "tests_used": float("nan"),
                                "points": float("nan"), "guess_error": ""}


@dataclass(frozen=True)
class EvalSpec:
    """Everything `mnemoscope bench eval` does, as data."""

    items: str
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    max_new_tokens: int | None = None   # None: each kind's default (kk 256, randomcalc 192, ...)
    chat_template: bool = True          # use the tokenizer's chat template when it has one
    chunk_size: int = 32                # items per written part
    progress: bool = True
    report: bool = True


@dataclass
class EvalResult:
    run_dir: Path
    summary: dict[str, Any]

    def table(self) -> str:
        lines = [f"{'kind':<11} {'task':<19} {'level':>5} {'split':<5} {'perturbation':<12} "
                 f"{'n':>5} {'acc':>6} {'score':>6}"]
        for row in self.summary["by_task_level"]:
            lines.append(f"{row['kind']:<11} {row['task']:<19} {row['level']:>5} "
                         f"{row['split']:<5} {row['perturbation']:<12} {row['n']:>5} "
                         f"{row['accuracy']:6.3f} {row['mean_score']:6.3f}")
        gap = self.summary.get("complexity")
        if gap:
            shown = ", ".join(f"L{k}: {v:.3f}" for k, v in gap["gap"].items())
            lines.append(f"ID - OOD gap by level: {shown}; critical complexity: "
                         f"{gap['critical_complexity'] or 'none (no positive gap)'}")
        lines.append(f"accuracy {self.summary['accuracy']:.3f} on {self.summary['n_items']} "
                     f"items; run: {self.run_dir}")
        return "\n".join(lines)


def _max_tokens(spec: EvalSpec, kind: str) -> int:
    return spec.max_new_tokens or benchmarks.get(kind).max_new_tokens


def _row(item: BenchItem, grade, output: str, extra: dict[str, Any] | None = None) -> dict:
    row = dict(ROW_DEFAULTS)
    row.update(id=item.id, kind=item.kind, task=item.task, level=int(item.level),
               split=item.split, perturbation=item.perturbation,
               source_id=item.source_id or "", score=float(grade.score),
               correct=bool(grade.correct), parsed=grade.parsed or "", output=output)
    row.update({k: (ROW_DEFAULTS[k] if v is None else v) for k, v in (extra or {}).items()})
    return row


def answer_chunk(model: Model, items: Sequence[BenchItem], spec: EvalSpec) -> list[dict]:
    """Rows for one chunk of items of one kind (generate, then grade)."""
    kind = items[0].kind
    benchmark = benchmarks.get(kind)()
    budget = _max_tokens(spec, kind)
    if benchmark.interactive:
        def respond(chats):
            prompts = [render_chat(model, chat, spec.chat_template) for chat in chats]
            return [o[0] for o in model.generate(prompts, max_new_tokens=budget)]

        played = benchmark.play(items, respond)
        return [_row(item, grade, extra.pop("transcript"), extra)
                for item, (grade, extra) in zip(items, played)]
    prompts = [render_chat(model, [{"role": "user", "content": i.prompt}], spec.chat_template)
               for i in items]
    outputs = [o[0] for o in model.generate(prompts, max_new_tokens=budget)]
    return [_row(item, benchmark.grade(item, out), out) for item, out in zip(items, outputs)]


def _validate(items: list[BenchItem], path: str) -> None:
    known = set(benchmarks.names())
    unknown = sorted({i.kind for i in items} - known)
    if unknown:
        raise InputError(f"{path}: unknown benchmark kind(s) {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(known))}")


def run_eval(spec: EvalSpec, *, model: Model | None = None) -> EvalResult:
    """Run (or resume) a benchmark evaluation described by `spec`."""
    items = read_items(spec.items)
    _validate(items, spec.items)
    model = model or load_model(spec.model)
    require(model, Capabilities.GENERATE, "bench eval")
    run = RunWriter.open(spec.out, "bench", {
        "items": {"path": str(Path(spec.items).resolve()), "hash": items_hash(items)},
        "max_new_tokens": spec.max_new_tokens, "decoding": "greedy",
        "chat_template": spec.chat_template and has_chat_template(model)},
        model=model.identity(),
        runtime={"chunk_size": spec.chunk_size, "device": spec.model.device})
    # one kind per chunk (budgets differ); shorter prompts together (less padding)
    pending = run.pending(items, sort_key=lambda i: (i.kind, len(i.prompt)))
    write_chunks(run, _chunks_of_one_kind(pending, spec.chunk_size),
                 lambda chunk: answer_chunk(model, chunk, spec), total=len(items),
                 already_done=len(items) - len(pending), desc="answering", unit="item",
                 progress=spec.progress)
    summary = run.finish(summarize_rows(run.rows()), report=spec.report)
    return EvalResult(Path(spec.out), summary)


def _chunks_of_one_kind(pending: list, size: int):
    """Up to `size` consecutive items, never mixing kinds (their answer budgets differ)."""
    start = 0
    while start < len(pending):
        kind = pending[start].kind
        chunk = [i for i in pending[start:start + size] if i.kind == kind]
        yield chunk
        start += len(chunk)
