"""The unlearning loop: LoRA (peft; FILA or peft's default initialisation) or full
fine-tuning, one forget batch (plus one retain batch for IHL and GD) per step.

Sequences are laid out as scoring and the lab's fine-tune lay them out (start token, text
tokens, EOS; lab/train.py), so the loss acts on the very log-probabilities the audit
reads. Forget batches follow a seeded shuffle per epoch; retain batches cycle through their
own seeded shuffle. AdamW at a constant rate, gradients clipped to norm 1.

Stopping: after `max_steps` steps (default: `epochs` passes over the forget set), or, with
stop="holdout", as soon as a check (every `check_every` steps) finds the forget set's
greedy extraction rate at or below the held-out rate measured before unlearning.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch

from ..lab.train import _batch, _sequences
from .config import UnlearnConfig
from .fila import accumulate_fisher, apply_fila, lora_layers
from .losses import unlearning_loss


@dataclass
class Trained:
    """What the loop leaves behind for saving: the module that was optimised (the peft
    wrapper, or the network itself), its LoRA layers, FILA's initial factors."""

    trainable: Any
    layers: dict[str, Any] = field(default_factory=dict)
    initial_factors: dict[str, tuple] | None = None
    curve: list[dict[str, Any]] = field(default_factory=list)
    stopped: str = "max_steps"
    fila_moved: dict[str, float] | None = None


def total_steps(config: UnlearnConfig, n_forget: int) -> int:
    if config.max_steps is not None:
        return config.max_steps
    return config.epochs * math.ceil(n_forget / config.batch_size)


class _Batches:
    """Seeded shuffled batches of token sequences, reshuffled on every pass."""

    def __init__(self, sequences: list[list[int]], size: int, pad: int, seed: int, device):
        self.sequences, self.size, self.pad, self.device = sequences, size, pad, device
        self.generator = torch.Generator().manual_seed(seed)
        self.order: list[int] = []

    def next(self):
        if not self.order:
            self.order = torch.randperm(len(self.sequences), generator=self.generator).tolist()
        picked, self.order = self.order[:self.size], self.order[self.size:]
        return self.one_pass_batch([self.sequences[i] for i in picked])

    def one_pass_batch(self, sequences):
        return tuple(t.to(self.device) for t in _batch(torch, sequences, self.pad))

    def one_pass(self):
        """Every sequence once, in order (the Fisher pass)."""
        for start in range(0, len(self.sequences), self.size):
            yield self.one_pass_batch(self.sequences[start:start + self.size])


def _wrap_lora(network, config: UnlearnConfig):
    from peft import LoraConfig, get_peft_model

    targets = list(config.target_modules) if config.target_modules else "all-linear"
    lora = LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=0.0,
                      target_modules=targets, task_type="CAUSAL_LM", init_lora_weights=True)
    try:
        return get_peft_model(network, lora)
    except ValueError as exc:      # e.g. a target module name that matches nothing
        from ..types import InputError

        raise InputError(f"LoRA: {str(exc).splitlines()[0]} Check --target-modules "
                         "(e.g. q_proj,v_proj) against the model's layer names.") from None


def prepare(model, config: UnlearnConfig, forget: _Batches, retain: _Batches,
            log: Callable[[str], None] = lambda _: None) -> Trained:
    """Wrap `model.model` for training (in place: the backend's scoring and generation see
    the adapters) and initialise it; with FILA, log-probs are unchanged at this point."""
    if config.full:
        return Trained(trainable=model.model)
    trainable = _wrap_lora(model.model, config)
    layers = lora_layers(trainable)
    result = Trained(trainable=trainable, layers=layers)
    if config.uses_fila:
        trainable.eval()
        log(f"FILA: Fisher information over {len(forget.sequences)} forget and "
            f"{len(retain.sequences)} retain texts, {len(layers)} layers")
        forget_fisher = accumulate_fisher(trainable, layers, forget.one_pass())
        retain_fisher = accumulate_fisher(trainable, layers, retain.one_pass())
        result.fila_moved = apply_fila(layers, forget_fisher, retain_fisher)
        from .adapter import snapshot_factors

        result.initial_factors = snapshot_factors(layers)
    return result


def make_batches(model, texts: Sequence[str], config: UnlearnConfig, seed_offset: int) -> _Batches:
    pad = model.tokenizer.pad_token_id
    pad = pad if pad is not None else (model.tokenizer.eos_token_id or 0)
    device = next(model.model.parameters()).device
    return _Batches(_sequences(model, texts, config.max_tokens), config.batch_size, pad,
                    config.seed * 1000 + seed_offset, device)


def unlearn_steps(model, forget_texts: Sequence[str], retain_texts: Sequence[str],
                  config: UnlearnConfig, *, check: Callable[[], float] | None = None,
                  target_rate: float | None = None, progress: bool = True,
                  log: Callable[[str], None] = lambda _: None) -> Trained:
    """Run the loop on `model` (an HF backend) in place and return what to save.
    `check()` returns the forget set's current extraction rate (stop="holdout")."""
    from tqdm.auto import tqdm

    torch.manual_seed(config.seed)
    forget = make_batches(model, forget_texts, config, 1)
    retain = make_batches(model, retain_texts, config, 2)
    trained = prepare(model, config, forget, retain, log)
    trainable = trained.trainable
    params = [p for p in trainable.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)
    steps = total_steps(config, len(forget_texts))
    bar = tqdm(total=steps, unit="step", desc=f"unlearning ({config.method}, {config.adapter})",
               disable=not progress, file=sys.stderr)
    try:
        for step in range(1, steps + 1):
            trainable.train()
            ids, mask, labels = forget.next()
            forget_logits = trainable(input_ids=ids, attention_mask=mask).logits
            retain_logits = retain_labels = None
            if config.uses_retain:
                r_ids, r_mask, retain_labels = retain.next()
                retain_logits = trainable(input_ids=r_ids, attention_mask=r_mask).logits
            parts = unlearning_loss(config.method, forget_logits, labels, retain_logits,
                                    retain_labels, config.retain_weight)
            parts["loss"].backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            optimiser.zero_grad(set_to_none=True)
            point = {"step": step, **{k: float(v.detach()) for k, v in parts.items()}}
            bar.update(1)
            bar.set_postfix(loss=f"{point['loss']:.3f}")
            if check is not None and (step % config.check_every == 0 or step == steps):
                trainable.eval()
                point["forget_rate"] = check()
                log(f"step {step}: forget extraction rate {point['forget_rate']:.3f} "
                    f"(target {target_rate:.3f})")
                if target_rate is not None and point["forget_rate"] <= target_rate + 1e-12:
                    trained.curve.append(point)
                    trained.stopped = "holdout_reached"
                    break
            trained.curve.append(point)
    finally:
        bar.close()
    trainable.eval()
    return trained
