"""LOSS attack (Yeom et al. 2018, "Privacy Risk in Machine Learning"). Higher = member."""

from __future__ import annotations

from dataclasses import dataclass

from ..types import TokenScores
from .base import Context, Signal, register


@register("loss")
@dataclass(frozen=True)
class Loss(Signal):
    """Negative mean token NLL: members are more likely, so their loss is lower."""

    paper = "Yeom et al. 2018"

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return -s.mean_nll
