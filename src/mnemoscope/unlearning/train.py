"""The unlearning loop: LoRA (peft; FILA or peft's default initialisation) or full
fine-tuning, one forget batch (plus one retain batch for IHL and GD) per step.

Sequences are laid out as scoring and the lab's fine-tune lay them out (start token, text
tokens, EOS; training.py), so the loss acts on the very log-probabilities the audit
reads. Forget batches follow a seeded shuffle per epoch; retain batches cycle through their
own seeded shuffle. AdamW at a constant rate, gradients clipped to norm 1.

Stopping: after `max_steps` steps (default: `epochs` passes over the forget set), or, with
stop="holdout", as soon as a check (every `check_every` steps) finds the forget set's
greedy extraction rate at or below the held-out rate measured before unlearning, or, with
stop="parity", as soon as a check finds PrivLeak against the retrained model within the
tolerance as well (judge.ParityCheck; every measure of the check goes into the curve).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..training import Batches, device_of, pad_id, tokenize, train_loop
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


def prepare(model, config: UnlearnConfig, forget: Batches, retain: Batches,
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
        forget_fisher = accumulate_fisher(trainable, layers, forget.in_order())
        retain_fisher = accumulate_fisher(trainable, layers, retain.in_order())
        result.fila_moved = apply_fila(layers, forget_fisher, retain_fisher)
        from .adapter import snapshot_factors

        result.initial_factors = snapshot_factors(layers)
    return result


def make_batches(model, texts: Sequence[str], config: UnlearnConfig, seed_offset: int) -> Batches:
    """The forget (offset 1) or retain (offset 2) texts' batches, each set in its own
    seeded shuffle."""
    return Batches(tokenize(model, texts, config.max_tokens), config.batch_size, pad_id(model),
                   config.seed * 1000 + seed_offset, device_of(model))


def unlearn_steps(model, forget_texts: Sequence[str], retain_texts: Sequence[str],
                  config: UnlearnConfig, *, check: Callable[[], float] | None = None,
                  target_rate: float | None = None, parity=None, progress: bool = True,
                  log: Callable[[str], None] = lambda _: None) -> Trained:
    """Run the loop on `model` (an HF backend) in place and return what to save.
    `check()` returns the forget set's current extraction rate (stop="holdout"); `parity`
    (a judge.ParityCheck) measures `model` at each check (stop="parity")."""
    import torch

    torch.manual_seed(config.seed)
    forget = make_batches(model, forget_texts, config, 1)
    retain = make_batches(model, retain_texts, config, 2)
    trained = prepare(model, config, forget, retain, log)
    steps = total_steps(config, len(forget_texts))
    after_step = None
    if check is not None:
        after_step = _holdout_check(trained, check, target_rate, config.check_every, steps, log)
    elif parity is not None:
        after_step = _parity_check(trained, model, parity, config.check_every, steps, log)
    trained.curve = train_loop(trained.trainable, steps,
                               _step_fn(trained.trainable, forget, retain, config),
                               lr=config.lr, after_step=after_step,
                               desc=f"unlearning ({config.method}, {config.adapter})",
                               progress=progress)
    return trained


def _step_fn(trainable, forget: Batches, retain: Batches, config: UnlearnConfig):
    """The unlearning objective on the next forget batch (and retain batch, for IHL and
    GD): {"loss", "forget", "retain"?}."""
    def step_fn(_step: int) -> dict[str, Any]:
        ids, mask, labels = forget.next()
        forget_logits = trainable(input_ids=ids, attention_mask=mask).logits
        retain_logits = retain_labels = None
        if config.uses_retain:
            r_ids, r_mask, retain_labels = retain.next()
            retain_logits = trainable(input_ids=r_ids, attention_mask=r_mask).logits
        return unlearning_loss(config.method, forget_logits, labels, retain_logits,
                               retain_labels, config.retain_weight)
    return step_fn


def _holdout_check(trained: Trained, check: Callable[[], float], target_rate: float | None,
                   every: int, steps: int, log: Callable[[str], None]):
    """The loop's after-step hook: every `every` steps and at the last, the forget set's
    extraction rate (in eval mode, added to the step's point); reaching `target_rate`
    stops training."""
    def after_step(step: int, curve: list) -> bool:
        if step % every and step != steps:
            return False
        trained.trainable.eval()
        rate = curve[-1]["forget_rate"] = check()
        log(f"step {step}: forget extraction rate {rate:.3f} (target {target_rate:.3f})")
        if target_rate is not None and rate <= target_rate + 1e-12:
            trained.stopped = "holdout_reached"
            return True
        return False
    return after_step


def _parity_check(trained: Trained, model, parity, every: int, steps: int,
                  log: Callable[[str], None]):
    """The loop's after-step hook for stop="parity": every `every` steps and at the last,
    parity.measure(model) in eval mode, added to the step's point; parity stops training."""
    def after_step(step: int, curve: list) -> bool:
        if step % every and step != steps:
            return False
        trained.trainable.eval()
        point = parity.measure(model)
        curve[-1].update(point)
        log(f"step {step}: " + ", ".join(f"{k} {v:.3f}" for k, v in point.items()
                                         if isinstance(v, float)))
        if parity.reached(point):
            trained.stopped = "parity_reached"
            return True
        return False
    return after_step
