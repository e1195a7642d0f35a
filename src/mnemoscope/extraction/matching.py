"""How close a model's continuation is to the true suffix, on token ids.

All three measures compare token sequences, not strings, so they do not depend on how a
tokenizer renders spaces. The edit distance is rapidfuzz's C implementation of
Levenshtein over sequences of ints (insert, delete and substitute all cost 1), divided by
the longer length: 0 = identical, 1 = nothing in common.
"""

from __future__ import annotations

from typing import Sequence

# Carlini et al. 2022 / Ippolito et al. 2023: approximately memorized when the normalized
# token edit distance is at most 0.1 (about one wrong token in ten).
APPROX_THRESHOLD = 0.1


def exact_match(generated: Sequence[int], target: Sequence[int]) -> bool:
    """The generation reproduces the whole target (and nothing is missing)."""
    return len(generated) >= len(target) and list(generated[: len(target)]) == list(target)


def matching_prefix_length(generated: Sequence[int], target: Sequence[int]) -> int:
    """How many leading tokens of the target the generation reproduces before it diverges."""
    length = 0
    for produced, expected in zip(generated, target):
        if produced != expected:
            break
        length += 1
    return length


def token_edit_distance(generated: Sequence[int], target: Sequence[int]) -> float:
    """Levenshtein distance between the two token sequences / the longer length."""
    from rapidfuzz.distance import Levenshtein

    if not generated and not target:
        return 0.0
    # the generation is compared over the target's length: tokens past it are not errors
    return float(Levenshtein.normalized_distance(list(generated[: len(target)]), list(target)))


def approx_match(distance: float, threshold: float = APPROX_THRESHOLD) -> bool:
    return distance <= threshold + 1e-12
