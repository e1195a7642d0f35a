"""Lowercase ratio (Carlini et al. 2021). A memorized text loses much of its likelihood
when its casing changes; a merely fluent one loses less. Higher = member."""

from __future__ import annotations

from dataclasses import dataclass

from ..types import TokenScores
from .base import Context, Signal, register


@register("lowercase")
@dataclass(frozen=True)
class Lowercase(Signal):
    """loss(lowercased text) / loss(text)."""

    paper = "Carlini et al. 2021"
    views = frozenset({"lowercase"})

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return ctx.views["lowercase"].mean_nll / max(s.mean_nll, 1e-12)
