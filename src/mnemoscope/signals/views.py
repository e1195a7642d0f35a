"""Views: the extra scorings a signal reads besides its text under the target model.

A signal names the views it reads (`views = frozenset({"lowercase"})`); the membership
runner asks this registry for each name and never knows one by name itself. A view is a
frozen dataclass (so a Ray worker can rebuild it) with two steps:

    check(options)             before any model loads: a missing or bad option is an
                               InputError here
    prepare(setup) -> View     on the driver, before any scoring: load or describe what the
                               view needs (a second model)
    open(target) -> fn         where the rows are computed: fn(texts) -> one result per
                               text, aligned with `texts` (TokenScores for a scoring view)

A view whose draws are seeded per text id (neighbours, samples) overrides
`open_samples(target) -> fn(samples)` instead; the runner always calls that one, and by
default it hands `open`'s function the texts. A per-text result may be any object a signal
knows how to read (neighbour losses, sampled continuations); when it has a
`row_fields() -> dict` method, those fields are stored in the text's row, so a run keeps
what its signals read (the neighbours themselves, the samples).

A view that needs a setting declares it in `options`; `mnemoscope score` offers each as a
flag (`reference_model` -> `--reference-model`) and the spec carries it, so a new view
needs no edit to the runner, the CLI or the spec. `identity()` is what of the view must
match for a run to resume (a reference model's identity, a prefix's hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Sequence

import numpy as np

from ..registry import Registry
from ..types import TokenScores


@dataclass(frozen=True)
class ViewOption:
    """A setting a view needs, offered by `mnemoscope score` as --<name with dashes>."""

    name: str
    help: str
    metavar: str = "VALUE"


@dataclass
class ViewSetup:
    """What `View.prepare` may use on the driver."""

    options: Mapping[str, Any]                       # every view option, by name (None = unset)
    # loads (local engine) or describes (Ray) a second model like the target:
    # model name, path or loaded Model -> (loaded model or None, identity, config for workers)
    prepare_model: Callable[[Any], tuple[Any, dict[str, Any], Any]]
    samples: Sequence[Any] = ()                      # the run's samples, for views drawn from them
    seed: int = 0                                    # the run's seed (shots, neighbours, samples)
    # the target: the loaded model (local engine) or its ModelConfig (Ray driver), for views
    # that need its tokenizer before any scoring (a token frequency table)
    target: Any = None


class View:
    """Base class for views (subclasses are frozen dataclasses)."""

    registry_name: ClassVar[str]
    options: ClassVar[tuple[ViewOption, ...]] = ()

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> None:
        """Raise an InputError when the options this view needs are missing or wrong
        (called before any model is loaded)."""

    @classmethod
    def prepare(cls, setup: ViewSetup) -> "View":
        cls.check(setup.options)
        return cls()

    def identity(self) -> dict[str, Any] | None:
        return None

    def excluded_ids(self) -> frozenset[str]:
        """Ids of samples this view consumed (ReCaLL's non-member shots drawn from the data):
        they get no row, so they never reach the metrics. Record them in identity()."""
        return frozenset()

    def open(self, target: Any) -> Callable[[Sequence[str]], list[Any]]:  # pragma: no cover
        raise NotImplementedError

    def open_samples(self, target: Any) -> Callable[[Sequence[Any]], list[Any]]:
        """fn(samples) -> one result per sample. The runner calls this; override it when
        the view needs the samples' ids (per-id seeds), not only their texts."""
        scorer = self.open(target)
        return lambda samples: scorer([s.text for s in samples])

    @classmethod
    def example(cls, member: bool) -> Any:
        """A stand-in for one text's result, for the conformance test of the signals that
        read this view (tests/signals/test_signal_conformance.py): `member` asks for what a
        member text would give, where the view alone carries the evidence (samples)."""
        lp = np.array([-2.5, -3.0, -1.5, -2.0], dtype=np.float32)
        return TokenScores(np.arange(4, dtype=np.int32), lp)


views: Registry[type[View]] = Registry("view", group="mnemoscope.views")
register_view = views.register


def all_options() -> list[ViewOption]:
    """Every option of every registered view, once each (for the CLI)."""
    seen: dict[str, ViewOption] = {}
    for name in views.names():
        for option in views.get(name).options:
            seen.setdefault(option.name, option)
    return list(seen.values())
