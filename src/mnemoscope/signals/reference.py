"""Reference-model calibration (Carlini et al. 2021; Mireshghallah et al. 2022). A text
that is easy for the target but not for a reference model (a smaller model of the same
family, or the base model of a fine-tune) was likely trained on. Higher = member.

Cost: one pass of the reference model per text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from ..types import InputError, TokenScores
from .base import Context, Signal, register
from .views import View, ViewOption, ViewSetup, register_view


@register_view("reference")
@dataclass(frozen=True)
class ReferenceView(View):
    """The reference model on the text."""

    config: Any = None                        # ModelConfig the workers load
    model_identity: dict[str, Any] = field(default_factory=dict)
    loaded: Any = field(default=None, compare=False, repr=False)   # local engine only

    options = (ViewOption("reference_model", "a reference model (smaller, same family, or the "
                          "fine-tune's base); adds the `reference` signal", "MODEL"),)

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> None:
        if options.get("reference_model") is None:
            raise InputError("signal 'reference' needs a reference model: pass --reference-model "
                             "PATH (a smaller model of the same family, or the base model of a "
                             "fine-tune).")

    @classmethod
    def prepare(cls, setup: ViewSetup) -> "ReferenceView":
        cls.check(setup.options)
        loaded, identity, config = setup.prepare_model(setup.options["reference_model"])
        return cls(config, identity, loaded)

    def identity(self) -> dict[str, Any]:
        return self.model_identity

    def open(self, target: Any) -> Callable[[Sequence[str]], list[TokenScores]]:
        model = self.loaded
        if model is None:
            from ..models import load_model

            model = load_model(self.config)
        return model.score

    def __getstate__(self):                   # a loaded model never travels to a worker
        return {"config": self.config, "model_identity": self.model_identity, "loaded": None}

    def __setstate__(self, state):
        for key, value in state.items():
            object.__setattr__(self, key, value)


@register("reference")
@dataclass(frozen=True)
class Reference(Signal):
    """-(loss_target - loss_reference)."""

    paper = "Carlini et al. 2021; Mireshghallah et al. 2022"
    views = frozenset({"reference"})
    extra_passes = "1 (reference model)"
    default_when = "reference_model"

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return -(s.mean_nll - ctx.views["reference"].mean_nll)
