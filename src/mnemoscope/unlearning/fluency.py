"""Fluency of generations: distinct-n and perplexity under a fixed model.

distinct-n (Li et al. 2016) = unique n-grams / all n-grams of one generation, over token
ids, averaged over generations: a model collapsed by gradient ascent repeats itself
("the the the ...") and scores near 0; varied text scores near 1. Perplexity under the
ORIGINAL model (before unlearning) = exp(-sum of log p / number of generated tokens),
pooled over the group: it rises when outputs stop looking like language.
"""

from __future__ import annotations

import math
from typing import Sequence


def distinct_n(tokens: Sequence[int], n: int) -> float | None:
    """Share of distinct n-grams in one sequence; None when it has no n-gram."""
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return len(set(grams)) / len(grams) if grams else None


def mean_distinct(generations: Sequence[Sequence[int]], n: int) -> float | None:
    values = [v for v in (distinct_n(g, n) for g in generations) if v is not None]
    return sum(values) / len(values) if values else None


def pooled_perplexity(total_logprobs: Sequence[float], lengths: Sequence[int]) -> float | None:
    tokens = sum(lengths)
    if tokens == 0:
        return None
    return math.exp(-sum(total_logprobs) / tokens)
