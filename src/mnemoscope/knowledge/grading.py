"""Grading a probe's answer: exact and lenient match for short generated answers, the
highest log-probability choice for true/false and multiple choice. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

OPEN_FORMATS = ("cloze", "qa")      # answered by greedy generation
CHOICE_FORMATS = ("tf", "mc")       # answered by ranking the choices' log-probabilities
_ARTICLES = {"a", "an", "the"}


def first_line(output: str) -> str:
    return output.strip().split("\n", 1)[0].strip()


def exact_match(output: str, answer: str) -> bool:
    """The answer, exactly as written, is the first thing the model says: the output's
    first line starts with it and the next character ends the word (a space, punctuation,
    nothing). 'Zylupran.' and 'Zylupran, a firm' match 'Zylupran'; 'Zylupranix' does not."""
    line = first_line(output)
    if not line.startswith(answer):
        return False
    rest = line[len(answer):]
    return not rest or not (rest[0].isalnum() or rest[0] == "_")


def normalise(text: str) -> list[str]:
    """Words of `text`: NFKC, lower case, punctuation to spaces, articles dropped."""
    text = unicodedata.normalize("NFKC", text).lower()
    words = re.sub(r"[^\w\s]", " ", text).split()
    return [w for w in words if w not in _ARTICLES]


def lenient_match(output: str, answer: str) -> bool:
    """The answer's words, normalised, appear as consecutive words anywhere in the output's
    first line, normalised ('It was the zylupran company' matches 'Zylupran')."""
    said, wanted = normalise(first_line(output)), normalise(answer)
    if not wanted:
        return False
    width = len(wanted)
    return any(said[k:k + width] == wanted for k in range(len(said) - width + 1))


def pick_choice(logprobs: Sequence[float]) -> int:
    """The index of the choice with the highest total log-probability (the first on a tie)."""
    best = 0
    for k, value in enumerate(logprobs):
        if value > logprobs[best]:
            best = k
    return best
