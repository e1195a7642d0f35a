"""Neighbours of a text for the neighbourhood attack (Mattern et al. 2023): copies with a
few words replaced by plausible alternatives, made offline.

A generator gives, per text, the replaceable positions and their candidate words
(`Candidates`); `draw_neighbours` then makes n neighbours, each replacing a fraction of
the text's words at randomly drawn positions with a randomly drawn candidate, from a
generator seeded by the caller (per text id). Two generators:

- `WordNetCandidates`: WordNet synonyms of the word's likely reading, inflected and
  case-matched like the original (the watermark's machinery), kept only when the sentence
  with the synonym stays close in meaning to the original: all-MiniLM-L6-v2 cosine >=
  `fit` (0.85 by default).
- the target model's own top-k predictions at each word (signals/neighbourhood.py, since
  it needs the model): a causal model predicts a word from its left context only.

The paper used BERT's masked-LM predictions; neither BERT nor any other model is
downloaded here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from .function_words import is_function_word
from .inflect import form_of, inflect, match_case
from .words import Word, sentence_spans, words

Edit = tuple[int, int, str]          # (start, end, replacement) in character offsets


@dataclass(frozen=True)
class Position:
    start: int
    end: int
    original: str
    candidates: tuple[str, ...]


def word_count(text: str) -> int:
    return len(text.split())


def draw_neighbours(text: str, positions: Sequence[Position], n: int, fraction: float,
                    rng: random.Random) -> list[str]:
    """n neighbours of `text`; each replaces max(1, round(fraction * words)) of its words
    (or every replaceable one, if there are fewer) with one of their candidates. With no
    replaceable word, every neighbour is the text itself."""
    usable = [p for p in positions if p.candidates]
    per_neighbour = min(len(usable), max(1, round(fraction * word_count(text))))
    out = []
    for _ in range(n):
        chosen = rng.sample(usable, per_neighbour) if per_neighbour else []
        out.append(apply_edits(text, [(p.start, p.end, rng.choice(p.candidates)) for p in chosen]))
    return out


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    parts, last = [], 0
    for start, end, replacement in sorted(edits):
        parts += [text[last:start], replacement]
        last = end
    return "".join(parts) + text[last:]


def replaceable_words(text: str, is_lowercase_word: Callable[[str], bool] = lambda w: False) -> list[Word]:
    """The words a neighbour may change: plain content words of 3+ letters outside code,
    URLs and names (text/words.py); function words keep the grammar and stay."""
    return [w for w in words(text, is_lowercase_word) if not is_function_word(w.text)]


class WordNetCandidates:
    """Synonyms that fit: WordNet + inflection + a sentence-embedding check."""

    name = "wordnet"

    def __init__(self, wordnet: Any, embedder: Any, zipf: Callable[[str], float], *,
                 fit: float = 0.85, senses: int = 3, min_zipf: float = 2.0,
                 max_synonyms: int = 8) -> None:
        self.wordnet = wordnet
        self.embedder = embedder
        self.zipf = zipf
        self.fit = fit
        self.senses = senses
        self.min_zipf = min_zipf
        self.max_synonyms = max_synonyms

    def synonyms(self, word: str) -> list[str]:
        """One-word synonyms of `word` from its most frequent senses, in its form and case."""
        lower = word.lower()
        found: dict[str, None] = {}
        for pos in ("n", "v", "a", "r"):
            for lemma in self.wordnet.morphy(lower, pos):
                form = form_of(lower, lemma, pos)
                if form is None:
                    continue
                for synset in self.wordnet.synsets(lemma, pos, limit=self.senses):
                    for name in synset:
                        if name == lemma or not name.isalpha() or not name.islower():
                            continue
                        inflected = inflect(name, form, self.zipf, self.min_zipf)
                        if inflected and inflected != lower:
                            found[match_case(word, inflected)] = None
        return list(found)[: self.max_synonyms]

    def positions(self, text: str) -> list[Position]:
        items = [(w, self.synonyms(w.text))
                 for w in replaceable_words(text, self.wordnet.is_common_noun_or_word)]
        items = [(w, s) for w, s in items if s]
        if not items:
            return []
        spans = sentence_spans(text)
        sentences, variants = [], []
        for w, synonyms in items:
            a, b = next(((a, b) for a, b in spans if a <= w.start < b), (0, len(text)))
            sentences.append(text[a:b])
            variants += [text[a:w.start] + s + text[w.end:b] for s in synonyms]
        unique = list(dict.fromkeys(sentences))
        vectors = self.embedder.encode(unique + variants)          # (S + V, 384), unit rows
        base = {s: vectors[i] for i, s in enumerate(unique)}
        fits = vectors[len(unique):]
        out, at = [], 0
        for (w, synonyms), sentence in zip(items, sentences):
            cosines = fits[at:at + len(synonyms)] @ base[sentence]
            at += len(synonyms)
            keep = tuple(s for s, c in zip(synonyms, cosines) if c >= self.fit)
            if keep:
                out.append(Position(w.start, w.end, w.text, keep))
        return out


def english_zipf() -> Callable[[str], float]:
    """wordfreq's Zipf frequency of an English word (0 when unknown), cached."""
    from functools import lru_cache

    try:
        from wordfreq import zipf_frequency
    except ImportError:
        from ..types import InputError

        raise InputError("word frequencies need the package wordfreq. Run: pip install "
                         "wordfreq") from None

    @lru_cache(maxsize=500_000)
    def zipf(word: str) -> float:
        return float(zipf_frequency(word, "en"))

    return zipf
