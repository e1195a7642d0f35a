"""Min-K%++ (Zhang et al. 2024, "Min-K%++: Improved Baseline for Detecting Pre-Training
Data from Large Language Models"). Each token's log-prob is standardised by the mean and
standard deviation of log p over the vocabulary at that position, so a token counts as
'too likely' relative to what the model expected there. Higher = member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..types import Capabilities, TokenScores
from .base import Context, Signal, register
from .mink import check_fraction, mean_of_lowest


def token_z_scores(s: TokenScores) -> np.ndarray:
    """z_t = (log p(x_t) - mu_t) / sigma_t, shape (T,). sigma is floored at 1e-6 so a
    one-hot prediction (sigma = 0) gives a large finite z instead of inf."""
    if s.vocab_mean is None or s.vocab_var is None:
        raise ValueError("Min-K%++ needs vocabulary statistics, which these scores lack")
    sigma = np.sqrt(np.maximum(s.vocab_var.astype(np.float64), 1e-12))
    return (s.logprobs.astype(np.float64) - s.vocab_mean) / sigma


@register("min_k_plus_plus")
@dataclass(frozen=True)
class MinKPlusPlus(Signal):
    """Mean of the lowest k-fraction of z-scores."""

    k: float = 0.2
    paper = "Zhang et al. 2024"
    needs: ClassVar[Capabilities] = Capabilities.VOCAB_STATS

    def __post_init__(self) -> None:
        check_fraction(self.k)

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return mean_of_lowest(token_z_scores(s), self.k)
