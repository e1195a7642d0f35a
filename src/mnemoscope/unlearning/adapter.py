"""The unlearned model on disk, and back.

    DIR/adapter/   a standard peft LoRA adapter (safetensors) that applies to the ORIGINAL
                   model: PeftModel.from_pretrained(original, DIR/adapter).
    DIR/merged/    with --save-merged: the merged model (safetensors + tokenizer).
    DIR/model/     with --full: the fully fine-tuned model.

FILA subtracts its initial low-rank part s B0 A0 from the base weights. An adapter saved
as trained would need those modified base weights, so it is folded back onto the original
ones: s B A - s B0 A0 = s [B, -B0] [A; A0], a LoRA of rank 2r with alpha 2 alpha (the same
scaling s). This is what peft does for PiSSA/OLoRA on save; with the default initialisation
(B0 = 0) the adapter is saved as trained.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

ADAPTER_DIR, MERGED_DIR, FULL_DIR = "adapter", "merged", "model"


def snapshot_factors(layers: dict[str, Any], adapter: str = "default") -> dict[str, tuple]:
    """(A0, B0) per layer, copied right after initialisation."""
    return {name: (m.lora_A[adapter].weight.detach().clone(),
                   m.lora_B[adapter].weight.detach().clone()) for name, m in layers.items()}


def save_adapter(peft_model, layers: dict[str, Any], directory: Path,
                 initial: dict[str, tuple] | None, adapter: str = "default") -> None:
    """Write the adapter (folded onto the original weights when `initial` holds FILA's
    factors) to a temporary folder, then rename it over any older one (fileio.atomic_output,
    which replaces only a folder holding nothing but what mnemoscope wrote): a crash never
    leaves half an adapter."""
    from peft.utils import get_peft_model_state_dict
    from safetensors.torch import save_file
    import torch

    from ..fileio import atomic_output

    state = get_peft_model_state_dict(peft_model, adapter_name=adapter)
    config = copy.deepcopy(peft_model.peft_config[adapter])
    if initial is not None:
        for name, module in layers.items():
            a0, b0 = initial[name]
            a, b = module.lora_A[adapter].weight.detach(), module.lora_B[adapter].weight.detach()
            state[f"{name}.lora_A.weight"] = torch.cat([a, a0.to(a.device)], dim=0)   # (2r, in)
            state[f"{name}.lora_B.weight"] = torch.cat([b, -b0.to(b.device)], dim=1)  # (out, 2r)
        config.r, config.lora_alpha = 2 * config.r, 2 * config.lora_alpha
    config.init_lora_weights = True
    with atomic_output(directory) as tmp:
        tmp.mkdir(parents=True)
        save_file({k: v.detach().cpu().contiguous() for k, v in state.items()},
                  str(tmp / "adapter_model.safetensors"))
        config.save_pretrained(str(tmp))


def save_full(model, directory: Path) -> None:
    """A plain model folder (safetensors + tokenizer), renamed into place when complete
    (replacing an older one that holds only what mnemoscope wrote)."""
    from ..lab.train import save_model

    save_model(model, directory)


def fingerprint(directory: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in directory.iterdir() if p.is_file()):
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


class UnlearnedModel:
    """The original model with the adapter merged, as audits see it: everything is the
    loaded backend's, except an identity that names the adapter, so a resumed audit never
    mixes rows of two different unlearned models."""

    def __init__(self, inner, adapter_hash: str) -> None:
        self._inner = inner
        self._adapter_hash = adapter_hash
        self.name = f"{inner.name}+unlearned"

    def __getattr__(self, attribute: str):
        return getattr(self._inner, attribute)

    def identity(self) -> dict[str, Any]:
        return {**self._inner.identity(), "name": self.name, "adapter_hash": self._adapter_hash}


def load_unlearned(model_config, out: Path, full: bool):
    """The unlearned model read back from DIR: DIR/model (full), or the original model with
    DIR/adapter merged into it."""
    from dataclasses import replace

    from ..models import load_model

    if full:
        return load_model(replace(model_config, model=str((out / FULL_DIR).resolve())))
    from peft import PeftModel

    model = load_model(model_config)
    wrapped = PeftModel.from_pretrained(model.model, str(out / ADAPTER_DIR))
    # merging replaces the wrapped Linear layers inside the same network object, so the
    # backend's decoder and head (taken from it at load time) see the merged weights
    model.model = wrapped.merge_and_unload().eval()
    return UnlearnedModel(model, fingerprint(out / ADAPTER_DIR))
