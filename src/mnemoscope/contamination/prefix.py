"""Partial-prompt completion as pure functions (Wu et al. 2025, "Reasoning or Memorization?").

    cut     = floor(len(text) * x) characters, moved forward to the next whitespace or
              punctuation character (the cut never splits a word); prefix = text[:cut]
    target  = the remainder text[cut:], truncated to as many words as the prediction has
    score   = ROUGE-L F1 (google-research `rouge-score`, Porter-stemmed) of target vs
              prediction; exact match when ROUGE-L = 1

Words are whitespace-separated. The prediction is also cut to the remainder's word count
(a model that reproduces the remainder and then keeps writing still matches exactly). An
empty prediction scores 0. rouge-score keeps only ASCII letters and digits when it
tokenizes, so text in other scripts scores 0: use another measure for it.
"""

from __future__ import annotations

import math
import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_PUNCTUATION = set(string.punctuation)


def _is_boundary(char: str) -> bool:
    return char.isspace() or char in _PUNCTUATION or unicodedata.category(char).startswith("P")


def cut_point(text: str, ratio: float) -> int:
    """The character index where the prefix of `ratio` of `text` ends (see module doc)."""
    start = math.floor(len(text) * ratio)
    for index in range(start, len(text)):
        if _is_boundary(text[index]):
            return index
    return len(text)


def split_text(text: str, ratio: float) -> tuple[str, str]:
    """(prefix, remainder) at cut_point."""
    cut = cut_point(text, ratio)
    return text[:cut], text[cut:]


@lru_cache(maxsize=2)
def _scorer(stem: bool):
    try:
        from rouge_score import rouge_scorer
    except ImportError:   # a core dependency; a broken install should still say what to do
        from ..types import InputError

        raise InputError("partial-prompt completion needs the rouge-score package: "
                         "pip install rouge-score") from None
    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=stem)


def rouge_l(target: str, prediction: str, stem: bool = True) -> float:
    """ROUGE-L F1 of a prediction against a target."""
    return float(_scorer(stem).score(target, prediction)["rougeL"].fmeasure)


@dataclass(frozen=True)
class CompletionScore:
    compared_words: int          # min(words in the prediction, words in the remainder)
    target: str                  # the remainder's first compared_words words
    prediction: str              # the prediction's first compared_words words
    rouge_l: float
    exact_match: bool


def score_completion(remainder: str, prediction: str, stem: bool = True) -> CompletionScore:
    predicted_words = prediction.split()
    remainder_words = remainder.split()
    k = min(len(predicted_words), len(remainder_words))
    target = " ".join(remainder_words[:k])
    shown = " ".join(predicted_words[:k])
    score = rouge_l(target, shown, stem) if k else 0.0
    return CompletionScore(compared_words=k, target=target, prediction=shown, rouge_l=score,
                           exact_match=k > 0 and score >= 1.0 - 1e-12)
