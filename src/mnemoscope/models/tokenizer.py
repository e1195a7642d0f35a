"""The target's tokenizer, for views that need token ids before or beside scoring (DC-PDD's
frequency table, the function-token classes), and a fingerprint of it for caches.

A loaded backend gives its own (`model.tokenizer`: the HF backend's, or the OpenAI
backend's `--tokenizer`). A ModelConfig (a Ray driver, where nothing is loaded) gives the
tokenizer of its files, without the weights.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..types import InputError
from .base import ModelConfig


def tokenizer_of(target: Any, who: str) -> Any:
    """The target's tokenizer, or an InputError naming `who` needs it and what to pass."""
    if isinstance(target, ModelConfig):
        source = target.endpoint.tokenizer if target.resolved_backend() == "openai" else \
            (target.model if target.resolved_backend() == "hf" else None)
        if source is not None:
            from .hf import _load_tokenizer, resolve_source

            directory, *_ = resolve_source(ModelConfig(model=source,
                                                       trust_remote_code=target.trust_remote_code))
            return _load_tokenizer(directory, target)
    else:
        tokenizer = getattr(target, "tokenizer", None)
        if tokenizer is not None:
            return tokenizer
    raise InputError(f"{who} needs the model's token ids: use a local model, or give an "
                     "endpoint a local copy of its tokenizer with --tokenizer PATH")


def fingerprint(tokenizer: Any) -> str:
    """SHA-256 of what decides token ids: the fast tokenizer's serialisation, else the vocabulary."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    text = backend.to_str() if backend is not None else \
        json.dumps(sorted(tokenizer.get_vocab().items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vocab_size(tokenizer: Any) -> int:
    return max(len(tokenizer), max(tokenizer.get_vocab().values()) + 1)
