"""DC-PDD (Zhang et al. 2024, "Pretraining Data Detection for Large Language Models: A
Divergence-based Calibration Method"). A token's probability under the model is
calibrated by how common the token is in a reference corpus: a member's rare tokens are
too likely. Over the text's first occurrences of each token (FOS):

    score = mean_{t in FOS} min(p_t * ln(1 / f_t), a),    a = 0.01

with p_t = exp(log p(x_t | x_<t)) and f_t the smoothed frequency of token x_t
(text/token_frequency.py). Higher = member.

The frequency table comes from `--freq-corpus PATH` (streamed, tokenized with the target's
tokenizer), or by default from wordfreq's English word frequencies pushed through the
target's tokenizer; either is built once and cached, and its identity (source, size,
hashes) goes into the run's spec. Nothing is downloaded.

Cost: no extra model pass (one table lookup per token); the table is built once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..types import TokenScores
from .base import Context, Signal, register
from .views import View, ViewOption, ViewSetup, register_view


@register_view("token_frequency")
@dataclass(frozen=True)
class TokenFrequencyView(View):
    """The same frequency table for every text (a lookup, not a scoring)."""

    table: Any = field(default=None, compare=False, repr=False)    # TokenFrequencies
    table_identity: dict[str, Any] = field(default_factory=dict)

    options = (ViewOption("freq_corpus", "DC-PDD: reference corpus for token frequencies "
                          "(files or folders of .jsonl/.txt/.parquet; default: wordfreq's "
                          "English frequencies)", "PATH"),)

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> None:
        if options.get("freq_corpus") is not None:
            from ..text.corpus import corpus_files

            corpus_files(str(options["freq_corpus"]))

    @classmethod
    def prepare(cls, setup: ViewSetup) -> "TokenFrequencyView":
        cls.check(setup.options)
        from ..models.tokenizer import tokenizer_of
        from ..text.corpus import corpus_files
        from ..text.token_frequency import load_or_build

        corpus = setup.options.get("freq_corpus")
        table = load_or_build(tokenizer_of(setup.target, "signal 'dc_pdd'"),
                              None if corpus is None else corpus_files(str(corpus)))
        return cls(table, table.identity)

    def identity(self) -> dict[str, Any]:
        return self.table_identity

    def open(self, target: Any) -> Callable[[Sequence[str]], list[Any]]:
        return lambda texts: [self.table] * len(texts)

    @classmethod
    def example(cls, member: bool) -> Any:
        from ..text.token_frequency import TokenFrequencies

        # f = 0.995 for every id: p * ln(1/f) stays under a, so the score follows p
        return TokenFrequencies(np.full(8, -math.log(0.995)), {})


@register("dc_pdd")
@dataclass(frozen=True)
class DCPDD(Signal):
    """Mean over first occurrences of min(p_t * ln(1/f_t), a)."""

    a: float = 0.01

    paper = "Zhang et al. 2024 (DC-PDD)"
    views = frozenset({"token_frequency"})
    extra_passes = "0 (a frequency table, built once per tokenizer and source)"

    def __post_init__(self) -> None:
        if not isinstance(self.a, (int, float)) or not self.a > 0 or not math.isfinite(self.a):
            raise ValueError(f"a must be a number > 0, got {self.a!r}")

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        _, first = np.unique(s.token_ids, return_index=True)
        first = np.sort(first)
        p = np.exp(s.logprobs[first].astype(np.float64))
        calibrated = p * ctx.views["token_frequency"].lookup(s.token_ids[first])
        return float(np.minimum(calibrated, self.a).mean())
