"""Model backends. Importing this package does not import torch; backends load lazily."""

from __future__ import annotations

from typing import Any

from .base import Model, ModelConfig, require, require_offered

__all__ = ["Model", "ModelConfig", "declared_capabilities", "identity_of", "load_model",
           "require", "require_offered"]


def declared_capabilities(config: ModelConfig):
    """What a backend offers, known without loading it (a Ray driver checks signals against
    this before any worker starts). None when only the loaded backend can tell."""
    from ..types import Capabilities

    return {"hf": Capabilities.LOGPROBS | Capabilities.VOCAB_STATS | Capabilities.GENERATE,
            "vllm": Capabilities.LOGPROBS | Capabilities.GENERATE}.get(config.resolved_backend())


def load_model(model: "str | ModelConfig | Model" = "smollm2-135m", **options: Any) -> Model:
    """Resolve a name, path or config to a loaded backend; a Model passes through."""
    if not isinstance(model, (str, ModelConfig)):
        return model
    config = model if isinstance(model, ModelConfig) else ModelConfig(model=model, **options)
    if isinstance(model, ModelConfig) and options:
        config = ModelConfig(**{**model.__dict__, **options})
    backend = config.resolved_backend()
    if backend == "openai":
        from .openai_compat import OpenAICompatModel

        return OpenAICompatModel(config)
    if backend == "vllm":
        from .vllm_backend import VLLMModel

        return VLLMModel(config)
    if backend != "hf":
        from ..types import InputError

        raise InputError(f"unknown backend {config.backend!r}; use hf, vllm or openai")
    from .hf import HFModel

    return HFModel(config)


def identity_of(config: ModelConfig) -> dict[str, Any]:
    """The identity `load_model(config).identity()` reports, without loading the weights
    where the backend can tell from its files (Hugging Face). Audits that train first (lab,
    unlearn) record the base model with it, under the same rule as every other run."""
    if config.resolved_backend() == "hf":
        from .hf import describe

        return describe(config)
    return load_model(config).identity()
