"""`mnemoscope unlearn`: forget a set of texts, and prove it with the audit that found them.

    DIR/spec.json           identity: model, data hashes (forget, retain, held-out), configs
    DIR/audit_data.jsonl    forget (label 1) + held-out (label 0) texts, ids prefixed
    DIR/before/             the audit of the original model (see audit.py)
    DIR/adapter/            the LoRA adapter (applies to the original model; adapter.py)
    DIR/merged/             with save_merged: the merged model
    DIR/model/              with full fine-tuning: the fine-tuned model
    DIR/training.json       loss per step, stopping checks, why it stopped, FILA stats
    DIR/after/              the audit of the unlearned model (read back from disk)
    DIR/retrained/          with --retrain-reference: the reference model (reference.py)
    DIR/retrained_audit/    the same audit of the retrained reference
    DIR/<stage>/criteria.json  VerbMem, KnowMem, per-text scores, truth ratios (judge.py)
    DIR/parts/              one row per forget / held-out text: before vs after
    DIR/summary.json        headline before/after figures, then every stage's summary;
                            with a reference, "judged": original / unlearned / retrained
    DIR/report.html         the run's report (unlearning section)

Resuming: the before audit, the training and the after audit are stages. A finished stage
(its summary.json, or the saved adapter/model together with training.json) is never
redone; the audits' sub-runs resume row by row. A crash during training loses the
training in progress: the next run starts it again from step 0 (the before audit is kept).
Training again removes what described the older model (after/, parts/) through the run's
manifest (manifest.py): only what this run wrote is deleted, never a file put beside it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from .. import manifest
from ..data import DataConfig, data_identity, load_samples
from ..models import ModelConfig
from ..runs import RunWriter, read_rows, write_json_atomic
from ..types import InputError
from .adapter import ADAPTER_DIR, FULL_DIR, MERGED_DIR
from .config import AuditConfig, JudgeConfig, UnlearnConfig, UnlearnSpec

log = logging.getLogger(__name__)


@dataclass
class UnlearnResult:
    run_dir: Path
    summary: dict[str, Any]

    def table(self) -> str:
        return headline_table(self.summary)


def _data_identity(config: DataConfig | None) -> dict[str, Any] | None:
    return None if config is None else data_identity(replace(config, label_column=None))


def _identity(spec: UnlearnSpec) -> dict[str, Any]:
    train = asdict(spec.train)
    if spec.train.stop != "parity":     # read only by --stop parity: older runs keep resuming
        del train["privleak_tol"], train["parity_signals"]
    identity = {"forget": _data_identity(spec.forget), "retain": _data_identity(spec.retain),
                "holdout": _data_identity(spec.holdout), "train": train,
                "audit": asdict(spec.audit), "save_merged": spec.save_merged}
    if spec.judge is not None:          # absent otherwise: older run folders keep resuming
        from ..data import data_hash

        judge = asdict(spec.judge)
        for key in ("forget_qa", "retain_qa"):
            if judge[key]:
                judge[key] = {"path": judge[key], "hash": data_hash(judge[key])}
        if spec.judge.retrained:
            from ..models import identity_of

            judge["retrained"] = identity_of(replace(spec.model, model=spec.judge.retrained))
        identity["judge"] = judge
    return identity


def _load(config: DataConfig | None, role: str):
    if config is None:
        return None
    samples = load_samples(replace(config, label_column=None))   # labels play no part here
    if not samples:
        raise InputError(f"{config.path}: the {role} set is empty; give it at least one text.")
    return samples


def _check_sets(forget, retain, holdout) -> None:
    forget_texts = {s.text for s in forget}
    if holdout:
        both = next((s for s in holdout if s.text in forget_texts), None)
        if both is not None:
            raise InputError(f"held-out text id {both.id!r} is also in the forget set; held-out "
                             "texts must never have been trained on (remove it from one file).")
    overlap = sum(s.text in forget_texts for s in retain)
    if overlap:
        log.warning("%d retain text(s) are also in the forget set: IHL/GD will pull them both "
                    "ways", overlap)


def _trained(out: Path, train: UnlearnConfig) -> bool:
    artifact = out / (FULL_DIR if train.full else ADAPTER_DIR)
    marker = "config.json" if train.full else "adapter_config.json"
    return (artifact / marker).is_file() and (out / "training.json").is_file()


def _forget_rate_check(model, forget, audit: AuditConfig, metric: str):
    from ..extraction.discoverable import DiscoverableConfig, greedy_rows

    config = DiscoverableConfig(prefix_tokens=audit.prefix_tokens,
                                suffix_tokens=audit.suffix_tokens, samples=0)
    key = "exact_match" if metric == "exact" else "approx_match"

    def check() -> float:
        rows = [r for r in greedy_rows(forget, model, config) if r["extractable"]]
        return sum(bool(r[key]) for r in rows) / max(1, len(rows))
    return check


def _forget_older_model(out: Path) -> None:
    """Remove the after audit and the comparison rows, which describe an older unlearned
    model: only what the run's manifest lists (a user's file beside them stays)."""
    left = manifest.remove(out / "after")
    for part in sorted((out / "parts").glob("*.parquet")):
        left += manifest.remove(part)
    if left:
        log.warning("unlearn %s: kept %d file(s) mnemoscope did not write: %s", out, len(left),
                    ", ".join(str(p) for p in left[:3]))


def _train(spec: UnlearnSpec, out: Path, forget, retain, target_rate, parity=None) -> None:
    from ..models import load_model
    from .adapter import save_adapter, save_full
    from .train import unlearn_steps

    _forget_older_model(out)
    trainee = load_model(spec.model)
    if not hasattr(trainee, "tokenizer") or not hasattr(getattr(trainee, "model", None), "train"):
        raise InputError(f"unlearning trains the model's weights; backend {trainee.name!r} does "
                         "not expose them. Use the Hugging Face backend (a local model folder, "
                         "a .gguf file or smollm2-135m).")
    check = None
    if spec.train.stop == "holdout":
        check = _forget_rate_check(trainee, forget, spec.audit, spec.train.stop_metric)
    clock = time.perf_counter()
    trained = unlearn_steps(trainee, [s.text for s in forget], [s.text for s in retain],
                            spec.train, check=check, target_rate=target_rate, parity=parity,
                            progress=spec.progress, log=log.info)
    seconds = time.perf_counter() - clock
    if spec.train.full:
        save_full(trainee, out / FULL_DIR)
    else:
        save_adapter(trained.trainable, trained.layers, out / ADAPTER_DIR, trained.initial_factors)
        if spec.save_merged:
            trainee.model = trained.trainable.merge_and_unload()
            save_full(trainee, out / MERGED_DIR)
    moved = trained.fila_moved
    write_json_atomic(out / "training.json", {
        "method": spec.train.method, "adapter": spec.train.adapter,
        "lora_init": None if spec.train.full else spec.train.lora_init,
        "learning_rate": spec.train.lr, "steps": len(trained.curve), "stopped": trained.stopped,
        "target_rate": target_rate, "seconds": round(seconds, 1),
        "fila_mean_share_of_weight_norm": (sum(moved.values()) / len(moved)) if moved else None,
        "curve": trained.curve})


def _headline(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows every reader wants first: metric, before, after."""
    rows = []

    def add(metric: str, pick) -> None:
        try:
            rows.append({"metric": metric, "before": pick(before), "after": pick(after)})
        except (KeyError, TypeError):
            pass

    for group in ("forget", "holdout"):
        add(f"{group} exact extraction rate", lambda s, g=group: s["extraction"][g]["exact"])
        add(f"{group} approximate extraction rate", lambda s, g=group: s["extraction"][g]["approx"])
    if before.get("mia_auroc"):
        for signal in before["mia_auroc"]:
            add(f"MIA AUROC forget vs held-out ({signal})",
                lambda s, n=signal: s["mia_auroc"][n]["auroc"])
    for group in ("retain", "forget", "holdout"):
        add(f"{group} perplexity", lambda s, g=group: s["perplexity"][g])
    for group in ("forget", "holdout"):
        add(f"{group} generations: perplexity under the original model",
            lambda s, g=group: s["fluency"][g]["perplexity_under_original"])
        add(f"{group} generations: distinct-1", lambda s, g=group: s["fluency"][g]["distinct_1"])
        add(f"{group} generations: distinct-2", lambda s, g=group: s["fluency"][g]["distinct_2"])
    return rows


def _comparison_rows(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for sample_id, old in before["per_text"].items():
        new = after["per_text"].get(sample_id, {})
        row = {"id": sample_id, "set": sample_id.split(":", 1)[0]}
        for key in ("exact_match", "approx_match", "longest_match", "fluency_perplexity",
                    "distinct_2", "generated"):
            row[f"{key}_before"], row[f"{key}_after"] = old.get(key), new.get(key)
        rows.append(row)
    return rows


def run_unlearn(spec: UnlearnSpec) -> UnlearnResult:
    """Run (or resume) an unlearning run; returns the summary written to DIR/summary.json."""
    from ..models import load_model
    from ..models.fast_cpu import for_training

    spec = replace(spec, model=for_training(spec.model))   # auto: float32 off CUDA
    from .adapter import load_unlearned
    from .audit import audit_stage, write_audit_data

    forget, retain = _load(spec.forget, "forget"), _load(spec.retain, "retain")
    holdout = _load(spec.holdout, "held-out")
    _check_sets(forget, retain, holdout)
    qa = _load_qa(spec)                  # a bad QA file fails here, before any model loads
    out = Path(spec.out)
    from ..models import identity_of

    # refuses a folder of another spec
    writer = RunWriter.open(out, "unlearn", _identity(spec), model=identity_of(spec.model))
    audit_data = write_audit_data(out / "audit_data.jsonl", forget, holdout)
    audit_samples = load_samples(audit_data)
    retain_texts = [s.text for s in retain]
    timings: dict[str, float] = {}

    clock = time.perf_counter()
    original = load_model(spec.model)
    stage = dict(audit_data=audit_data, audit_samples=audit_samples, retain_texts=retain_texts,
                 has_holdout=holdout is not None, config=spec.audit, chunk_size=spec.chunk_size,
                 progress=spec.progress)
    before = audit_stage(out / "before", original, original, **stage)
    timings["audit_before"] = time.perf_counter() - clock

    target = before["extraction"]["holdout"][spec.train.stop_metric] if holdout else None
    judging = None
    if spec.judge is not None:
        clock = time.perf_counter()
        judging = _Judging(spec, out, qa, retain, original, before, stage)
        timings["reference"] = time.perf_counter() - clock
    clock = time.perf_counter()
    if _trained(out, spec.train):
        log.info("unlearn %s: the unlearned model is already saved; not retraining", out)
    else:
        parity = judging.parity(forget, holdout, target) if spec.train.stop == "parity" else None
        _train(spec, out, forget, retain, target, parity)
    timings["training"] = time.perf_counter() - clock
    training = json.loads((out / "training.json").read_text(encoding="utf-8"))

    clock = time.perf_counter()
    unlearned = load_unlearned(spec.model, out, spec.train.full)
    after = audit_stage(out / "after", unlearned, original, **stage)
    judged = judging.judge(unlearned, after) if judging is not None else None
    timings["audit_after"] = time.perf_counter() - clock

    if not writer.done_ids():
        writer.add(_comparison_rows(before, after))
        writer.flush()
    summary = _summary(spec, training, before, after, timings)
    if judged is not None:
        summary["judged"] = judged
        summary["trajectory"] = [p for p in training["curve"] if "forget_rate" in p]
    summary = writer.finish(summary, report=True)
    return UnlearnResult(out, summary)


def _load_qa(spec: UnlearnSpec):
    """(forget QA, retain QA), each None when not given."""
    if spec.judge is None:
        return None, None
    from .qa import load_qa

    return tuple(load_qa(path) if path else None
                 for path in (spec.judge.forget_qa, spec.judge.retain_qa))


class _Judging:
    """The retrained reference's side of the run: the model (trained or given), its audit
    and criteria, the original model's criteria; then the unlearned model's column."""

    def __init__(self, spec: UnlearnSpec, out: Path, qa, retain, original, before, stage):
        from ..models import load_model
        from .audit import audit_stage
        from .judge import criteria_stage, true_suffixes
        from .reference import ensure_retrained

        judge = spec.judge
        self.spec, self.out, self.original_audit = spec, out, before
        self.forget_qa, self.retain_qa = qa
        self.truths = true_suffixes(original, [s for s in stage["audit_samples"]
                                               if s.id.startswith("forget:")],
                                    spec.audit.prefix_tokens, spec.audit.suffix_tokens)
        self.original = criteria_stage(out / "before", original, before, self.truths,
                                       self.forget_qa, self.retain_qa, judge.answer_tokens)
        path = ensure_retrained(judge, spec.model, out, [s.text for s in retain], spec.progress)
        retrained = load_model(replace(spec.model, model=str(path)))
        self.retrained_audit = audit_stage(out / "retrained_audit", retrained, original, **stage)
        self.retrained = criteria_stage(out / "retrained_audit", retrained, self.retrained_audit,
                                        self.truths, self.forget_qa, self.retain_qa,
                                        judge.answer_tokens)

    def parity(self, forget, holdout, target_rate):
        from .judge import ParityCheck

        audit, train = self.spec.audit, self.spec.train
        return ParityCheck(forget, holdout, self.retrained["member_scores"],
                           train.parity_signals, train.privleak_tol, target_rate,
                           audit.prefix_tokens, audit.suffix_tokens, train.stop_metric)

    def judge(self, unlearned, after) -> dict[str, Any]:
        from .judge import compare, criteria_stage, forget_statistic, judge_model

        mine = criteria_stage(self.out / "after", unlearned, after, self.truths, self.forget_qa,
                              self.retain_qa, self.spec.judge.answer_tokens)
        boot = self.spec.audit.bootstrap
        columns = {name: judge_model(crit, audit, self.retrained, self.original,
                                     self.original_audit, boot)
                   for name, crit, audit in (("original", self.original, self.original_audit),
                                             ("unlearned", mine, after),
                                             ("retrained", self.retrained,
                                              self.retrained_audit))}
        return {"reference": str(self.spec.judge.retrained or self.out / "retrained"),
                "forget_quality_statistic": forget_statistic(mine)[0],
                "columns": columns, "table": compare(columns)}


def _summary(spec, training, before, after, timings) -> dict[str, Any]:
    strip = lambda s: {k: v for k, v in s.items() if k != "per_text"}  # noqa: E731
    retain_before, retain_after = before["perplexity"]["retain"], after["perplexity"]["retain"]
    return {"method": spec.train.method, "adapter": spec.train.adapter,
            "lora_init": None if spec.train.full else spec.train.lora_init,
            "learning_rate": spec.train.lr, "steps": training["steps"],
            "stopped": training["stopped"], "target_rate": training["target_rate"],
            "retain_perplexity_change_pct": 100.0 * (retain_after / retain_before - 1.0),
            "headline": _headline(before, after),
            "before": strip(before), "after": strip(after),
            "training": {k: v for k, v in training.items() if k != "curve"},
            "timings_s": {k: round(v, 1) for k, v in timings.items()}}


def headline_table(summary: dict[str, Any]) -> str:
    """The short text the CLI prints."""
    def show(value) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    lines = [f"{summary['method']} ({summary['adapter']}"
             + (f", {summary['lora_init']} init" if summary.get("lora_init") else "")
             + f"), {summary['steps']} steps, stopped: {summary['stopped']}",
             f"{'metric':<58} {'before':>9} {'after':>9}"]
    for row in summary["headline"]:
        lines.append(f"{row['metric']:<58} {show(row['before']):>9} {show(row['after']):>9}")
    lines.append(f"retain perplexity change: {summary['retain_perplexity_change_pct']:+.2f}%")
    if summary.get("judged"):
        lines += ["", f"judged against the retrained model ({summary['judged']['reference']}); "
                  f"forget quality statistic: {summary['judged']['forget_quality_statistic']}",
                  judged_table(summary["judged"]["table"])]
    return "\n".join(lines)


def judged_table(rows: list[dict[str, Any]]) -> str:
    """The original / unlearned / retrained table as text."""
    names = [k for k in rows[0] if k != "metric"] if rows else []
    lines = [f"{'metric':<58} " + " ".join(f"{n:>10}" for n in names)]
    for row in rows:
        lines.append(f"{row['metric']:<58} " + " ".join(
            f"{'n/a':>10}" if row[n] is None else f"{row[n]:10.3f}" for n in names))
    return "\n".join(lines)


def unlearn(model: str = "smollm2-135m", *, forget: str, retain: str, out: str,
            holdout: str | None = None, method: str = "ihl", full: bool = False,
            lora_init: str = "fila", save_merged: bool = False, text_column: str = "text",
            id_column: str | None = None, device: str = "auto", dtype: str = "auto",
            batch_size: int = 8, audit: AuditConfig | None = None, progress: bool = True,
            judge: JudgeConfig | None = None, **train: Any) -> UnlearnResult:
    """Python API: the same as `mnemoscope unlearn`. `train` takes the other fields of
    UnlearnConfig (lora_rank, lora_alpha, learning_rate, max_steps, stop, ...); `judge`
    (JudgeConfig(retrained=PATH) or JudgeConfig(retrain_base=MODEL, recipe=...)) compares
    with a model retrained without the forget set."""
    def data(path):
        return None if path is None else DataConfig(path=str(path), text_column=text_column,
                                                    id_column=id_column)

    spec = UnlearnSpec(forget=data(forget), retain=data(retain), holdout=data(holdout), out=out,
                       model=ModelConfig(model=model, device=device, dtype=dtype,
                                         batch_size=batch_size),
                       train=UnlearnConfig(method=method, full=full, lora_init=lora_init, **train),
                       audit=audit or AuditConfig(), save_merged=save_merged, progress=progress,
                       judge=judge)
    return run_unlearn(spec)
