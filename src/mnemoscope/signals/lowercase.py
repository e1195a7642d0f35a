"""Lowercase ratio (Carlini et al. 2021). A memorized text loses much of its likelihood
when its casing changes; a merely fluent one loses less. Higher = member.

Cost: one extra pass of the target model per text (the lowercased text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..types import TokenScores
from .base import Context, Signal, register
from .views import View, register_view


@register_view("lowercase")
@dataclass(frozen=True)
class LowercaseView(View):
    """The target model on the lowercased text."""

    def open(self, target: Any) -> Callable[[Sequence[str]], list[TokenScores]]:
        return lambda texts: target.score([t.lower() for t in texts])


@register("lowercase")
@dataclass(frozen=True)
class Lowercase(Signal):
    """loss(lowercased text) / loss(text)."""

    paper = "Carlini et al. 2021"
    views = frozenset({"lowercase"})
    extra_passes = "1 (target, lowercased text)"

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return ctx.views["lowercase"].mean_nll / max(s.mean_nll, 1e-12)
