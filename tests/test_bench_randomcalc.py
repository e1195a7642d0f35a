"""RandomCalculation: exact answers, the level structure, the grader and partial credit."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnemoscope.benchmarks import generate
from mnemoscope.benchmarks.arith_parse import ParseError, final_answer, parse_number
from mnemoscope.benchmarks.randomcalc import (OPERATORS, RandomCalculation, partial_credit,
                                              random_expression, render, value)
from mnemoscope.benchmarks.base import item_rng

RC = RandomCalculation()


def _operators(tree) -> int:
    return 0 if tree[0] not in OPERATORS else 1 + _operators(tree[1]) + _operators(tree[2])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), level=st.integers(0, 20))
def test_answers_are_exact_and_match_the_printed_expression(seed, level):
    (item,) = RC.generate(1, seed, level)
    tree = item.meta["tree"]
    assert _operators(tree) == level
    exact = value(tree)
    assert isinstance(exact, Fraction)
    assert Fraction(item.gold) == exact                     # gold is stored exactly as p/q
    # An independent reading of the printed text gives the same value: the brackets are right.
    assert parse_number(item.meta["expression"]) == exact
    assert RC.grade(item, f"Answer: {item.gold}").correct


def test_atoms_are_the_published_kinds():
    kinds = {random_expression(item_rng("atoms", i), 0)[0] for i in range(200)}
    assert kinds == {"int", "frac", "sq", "cube"}


def test_partial_credit_worked_examples():
    gold = Fraction(3, 4)
    assert partial_credit(Fraction(3, 4), gold) == 1.0           # exact match scores 1
    assert partial_credit(Fraction(1, 2), gold) == 0.75          # 1 - 1/4
    assert partial_credit(Fraction(7, 4), gold) == 0.0           # |diff| = 1 -> 1 - 1 = 0
    assert partial_credit(Fraction(-1), gold) == 0.0             # |diff| > 1


@pytest.mark.parametrize("written", ["3/4", "0.75", "6/8", " \\frac{3}{4}", "$\\dfrac{3}{4}$",
                                     "\\boxed{3/4}", "(3)/(4)", "0.750.", "3 / 4"])
def test_equivalent_forms_are_accepted(written):
    (item,) = RC.generate(1, 0, 0)
    item = item.__class__(**{**item.to_json(), "gold": "3/4"})
    grade = RC.grade(item, f"Some work.\nAnswer: {written}")
    assert grade.correct and grade.score == 1.0


def test_a_near_miss_earns_partial_credit_not_correctness():
    (item,) = RC.generate(1, 0, 0)
    item = item.__class__(**{**item.to_json(), "gold": "10"})
    grade = RC.grade(item, "Answer: 9.5")
    assert not grade.correct and grade.score == pytest.approx(0.5)
    assert RC.grade(item, "no number here").score == 0.0


def test_final_answer_prefers_the_answer_line():
    assert final_answer("2 + 3 = 5\nAnswer: 5\nthanks 7") == "5"
    assert final_answer("so we get 12 and finally 1/3") == "1/3"
    assert final_answer("nothing") is None


@pytest.mark.parametrize("bad", ["__import__('os')", "x + 1", "2 ** 100", "open('f')", "1/0"])
def test_the_answer_parser_only_reads_numbers(bad):
    with pytest.raises(ParseError):
        parse_number(bad)


def test_reproducible_and_levels_cycle():
    items = generate("randomcalc", 25, 3)
    assert items == generate("randomcalc", 25, 3)
    assert [i.level for i in items[:21]] == list(range(21))
    with pytest.raises(ValueError, match="0 to 20"):
        RC.generate(1, 0, 21)


def test_rendering_brackets_operands_of_products_and_quotients():
    tree = ["*", ["+", ["int", 1], ["int", 2]], ["-", ["int", 5], ["int", 3]]]
    assert render(tree) == "(1 + 2) * (5 - 3)"
    assert render(["-", ["int", 9], ["+", ["int", 1], ["int", 2]]]) == "9 - (1 + 2)"
    assert value(["/", ["frac", 1, 2], ["sq", 3]]) == Fraction(1, 18)
