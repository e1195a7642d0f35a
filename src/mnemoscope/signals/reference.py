"""Reference-model calibration (Carlini et al. 2021; Mireshghallah et al. 2022). A text
that is easy for the target but not for a reference model (a smaller model of the same
family, or the base model of a fine-tune) was likely trained on. Higher = member."""

from __future__ import annotations

from dataclasses import dataclass

from ..types import TokenScores
from .base import Context, Signal, register


@register("reference")
@dataclass(frozen=True)
class Reference(Signal):
    """-(loss_target - loss_reference)."""

    paper = "Carlini et al. 2021; Mireshghallah et al. 2022"
    views = frozenset({"reference"})

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return -(s.mean_nll - ctx.views["reference"].mean_nll)
