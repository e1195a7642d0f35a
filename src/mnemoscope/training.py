"""The training kit the lab's fine-tune and the unlearning loop share: token sequences laid
out as scoring reads them, padded batches in a seeded shuffle, and an AdamW loop around a
step function.

A training sequence is the start token, the text's tokens (no special tokens), then EOS,
exactly as the backend scores a text, so training moves the very log-probabilities the
signals read. With a prompt (completion-only training) the prompt's tokens sit between the
start token and the text and are left out of the loss. torch is imported inside the
functions, so importing this module stays cheap.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterator, Sequence

# (token ids, index of the first token in the loss)
TokenSequence = tuple[list[int], int]

# Both trainers clip to norm 1: one outlier batch (a long text, a large unlearning loss)
# would otherwise take a step far larger than the rate implies.
MAX_GRAD_NORM = 1.0


def tokenize(model, texts: Sequence[str], max_tokens: int,
             prompts: Sequence[str] | None = None) -> list[TokenSequence]:
    """One TokenSequence per text, its tokens cut to `max_tokens`. Without prompts the loss
    starts after the start token; with them (one per text), after the prompt, which is
    never cut."""
    start = [] if model.start_token_id is None else [int(model.start_token_id)]
    eos = model.tokenizer.eos_token_id
    end = [] if eos is None else [int(eos)]
    if prompts is not None and len(prompts) != len(texts):
        raise ValueError(f"{len(prompts)} prompts for {len(texts)} texts; pass one per text")
    out = []
    for k, text in enumerate(texts):
        prefix = start + (model.encode(prompts[k]) if prompts is not None else [])
        out.append((prefix + model.encode(text)[:max_tokens] + end, max(len(prefix), 1)))
    return out


def pad_id(model) -> int:
    """The id that fills a batch's short rows: the tokenizer's pad token, else EOS, else 0
    (the mask hides it, so any id in the vocabulary does)."""
    pad = model.tokenizer.pad_token_id
    return pad if pad is not None else (model.tokenizer.eos_token_id or 0)


def device_of(model):
    """Where the backend's network lives; batches are moved there."""
    return next(model.model.parameters()).device


def pad_batch(sequences: Sequence[TokenSequence], pad: int):
    """(ids, attention mask, labels), each (batch, longest sequence), right-padded; labels
    are -100 outside each sequence's loss span."""
    import torch

    from .models.base import right_pad

    ids, mask = right_pad([seq for seq, _ in sequences], pad)
    labels = torch.full_like(ids, -100)
    for row, (seq, loss_from) in enumerate(sequences):
        # position 0 is never a target (nothing predicts it); HF shifts labels itself
        labels[row, loss_from: len(seq)] = ids[row, loss_from: len(seq)]
    return ids, mask, labels


def in_order(sequences: Sequence[TokenSequence], size: int, pad: int, device) -> Iterator[tuple]:
    """Every sequence once, in order, as padded batches of `size` on `device`."""
    for start in range(0, len(sequences), size):
        yield tuple(t.to(device) for t in pad_batch(sequences[start:start + size], pad))


class Batches:
    """Batches of `size` sequences in a seeded shuffle, drawn one at a time; a pass ends
    with a short batch when `size` does not divide the count, and the next pass is a fresh
    permutation. The shuffle has its own generator, so it never moves torch's global RNG."""

    def __init__(self, sequences: Sequence[TokenSequence], size: int, pad: int, seed: int,
                 device="cpu") -> None:
        import torch

        self.sequences, self.size, self.pad, self.device = list(sequences), size, pad, device
        self.generator = torch.Generator().manual_seed(seed)
        self.order: list[int] = []

    @property
    def per_pass(self) -> int:
        return -(-len(self.sequences) // self.size)

    def next_indices(self) -> list[int]:
        """The positions in `sequences` of the next batch."""
        import torch

        if not self.order:
            self.order = torch.randperm(len(self.sequences), generator=self.generator).tolist()
        picked, self.order = self.order[:self.size], self.order[self.size:]
        return picked

    def tensors(self, indices: Sequence[int]) -> tuple:
        """(ids, mask, labels) of those sequences, on the device."""
        return tuple(t.to(self.device)
                     for t in pad_batch([self.sequences[i] for i in indices], self.pad))

    def next(self) -> tuple:
        return self.tensors(self.next_indices())

    def in_order(self) -> Iterator[tuple]:
        return in_order(self.sequences, self.size, self.pad, self.device)


def lr_factor(step: int, warmup: int, total: int, schedule: str) -> float:
    """Multiplier of the base rate for optimiser step `step` (0-based): linear warm-up over
    `warmup` steps to 1, then 1 ("constant") or a straight line down to 1/(decay steps) at
    the last step ("linear"; it never reaches 0, so the last step still moves)."""
    if step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    decay = max(1, total - warmup)
    return max(0.0, (total - step) / decay)


StepFn = Callable[[int], dict[str, Any]]
AfterStep = Callable[[int, list], bool]


def train_loop(trainable, steps: int, step_fn: StepFn, *, lr: float,
               lr_multiplier: Callable[[int], float] | None = None,
               after_step: AfterStep | None = None, desc: str = "training",
               progress: bool = True) -> list[dict[str, Any]]:
    """Up to `steps` AdamW steps (no weight decay) on the parameters of `trainable` that
    require grad; returns the curve, one point per step.

    `step_fn(step)` (1-based) runs the forward pass in train mode and returns the point's
    values: "loss", the scalar tensor to minimise, and anything else to record (tensors
    are recorded as floats). The point is {"step", **those values}, plus "lr" (the rate
    after the step) when `lr_multiplier(step)` (0-based, as LambdaLR counts) sets a
    schedule. `after_step(step, curve)` may add to the last point, or put the network in
    eval mode to generate (the next step puts it back); True ends training there. The
    network is left in eval mode."""
    import torch
    from tqdm.auto import tqdm

    params = [p for p in trainable.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    scheduler = (None if lr_multiplier is None
                 else torch.optim.lr_scheduler.LambdaLR(optimiser, lr_multiplier))
    curve: list[dict[str, Any]] = []
    bar = tqdm(total=steps, unit="step", desc=desc, disable=not progress, file=sys.stderr)
    try:
        for step in range(1, steps + 1):
            trainable.train()
            values = step_fn(step)
            values["loss"].backward()
            torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
            optimiser.step()
            if scheduler is not None:
                scheduler.step()
            optimiser.zero_grad(set_to_none=True)
            point = {"step": step, **{k: float(v.detach()) if torch.is_tensor(v) else v
                                      for k, v in values.items()}}
            if scheduler is not None:
                point["lr"] = scheduler.get_last_lr()[0]
            curve.append(point)
            bar.update(1)
            bar.set_postfix(loss=f"{point['loss']:.3f}")
            if after_step is not None and after_step(step, curve):
                break
    finally:
        bar.close()
    trainable.eval()
    return curve
