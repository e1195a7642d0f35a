"""LOSS attack (Yeom et al. 2018, "Privacy Risk in Machine Learning"). Higher = member.

`loss(tokens=...)` restricts the mean to one class of tokens (signals/function_tokens.py):
`function`, `content`, `content_after_function` or `content_after_content`; a text
without such a token scores NaN (left out of the metrics, counted in `n_not_finite`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..types import TokenScores
from .base import Context, Signal, register

TOKEN_CHOICES = ("all", "function", "content", "content_after_function", "content_after_content")


@register("loss")
@dataclass(frozen=True)
class Loss(Signal):
    """Negative mean token NLL: members are more likely, so their loss is lower."""

    tokens: str = "all"

    paper = "Yeom et al. 2018"

    def __post_init__(self) -> None:
        if self.tokens not in TOKEN_CHOICES:
            raise ValueError(f"tokens must be one of {', '.join(TOKEN_CHOICES)}, got {self.tokens!r}")
        if self.tokens != "all":      # this instance reads the token classes
            object.__setattr__(self, "views", frozenset({"token_classes"}))

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        if self.tokens == "all":
            return -s.mean_nll
        from .function_tokens import SELECTIONS

        keep = np.isin(ctx.views["token_classes"].classes(s.token_ids), SELECTIONS[self.tokens])
        return float(np.mean(s.logprobs[keep], dtype=np.float64)) if keep.any() else float("nan")
