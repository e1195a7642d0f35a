"""SaMIA (Kaneko et al. 2024, "Sampling-based Pseudo-Likelihood for Membership Inference
Attacks"). For endpoints that return no log-probs: the model continues the first half of
the text k times, and the more its samples reproduce the true second half, the more
likely the text was trained on. Higher = member:

    score = mean_j ROUGE-N recall(sample_j, second half)            (n = 1)
    samia(zlib=True): mean_j ROUGE-N recall(sample_j, second half) * zlib(sample_j)

The zlib variant is the paper's SaMIA*zlib: each sample's overlap is weighted by the zlib
size in bytes of the sample, so degenerate, repetitive samples count for less (the paper
and its reference code multiply; they do not divide).

Details, fixed so that results are comparable:
- the split is at the middle word (whitespace words); the prompt is the text up to the end
  of word floor(W/2), with its original spacing;
- k = 10 samples at temperature 1.0 (`--samia-samples`, `--samia-temperature`), up to
  2 tokens per reference word (+4), seeded per text id;
- ROUGE words are lower-cased runs of letters and digits (as the rouge-score package
  tokenizes); each sample is cut to the reference's word count, so a longer sample cannot
  buy recall.
The samples are stored in the run's rows (`samia_samples`).

Cost: k sampled continuations per text (generation, not scoring: about k x half the text's
tokens of decoding; see bench/signal_cost.py), and no scoring pass at all, so it runs on
generation-only backends (an OpenAI-compatible endpoint without log-probs).
"""

from __future__ import annotations

import hashlib
import re
import zlib as zlib_module
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Sequence

from ..types import Capabilities, InputError, TokenScores
from .base import Context, Signal, register
from .views import View, ViewOption, ViewSetup, register_view

DEFAULT_SAMPLES = 10
DEFAULT_TEMPERATURE = 1.0
_WORD = re.compile(r"[a-z0-9]+")


def rouge_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def split_in_half(text: str) -> tuple[str, str]:
    """(prompt, reference): the text up to the end of its middle word, and the rest."""
    spans = [m.span() for m in re.finditer(r"\S+", text)]
    if len(spans) < 2:
        return text, ""
    cut = len(spans) // 2
    return text[:spans[cut - 1][1]], text[spans[cut - 1][1]:]


def rouge_n_recall(candidate: Sequence[str], reference: Sequence[str], n: int = 1) -> float:
    """Matched reference n-grams (clipped counts) / reference n-grams."""
    ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
    if not ref:
        return 0.0
    cand = Counter(tuple(candidate[i:i + n]) for i in range(len(candidate) - n + 1))
    return sum((ref & cand).values()) / sum(ref.values())


@dataclass(frozen=True)
class Samples:
    """One text's reference half and the model's continuations of its first half."""

    reference: str
    samples: tuple[str, ...]

    def row_fields(self) -> dict[str, Any]:
        return {"samia_samples": list(self.samples)}


def text_seed(seed: int, sample_id: str) -> int:
    digest = hashlib.sha256(f"samia:{seed}:{sample_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2**31 - 1)


@register_view("samples")
@dataclass(frozen=True)
class SamplesView(View):
    """k sampled continuations of each text's first half, seeded per text id."""

    k: int = DEFAULT_SAMPLES
    temperature: float = DEFAULT_TEMPERATURE
    seed: int = 0

    options = (ViewOption("samia_samples", "SaMIA: continuations sampled per text (default 10)", "K"),
               ViewOption("samia_temperature", "SaMIA: sampling temperature (default 1.0)", "T"))

    @classmethod
    def _read(cls, options: Mapping[str, Any]) -> tuple[int, float]:
        k, temperature = options.get("samia_samples"), options.get("samia_temperature")
        try:
            k = DEFAULT_SAMPLES if k is None else int(k)
        except (TypeError, ValueError):
            raise InputError(f"--samia-samples {k!r}: give a whole number, e.g. 10") from None
        try:
            temperature = DEFAULT_TEMPERATURE if temperature is None else float(temperature)
        except (TypeError, ValueError):
            raise InputError(f"--samia-temperature {temperature!r}: give a number, e.g. 1.0") from None
        if k < 1:
            raise InputError(f"--samia-samples {k}: give at least 1")
        if not temperature > 0:
            raise InputError(f"--samia-temperature {temperature}: must be > 0 (SaMIA samples)")
        return k, temperature

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> None:
        cls._read(options)

    @classmethod
    def prepare(cls, setup: ViewSetup) -> "SamplesView":
        k, temperature = cls._read(setup.options)
        return cls(k, temperature, setup.seed)

    def identity(self) -> dict[str, Any]:
        return {"k": self.k, "temperature": self.temperature, "seed": self.seed,
                "split": "middle word", "max_new_tokens": "2 per reference word + 4"}

    def open_samples(self, target: Any) -> Callable[[Sequence[Any]], list[Samples]]:
        def run(samples: Sequence[Any]) -> list[Samples]:
            out: list[Samples] = [Samples("", ())] * len(samples)
            by_budget: dict[int, list[tuple[int, str, str, int]]] = {}
            for index, sample in enumerate(samples):
                prompt, reference = split_in_half(sample.text)
                if reference:
                    budget = min(512, 2 * len(reference.split()) + 4)
                    by_budget.setdefault(budget, []).append(
                        (index, prompt, reference, text_seed(self.seed, sample.id)))
            batched = getattr(target, "per_prompt_seeds", False)
            for budget, group in sorted(by_budget.items()):
                if batched:   # one call per budget; the same samples as one call per text
                    drawn = target.generate([g[1] for g in group], max_new_tokens=budget,
                                            n=self.k, temperature=self.temperature,
                                            seeds=[g[3] for g in group])
                else:
                    drawn = [target.generate([g[1]], max_new_tokens=budget, n=self.k,
                                             temperature=self.temperature, seed=g[3])[0]
                             for g in group]
                for (index, _, reference, _), texts in zip(group, drawn):
                    out[index] = Samples(reference, tuple(texts))
            return out

        return run

    @classmethod
    def example(cls, member: bool) -> Samples:
        reference = " the river ran past the old mill"
        return Samples(reference, (reference, " the river ran by") if member else
                       (" a cat sat", " on the mat"))


@register("samia")
@dataclass(frozen=True)
class SaMIA(Signal):
    """Mean ROUGE-N recall of the true second half by the sampled continuations."""

    n: int = 1
    zlib: bool = False

    paper = "Kaneko et al. 2024"
    needs: ClassVar[Capabilities] = Capabilities.GENERATE
    views = frozenset({"samples"})
    extra_passes = "k = 10 sampled continuations of the first half (generation; no scoring)"

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"n must be a whole number >= 1, got {self.n!r}")
        if not isinstance(self.zlib, bool):
            raise ValueError(f"zlib must be True or False, got {self.zlib!r}")

    def __call__(self, s: TokenScores | None, ctx: Context = Context()) -> float:
        drawn: Samples = ctx.views["samples"]
        reference = rouge_words(drawn.reference)
        if not reference or not drawn.samples:
            return 0.0
        values = []
        for sample in drawn.samples:
            words = rouge_words(sample)[: len(reference)]
            value = rouge_n_recall(words, reference, self.n)
            if self.zlib:
                value *= len(zlib_module.compress(" ".join(words).encode("utf-8")))
            values.append(value)
        return float(sum(values) / len(values))
