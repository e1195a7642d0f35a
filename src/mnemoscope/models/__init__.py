"""Model backends. Importing this package does not import torch; backends load lazily."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .base import BUILTIN_BACKENDS, EndpointConfig, Model, ModelConfig, backend_class, backends, require, require_offered

__all__ = ["BUILTIN_BACKENDS", "EndpointConfig", "Model", "ModelConfig", "backend_class", "backends",
           "declared_capabilities", "identity_of", "load_model", "require", "require_offered"]


def declared_capabilities(config: ModelConfig):
    """What a backend offers, known without loading it (a Ray driver checks signals against
    this before any worker starts). None when only the loaded backend can tell."""
    return backend_class(config.resolved_backend()).declared


def load_model(model: "str | ModelConfig | Model" = "smollm2-135m", **options: Any) -> Model:
    """Resolve a name, path or config to a loaded backend; a Model passes through."""
    if not isinstance(model, (str, ModelConfig)):
        return model
    config = model if isinstance(model, ModelConfig) else ModelConfig(model=model, **options)
    if isinstance(model, ModelConfig) and options:
        config = replace(model, **options)
    return backend_class(config.resolved_backend())(config)


def identity_of(config: ModelConfig) -> dict[str, Any]:
    """The identity `load_model(config).identity()` reports, without loading the weights
    where the backend can tell from its files (Hugging Face). Audits that train first (lab,
    unlearn) record the base model with it, under the same rule as every other run."""
    if config.resolved_backend() == "hf":
        from .hf import describe

        return describe(config)
    return load_model(config).identity()
