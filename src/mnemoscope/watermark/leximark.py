"""LexiMark-style lexical substitution (German et al. 2025), with a matched control.

Per sentence, the k replaceable words with the highest surprisal are taken (lowest
wordfreq frequency by default, or the target model's own token surprisal), in that order,
skipping words with fewer than `min_candidates` usable synonyms. A synonym is usable when
it comes from a WordNet synset of the word's base form (same part of speech, one word, not
a name), inflected like the original and with the original's case, is rarer than the
original (wordfreq Zipf frequency) but a real word (Zipf >= min_zipf), and fits the
context: the sentence with it has cosine >= fit_threshold with the original sentence
(all-MiniLM-L6-v2 sentence embeddings).

One departure from the paper, on purpose: the paper takes the rarest usable synonym; we
draw, per position, an ordered pair of *different* usable synonyms uniformly at random
from a seeded generator: the first goes into the published (watermarked) text, the second
into the control, which is never published. Both versions are then draws of one random
procedure from the same candidate sets, so for a model that saw neither they are
exchangeable, which is what makes the verification test exact (see verify.py).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..types import InputError
from ..text.inflect import form_of, inflect, match_case
from ..text.words import Word, sentence_spans, words

SURPRISAL_SOURCES = ("wordfreq", "model")


@dataclass(frozen=True)
class WatermarkConfig:
    k: int = 5                        # substitutions per sentence (the paper's default)
    surprisal: str = "wordfreq"       # wordfreq | model (the target model's token surprisal)
    fit_threshold: float = 0.9        # sentence cosine with one substitution made
    min_zipf: float = 2.0             # a synonym must be at least this frequent (real word)
    min_candidates: int = 2           # a position needs two synonyms: one each for text and control
    max_synonyms: int = 24            # synonyms checked for fit per position
    senses: int = 3                   # synonyms come from the word's most frequent senses

    def __post_init__(self) -> None:
        if self.k < 1:
            raise InputError(f"--k {self.k}: must be at least 1")
        if self.surprisal not in SURPRISAL_SOURCES:
            raise InputError(f"--surprisal {self.surprisal!r}: use wordfreq or model")
        if not 0 < self.fit_threshold <= 1:
            raise InputError(f"--fit-threshold {self.fit_threshold}: must be in (0, 1]")
        if self.min_candidates < 2:
            raise InputError("min_candidates must be >= 2 (the control needs its own synonym)")


@dataclass
class Position:
    """A chosen word and its usable synonyms (inflected, cased, fitting)."""

    word: Word
    candidates: list[str]
    fits: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    start: int                        # offsets of the original word in the original text
    end: int
    original: str
    watermark: str
    control: str
    candidates: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["candidates"] = list(self.candidates)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Change":
        return cls(int(data["start"]), int(data["end"]), str(data["original"]),
                   str(data["watermark"]), str(data["control"]), tuple(data["candidates"]))


def apply_changes(text: str, changes: Sequence[Change], version: str) -> str:
    """The original text with each change's `version` word ('watermark' or 'control')."""
    out, last = [], 0
    for change in sorted(changes, key=lambda c: c.start):
        if text[change.start:change.end] != change.original:
            raise InputError(f"the key does not match the text: expected {change.original!r} at "
                             f"{change.start}, found {text[change.start:change.end]!r}")
        out += [text[last:change.start], getattr(change, version)]
        last = change.end
    return "".join(out) + text[last:]


def shifted_changes(changes: Sequence[Change], version: str) -> list[tuple[int, int, Change]]:
    """(start, end) of each change's `version` word in the text that carries that version."""
    out, delta = [], 0
    for change in sorted(changes, key=lambda c: c.start):
        word = getattr(change, version)
        out.append((change.start + delta, change.start + delta + len(word), change))
        delta += len(word) - (change.end - change.start)
    return out


def swap_version(text: str, changes: Sequence[Change], have: str, want: str) -> str:
    """Turn a text carrying version `have` into version `want` (e.g. the published text into
    its control), checking every recorded word is where the key says."""
    out, last = [], 0
    for start, end, change in shifted_changes(changes, have):
        if text[start:end] != getattr(change, have):
            raise InputError(f"the key does not match the text: expected {getattr(change, have)!r} "
                             f"at {start}, found {text[start:end]!r}")
        out += [text[last:start], getattr(change, want)]
        last = end
    return "".join(out) + text[last:]


def draw_changes(positions: Sequence[Position], rng: random.Random) -> list[Change]:
    """One ordered pair of different synonyms per position, uniform over all such pairs."""
    changes = []
    for position in positions:
        watermark, control = rng.sample(position.candidates, 2)
        changes.append(Change(position.word.start, position.word.end, position.word.text,
                              watermark, control, tuple(position.candidates)))
    return changes


def text_rng(seed: int, text_id: str) -> random.Random:
    """Independent, reproducible draws per text (str seeds hash with SHA-512, not hash())."""
    return random.Random(f"leximark:{seed}:{text_id}")


class Substituter:
    """Finds the positions and their usable synonyms in a text."""

    def __init__(self, config: WatermarkConfig, wordnet, embedder,
                 zipf: Callable[[str], float] | None = None, model=None) -> None:
        self.config = config
        self.wordnet = wordnet
        self.embedder = embedder
        self.zipf = zipf or _wordfreq_zipf()
        self.model = model
        if config.surprisal == "model" and model is None:
            raise InputError("--surprisal model needs --model (the target model)")

    # -- candidates -------------------------------------------------------------------
    def analyses(self, word: str, previous: str = "") -> list[tuple[str, str, str]]:
        """(part of speech, base form, form) readings of `word`, narrowed to the likely part
        of speech: the previous word rules some out (after 'the' no verb, after 'will' only a
        verb), then the one WordNet's sense-tagged corpus saw most often wins."""
        lower = word.lower()
        readings = [(pos, lemma, form) for pos in ("n", "v", "a", "r")
                    for lemma in self.wordnet.morphy(lower, pos)
                    if (form := form_of(lower, lemma, pos)) is not None]
        allowed = ({"n", "a"} if previous in DETERMINERS else
                   {"v"} if previous in MODALS else {"n", "v", "a", "r"})
        readings = [r for r in readings if r[0] in allowed] or readings
        # 'years' is a WordNet lemma of its own (= old age) and the plural of 'year': an
        # inflected reading of the same part of speech is the likelier one
        inflected = {pos for pos, _, form in readings if form != "base"}
        readings = [r for r in readings if r[2] != "base" or r[0] not in inflected]
        if not readings:
            return []
        weight: dict[str, int] = {}
        for pos, lemma, _ in readings:
            weight[pos] = weight.get(pos, 0) + self.wordnet.tagged_senses(lemma, pos)
        best = max(weight, key=lambda pos: (weight[pos], -"nvar".index(pos)))
        return [r for r in readings if r[0] == best]

    def synonyms(self, word: str, previous: str = "") -> list[str]:
        """Inflected, case-matched one-word synonyms of `word` from its most frequent senses,
        rarer than it and real words."""
        lower = word.lower()
        limit = self.zipf(lower)
        found: dict[str, None] = {}
        for pos, lemma, form in self.analyses(word, previous):
            for synset in self.wordnet.synsets(lemma, pos, limit=self.config.senses):
                for name in synset:
                    if name == lemma or not name.isalpha() or not name.islower():
                        continue                     # multi-word, hyphenated, or a name
                    inflected = inflect(name, form, self.zipf, self.config.min_zipf)
                    if inflected and inflected != lower and self.zipf(inflected) < limit:
                        found[match_case(word, inflected)] = None
        return list(found)[: self.config.max_synonyms]

    def _fits(self, sentence: str, offset: int, items: list[tuple[Word, list[str]]]) -> list[list[float]]:
        """Cosine between the sentence and the sentence with each synonym, for every word."""
        variants = [sentence[:w.start - offset] + s + sentence[w.end - offset:]
                    for w, synonyms in items for s in synonyms]
        if not variants:
            return [[] for _ in items]
        vectors = self.embedder.encode([sentence] + variants)
        cosines = (vectors[1:] @ vectors[0]).tolist()
        out, at = [], 0
        for _, synonyms in items:
            out.append(cosines[at:at + len(synonyms)])
            at += len(synonyms)
        return out

    # -- selection --------------------------------------------------------------------
    def _ranked(self, text: str, found: list[Word]) -> list[Word]:
        """Highest surprisal first; ties keep text order."""
        if self.config.surprisal == "model":
            surprisal = model_word_surprisal(self.model, text, found)
        else:
            surprisal = [-self.zipf(w.text.lower()) for w in found]
        keep = [(s, i, w) for i, (s, w) in enumerate(zip(surprisal, found))
                if self.zipf(w.text.lower()) > 0]           # words missing from the list: skip
        return [w for s, i, w in sorted(keep, key=lambda item: (-item[0], item[1]))]

    def positions(self, text: str) -> list[Position]:
        found = words(text, self.wordnet.is_common_noun_or_word)
        chosen: list[Position] = []
        for number, (s_start, s_end) in enumerate(sentence_spans(text)):
            ranked = self._ranked(text, [w for w in found if w.sentence == number])
            items = [(w, self.synonyms(w.text, _previous_word(text, s_start, w.start)))
                     for w in ranked]
            items = [(w, s) for w, s in items if len(s) >= self.config.min_candidates]
            taken, at = 0, 0
            while taken < self.config.k and at < len(items):
                batch = items[at:at + 2 * self.config.k]     # fit is checked a few words at a time
                at += len(batch)
                for (word, synonyms), fits in zip(batch, self._fits(text[s_start:s_end], s_start, batch)):
                    keep = [(s, f) for s, f in zip(synonyms, fits) if f >= self.config.fit_threshold]
                    if taken < self.config.k and len(keep) >= self.config.min_candidates:
                        chosen.append(Position(word, [s for s, _ in keep], [f for _, f in keep]))
                        taken += 1
        return sorted(chosen, key=lambda p: p.word.start)


DETERMINERS = set("the a an this that these those his her its their our my your every each "
                  "some no any another".split())
MODALS = set("will would can could shall should may might must".split())


def _previous_word(text: str, sentence_start: int, start: int) -> str:
    before = text[sentence_start:start].split()
    return before[-1].strip(".,;:!?\"'()[]").lower() if before else ""


def model_word_surprisal(model, text: str, found: Sequence[Word]) -> list[float]:
    """Sum of the target model's token NLL over the tokens that overlap each word."""
    scores = model.score([text])[0]
    encoded = model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    nll = -np.asarray(scores.logprobs, dtype=np.float64)
    if len(offsets) != len(nll):
        raise InputError("--surprisal model: the tokenizer's offsets do not line up with the "
                         "scored tokens (truncated text?); use --surprisal wordfreq")
    out = []
    for word in found:
        out.append(float(sum(n for (a, b), n in zip(offsets, nll) if a < word.end and word.start < b)))
    return out


def _wordfreq_zipf() -> Callable[[str], float]:
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        raise InputError("the watermark needs the word-frequency list in the package wordfreq. "
                         "Run: pip install 'mnemoscope[watermark]'") from None
    from functools import lru_cache

    @lru_cache(maxsize=500_000)
    def zipf(word: str) -> float:
        return float(zipf_frequency(word, "en"))

    return zipf
