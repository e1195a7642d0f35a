"""The hand-written problems of the CDD experiment: 40 distinct items, and each solution's
last number is the stated answer (so the numeric checker can grade a verbatim copy)."""

from __future__ import annotations

from _bench import bench_module as _module
from mnemoscope.contamination.answers import load_checker


def test_problems_are_distinct_and_answers_are_graded_correct():
    problems = _module("cdd_problems").PROBLEMS
    assert len(problems) == 40
    assert len({q for q, _, _ in problems}) == 40
    # no two questions open with the same four words (no shared templates)
    assert len({" ".join(q.split()[:4]) for q, _, _ in problems}) == 40
    numeric = load_checker("numeric")
    for question, solution, answer in problems:
        full = f"{solution} The answer is {answer}."
        assert numeric(full, str(answer)), full
        assert not numeric(full, str(answer + 1))
