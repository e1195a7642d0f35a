"""Min-K% Prob (Shi et al. 2024, "Detecting Pretraining Data from Large Language Models").
A member text has few very unlikely tokens. Higher = member."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import TokenScores
from .base import Context, Signal, register


def check_fraction(k: float) -> None:
    """k is a share of the tokens: (0, 1]. Checked when the signal is made, so that
    `--signals min_k(k=2)` fails before any model loads."""
    if not 0.0 < k <= 1.0:
        raise ValueError(f"k must be in (0, 1], got {k}")


def mean_of_lowest(values: np.ndarray, k: float) -> float:
    """Mean of the floor(k * T) smallest values, at least one."""
    check_fraction(k)
    count = max(1, int(len(values) * k))
    return float(np.mean(np.sort(values.astype(np.float64))[:count]))


@register("min_k")
@dataclass(frozen=True)
class MinK(Signal):
    """Mean of the lowest k-fraction of token log-probs (paper sweeps k in 0.05..0.6)."""

    k: float = 0.2
    paper = "Shi et al. 2024"

    def __post_init__(self) -> None:
        check_fraction(self.k)

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return mean_of_lowest(s.logprobs, self.k)
