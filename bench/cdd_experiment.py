"""CDD ground truth on the embedded model: fine-tune SmolLM2-135M on half of a small
benchmark until it reproduces those items verbatim, then check that CDD flags the items it
was trained on far more often than the held-out half, and what it says about the base model.

    HF_HUB_OFFLINE=1 python bench/cdd_experiment.py --out /tmp/cdd_experiment

Steps (all seeded; --seed changes the split, the fine-tune order and the samples):
1. The 40 hand-written word problems of bench/cdd_problems.py: no shared templates, each
   with its own free-form worked solution ending "The answer is N.", so a held-out item's
   solution cannot be predicted from the members'. Item text (the CDD prompt):
   "Question: ...\\nAnswer:"; the `answer` column holds N.
2. A seeded half are members. The model is fully fine-tuned on their prompt + " " +
   solution with the lab's fine-tuning (mnemoscope.lab.train.fine_tune, its default
   learning rate), and training stops after the first epoch at which greedy decoding
   reproduces every member's solution verbatim (checked once the epoch's mean loss is
   below --check-below-loss; --max-epochs caps it). The verbatim rate of members and
   held-out items is measured again on the saved model.
3. `mnemoscope contamination cdd` (through run_cdd), items labelled 1 = member,
   0 = held-out: the fine-tuned model with raw prompts (as it was trained) on all 40; the
   base model, a control that saw none of them, on a label-balanced subset of
   --base-items (20: the first 10 members and 10 held-out items) with raw prompts and
   with --chat-template. The default preset (alpha 0.05, xi 0.01) is
   the runs'; the real-world preset (alpha 0, xi 0.2) is recomputed from the stored
   distances; nothing is tuned on the items. Flag rates come with Clopper-Pearson 95% CIs,
   separation as the AUROC of peakedness, TED accuracies from the same runs (numeric
   checker).
4. (--completion) partial-prompt completion of the full training texts with each model.

Every step resumes: the saved model, the training curve and the CDD run folders are reused.
Prints markdown tables and writes results.json beside the run folders.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cdd_problems import PROBLEMS  # noqa: E402


def make_items() -> list[dict]:
    return [{"id": f"p{index:03d}", "text": f"Question: {question}\nAnswer:",
             "solution": f"{solution} The answer is {answer}.", "answer": str(answer)}
            for index, (question, solution, answer) in enumerate(PROBLEMS)]


@dataclass(frozen=True)
class ExperimentConfig:
    seed: int = 0
    learning_rate: float = 1e-4     # the lab's default for full fine-tuning
    max_epochs: int = 30
    check_below_loss: float = 2.0   # verbatim check only after epochs with a lower mean loss
    batch_size: int = 8
    samples: int = 20               # n per item (the paper uses 50; 20 keeps the CPU run short)
    temperature: float = 0.8
    max_new_tokens: int = 60        # solutions are 29-55 tokens plus EOS
    base_model: str = "smollm2-135m"
    base_items: int = 20            # base runs on a label-balanced subset (CPU time); 0 = all
    base_raw: bool = True
    base_chat: bool = True
    completion: bool = False


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def verbatim_hits(model, items: list[dict], max_new_tokens: int) -> list[bool]:
    """Whether the greedy continuation of each prompt is exactly its solution."""
    outputs = model.generate([item["text"] for item in items], max_new_tokens=max_new_tokens)
    return [out[0].strip() == item["solution"] for out, item in zip(outputs, items)]


def preset_block(rows, alpha: float, xi: float) -> dict:
    """Flag rate (with CI) and mean peakedness per group at (alpha, xi), recomputed from the
    stored distances, plus the AUROC of peakedness, members vs held-out (0.5 = chance)."""
    from mnemoscope.contamination.peakedness import flagged, peakedness
    from mnemoscope.metrics import auroc, clopper_pearson

    peaks = [peakedness(list(d), int(n), alpha) for d, n in zip(rows["distances"], rows["longest"])]
    labels = [int(y) for y in rows["label"]]
    out: dict = {"alpha": alpha, "xi": xi}
    for name, value in (("member", 1), ("non_member", 0)):
        group = [p for p, y in zip(peaks, labels) if y == value]
        flags = sum(flagged(p, xi) for p in group)
        out[name] = {"n_items": len(group), "flagged": flags, "flagged_rate": flags / len(group),
                     "flagged_rate_ci": list(clopper_pearson(flags, len(group))),
                     "mean_peakedness": sum(group) / len(group),
                     "all_samples_within": sum(p == 1.0 for p in group)}
    out["auroc_peakedness"] = auroc(labels, peaks)
    return out


def train_until_verbatim(model, members: list[dict], config: ExperimentConfig, log):
    """The lab's full fine-tune, stopped after the first epoch at which greedy decoding
    reproduces every member verbatim. Returns (curve, verbatim checks)."""
    from mnemoscope.lab.config import TrainConfig
    from mnemoscope.lab.train import fine_tune

    checks: list[dict] = []

    def stop(epoch: int, curve: list[dict]) -> bool:
        losses = [p["loss"] for p in curve if p["epoch"] == epoch]
        mean_loss = sum(losses) / len(losses)
        if mean_loss >= config.check_below_loss:
            log(f"epoch {epoch}: mean loss {mean_loss:.3f}")
            return False
        rate = sum(verbatim_hits(model, members, config.max_new_tokens)) / len(members)
        checks.append({"epoch": epoch, "mean_loss": mean_loss, "member_verbatim": rate})
        log(f"epoch {epoch}: mean loss {mean_loss:.3f}, members verbatim {rate:.2f}")
        return rate == 1.0

    train = TrainConfig(method="full", epochs=config.max_epochs,
                        learning_rate=config.learning_rate, batch_size=config.batch_size,
                        max_tokens=128, seed=config.seed)
    texts = [f"{r['text']} {r['solution']}" for r in members]
    return fine_tune(model, texts, train, progress=False, stop_after_epoch=stop), checks


RUNS = (("fine_tuned", "fine-tuned", False), ("base_raw", "base, raw prompt", False),
        ("base_chat", "base, chat template", True))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="/tmp/cdd_experiment")
    parser.add_argument("--phase", choices=("all", "fine_tuned", "base"), default="all",
                        help="run only the fine-tune and its CDD run, or only the base-model "
                             "runs (two processes can then share the work; results.json "
                             "merges them)")
    for name, spec in ExperimentConfig.__dataclass_fields__.items():
        kind = type(spec.default)
        if kind is bool:
            flag = f"--{'no-' if spec.default else ''}{name.replace('_', '-')}"
            parser.add_argument(flag, dest=name, action="store_false" if spec.default
                                else "store_true")
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=spec.default)
    args = parser.parse_args(argv)
    config = ExperimentConfig(**{k: getattr(args, k) for k in ExperimentConfig.__dataclass_fields__})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[cdd {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    items = make_items()
    order = list(range(len(items)))
    random.Random(f"cdd-split:{config.seed}").shuffle(order)
    members = set(order[: len(items) // 2])
    labelled = [{**item, "label": int(i in members)} for i, item in enumerate(items)]
    public = [{k: v for k, v in r.items() if k != "solution"} for r in labelled]
    _write_jsonl(out / "items.jsonl", public)
    # the base model saw none of the items, so its runs are a control; on a CPU they run on
    # the first base_items / 2 members and held-out items (in item order) to save time
    half = config.base_items // 2 if config.base_items else len(public)
    _write_jsonl(out / "items_base.jsonl",
                 [r for r in public if r["label"] == 1][:half]
                 + [r for r in public if r["label"] == 0][:half])
    _write_jsonl(out / "full_texts.jsonl", [{"id": r["id"], "text": f"{r['text']} {r['solution']}",
                                             "label": r["label"]} for r in labelled])
    member_items = [r for r in labelled if r["label"] == 1]
    held_out = [r for r in labelled if r["label"] == 0]
    timings_path = out / "timings.json"
    timings: dict[str, float] = _read_json(timings_path)

    def save_timings() -> None:
        # merged with what another --phase process wrote meanwhile
        _write_json(timings_path, {**_read_json(timings_path), **timings})

    results: dict = {"config": asdict(config)}
    if args.phase != "base":
        run_fine_tuned(config, out, member_items, held_out, results, timings, save_timings, log)
    if args.phase != "fine_tuned":
        run_base(config, out, results, timings, save_timings, log)
    results_path = out / "results.json"
    merged = {**_read_json(results_path), **results}
    merged["timings"] = _read_json(timings_path)
    _write_json(results_path, merged)
    print(render_table(merged))
    return 0


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def run_one(name: str, model, config: ExperimentConfig, out: Path, results: dict,
            timings: dict, save_timings, log) -> None:
    """One CDD run (and optionally completion) of the items with `model`, into results."""
    from mnemoscope.contamination.cdd import CDDConfig, CDDSpec, run_cdd
    from mnemoscope.contamination.completion import CompletionSpec, run_completion
    from mnemoscope.data import DataConfig
    from mnemoscope.models import ModelConfig

    title, chat = {n: (t, c) for n, t, c in RUNS}[name]
    cdd_config = CDDConfig(samples=config.samples, temperature=config.temperature,
                           max_new_tokens=config.max_new_tokens, checker="numeric",
                           chat_template=chat, seed=config.seed)
    started = time.time()
    model_config = ModelConfig(model=str(out / "model") if name == "fine_tuned"
                               else config.base_model)
    items = "items.jsonl" if name == "fine_tuned" else "items_base.jsonl"
    spec = CDDSpec(data=DataConfig(path=str(out / items)), out=str(out / f"cdd_{name}"),
                   model=model_config, cdd=cdd_config, progress=False)
    result = run_cdd(spec, model=model)
    if f"cdd_{name}_s" not in timings:
        timings[f"cdd_{name}_s"] = round(time.time() - started, 1)
        save_timings()
    rows = result.rows
    results[f"cdd_{name}"] = {
        "title": title, "default": preset_block(rows, 0.05, 0.01),
        "real_world": preset_block(rows, 0.0, 0.2),
        "summary_by_label": result.summary["by_label"],
        "ted": result.summary["ted_by_label"],
        "mean_greedy_tokens": {g: float(rows[rows["label"] == v]["greedy_tokens"].mean())
                               for g, v in (("member", 1), ("non_member", 0))}}
    log(f"CDD {name}: {timings[f'cdd_{name}_s']} s")
    if config.completion:
        started = time.time()
        spec = CompletionSpec(data=DataConfig(path=str(out / "full_texts.jsonl")),
                              out=str(out / f"completion_{name}"), model=model_config,
                              progress=False)
        done = run_completion(spec, model=model)
        timings.setdefault(f"completion_{name}_s", round(time.time() - started, 1))
        save_timings()
        results[f"completion_{name}"] = done.summary["by_label"]


def run_base(config: ExperimentConfig, out: Path, results: dict, timings: dict,
             save_timings, log) -> None:
    from mnemoscope.models import ModelConfig, load_model

    wanted = [name for name in ("base_raw", "base_chat") if getattr(config, name)]
    if wanted:
        model = load_model(ModelConfig(model=config.base_model, batch_size=8))
        for name in wanted:
            run_one(name, model, config, out, results, timings, save_timings, log)


def run_fine_tuned(config: ExperimentConfig, out: Path, member_items: list[dict],
                   held_out: list[dict], results: dict, timings: dict, save_timings,
                   log) -> None:
    from mnemoscope.lab.train import save_model
    from mnemoscope.models import ModelConfig, load_model

    tuned = out / "model"
    training_path = out / "training.json"
    if not tuned.is_dir():
        started = time.time()
        model = load_model(ModelConfig(model=config.base_model, batch_size=8))
        history, checks = train_until_verbatim(model, member_items, config, log)
        _write_json(training_path, {"curve": history, "checks": checks})
        save_model(model, tuned)          # last: a saved model means the rest is there
        timings["fine_tune_s"] = round(time.time() - started, 1)
        save_timings()
        log(f"fine-tuned {history[-1]['epoch']} epochs ({len(history)} steps) in "
            f"{timings['fine_tune_s']} s, final loss {history[-1]['loss']:.4f}")
        del model
    training = json.loads(training_path.read_text())
    tuned_model = load_model(ModelConfig(model=str(tuned), batch_size=8))
    verbatim = {name: sum(verbatim_hits(tuned_model, group, config.max_new_tokens)) / len(group)
                for name, group in (("member", member_items), ("non_member", held_out))}
    log(f"verbatim reproduction of the solution: members {verbatim['member']:.2f}, held-out "
        f"{verbatim['non_member']:.2f}")

    curve = training["curve"]
    results["verbatim_solution_rate"] = verbatim
    results["training"] = {"epochs": curve[-1]["epoch"], "steps": len(curve),
                           "final_loss": curve[-1]["loss"], "checks": training["checks"]}
    run_one("fine_tuned", tuned_model, config, out, results, timings, save_timings, log)


def _rate(block: dict) -> str:
    low, high = block["flagged_rate_ci"]
    return f"{block['flagged']}/{block['n_items']} = {block['flagged_rate']:.2f} [{low:.2f}, {high:.2f}]"


def render_table(results: dict) -> str:
    lines = ["| model | group | flagged, default α 0.05 ξ 0.01 [95% CI] | mean peak. (α 0.05) "
             "| flagged, real-world α 0 ξ 0.2 [95% CI] | mean peak. (α 0) | empty greedy |",
             "|---|---|---|---|---|---|---|"]
    names = [name for name, _, _ in RUNS if f"cdd_{name}" in results]
    for name in names:
        block = results[f"cdd_{name}"]
        for group, title in (("member", "members"), ("non_member", "held-out")):
            d, r = block["default"][group], block["real_world"][group]
            empty = block["summary_by_label"][group]["empty_greedy_share"]
            lines.append(f"| {block['title']} | {title} | {_rate(d)} | {d['mean_peakedness']:.3f} "
                         f"| {_rate(r)} | {r['mean_peakedness']:.3f} | {empty:.2f} |")
    lines += ["", "| model | AUROC of peakedness, α 0.05 | AUROC, α 0 | all samples within α·ℓ, "
              "members / held-out (α 0.05) |", "|---|---|---|---|"]
    for name in names:
        block = results[f"cdd_{name}"]
        d = block["default"]
        lines.append(f"| {block['title']} | {d['auroc_peakedness']:.3f} | "
                     f"{block['real_world']['auroc_peakedness']:.3f} | "
                     f"{d['member']['all_samples_within']} / {d['non_member']['all_samples_within']} |")
    lines += ["", "| model | group | acc. original (all samples) | acc. greedy | acc. TED "
              "| samples removed | items with nothing kept |", "|---|---|---|---|---|---|---|"]
    for name in names:
        block = results[f"cdd_{name}"]
        for group, title in (("member", "members"), ("non_member", "held-out")):
            t = block["ted"][group]
            lines.append(f"| {block['title']} | {title} | {t['original_accuracy']:.3f} | "
                         f"{t['greedy_accuracy']:.3f} | {t['corrected_accuracy']:.3f} | "
                         f"{t['samples_removed_share']:.2f} | {t['items_with_nothing_kept']} |")
    training, v = results.get("training"), results.get("verbatim_solution_rate")
    if training:
        lines.append(f"\nfine-tune: {training['epochs']} epochs, {training['steps']} steps, "
                     f"final loss {training['final_loss']:.4f}; checks {training['checks']}")
        lines.append(f"verbatim solution (greedy, fine-tuned): members {v['member']:.2f}, "
                     f"held-out {v['non_member']:.2f}")
    for name in names:
        block = results.get(f"completion_{name}")
        if block:
            shown = "; ".join(
                f"{title} " + ", ".join(f"{k}: {block[g]['rouge_l'][k]:.2f}/{block[g]['exact_match'][k]:.2f}"
                                        for k in block[g]["rouge_l"])
                for g, title in (("member", "members"), ("non_member", "held-out")))
            lines.append(f"completion {name} (ratio: ROUGE-L/exact): {shown}")
    lines.append(f"timings (s): {results['timings']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
