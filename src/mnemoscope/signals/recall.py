"""ReCaLL (Xie et al. 2024, "ReCaLL: Membership Inference via Relative Conditional
Log-Likelihoods"). Conditioning a text on a prefix P of known non-member texts lowers a
member's likelihood more than a non-member's, so NLL(x | P) / NLL(x) is higher for
members. Higher = member.

P is a file of text known not to be in training (`--recall-prefix FILE`), or N labelled
non-members drawn from the data with a seeded generator (`--recall-shots N`); the drawn
texts serve as the prefix and are left out of the run (`excluded_ids`), so they never
reach the metrics. P's keys and values are computed once per run and reused for every
text on backends that declare Capabilities.PREFIX (models/prefix_cache.py).

Cost: one extra pass of the target per text (the text after P; P itself runs once).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping, Sequence

from ..types import Capabilities, InputError, TokenScores
from .base import Context, Signal, register
from .views import View, ViewOption, ViewSetup, register_view

SHOT_SEPARATOR = "\n\n"          # between the texts of a prefix drawn from the data


def _shot_count(value: Any, flag: str) -> int:
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{flag} {value!r}: give a whole number of texts, e.g. {flag} 7") from None
    if count < 1:
        raise InputError(f"{flag} {count}: give at least 1")
    return count


def draw_shots(samples: Sequence[Any], label: int, count: int, seed: int, flag: str) -> list[Any]:
    """`count` samples with this label, drawn with a generator seeded from (label, seed);
    the draw depends on the ids present, not on their order in the file."""
    pool = sorted((s for s in samples if s.label == label), key=lambda s: s.id)
    kind = "non-members (label 0)" if label == 0 else "members (label 1)"
    if not any(s.label is not None for s in samples):
        raise InputError(f"{flag} draws labelled {kind} from the data, but it has no labels; "
                         "pass --label-column, or give the prefix as a file")
    if len(pool) < count:
        raise InputError(f"{flag} {count}: the data has only {len(pool)} labelled {kind}; "
                         "ask for fewer")
    return random.Random(f"prefix-shots:{label}:{seed}").sample(pool, count)


@dataclass(frozen=True)
class PrefixView(View):
    """The target on each text after a fixed prefix. Subclasses say which label the shots
    drawn from the data carry and which options name the file and the count."""

    prefix: str = ""
    source: str = ""                  # "file" or "shots"
    shot_ids: tuple[str, ...] = ()

    label: ClassVar[int] = 0
    file_option: ClassVar[str] = "recall_prefix"
    shots_option: ClassVar[str] = "recall_shots"
    wanted_by: ClassVar[str] = "recall"

    @classmethod
    def _flags(cls) -> tuple[str, str]:
        return ("--" + cls.file_option.replace("_", "-"), "--" + cls.shots_option.replace("_", "-"))

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> None:
        file_flag, shots_flag = cls._flags()
        path, shots = options.get(cls.file_option), options.get(cls.shots_option)
        kind = "non-member" if cls.label == 0 else "member"
        if path is None and shots is None:
            raise InputError(f"signal {cls.wanted_by!r} needs a {kind} prefix: pass {file_flag} "
                             f"FILE (text known {'not ' if cls.label == 0 else ''}to be in "
                             f"training) or {shots_flag} N (N labelled {kind}s drawn from the "
                             "data, then left out of the metrics)")
        if path is not None and shots is not None:
            raise InputError(f"pass {file_flag} or {shots_flag}, not both")
        if path is not None and not Path(path).expanduser().is_file():
            raise InputError(f"{file_flag} {path}: no such file")
        if shots is not None:
            _shot_count(shots, shots_flag)

    @classmethod
    def prepare(cls, setup: ViewSetup) -> "PrefixView":
        cls.check(setup.options)
        file_flag, shots_flag = cls._flags()
        path = setup.options.get(cls.file_option)
        if path is not None:
            try:
                prefix = Path(path).expanduser().read_text(encoding="utf-8").strip()
            except UnicodeDecodeError:
                raise InputError(f"{file_flag} {path}: not UTF-8 text") from None
            if not prefix:
                raise InputError(f"{file_flag} {path}: the file is empty")
            return cls(prefix, "file")
        count = _shot_count(setup.options[cls.shots_option], shots_flag)
        shots = draw_shots(setup.samples, cls.label, count, setup.seed, shots_flag)
        return cls(SHOT_SEPARATOR.join(s.text for s in shots), "shots",
                   tuple(s.id for s in shots))

    def identity(self) -> dict[str, Any]:
        return {"source": self.source, "chars": len(self.prefix),
                "sha256": hashlib.sha256(self.prefix.encode("utf-8")).hexdigest(),
                "shot_ids": list(self.shot_ids)}

    def excluded_ids(self) -> frozenset[str]:
        return frozenset(self.shot_ids)

    def open(self, target: Any) -> Callable[[Sequence[str]], list[TokenScores]]:
        return lambda texts: target.score(texts, prefix=self.prefix)


@register_view("recall_prefix")
@dataclass(frozen=True)
class RecallPrefixView(PrefixView):
    """The target on each text after a prefix of known non-members."""

    options = (ViewOption("recall_prefix", "ReCaLL: a text file known NOT to be in training, "
                          "used as the prefix", "FILE"),
               ViewOption("recall_shots", "ReCaLL: draw N labelled non-members from the data "
                          "as the prefix (seeded; they are left out of the metrics)", "N"))


@register("recall")
@dataclass(frozen=True)
class Recall(Signal):
    """NLL(x | non-member prefix) / NLL(x)."""

    paper = "Xie et al. 2024"
    needs: ClassVar[Capabilities] = Capabilities.LOGPROBS | Capabilities.PREFIX
    views = frozenset({"recall_prefix"})
    extra_passes = "1 (target, text after the prefix; the prefix runs once per run)"

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return ctx.views["recall_prefix"].mean_nll / max(s.mean_nll, 1e-12)
