"""FILA: Fisher-weighted initialisation of LoRA (LoKU, Cha et al. 2025).

For every weight W (out, in) that LoRA wraps:

1. F_forget, F_retain: squared gradients of the NLL, per weight, summed over one pass of
   forget (retain) batches, each batch's squared gradient weighted by its token count,
   then divided by the token total n_f (n_r).
2. Importance I = (F_forget / n_f) / (1e-5 + F_retain / n_r)       (out, in): weights that
   matter for the forget set and not for the retain set.
3. Row weights w = sqrt(sum_in I)                                  (out,)
4. Rank-r SVD of diag(w) W = U S V^T; S is divided by the LoRA scaling s = alpha / r, so
   that s * B A reproduces the low-rank part at the original size.
5. A = (V sqrt(S))^T  (r, in)  and  B = diag(1 / (w + 1e-5)) U sqrt(S)  (out, r).
   peft's lora_A.weight is (r, in) and lora_B.weight is (out, r); the layer adds s * B A.
6. W <- W - s B A, so W + s B A is the original weight: the model is unchanged at step 0,
   and training starts from the directions the forget set depends on most.

The residual is computed in float64 from the very factors copied into the adapter (after
they are cast to the adapter's dtype), so in float32 the step-0 model matches the original
to rounding. Rows whose importance is all zero get w = 0; their part of B is then ~0.
"""

from __future__ import annotations

from typing import Iterable

import torch

from .losses import nll

TOKEN_EPS = 1e-5          # METHODS.md: the denominator guard of the importance ratio
ROW_EPS = 1e-5            # and of 1 / w


def lora_layers(peft_model, adapter: str = "default") -> dict[str, torch.nn.Module]:
    """Every peft LoRA layer with a plain weight, by module name."""
    from peft.tuners.lora import LoraLayer

    return {name: module for name, module in peft_model.named_modules()
            if isinstance(module, LoraLayer) and adapter in getattr(module, "lora_A", {})
            and hasattr(module.get_base_layer(), "weight")}


def _as_out_in(module, tensor: torch.Tensor) -> torch.Tensor:
    """GPT-2 style Conv1D layers store W as (in, out) (peft's fan_in_fan_out); a view as
    (out, in) lets one code path serve both (in-place edits reach the stored weight)."""
    return tensor.T if getattr(module, "fan_in_fan_out", False) else tensor


def accumulate_fisher(network, layers: dict[str, torch.nn.Module],
                      batches: Iterable[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
                      ) -> dict[str, torch.Tensor]:
    """Per-token mean squared gradient of the NLL for each layer's base weight, as (out, in)
    float32 tensors. `network` is the (LoRA-wrapped, B = 0) model; its LoRA factors are
    frozen during the pass and restored after."""
    weights = {name: module.get_base_layer().weight for name, module in layers.items()}
    trainable = [p for p in network.parameters() if p.requires_grad]
    for p in trainable:
        p.requires_grad_(False)
    for weight in weights.values():
        weight.requires_grad_(True)
    fisher = {name: torch.zeros_like(w, dtype=torch.float32) for name, w in weights.items()}
    tokens = 0
    try:
        for ids, mask, labels in batches:
            network.zero_grad(set_to_none=True)
            n_tokens = int((labels[:, 1:] != -100).sum())
            logits = network(input_ids=ids, attention_mask=mask).logits
            nll(logits, labels).backward()
            for name, weight in weights.items():
                fisher[name] += weight.grad.float().pow(2) * n_tokens
            tokens += n_tokens
    finally:
        for weight in weights.values():
            weight.grad = None
            weight.requires_grad_(False)
        for p in trainable:
            p.requires_grad_(True)
    if tokens == 0:
        raise ValueError("no scored tokens in the Fisher batches")
    return {name: _as_out_in(layers[name], f / tokens) for name, f in fisher.items()}


def fila_factors(weight: torch.Tensor, importance: torch.Tensor, rank: int,
                 scaling: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(A (r, in), B (out, r)) in float64 from W (out, in) and its importance (out, in).
    When r exceeds min(out, in) the extra components are zero (they never train: their
    A rows and B columns are both zero)."""
    w64 = weight.double()
    row_weight = importance.double().sum(dim=1).clamp_min(0).sqrt()           # (out,)
    u, s, vh = torch.linalg.svd(row_weight[:, None] * w64, full_matrices=False)
    keep = min(rank, s.shape[0])
    root = (s[:keep] / scaling).sqrt()                                        # sqrt(S / s)
    a = torch.zeros(rank, w64.shape[1], dtype=torch.float64)
    b = torch.zeros(w64.shape[0], rank, dtype=torch.float64)
    a[:keep] = root[:, None] * vh[:keep]                                      # (V sqrt S)^T
    b[:, :keep] = (1.0 / (row_weight + ROW_EPS))[:, None] * u[:, :keep] * root[None, :]
    return a, b


@torch.no_grad()
def apply_fila(layers: dict[str, torch.nn.Module], forget_fisher: dict[str, torch.Tensor],
               retain_fisher: dict[str, torch.Tensor], adapter: str = "default") -> dict[str, float]:
    """Initialise every layer's LoRA factors with FILA and subtract s B A from its base
    weight. Returns, per layer, the share of ||W|| (Frobenius) moved into the adapter."""
    moved = {}
    for name, module in layers.items():
        lora_a, lora_b = module.lora_A[adapter].weight, module.lora_B[adapter].weight
        scaling = float(module.scaling[adapter])
        base = _as_out_in(module, module.get_base_layer().weight)             # (out, in) view
        importance = forget_fisher[name] / (TOKEN_EPS + retain_fisher[name])
        a, b = fila_factors(base.detach().cpu(), importance.cpu(), lora_a.shape[0], scaling)
        lora_a.copy_(a.to(lora_a.dtype))
        lora_b.copy_(b.to(lora_b.dtype))
        # the residual uses the factors as stored, so W_res + s B A == W to rounding
        low_rank = scaling * (lora_b.double().cpu() @ lora_a.double().cpu())  # (out, in)
        original = base.double().cpu()
        base.copy_((original - low_rank).to(device=base.device, dtype=base.dtype))
        moved[name] = float(low_rank.norm() / original.norm().clamp_min(1e-12))
    return moved
