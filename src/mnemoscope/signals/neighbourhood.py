"""Neighbourhood comparison (Mattern et al. 2023, "Membership Inference Attacks against
Language Models via Neighbourhood Comparison"). A member sits in a dip of the loss
surface: its neighbours (copies with a few words replaced) have a clearly higher loss,
while a non-member's neighbours are about as likely as the text itself. Higher = member:

    score = mean_j loss(neighbour_j) - loss(x)

(MIMIR takes the max over neighbours in effect; the paper and this signal take the mean.)
Neighbours are made offline, seeded per text id and stored in the run's rows
(`neighbour_texts`, `neighbour_losses`), so they can be inspected:

    --neighbours N             n = 25 neighbours per text (the paper's default range)
    --neighbour-fraction F     5% of the text's words replaced in each (at least one)
    --neighbour-generator G    model (default): the target's own top-10 predictions at a
                               word, from its left context (one extra pass per text);
                               wordnet: WordNet synonyms kept when all-MiniLM-L6-v2 says
                               the sentence keeps its meaning (no model pass, but a
                               sentence-embedding pass per candidate)

docs/signals.md gives the measurement behind the default.

Cost: n extra passes of the target per text (one per neighbour), plus one for the model
generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Sequence

import numpy as np

from ..types import InputError, TokenScores
from .base import Context, Signal, register
from .views import View, ViewOption, ViewSetup, register_view

GENERATORS = ("model", "wordnet")
DEFAULTS = {"neighbours": 25, "neighbour_fraction": 0.05, "neighbour_generator": "model"}
TOP_K = 10            # candidates per word from the model generator


@dataclass(frozen=True)
class Neighbours:
    """One text's neighbours and their losses (mean token NLL under the target)."""

    texts: tuple[str, ...]
    losses: np.ndarray

    def row_fields(self) -> dict[str, Any]:
        return {"neighbour_texts": list(self.texts),
                "neighbour_losses": [float(v) for v in self.losses]}


class ModelCandidates:
    """Replacements for each word from the target's top-k next-token predictions there:
    whole English words (wordfreq Zipf >= 2), not function words, spaced like the original."""

    name = "model"

    def __init__(self, model: Any, zipf: Callable[[str], float], k: int = TOP_K,
                 min_zipf: float = 2.0) -> None:
        self.model, self.zipf, self.k, self.min_zipf = model, zipf, k, min_zipf

    def positions(self, text: str):
        from ..models.next_tokens import top_k_at
        from ..text.function_words import is_function_word
        from ..text.inflect import match_case
        from ..text.neighbours import Position, replaceable_words

        found = replaceable_words(text)
        out = []
        for w, (original, top) in zip(found, top_k_at(self.model, text, [w.start for w in found],
                                                      self.k)):
            lead = original[: len(original) - len(original.lstrip())]
            keep: dict[str, None] = {}
            for piece in top:
                word = piece.strip()
                # a whole English word, not a fragment, in the same spacing as the original
                if piece.startswith(lead) and word.isalpha() and len(word) >= 2 \
                        and not is_function_word(word) and word.lower() != w.text.lower() \
                        and self.zipf(word.lower()) >= self.min_zipf:
                    keep[match_case(w.text, word)] = None
            if keep:
                out.append(Position(w.start, w.end, w.text, tuple(keep)))
        return out


def _wordnet_candidates():
    from ..text.embedder import SentenceEmbedder
    from ..text.neighbours import WordNetCandidates, english_zipf
    from ..text.wordnet import load_wordnet

    return WordNetCandidates(load_wordnet(), SentenceEmbedder(), english_zipf())


def _option(options: Mapping[str, Any], name: str, kind: type) -> Any:
    value = options.get(name)
    if value is None:
        return DEFAULTS[name]
    flag = "--" + name.replace("_", "-")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise InputError(f"{flag} {value!r}: give a {'whole number' if kind is int else 'number'}") from None


@register_view("neighbours")
@dataclass(frozen=True)
class NeighboursView(View):
    """n neighbours per text, seeded per id, and their losses under the target."""

    n: int = DEFAULTS["neighbours"]
    fraction: float = DEFAULTS["neighbour_fraction"]
    generator: str = DEFAULTS["neighbour_generator"]
    seed: int = 0
    resources: dict[str, Any] = field(default_factory=dict)

    options = (ViewOption("neighbours", "neighbourhood: neighbours per text (default 25)", "N"),
               ViewOption("neighbour_fraction", "neighbourhood: fraction of a text's words "
                          "replaced in each neighbour (default 0.05)", "F"),
               ViewOption("neighbour_generator", "neighbourhood: model (the target's top-10 "
                          "predictions, default) or wordnet (WordNet + MiniLM)", "NAME"))

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> None:
        n = _option(options, "neighbours", int)
        fraction = _option(options, "neighbour_fraction", float)
        generator = _option(options, "neighbour_generator", str)
        if n < 1:
            raise InputError(f"--neighbours {n}: give at least 1")
        if not 0 < fraction <= 1:
            raise InputError(f"--neighbour-fraction {fraction}: give a number in (0, 1]")
        if generator not in GENERATORS:
            raise InputError(f"--neighbour-generator {generator!r}: use one of "
                             f"{', '.join(GENERATORS)}")

    @classmethod
    def prepare(cls, setup: ViewSetup) -> "NeighboursView":
        cls.check(setup.options)
        generator = _option(setup.options, "neighbour_generator", str)
        resources: dict[str, Any] = {}
        if generator == "wordnet":           # fail now, not in the first chunk, if missing
            from importlib.metadata import version

            from ..text.embedder import SentenceEmbedder, model_path
            from ..text.wordnet import ensure_wordnet

            ensure_wordnet()
            model_path()
            resources = {"wordnet": "3.0", "embedder": SentenceEmbedder.name,
                         "wordfreq": version("wordfreq")}
        return cls(_option(setup.options, "neighbours", int),
                   _option(setup.options, "neighbour_fraction", float), generator, setup.seed,
                   resources)

    def identity(self) -> dict[str, Any]:
        return {"n": self.n, "fraction": self.fraction, "generator": self.generator,
                "seed": self.seed, "top_k": TOP_K if self.generator == "model" else None,
                **self.resources}

    def open_samples(self, target: Any) -> Callable[[Sequence[Any]], list[Neighbours]]:
        from ..text.neighbours import draw_neighbours, english_zipf

        candidates = ModelCandidates(target, english_zipf()) if self.generator == "model" \
            else _wordnet_candidates()

        def run(samples: Sequence[Any]) -> list[Neighbours]:
            made = []
            for sample in samples:
                rng = random.Random(f"neighbours:{self.seed}:{sample.id}")
                made.append(draw_neighbours(sample.text, candidates.positions(sample.text),
                                            self.n, self.fraction, rng))
            flat = [t for texts in made for t in texts]
            losses = np.array([s.mean_nll for s in target.score(flat)]).reshape(len(samples), self.n)
            return [Neighbours(tuple(texts), row) for texts, row in zip(made, losses)]

        return run

    @classmethod
    def example(cls, member: bool) -> Neighbours:
        return Neighbours(("a", "b"), np.array([3.0, 3.5]))


@register("neighbourhood")
@dataclass(frozen=True)
class Neighbourhood(Signal):
    """Mean loss of the text's neighbours minus its own loss."""

    paper = "Mattern et al. 2023"
    views = frozenset({"neighbours"})
    extra_passes = "n = 25 (target, one per neighbour) + 1 (model generator: top-k pass)"

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return float(np.mean(ctx.views["neighbours"].losses)) - s.mean_nll
