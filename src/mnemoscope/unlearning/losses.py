"""Unlearning objectives on next-token logits.

Shapes: `logits` (B, T, V) from a causal LM over `input_ids` (B, T); `labels` (B, T) are
the input ids with padding set to -100. Position t predicts token t + 1, so logits
[:, :-1] are scored against labels [:, 1:]; every loss is a mean over the scored tokens of
the whole batch (token-weighted, like the NLL the model was trained with).

- NLL:  -log p(x_t | x_<t).
- IHL (inverted hinge loss, LoKU): max(0, 1 + p(x_t) - max_{v != x_t} p(v)). It pushes the
  true token's probability below that of the best other token and stops pushing once the
  margin is reached, instead of driving p(x_t) to 0 as gradient ascent does: the mass goes
  to one plausible alternative rather than being spread until the text is noise.
- GA (gradient ascent): -NLL on the forget set. GD (gradient difference): GA + retain NLL.
"""

from __future__ import annotations

import torch


def _at_least_float32(tensor: torch.Tensor) -> torch.Tensor:
    """Softmax in half precision loses the small probabilities IHL compares; float64
    (the hand-worked tests) stays float64."""
    return tensor if tensor.dtype in (torch.float32, torch.float64) else tensor.float()


def scored_positions(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, V) logits and (N,) targets of every scored token in the batch."""
    shifted_logits = logits[:, :-1]            # (B, T-1, V): predicts the next token
    targets = labels[:, 1:]                    # (B, T-1)
    keep = targets != -100
    return shifted_logits[keep], targets[keep]


def nll(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    flat, targets = scored_positions(logits, labels)
    return torch.nn.functional.cross_entropy(_at_least_float32(flat), targets)


def inverted_hinge(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean over tokens of max(0, 1 + p(x_t) - max_{v != x_t} p(v))."""
    flat, targets = scored_positions(logits, labels)
    probs = torch.softmax(_at_least_float32(flat), dim=-1)                          # (N, V)
    true_prob = probs.gather(1, targets[:, None]).squeeze(1)             # (N,)
    is_true = torch.nn.functional.one_hot(targets, probs.shape[-1]).bool()
    best_other = probs.masked_fill(is_true, float("-inf")).amax(dim=-1)  # (N,)
    return torch.clamp(1.0 + true_prob - best_other, min=0.0).mean()


def gradient_ascent(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return -nll(logits, labels)


FORGET_LOSSES = {"ihl": inverted_hinge, "ga": gradient_ascent, "gd": gradient_ascent}


def unlearning_loss(method: str, forget_logits: torch.Tensor, forget_labels: torch.Tensor,
                    retain_logits: torch.Tensor | None = None,
                    retain_labels: torch.Tensor | None = None,
                    retain_weight: float = 1.0) -> dict[str, torch.Tensor]:
    """{"loss", "forget", "retain"?}: the objective of `method` (ihl, ga, gd). IHL and GD
    add retain_weight x the retain NLL; GA reads only the forget batch."""
    forget = FORGET_LOSSES[method](forget_logits, forget_labels)
    parts = {"forget": forget, "loss": forget}
    if method in ("ihl", "gd"):
        if retain_logits is None or retain_labels is None:
            raise ValueError(f"method {method!r} needs a retain batch")
        retain = nll(retain_logits, retain_labels)
        parts.update(retain=retain, loss=forget + retain_weight * retain)
    return parts
