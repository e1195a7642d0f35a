"""Worked example (docs/dynamics.md): a plain transformers.Trainer fine-tune of the embedded
model with mnemoscope's MemorizationCallback attached.

The lab's default recipe, written out for the Trainer: 400 standard-library docstring
passages split 200 members / 200 held out (the lab's seeded split), six Secret-Sharer
canaries planted 1, 4 and 16 times (two each), full fine-tune, 3 epochs, AdamW at 1e-4
after a 10% linear warm-up, batch 8, gradient norm clipped to 1. Sequences are laid out as
mnemoscope scores them (start token, text, EOS); the optimiser and schedule are the lab's.

    OMP_NUM_THREADS=1 python examples/dynamics_trainer.py runs/dynamics-trainer

Writes OUT/ (checkpoints, one per check with --save-checkpoints) and OUT/memorization/ (the
run: summary.json, report.html), and prints the curves.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--save-checkpoints", action="store_true",
                        help="a checkpoint (weights only) at every checked step")
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    import torch
    from transformers import Trainer, TrainerCallback, TrainingArguments

    from mnemoscope.extraction.canaries import CanaryConfig, make_canaries
    from mnemoscope.integrations.transformers import MemorizationCallback
    from mnemoscope.lab.pydocs import python_doc_texts
    from mnemoscope.lab.split import split_lab
    from mnemoscope.models import load_model
    from mnemoscope.training import lr_factor, pad_batch, pad_id, tokenize
    from mnemoscope.types import Sample

    torch.set_num_threads(1)
    samples = [Sample(r["id"], r["text"]) for r in python_doc_texts(args.texts, seed=0)]
    members, held_out, _ = split_lab(samples, 0.5, seed=0)          # the lab's split
    canaries = make_canaries(CanaryConfig(), seed=0)                # the lab's canaries
    texts = [s.text for s in members] + [c.text for c in canaries for _ in range(c.repetitions)]
    random.Random("train-order:0").shuffle(texts)

    backend = load_model("smollm2-135m")      # HFModel: .model (torch), .tokenizer
    sequences = tokenize(backend, texts, max_tokens=256)
    pad = pad_id(backend)

    class Sequences(torch.utils.data.Dataset):
        def __len__(self):
            return len(sequences)

        def __getitem__(self, index):
            return {"sequence": sequences[index]}

    def collate(batch):
        ids, mask, labels = pad_batch([b["sequence"] for b in batch], pad)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}

    steps = -(-len(sequences) // 8) * args.epochs
    training_args = TrainingArguments(
        output_dir=str(args.out), num_train_epochs=args.epochs, per_device_train_batch_size=8,
        learning_rate=1e-4, weight_decay=0.0, max_grad_norm=1.0,
        logging_steps=1, save_strategy="no", save_only_model=True, report_to=[],
        use_cpu=True, seed=0, data_seed=0, remove_unused_columns=False, disable_tqdm=True)
    # the lab's schedule exactly (training.lr_factor): the first warm-up step already moves,
    # where transformers' constant_with_warmup starts at a rate of 0
    torch.manual_seed(0)
    optimiser = torch.optim.AdamW(backend.model.parameters(), lr=1e-4, weight_decay=0.0)
    warmup = max(1, round(0.1 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: lr_factor(s, warmup, steps, "constant"))

    class SaveClock(TrainerCallback):
        """Seconds (wall and CPU) spent saving checkpoints: neither training nor checking."""
        seconds = cpu_seconds = 0.0

        def on_step_end(self, args, state, control, **kwargs):
            self.mark, self.mark_cpu = time.perf_counter(), time.process_time()

        def on_save(self, args, state, control, **kwargs):
            SaveClock.seconds += time.perf_counter() - self.mark
            SaveClock.cpu_seconds += time.process_time() - self.mark_cpu

    callback = MemorizationCallback(members=members, held_out=held_out, canaries=canaries,
                                    tokenizer=backend.tokenizer,
                                    save_at_checks=args.save_checkpoints)
    trainer = Trainer(model=backend.model, args=training_args, train_dataset=Sequences(),
                      data_collator=collate, processing_class=backend.tokenizer,
                      optimizers=(optimiser, schedule), callbacks=[callback, SaveClock()])
    callback.trainer = trainer
    clock = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - clock

    summary = callback.summary_
    overhead = summary["overhead"]
    without_saves = overhead["training_seconds"] - SaveClock.seconds
    cpu_without_saves = overhead["training_cpu_seconds"] - SaveClock.cpu_seconds
    record = {"wall_seconds": round(wall, 1), "save_seconds": round(SaveClock.seconds, 1),
              "save_cpu_seconds": round(SaveClock.cpu_seconds, 1),
              "share_without_saves": round(overhead["check_seconds"] / without_saves, 4),
              "cpu_share_without_saves": round(overhead["check_cpu_seconds"]
                                               / cpu_without_saves, 4),
              "steps": steps, "members": len(members), "held_out": len(held_out),
              "training_texts": len(texts)}
    (args.out / "worked_run.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record))
    print(table(summary))
    return 0


def table(summary) -> str:
    """The curves as a text table: one line per checked step."""
    curves = summary["curves"]
    names = [n for n in ("auroc/loss", "auroc/min_k_plus_plus", "exposure/x1", "exposure/x4",
                         "exposure/x16", "extraction/member", "loss/member", "loss/held_out",
                         "loss_gap", "pathway_similarity", "pathway_consistency") if n in curves]
    lines = ["step  " + "  ".join(f"{n:>22}" for n in names)]
    for i, step in enumerate(summary["steps"]):
        values = [curves[n][i] for n in names]
        lines.append(f"{step:>4}  " + "  ".join(f"{'-' if v is None else f'{v:.3f}':>22}"
                                                for v in values))
    lines.append(json.dumps(summary["first_crossing"]))
    lines.append(json.dumps(summary["indicators"]))
    lines.append(json.dumps(summary.get("overhead")))
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
