"""Memorization experiment: fine-tune the embedded SmolLM2-135M on K&K puzzles until it
solves most of them, then measure LiMem under math (leaf, statement) and language (names,
reorder, roles) perturbations of those same training puzzles.

    HF_HUB_OFFLINE=1 python bench/limem_experiment.py --out /tmp/limem_experiment

Expected if the model memorized: LiMem clearly above 0 under leaf/statement perturbations
(it repeats the answer it learned, which is now wrong) and near 0 under perturbations that
keep the solution. A minimal full fine-tuning loop lives here because mnemoscope.lab did not
exist yet; swap it for the lab's trainer when it does. Loss is on the answer tokens only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from mnemoscope.benchmarks import generate, perturb, write_items
from mnemoscope.benchmarks.harness import EvalSpec, run_eval
from mnemoscope.benchmarks.limem import limem, limem_table
from mnemoscope.benchmarks.prompting import render_chat
from mnemoscope.models import ModelConfig, load_model

PERTURBATIONS = ("leaf", "statement", "names", "reorder", "roles")


@dataclass(frozen=True)
class ExperimentConfig:
    n_puzzles: int = 100
    people: int = 2
    seed: int = 0
    epochs: int = 12               # an upper bound; training stops early once memorized
    stop_at: float = 0.95          # share of training answers reproduced token for token
    batch_size: int = 8
    learning_rate: float = 2e-4    # high for full fine-tuning on purpose: we want memorization
    budget_s: float = 600.0        # wall-clock cap on training
    max_new_tokens: int = 32       # the answer line is about 21 tokens


def _training_batch(model, items, torch):
    """Right-padded ids and labels: [start] prompt-as-evaluated answer <eos>, loss on answer."""
    tokenizer = model.tokenizer
    rows = []
    for item in items:
        prompt = render_chat(model, [{"role": "user", "content": item.prompt}], use_template=False)
        prompt_ids = [model.start_token_id] + model.encode(prompt)
        answer_ids = model.encode(item.meta["answer"]) + [tokenizer.eos_token_id]
        rows.append((prompt_ids + answer_ids, len(prompt_ids)))
    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), tokenizer.pad_token_id, dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, (ids, answer_from) in enumerate(rows):
        input_ids[r, :len(ids)] = torch.tensor(ids)
        labels[r, answer_from:len(ids)] = torch.tensor(ids[answer_from:])
        mask[r, :len(ids)] = 1
    return input_ids, mask, labels


def fine_tune(model, items, config: ExperimentConfig, log) -> list[dict]:
    """Full fine-tuning with AdamW. Returns per-epoch loss and 'memorized' share, where an
    item counts as memorized when every answer token is the argmax under teacher forcing
    (exactly what greedy decoding would produce), measured on the batch before its update."""
    import torch

    net = model.model
    net.train()
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.learning_rate, weight_decay=0.0)
    rng = random.Random(config.seed)
    history, started = [], time.time()
    for epoch in range(1, config.epochs + 1):
        order = list(items)
        rng.shuffle(order)
        losses, memorized = [], 0
        for start in range(0, len(order), config.batch_size):
            input_ids, mask, labels = _training_batch(model, order[start:start + config.batch_size],
                                                      torch)
            out = net(input_ids=input_ids, attention_mask=mask, labels=labels)
            with torch.no_grad():
                predicted = out.logits[:, :-1].argmax(-1)
                target = labels[:, 1:]
                scored = target != -100
                memorized += int(((predicted == target) | ~scored).all(-1).sum())
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(float(out.loss.detach()))
        record = {"epoch": epoch, "loss": sum(losses) / len(losses),
                  "memorized": memorized / len(order), "elapsed_s": round(time.time() - started)}
        history.append(record)
        log(f"epoch {epoch}: loss {record['loss']:.4f}, memorized {record['memorized']:.2f}, "
            f"{record['elapsed_s']} s")
        if record["memorized"] >= config.stop_at or time.time() - started > config.budget_s:
            break
    net.eval()
    return history


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="/tmp/limem_experiment")
    for name, field in ExperimentConfig.__dataclass_fields__.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(field.default),
                            default=field.default)
    args = parser.parse_args(argv)
    config = ExperimentConfig(**{k: getattr(args, k) for k in ExperimentConfig.__dataclass_fields__})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[limem] {message}", file=sys.stderr, flush=True)

    import torch

    torch.manual_seed(config.seed)
    originals = generate("kk", config.n_puzzles, config.seed, level=config.people)
    perturbed = [p for how in PERTURBATIONS for p in perturb(originals, how, config.seed)]
    for name, items in (("train.jsonl", originals), ("perturbed.jsonl", perturbed)):
        with open(out / name, "w", encoding="utf-8") as handle:
            write_items(items, handle)

    model = load_model(ModelConfig(model="smollm2-135m", batch_size=16))
    history = fine_tune(model, originals, config, log)
    tuned = out / "model"
    model.model.save_pretrained(tuned, safe_serialization=True)
    model.tokenizer.save_pretrained(tuned)

    tuned_model = load_model(ModelConfig(model=str(tuned), batch_size=16))
    runs = {}
    for name in ("train", "perturbed"):
        spec = EvalSpec(items=str(out / f"{name}.jsonl"), out=str(out / f"run_{name}"),
                        max_new_tokens=config.max_new_tokens, chat_template=False,
                        progress=False, report=False)
        runs[name] = run_eval(spec, model=tuned_model).summary
    results = limem(out / "run_train", out / "run_perturbed")
    table = limem_table(results)
    print(f"training accuracy (greedy, graded): {runs['train']['accuracy']:.3f} "
          f"on {config.n_puzzles} {config.people}-person puzzles")
    print(table)
    report = {"config": asdict(config), "training": history,
              "train_accuracy": runs["train"]["accuracy"],
              "limem": [r.as_dict() for r in results]}
    (out / "results.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
