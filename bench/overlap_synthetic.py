"""Seeded synthetic corpora and benchmarks for the n-gram overlap benches.

Words are drawn from a Zipf(1.2) law over a 60k-word vocabulary of pronounceable strings,
so the benchmark's vocabulary covers the corpus's frequent words (the hard case for the
scan: most corpus windows are made only of benchmark words and must be hashed). Records
get sentence capitals and punctuation, which the normalization removes.
"""

from __future__ import annotations

import numpy as np

SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]


def vocabulary(size: int = 60_000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    words = set()
    while len(words) < size:
        parts = rng.integers(0, len(SYLLABLES), size=int(rng.integers(1, 4)))
        words.add("".join(SYLLABLES[p] for p in parts))
    return np.array(sorted(words))


class WordSource:
    def __init__(self, seed: int = 0, vocabulary_size: int = 60_000) -> None:
        self.rng = np.random.default_rng(seed)
        self.vocab = vocabulary(vocabulary_size, seed)

    def words(self, count: int) -> list[str]:
        ranks = self.rng.zipf(1.2, size=count) - 1
        return self.vocab[np.minimum(ranks, len(self.vocab) - 1)].tolist()

    def prose(self, count: int) -> str:
        """`count` words with a capital and a period every ~12 words, a comma now and then."""
        words = self.words(count)
        out = []
        for i, word in enumerate(words):
            if i % 12 == 0:
                word = word.capitalize()
            if i % 12 == 11 or i == len(words) - 1:
                word += "."
            elif self.rng.random() < 0.05:
                word += ","
            out.append(word)
        return " ".join(out)


def corpus_records(source: WordSource, total_words: int, mean_words: int = 400) -> list[str]:
    records, made = [], 0
    while made < total_words:
        size = int(min(total_words - made, max(20, source.rng.poisson(mean_words))))
        records.append(source.prose(size))
        made += size
    return records


def light_edit(text: str, edits: int, source: WordSource) -> str:
    """`edits` word substitutions or insertions at random places, plus case and punctuation
    changes (which normalization undoes)."""
    words = text.split()
    for _ in range(edits):
        place = int(source.rng.integers(0, len(words)))
        new = source.words(1)[0]
        while new == words[place]:
            new = source.words(1)[0]
        if source.rng.random() < 0.5:
            words[place] = new
        else:
            words.insert(place, new)
    out = []
    for word in words:
        roll = source.rng.random()
        out.append(word.upper() if roll < 0.05 else word.strip(".,") + ("!" if roll > 0.97 else ""))
    return " ".join(out)
