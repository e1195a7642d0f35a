"""CDD and TED as pure functions of token-id sequences (Dong et al. 2024, "Generalization or
Memorization: Data Contamination and Trustworthy Evaluation for Large Language Models").

For one prompt the model gives a greedy output g and n sampled outputs s_1..s_n. Every
sequence is cut to its first `compare_tokens` (100) token ids, then

    d_i  = Levenshtein(s_i, g)            token-level: insert, delete, substitute cost 1
    l    = max(|g|, |s_1|, ..., |s_n|)    the longest (cut) output, greedy included
    peak = #{i : d_i <= alpha * l} / n    the share of samples, not a count
    flag = peak > xi

Defaults alpha = 0.05, xi = 0.01; the paper's "real-world" preset is alpha = 0 (only exact
copies of the greedy output count), xi = 0.2. LLMSanitize's copy of CDD measures characters
and compares an unnormalised count with xi; neither is done here. The distance comes from
rapidfuzz (C) on lists of ints.

TED: drop the samples with d_i <= tau (tau = 2), drop exact duplicates among the rest (same
token ids over the whole output), and score what is left. See `ted_scores`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

# alpha * l is compared with an integer distance; a product such as 0.29 * 100 is
# 28.999999999999996 in floating point, so the comparison allows this much slack.
_SLACK = 1e-9

PRESETS = {"default": (0.05, 0.01), "real-world": (0.0, 0.2)}


def token_distance(a: Sequence[int], b: Sequence[int]) -> int:
    """Levenshtein distance between two token-id sequences (unnormalised)."""
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(list(a), list(b)))


def sample_distances(greedy: Sequence[int], samples: Sequence[Sequence[int]],
                     compare_tokens: int = 100) -> tuple[list[int], int]:
    """(d_i for every sample, l), both over the first `compare_tokens` tokens."""
    head = list(greedy[:compare_tokens])
    cut = [list(s[:compare_tokens]) for s in samples]
    longest = max([len(head)] + [len(s) for s in cut])
    return [token_distance(s, head) for s in cut], longest


def peakedness(distances: Sequence[int], longest: int, alpha: float) -> float:
    """The share of samples within alpha * l of the greedy output; 0.0 with no samples."""
    if not distances:
        return 0.0
    limit = alpha * longest + _SLACK
    return sum(1 for d in distances if d <= limit) / len(distances)


def flagged(peak: float, xi: float) -> bool:
    return peak > xi


@dataclass(frozen=True)
class TedScores:
    """One item's TED outcome. `original` is the mean correctness over all n samples (the
    accuracy sampling at temperature T would score); `corrected` the mean over the samples
    TED keeps, 0.0 when it keeps none (as in the authors' code, where an item with nothing
    left scores 0); `kept` how many it keeps."""

    original: float
    corrected: float
    kept: int
    removed_near_greedy: int
    removed_duplicates: int


def ted_keep(samples: Sequence[Sequence[int]], distances: Sequence[int], tau: int = 2) -> list[int]:
    """Indices of the samples TED keeps: d_i > tau, first copy of each distinct output."""
    seen: set[tuple[int, ...]] = set()
    kept = []
    for index, (sample, distance) in enumerate(zip(samples, distances)):
        if distance <= tau:
            continue
        key = tuple(sample)
        if key in seen:
            continue
        seen.add(key)
        kept.append(index)
    return kept


def ted_scores(samples: Sequence[Sequence[int]], distances: Sequence[int],
               correctness: Sequence[float], tau: int = 2) -> TedScores:
    """TED for one item, from the samples, their distances to greedy, and each sample's
    correctness (1/0, or a partial score in [0, 1])."""
    n = len(samples)
    kept = ted_keep(samples, distances, tau)
    near = sum(1 for d in distances if d <= tau)
    original = sum(correctness) / n if n else 0.0
    corrected = sum(correctness[i] for i in kept) / len(kept) if kept else 0.0
    return TedScores(original=float(original), corrected=float(corrected), kept=len(kept),
                     removed_near_greedy=near, removed_duplicates=n - near - len(kept))
