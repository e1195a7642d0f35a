"""Core value types shared by every layer. Imports nothing internal and no torch."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np


class Capabilities(enum.Flag):
    """What a model backend can supply. A signal or audit declares what it needs."""

    NONE = 0
    LOGPROBS = enum.auto()      # log p(x_t | x_<t) for every text token
    VOCAB_STATS = enum.auto()   # mean and variance of log p over the whole vocabulary
    GENERATE = enum.auto()      # greedy and sampled continuation
    PREFIX = enum.auto()        # score texts after a shared prefix, its KV cache reused

    def describe(self) -> str:
        names = [m.name.lower() for m in Capabilities if m and m in self and m.name]
        return ", ".join(names) or "none"


@dataclass(frozen=True, slots=True)
class Sample:
    """One text to audit. `label` is 1 for a known member, 0 for a known non-member."""

    id: str
    text: str
    label: int | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TokenScores:
    """One text, one forward pass. Every array has shape (T,), T = number of scored tokens."""

    token_ids: np.ndarray            # int32
    logprobs: np.ndarray             # log p(x_t | x_<t), float32
    vocab_mean: np.ndarray | None = None   # E_{v~p}[log p(v | x_<t)]
    vocab_var: np.ndarray | None = None    # Var_{v~p}[log p(v | x_<t)]
    truncated: bool = False          # True when tokens past the context were dropped

    def __len__(self) -> int:
        return int(self.logprobs.shape[0])

    @property
    def mean_nll(self) -> float:
        """Mean negative log-likelihood per token (the usual 'loss')."""
        return float(-np.mean(self.logprobs, dtype=np.float64))


class MnemoscopeError(Exception):
    """Base error. Its message is meant for a person: what, where, what to do."""


class InputError(MnemoscopeError):
    """Bad user input (data file, model file, flags). The CLI exits 2 with the message."""


class SpecMismatchError(InputError):
    """An output directory already holds a run with a different spec."""


class CapabilityError(InputError):
    """A signal or audit needs something the model backend cannot supply."""
