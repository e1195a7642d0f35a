"""What a membership signal is.

A signal is a small frozen dataclass: its fields are its hyperparameters, `needs` says
which backend capabilities it reads, `views` names the extra scorings it reads besides
the text itself under the target model (registered in signals/views.py, e.g. "lowercase":
the target model on the lowercased text). A signal reads scores; it never calls a model.
One convention: higher = more likely member.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from ..registry import Registry
from ..types import Capabilities, TokenScores


@dataclass(frozen=True)
class Context:
    """What a signal may read besides the text's own TokenScores."""

    text: str = ""
    # per view name, what the view gave for this text: TokenScores for a scoring view,
    # another object for the others (neighbour losses, samples)
    views: Mapping[str, Any] = field(default_factory=dict)


class Signal:
    """Base class for signals (subclasses are frozen dataclasses)."""

    registry_name: ClassVar[str]
    paper: ClassVar[str] = ""
    needs: ClassVar[Capabilities] = Capabilities.LOGPROBS
    views: ClassVar[frozenset[str]] = frozenset()
    # Model passes per text beyond the target's one pass over the text (for docs and `signals`)
    extra_passes: ClassVar[str] = "0"
    # On by default (the DEFAULT list), or when this view option is set (e.g. a reference
    # model given means the `reference` signal is wanted); None: only when asked for.
    default_when: ClassVar[str | None] = None

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def reads_scores(cls) -> bool:
        """Whether it reads the text's own scores (log-probs, or vocabulary statistics,
        which come with them). SaMIA does not: it reads sampled continuations only."""
        return bool(cls.needs & (Capabilities.LOGPROBS | Capabilities.VOCAB_STATS))

    def params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @property
    def column(self) -> str:
        """Column name in the run's rows: the registered name, plus any non-default params."""
        changed = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)  # type: ignore[arg-type]
                   if getattr(self, f.name) != f.default}
        if not changed:
            return self.registry_name
        return self.registry_name + "(" + ",".join(f"{k}={v}" for k, v in sorted(changed.items())) + ")"


signals: Registry[type[Signal]] = Registry("signal", group="mnemoscope.signals")
register = signals.register
