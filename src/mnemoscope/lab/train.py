"""Fine-tune a causal LM on the lab's training texts, fully or with LoRA (peft).

Each training sequence is laid out as the backend scores it: the start token, the text's
tokens (no special tokens), then EOS, so the fine-tune sharpens exactly the
log-probabilities the signals read. The loss is the mean next-token NLL over the text
tokens and EOS; padding is masked out. With `prompts` (supervised fine-tuning on
prompt -> completion pairs, as the benchmarks' memorization experiment does) each text is
the completion: the prompt's tokens sit between the start token and the text, as a
generation call would see them, and are left out of the loss. A LoRA fine-tune is merged
into the base weights before saving, so the saved folder is a plain model that
load_model() reads.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from .config import TrainConfig


def _sequences(model, texts: Sequence[str], max_tokens: int,
               prompts: Sequence[str] | None = None) -> list[tuple[list[int], int]]:
    """(token ids, index of the first token in the loss) per text. Without prompts the loss
    starts after the start token; with them, after the prompt (which is never cut)."""
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


def _batch(torch, sequences: list[tuple[list[int], int]], pad: int):
    width = max(len(s) for s, _ in sequences)
    ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    labels = torch.full_like(ids, -100)
    for row, (seq, loss_from) in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
        # position 0 is never a target (nothing predicts it); HF shifts labels itself
        labels[row, loss_from: len(seq)] = ids[row, loss_from: len(seq)]
    return ids, mask, labels


def _trainable(network, config: TrainConfig):
    """The module to optimise: the network itself, or a peft LoRA wrapper around it."""
    if config.method == "full":
        return network
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=config.lora_rank, lora_alpha=config.alpha, lora_dropout=0.0,
                      target_modules="all-linear", task_type="CAUSAL_LM")
    return get_peft_model(network, lora)


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


def fine_tune(model, texts: Sequence[str], config: TrainConfig, *, progress: bool = True,
              stop_after_epoch: Callable[[int, list], bool] | None = None,
              prompts: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Trains `model.model` in place on `texts` (already including canary copies); returns
    the training curve, one point per optimiser step. With LoRA the adapters are merged
    into `model.model` before returning.

    `stop_after_epoch(epoch, curve)` (epoch 1-based, the curve so far), when given, is
    called after every epoch but the last with the network in eval mode, so it may
    generate with `model`; returning True ends training there (e.g. once the texts are
    reproduced verbatim). The optimiser state carries over between epochs, unlike calling
    fine_tune once per epoch. With LoRA the callback sees the unmerged adapters, which
    `model.model` already routes through. `prompts`, one per text, turns this into
    completion-only training (see the module docstring)."""
    import torch
    from tqdm.auto import tqdm

    torch.manual_seed(config.seed)
    sequences = _sequences(model, texts, config.max_tokens, prompts)
    pad = model.tokenizer.pad_token_id
    pad = pad if pad is not None else (model.tokenizer.eos_token_id or 0)
    trainable = _trainable(model.model, config)
    device = next(model.model.parameters()).device
    frozen, cached = None, None
    if config.frozen_layers:
        from .frozen import FrozenBottom

        frozen = FrozenBottom(model.model, config.frozen_layers)
        # a text repeated in `texts` (e.g. once per epoch's worth of data) is cached once
        slot: dict[tuple[int, ...], int] = {}
        unique = []
        for sequence in sequences:
            if tuple(sequence[0]) not in slot:
                slot[tuple(sequence[0])] = len(unique)
                unique.append(sequence)
        states = frozen.cache(torch, ((ids.to(device), mask.to(device)) for ids, mask, _ in
                                      (_batch(torch, unique[k:k + config.batch_size], pad)
                                       for k in range(0, len(unique), config.batch_size))))
        cached = [states[slot[tuple(ids)]] for ids, _ in sequences]
    params = [p for p in trainable.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)
    steps_per_epoch = math.ceil(len(sequences) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, round(config.warmup_fraction * total_steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: lr_factor(s, warmup, total_steps, config.schedule))
    generator = torch.Generator().manual_seed(config.seed)
    curve: list[dict[str, Any]] = []
    trainable.train()
    bar = tqdm(total=total_steps, unit="step", desc=f"fine-tuning ({config.method})",
               disable=not progress, file=sys.stderr)
    try:
        for epoch in range(config.epochs):
            order = torch.randperm(len(sequences), generator=generator).tolist()
            for step in range(steps_per_epoch):
                chosen = order[step * config.batch_size:(step + 1) * config.batch_size]
                picked = [sequences[i] for i in chosen]
                ids, mask, labels = (t.to(device) for t in _batch(torch, picked, pad))
                if frozen is not None:
                    loss = frozen.loss(torch, [cached[i] for i in chosen], mask, labels)
                else:
                    loss = trainable(input_ids=ids, attention_mask=mask, labels=labels).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimiser.step()
                scheduler.step()
                optimiser.zero_grad(set_to_none=True)
                curve.append({"step": len(curve) + 1, "epoch": epoch + 1,
                              "loss": float(loss.detach()), "lr": scheduler.get_last_lr()[0]})
                bar.update(1)
                bar.set_postfix(loss=f"{curve[-1]['loss']:.3f}")
            if stop_after_epoch is not None and epoch + 1 < config.epochs:
                trainable.eval()
                stop = stop_after_epoch(epoch + 1, curve)
                trainable.train()
                if stop:
                    break
    finally:
        bar.close()
        if frozen is not None:
            frozen.release()
    if config.method == "lora":
        model.model = trainable.merge_and_unload()
    model.model.eval()
    return curve


def save_model(model, directory: Path) -> None:
    """Weights as safetensors plus the tokenizer, written to a temporary folder and then
    renamed, so a crash never leaves a half-saved model that a resume would trust."""
    import shutil

    tmp = directory.with_name(directory.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    model.model.save_pretrained(tmp, safe_serialization=True)
    model.tokenizer.save_pretrained(tmp)
    tmp.rename(directory)
