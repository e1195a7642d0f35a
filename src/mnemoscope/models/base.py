"""The one model interface every audit talks to.

A backend needs one required method, `score`, plus `generate` when it declares
Capabilities.GENERATE. Everything else (signals, runs, reports) only sees
TokenScores and strings, so a new backend never touches audit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol, Sequence, runtime_checkable

from ..registry import Registry
from ..types import Capabilities, TokenScores

LongTextPolicy = Literal["truncate", "window"]


@dataclass(frozen=True)
class EndpointConfig:
    """How to talk to an OpenAI-compatible HTTP endpoint (`ModelConfig.model` an http(s) URL);
    see openai_compat.py. The other backends ignore it."""

    served_model: str | None = None       # the `model` field of requests (default: the only one served)
    api_key_env: str = "OPENAI_API_KEY"   # the key is read from this variable, never stored
    request_timeout: float = 120.0        # seconds per HTTP request
    max_retries: int = 4                  # on connection errors, timeouts, 429 and 5xx
    requests_per_second: float | None = None   # client-side rate limit (None = unlimited)
    tokenizer: str | None = None          # a local tokenizer (name, HF folder, .gguf) for token ids


@dataclass(frozen=True)
class ModelConfig:
    """How to load and run a model. Stored in every run's spec.

    `model` is a name (`smollm2-135m`), a Hugging Face directory, a `.gguf` file, or
    an `http(s)://` OpenAI-compatible endpoint.
    """

    model: str = "smollm2-135m"
    device: str = "auto"          # auto | cpu | cuda | cuda:N
    dtype: str = "auto"           # auto (float32 on CPU, bfloat16 on CUDA) | float32 | bfloat16 | float16
    batch_size: int = 8
    max_length: int | None = None  # tokens per forward pass; default = the model's context
    long_text: LongTextPolicy = "truncate"
    trust_remote_code: bool = False
    backend: str = "hf"           # hf (transformers) | vllm (GPU) | openai (HTTP endpoint)
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)   # openai backend only

    def resolved_backend(self) -> str:
        """The backend that will load `model`: an http(s) URL always means `openai`."""
        from .http_client import is_endpoint

        return "openai" if is_endpoint(self.model) else self.backend

    def with_model(self, model: str) -> "ModelConfig":
        """The same settings for another model (a reference model, a fine-tuned copy)."""
        return replace(self, model=model)


@runtime_checkable
class Model(Protocol):
    name: str
    capabilities: Capabilities

    def score(self, texts: Sequence[str], prefix: str | None = None) -> list[TokenScores]:
        """One forward pass per text: log-probs of every token, plus vocabulary statistics.
        With `prefix` (backends declaring Capabilities.PREFIX), each text is scored after
        that one shared prefix, whose keys and values are computed once; the scores cover
        the text's tokens only."""
        ...

    def generate(self, prompts: Sequence[str], *, max_new_tokens: int, n: int = 1,
                 temperature: float = 0.0, seed: int | None = None) -> list[list[str]]:
        """n continuations per prompt (greedy when temperature == 0)."""
        ...

    def identity(self) -> dict[str, Any]:
        """What makes results reproducible: name, file hash, dtype, library versions."""
        ...


def require(model: Model, needed: Capabilities, who: str) -> None:
    """Fail before any work starts when the backend cannot supply what `who` needs."""
    require_offered(model.capabilities, model.name, needed, who)


def require_offered(offered: Capabilities, backend: str, needed: Capabilities, who: str) -> None:
    """`require` for a backend known only by what it declares (nothing loaded yet)."""
    missing = needed & ~offered
    if missing:
        from ..types import CapabilityError

        raise CapabilityError(
            f"{who} needs {missing.describe()}, which backend {backend!r} cannot supply "
            f"(it offers: {offered.describe()}). Use the Hugging Face backend "
            f"(a local model directory or .gguf file) or drop {who}."
        )


# Backends register themselves (`@backends.register("hf")` on the class) with `declared`,
# the capabilities known without loading anything (None: only the loaded backend can tell,
# e.g. an HTTP server that may or may not return log-probs). The built-in modules are
# imported on first lookup, so `import mnemoscope` stays free of torch; other packages
# register through the `mnemoscope.backends` entry-point group.
backends: Registry[type] = Registry("backend", group="mnemoscope.backends")
BUILTIN_BACKENDS = {"hf": "mnemoscope.models.hf", "vllm": "mnemoscope.models.vllm_backend",
                    "openai": "mnemoscope.models.openai_compat"}


def backend_class(name: str) -> type:
    """The registered backend class called `name` (importing a built-in one on demand)."""
    if name not in backends._items and name in BUILTIN_BACKENDS:
        import importlib

        importlib.import_module(BUILTIN_BACKENDS[name])
    if name not in backends:
        from ..types import InputError

        known = ", ".join(sorted(set(BUILTIN_BACKENDS) | set(backends.names())))
        raise InputError(f"unknown backend {name!r}; use one of {known}")
    return backends.get(name)


def right_pad(sequences: Sequence[Sequence[int]], pad: int):
    """(ids, attention mask) for a batch of token sequences: long tensors (batch, longest),
    each sequence from column 0 and `pad` after it; the mask is 1 on the real tokens."""
    import torch

    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    return ids, mask
