"""`mnemoscope knowledge inject FACTS --out DIR`: fine-tune on the facts' sentences and probe
what the model learned after every epoch.

    DIR/spec.json             identity: the facts' hash, the training recipe, --paraphrases
    DIR/parts/*.parquet       one row per probe per epoch (epoch 0 = the base model)
    DIR/training_curve.json   loss per optimiser step
    DIR/membership_data.jsonl the training facts' sentences (label 1) and the held-out
                              facts' sentences (label 0)
    DIR/membership/           a `score` run of the fine-tuned model on that file
    DIR/summary.json          accuracy per probe per epoch with CIs, gaps, locality,
                              membership (summary.py)

Resuming: rows of an epoch already on disk are not recomputed. Weights are not saved per
epoch (a 135M model is 0.5 GB in float32); a resumed run trains again from the base model
with the same seed, which on the same machine reproduces the same weights (the trainer's
shuffle has its own seeded generator and the model has no dropout), and evaluates only the
epochs that are missing; training stops after the last epoch that still needs rows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..lab.config import TrainConfig
from ..models import ModelConfig
from ..runs import RunWriter, read_json, write_json_atomic, write_text_atomic
from ..types import InputError
from .answering import answer
from .facts import facts_hash, read_facts
from .general import GENERAL
from .grading import CHOICE_FORMATS
from .summary import summarize

log = logging.getLogger(__name__)
MEMBERSHIP_SIGNALS = ("loss", "zlib", "min_k", "min_k_plus_plus", "reference")


@dataclass(frozen=True)
class InjectSpec:
    """Everything `mnemoscope knowledge inject` does, as data."""

    facts: str
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    paraphrases: int = 0           # extra training sentences per fact (the first K)
    max_new_tokens: int = 6        # an answer is a name of 2-5 tokens
    general: bool = True           # the general-knowledge locality prompts (general.py)
    membership: bool = True        # score training vs held-out sentences after training
    chunk_size: int = 256          # probes per written part
    bootstrap: int = 1000
    progress: bool = True
    report: bool = True


@dataclass
class InjectResult:
    run_dir: Path
    summary: dict[str, Any]

    def table(self) -> str:
        from .table import summary_table

        return summary_table(self.summary) + f"\nrun: {self.run_dir}"


def check_inject(spec: InjectSpec) -> list[dict[str, Any]]:
    """The facts, checked against the spec (before any model loads)."""
    facts = read_facts(spec.facts)
    short = [f["id"] for f in facts if f["split"] == "train"
             and len(f["paraphrases"]) < spec.paraphrases]
    if short:
        raise InputError(f"{spec.facts}: --paraphrases {spec.paraphrases} needs that many "
                         f"paraphrases per training fact; {len(short)} have fewer (first: "
                         f"{short[0]!r}). Pass a smaller --paraphrases.")
    return facts


def training_texts(facts: list[dict[str, Any]], paraphrases: int) -> list[str]:
    """Each training fact's sentence and its first `paraphrases` paraphrases."""
    return [text for f in facts if f["split"] == "train"
            for text in [f["sentence"], *f["paraphrases"][:paraphrases]]]


def probe_list(facts: list[dict[str, Any]], general: bool) -> list[dict[str, Any]]:
    """Every probe to ask after each epoch, with its fact, group (train, heldout, general)
    and chance level (1 / choices for tf and mc, 0 for a generated name)."""
    out = []
    for fact in facts:
        for probe in fact["probes"]:
            out.append({**probe, "fact_id": fact["id"], "group": fact["split"]})
    if general:
        for k, (prompt, gold) in enumerate(GENERAL):
            out.append({"id": f"general/{k:02d}", "type": "locality", "format": "cloze",
                        "prompt": prompt, "answer": gold, "choices": [],
                        "fact_id": f"general/{k:02d}", "group": "general"})
    for probe in out:
        probe["chance"] = 1 / len(probe["choices"]) if probe["format"] in CHOICE_FORMATS else 0.0
    return out


def _rows(model, probes: list[dict[str, Any]], epoch: int, spec: InjectSpec) -> list[dict]:
    results = answer(model, probes, max_new_tokens=spec.max_new_tokens,
                     batch_size=spec.model.batch_size)
    return [{"id": f"e{epoch}/{p['id']}", "epoch": epoch, "probe_id": p["id"],
             "fact_id": p["fact_id"], "group": p["group"], "type": p["type"],
             "format": p["format"], "prompt": p["prompt"], "answer": p["answer"],
             "output": r["output"], "exact": bool(r["exact"]), "lenient": bool(r["lenient"]),
             "chance": float(p["chance"]), "choices": json.dumps(p["choices"]),
             "choice_logprobs": json.dumps(r["choice_logprobs"])}
            for p, r in zip(probes, results)]


def _evaluate(run: RunWriter, model, probes, epoch: int, spec: InjectSpec) -> None:
    """Write the rows of `epoch` not on disk yet, one part per chunk of probes."""
    done = run.done_ids()
    pending = [p for p in probes if f"e{epoch}/{p['id']}" not in done]
    if not pending:
        return
    log.info("knowledge: epoch %d, %d probes", epoch, len(pending))
    was_training = model.model.training
    model.model.eval()
    for start in range(0, len(pending), spec.chunk_size):
        run.add(_rows(model, pending[start:start + spec.chunk_size], epoch, spec))
        run.flush()
    if was_training:
        model.model.train()


def _membership_data(out: Path, facts: list[dict[str, Any]]) -> Path:
    path = out / "membership_data.jsonl"
    if not path.is_file():
        lines = [json.dumps({"id": f["id"], "text": f["sentence"],
                             "label": 1 if f["split"] == "train" else 0}) for f in facts]
        write_text_atomic(path, "\n".join(lines) + "\n")
    return path


def _membership(spec: InjectSpec, out: Path, facts, model) -> dict[str, Any] | None:
    """A `score` run of the fine-tuned model on the training vs held-out sentences (the
    reference signal's model is the base model)."""
    if not spec.membership or not any(f["split"] == "heldout" for f in facts):
        return None
    from ..data import DataConfig
    from ..membership import ScoreSpec, run_score
    from ..models import load_model

    path = _membership_data(out, facts)
    reference = load_model(spec.model)
    score_spec = ScoreSpec(data=DataConfig(path=str(path)), out=str(out / "membership"),
                           model=spec.model, signals=MEMBERSHIP_SIGNALS,
                           reference_model=spec.model.model, save_tokens=False,
                           bootstrap=spec.bootstrap, progress=spec.progress, report=False)
    run_score(score_spec, model=model, reference=reference)
    return _read_membership(out)


def run_inject(spec: InjectSpec, *, model=None) -> InjectResult:
    """Run (or resume) a knowledge-injection audit described by `spec`."""
    from ..lab.train import fine_tune
    from ..models import identity_of, load_model

    facts = check_inject(spec)
    probes = probe_list(facts, spec.general)
    texts = training_texts(facts, spec.paraphrases)
    out = Path(spec.out)
    identity = {"facts": {"path": str(Path(spec.facts).resolve()), "hash": facts_hash(facts)},
                "train": asdict(spec.train), "paraphrases": spec.paraphrases,
                "max_new_tokens": spec.max_new_tokens, "general": spec.general,
                "membership": spec.membership, "decoding": "greedy"}
    base_identity = identity_of(spec.model) if model is None else model.identity()
    run = RunWriter.open(out, "knowledge", identity, model=base_identity,
                         runtime={"batch_size": spec.model.batch_size,
                                  "device": spec.model.device, "chunk_size": spec.chunk_size})
    epochs = spec.train.epochs
    wanted = {e: {f"e{e}/{p['id']}" for p in probes} for e in range(epochs + 1)}

    def missing(epoch: int) -> bool:
        return not wanted[epoch] <= run.done_ids()

    membership_done = not spec.membership or (out / "membership" / "summary.json").is_file()
    model = load_model(spec.model) if model is None else model
    _evaluate(run, model, probes, 0, spec)
    last_needed = max([e for e in range(1, epochs + 1) if missing(e)]
                      + ([epochs] if not membership_done else []), default=0)
    curve_path = out / "training_curve.json"
    if last_needed:
        def after_epoch(epoch: int, curve: list) -> bool:
            _evaluate(run, model, probes, epoch, spec)
            return epoch >= last_needed          # nothing later is needed: stop here
        curve = fine_tune(model, texts, spec.train, progress=spec.progress,
                          stop_after_epoch=after_epoch)
        if len(curve) == -(-len(texts) // spec.train.batch_size) * epochs:
            _evaluate(run, model, probes, epochs, spec)
            write_json_atomic(curve_path, {"method": spec.train.method, "texts": len(texts),
                                           "steps": curve})
    membership = None
    if spec.membership and (out / "membership" / "summary.json").is_file() and membership_done:
        membership = _read_membership(out)
    elif spec.membership:
        membership = _membership(spec, out, facts, model)
    summary = summarize(run.rows(), epochs=epochs, resamples=spec.bootstrap,
                        seed=spec.train.seed)
    summary["paraphrases"] = spec.paraphrases
    summary["training_texts"] = len(texts)
    summary["facts"] = {"train": sum(f["split"] == "train" for f in facts),
                        "heldout": sum(f["split"] == "heldout" for f in facts),
                        "general_prompts": len(GENERAL) if spec.general else 0}
    if curve_path.is_file():
        steps = read_json(curve_path, "training curve")["steps"]
        summary["training"] = {"steps": len(steps), "final_loss": steps[-1]["loss"]
                               if steps else None}
    if membership is not None:
        summary["membership"] = membership
    summary = run.finish(summary, report=spec.report)
    return InjectResult(out, summary)


def _read_membership(out: Path) -> dict[str, Any]:
    saved = read_json(out / "membership" / "summary.json", "membership summary")
    return {name: {k: value.get(k) for k in ("auroc", "auroc_ci", "tpr_at_1pct_fpr",
                                             "n_members", "n_nonmembers")}
            for name, value in saved.items() if isinstance(value, dict) and "auroc" in value}
