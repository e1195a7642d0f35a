"""A plain transformers.Trainer fine-tune of a model folder with the MemorizationCallback,
for the dynamics tests (imported, or run as a script so a test can SIGKILL it).

    python tests/_dynamics_train.py MODEL_DIR OUTPUT_DIR [--resume] [--pause-at STEP]

--pause-at STEP: after the check of STEP is written, touch OUTPUT_DIR/paused-at-STEP and
sleep, so the test can kill the process at a known point.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

WORDS = ("the old king wrote a letter to the city people in winter and the river was "
         "quiet . she found a stone on the road near the market in the morning light . "
         "they walk to the house on the hill and play a song at night . we know the "
         "mountain field is long and the water is bright in summer").split()


def texts(count: int, seed: int) -> list[str]:
    import random

    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(14, 22))) for _ in range(count)]


def members_and_held_out():
    return texts(24, 1), texts(24, 2)


class TokenDataset:
    def __init__(self, sequences):
        self.sequences = sequences

    def __len__(self):
        return len(self.sequences)

    def __getitem__(self, index):
        return {"sequence": self.sequences[index]}


def build_trainer(model_dir: Path, output_dir: Path, *, callbacks, max_steps: int = 12,
                  save_steps: int = 4, extra_texts=()):
    """Full fine-tune, batch 4, lr 1e-3 constant: the tiny model memorizes fast."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    from mnemoscope.models import load_model
    from mnemoscope.training import pad_batch, pad_id, tokenize

    backend = load_model(str(model_dir))               # the scoring layout, for tokenize()
    members, _ = members_and_held_out()
    sequences = tokenize(backend, list(members) + list(extra_texts), 64)
    pad = pad_id(backend)

    def collate(batch):
        ids, mask, labels = pad_batch([b["sequence"] for b in batch], pad)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    args = TrainingArguments(
        output_dir=str(output_dir), max_steps=max_steps, per_device_train_batch_size=4,
        learning_rate=1e-3, lr_scheduler_type="constant", weight_decay=0.0,
        save_strategy="steps", save_steps=save_steps, save_only_model=False,
        logging_steps=1, report_to=[], use_cpu=True, seed=0, data_seed=0,
        dataloader_num_workers=0, remove_unused_columns=False, disable_tqdm=True)
    return Trainer(model=model, args=args, train_dataset=TokenDataset(sequences),
                   data_collator=collate, processing_class=tokenizer, callbacks=callbacks)


def make_callback(**options):
    from mnemoscope.dynamics.config import DynamicsConfig
    from mnemoscope.extraction.canaries import CanaryConfig, make_canaries
    from mnemoscope.integrations.transformers import MemorizationCallback

    members, held_out = members_and_held_out()
    canaries = make_canaries(CanaryConfig(formats=("my account pin is {secret} .",),
                                          secret_digits=3, repetitions=(1, 4),
                                          per_repetition=1), seed=0)
    config = DynamicsConfig(every_steps=options.pop("every_steps", 2), members=16, held_out=16,
                            canary_candidates=15, prefix_tokens=8, suffix_tokens=8,
                            batch_size=8, bootstrap=50)
    return MemorizationCallback(members, held_out, canaries=canaries, config=config,
                                progress=False, **options), canaries


def canary_texts(canaries):
    return [c.text for c in canaries for _ in range(c.repetitions)]


def pause_at(step: int, output_dir: Path):
    """A callback that stands for a crash at a known point: after STEP's check (callbacks
    run in order, the memorization callback first), signal the test and sleep."""
    from transformers import TrainerCallback

    class PauseAt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == step:
                (output_dir / f"paused-at-{step}").touch()
                time.sleep(600)

    return PauseAt()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--pause-at", type=int, default=None)
    args = parser.parse_args(argv)
    callback, canaries = make_callback()
    callbacks = [callback] + ([pause_at(args.pause_at, args.output_dir)]
                              if args.pause_at is not None else [])
    trainer = build_trainer(args.model_dir, args.output_dir, callbacks=callbacks,
                            extra_texts=canary_texts(canaries))
    trainer.train(resume_from_checkpoint=True if args.resume else None)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main())
