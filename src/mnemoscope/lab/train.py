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

from pathlib import Path
from typing import Any, Callable, Sequence

from ..training import (Batches, device_of, in_order, lr_factor, pad_id, tokenize,
                        train_loop)
from .config import TrainConfig

StopAfterEpoch = Callable[[int, list], bool]


def fine_tune(model, texts: Sequence[str], config: TrainConfig, *, progress: bool = True,
              stop_after_epoch: StopAfterEpoch | None = None,
              prompts: Sequence[str] | None = None, monitor=None,
              checkpoints: Path | None = None) -> list[dict[str, Any]]:
    """Trains `model.model` in place on `texts` (already including canary copies); returns
    the training curve, one point per optimiser step. With LoRA the adapters are merged
    into `model.model` before returning.

    `stop_after_epoch(epoch, curve)` (epoch 1-based, the curve so far), when given, is
    called after every epoch but the last with the network in eval mode, so it may
    generate with `model`; returning True ends training there (e.g. once the texts are
    reproduced verbatim). The optimiser state carries over between epochs, unlike calling
    fine_tune once per epoch. With LoRA the callback sees the unmerged adapters, which
    `model.model` already routes through. `prompts`, one per text, turns this into
    completion-only training (see the module docstring). `monitor` (a
    dynamics.Monitor, not started) checks memorization before the first step and at its
    scheduled steps, with the network in eval mode, and is finished after the last; with
    `checkpoints` (a folder) the weights of every checked step are saved there as
    checkpoint-<step>/ (full fine-tuning)."""
    import torch

    torch.manual_seed(config.seed)
    batches = Batches(tokenize(model, texts, config.max_tokens, prompts), config.batch_size,
                      pad_id(model), config.seed, device_of(model))
    trainable = _trainable(model.model, config)
    frozen, cached = (_freeze_bottom(model.model, batches, config) if config.frozen_layers
                      else (None, None))
    total = batches.per_pass * config.epochs
    warmup = max(1, round(config.warmup_fraction * total))
    step_fn = _step_fn(trainable, batches, frozen, cached)
    after_step = _epoch_end(trainable, batches.per_pass, config.epochs, stop_after_epoch)
    if monitor is not None:
        monitor.start(total, 0, model.identity())
        if monitor.due(0):
            model.model.eval()
            monitor.check(model, 0, {"epoch": 0.0})
            _save_checkpoint(model, checkpoints, 0)
        after_step = _with_checks(after_step, trainable, model, monitor, batches.per_pass,
                                  checkpoints)
    try:
        curve = train_loop(trainable, total, step_fn, lr=config.lr,
                           lr_multiplier=lambda s: lr_factor(s, warmup, total, config.schedule),
                           after_step=after_step, desc=f"fine-tuning ({config.method})",
                           progress=progress)
    finally:
        if frozen is not None:
            frozen.release()
    if config.method == "lora":
        model.model = trainable.merge_and_unload()
    model.model.eval()
    if monitor is not None:
        last = len(curve)          # stopped early (stop_after_epoch): the final weights too
        if last and last not in monitor.done_:
            monitor.check(model, last, {"train_loss": curve[-1]["loss"],
                                        "epoch": last / batches.per_pass})
            _save_checkpoint(model, checkpoints, last)
        monitor.finish()
    return curve


def _with_checks(after_step, trainable, model, monitor, steps_per_epoch: int,
                 checkpoints: Path | None):
    """The loop's after-step hook, with a memorization check first when one is due."""
    def hook(step: int, curve: list) -> bool:
        if monitor.due(step):
            trainable.eval()
            monitor.check(model, step, {"train_loss": curve[-1]["loss"],
                                        "epoch": step / steps_per_epoch})
            _save_checkpoint(model, checkpoints, step)
        return after_step(step, curve)
    return hook


def _save_checkpoint(model, folder: Path | None, step: int) -> None:
    """The weights of a checked step as folder/checkpoint-<step>/ (a retraining after a
    crash replaces what it finds there)."""
    if folder is None:
        return
    import shutil

    target = folder / f"checkpoint-{step}"
    if target.exists():
        shutil.rmtree(target)
    folder.mkdir(parents=True, exist_ok=True)
    save_model(model, target)


def _trainable(network, config: TrainConfig):
    """The module to optimise: the network itself, or a peft LoRA wrapper around it."""
    if config.method == "full":
        return network
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=config.lora_rank, lora_alpha=config.alpha, lora_dropout=0.0,
                      target_modules="all-linear", task_type="CAUSAL_LM")
    return get_peft_model(network, lora)


def _freeze_bottom(network, batches: Batches, config: TrainConfig):
    """(FrozenBottom, its cached states per sequence of `batches`): the bottom layers run
    once per distinct sequence (a text repeated in the training texts is cached once)."""
    import torch

    from .frozen import FrozenBottom

    frozen = FrozenBottom(network, config.frozen_layers)
    slot: dict[tuple[int, ...], int] = {}
    unique = []
    for sequence in batches.sequences:
        if tuple(sequence[0]) not in slot:
            slot[tuple(sequence[0])] = len(unique)
            unique.append(sequence)
    states = frozen.cache(torch, ((ids, mask) for ids, mask, _ in
                                  in_order(unique, config.batch_size, batches.pad,
                                           batches.device)))
    return frozen, [states[slot[tuple(ids)]] for ids, _ in batches.sequences]


def _step_fn(trainable, batches: Batches, frozen, cached: list | None):
    """The loss of the next shuffled batch: the whole network's, or with frozen bottom
    layers the top layers' on the cached states."""
    import torch

    def step_fn(step: int) -> dict[str, Any]:
        chosen = batches.next_indices()
        ids, mask, labels = batches.tensors(chosen)
        if frozen is not None:
            loss = frozen.loss(torch, [cached[i] for i in chosen], mask, labels)
        else:
            loss = trainable(input_ids=ids, attention_mask=mask, labels=labels).loss
        return {"epoch": (step - 1) // batches.per_pass + 1, "loss": loss}
    return step_fn


def _epoch_end(trainable, steps_per_epoch: int, epochs: int,
               stop_after_epoch: StopAfterEpoch | None):
    """The loop's after-step hook: at the end of every epoch but the last, the caller's
    stop_after_epoch in eval mode."""
    def after_step(step: int, curve: list) -> bool:
        epoch, steps_into_next = divmod(step, steps_per_epoch)
        if stop_after_epoch is None or steps_into_next or epoch >= epochs:
            return False
        trainable.eval()
        return bool(stop_after_epoch(epoch, curve))
    return after_step


def save_model(model, directory: Path, extra_json: dict[str, Any] | None = None) -> None:
    """Weights as safetensors plus the tokenizer, plus `extra_json` (file name -> payload),
    written to a temporary folder, fsynced and renamed (fileio.atomic_output): a crash never
    leaves a half-saved model that a resume would trust, and what is saved with the model
    (the lab's training curve) arrives in the same rename."""
    import json

    from ..fileio import atomic_output

    with atomic_output(directory) as tmp:
        model.model.save_pretrained(tmp, safe_serialization=True)
        model.tokenizer.save_pretrained(tmp)
        for name, payload in (extra_json or {}).items():
            (tmp / name).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
