"""Reproduce the unlearning figures in docs/unlearning.md with one command:

    /work/tools/cpuslot python bench/unlearning_experiment.py --out runs/unlearning-bench

1. Data: seeded synthetic records (mnemoscope.lab.synthetic, ~64 SmolLM2 tokens each):
   16 forget, 32 retain, 16 held-out (never trained on).
2. Memorize (cached in OUT/memorized; a rerun skips it): full fine-tune of the embedded
   SmolLM2-135M on forget + retain (lab.train.fine_tune, --memorize-epochs at --memorize-lr,
   batch 8), so that greedy extraction of the forget texts is high.
3. Unlearn with `run_unlearn` (one run folder each, resumable), LoRA rank 32, alpha 64,
   lr 1e-4 (LoKU's defaults):
     ihl_fila   IHL + FILA, stopping once the forget set's exact extraction rate reaches
                the held-out rate (checked every 5 steps, at most --max-steps)
     ga_default GA with peft's default LoRA init (the usual baseline), for as many steps
                as ihl_fila took
     ga_fila    GA with IHL's adapter and initialisation, same steps (only the loss differs)
   Each run audits the memorized model before and the unlearned model after.
Writes OUT/results.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from mnemoscope.data import DataConfig
from mnemoscope.lab.config import TrainConfig
from mnemoscope.lab.synthetic import synthetic_texts
from mnemoscope.lab.train import fine_tune, save_model
from mnemoscope.models import ModelConfig, load_model
from mnemoscope.runs import write_json_atomic
from mnemoscope.unlearning import AuditConfig, UnlearnConfig, UnlearnSpec, run_unlearn


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def make_sets(out: Path, n_forget: int, n_retain: int, n_holdout: int, seed: int) -> dict[str, Path]:
    records = synthetic_texts(n_forget + n_retain + n_holdout, seed)
    cuts = {"forget": records[:n_forget], "retain": records[n_forget:n_forget + n_retain],
            "holdout": records[n_forget + n_retain:]}
    out.mkdir(parents=True, exist_ok=True)
    return {name: write_jsonl(out / f"{name}.jsonl", group) for name, group in cuts.items()}


def memorize(out: Path, sets: dict[str, Path], epochs: int, lr: float, seed: int) -> Path:
    target = out / "memorized"
    if (target / "config.json").is_file():
        print(f"memorized model cached at {target}")
        return target
    texts = [json.loads(line)["text"] for name in ("forget", "retain")
             for line in sets[name].read_text().splitlines()]
    model = load_model("smollm2-135m", dtype="float32")
    clock = time.perf_counter()
    curve = fine_tune(model, texts, TrainConfig(method="full", epochs=epochs, learning_rate=lr,
                                                batch_size=8, seed=seed))
    save_model(model, target)
    write_json_atomic(out / "memorize_curve.json", {"seconds": time.perf_counter() - clock,
                                                    "steps": curve})
    return target


def unlearn_run(out: Path, name: str, model: Path, sets: dict[str, Path], train: UnlearnConfig,
                audit: AuditConfig) -> dict:
    spec = UnlearnSpec(forget=DataConfig(str(sets["forget"])), retain=DataConfig(str(sets["retain"])),
                       holdout=DataConfig(str(sets["holdout"])), out=str(out / name),
                       model=ModelConfig(model=str(model), dtype="float32"), train=train,
                       audit=audit)
    clock = time.perf_counter()
    summary = run_unlearn(spec).summary
    summary["wall_seconds_this_call"] = round(time.perf_counter() - clock, 1)
    return summary


def pick(summary: dict, metric: str, when: str):
    return next((r[when] for r in summary["headline"] if r["metric"] == metric), None)


ROWS = ("forget exact extraction rate", "forget approximate extraction rate",
        "holdout exact extraction rate", "holdout approximate extraction rate",
        "MIA AUROC forget vs held-out (loss)", "MIA AUROC forget vs held-out (min_k_plus_plus)",
        "retain perplexity", "forget perplexity",
        "forget generations: perplexity under the original model",
        "forget generations: distinct-2", "holdout generations: perplexity under the original model",
        "holdout generations: distinct-2")


def table(results: dict[str, dict]) -> str:
    names = list(results)
    first = results[names[0]]
    lines = [f"{'metric':<58} {'memorized':>10} " + " ".join(f"{n:>12}" for n in names)]
    for metric in ROWS:
        before = pick(first, metric, "before")
        if before is None:
            continue
        after = [pick(results[n], metric, "after") for n in names]
        lines.append(f"{metric:<58} {before:10.3f} " + " ".join(
            f"{'n/a':>12}" if a is None else f"{a:12.3f}" for a in after))
    lines.append(f"{'retain perplexity change (%)':<58} {'':>10} " + " ".join(
        f"{results[n]['retain_perplexity_change_pct']:+12.2f}" for n in names))
    lines.append(f"{'steps (stopped)':<58} {'':>10} " + " ".join(
        f"{str(results[n]['steps']) + ' ' + results[n]['stopped'][:7]:>12}" for n in names))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/unlearning-bench")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--forget", type=int, default=16)
    parser.add_argument("--retain", type=int, default=32)
    parser.add_argument("--holdout", type=int, default=16)
    parser.add_argument("--memorize-epochs", type=int, default=12)
    parser.add_argument("--memorize-lr", type=float, default=1e-4)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-steps", type=int, default=60)
    parser.add_argument("--check-every", type=int, default=5)
    parser.add_argument("--only", default="ihl_fila,ga_default,ga_fila",
                        help="comma list of runs (ihl_fila first: the others copy its steps)")
    args = parser.parse_args()
    out = Path(args.out)
    sets = make_sets(out, args.forget, args.retain, args.holdout, args.seed)
    model = memorize(out, sets, args.memorize_epochs, args.memorize_lr, args.seed)
    audit = AuditConfig(bootstrap=200)
    base = dict(lora_rank=32, lora_alpha=64, learning_rate=args.lr, batch_size=8, seed=args.seed)
    results: dict[str, dict] = {}
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    steps = args.max_steps
    for name in names:
        if name == "ihl_fila":
            train = UnlearnConfig(method="ihl", lora_init="fila", stop="holdout",
                                  check_every=args.check_every, max_steps=args.max_steps, **base)
        elif name in ("ga_fila", "ga_default", "gd_fila", "ihl_default"):
            method, init = name.split("_")
            train = UnlearnConfig(method=method, lora_init=init, max_steps=steps, **base)
        else:
            raise SystemExit(f"unknown run {name!r}")
        print(f"== {name}", flush=True)
        results[name] = unlearn_run(out, name, model, sets, train, audit)
        if name == "ihl_fila":
            steps = results[name]["steps"]
        print(table({name: results[name]}), flush=True)
        write_json_atomic(out / "results.json", {"args": vars(args), "runs": results})
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
