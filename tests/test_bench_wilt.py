"""The WILT-style game: the restricted evaluator, the rules, the protocol and the points."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnemoscope.benchmarks.wilt import (MAX_TESTS, Wilt, check_points, guess_matches,
                                        points_for)
from mnemoscope.benchmarks.wilt_expr import GuessError, clean_guess, compile_guess, evaluate
from mnemoscope.benchmarks.wilt_rules import RULES


@pytest.mark.parametrize("hostile", [
    "x.__class__", "x.real > 0", "().__class__.__bases__", "__import__('os').system('true')",
    "abs(x) > 1", "print(x)", "(lambda: 1)()", "x[0] > 1", "[i for i in (1, 2)]",
    "import os", "from os import path", "open('/etc/passwd')", "y if z else __builtins__",
    "globals()", "x := 3", "'text' == 'text'", "b'x' == x", "x ** y", "x ** 1000",
    "exec('1')", "eval('1')", "{1: 2}", "{x}", "x; y", "yield x", "await x", "f'{x}'",
    "w > 0", "True.__doc__",
])
def test_the_evaluator_rejects_everything_outside_the_whitelist(hostile):
    with pytest.raises(GuessError):
        compile_guess(hostile)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_arbitrary_text_is_either_rejected_or_a_safe_expression(text):
    try:
        tree = compile_guess(text)
    except GuessError:
        return
    values = evaluate(tree, np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
    assert values.dtype == bool and values.shape == (2,)


def test_there_are_35_varied_rules_and_each_is_its_own_answer():
    assert len(RULES) == 35 and len({r.name for r in RULES}) == len(RULES)
    assert {r.category for r in RULES} >= {"order", "parity", "arithmetic", "range", "bitwise",
                                           "other"}
    for rule in RULES:
        assert guess_matches(rule.expression, rule.expression), rule.name


# How many points of the integer grid [-20, 20]^3 (41^3 = 68,921, inside check_points) each
# rule holds on, counted by hand. 21 even and 20 odd values lie in [-20, 20], 13 multiples
# of 3 (-18 ... 18); x + y takes the value s in 41 - |s| ways, so |x + y| <= 20 in
# 41 + 2 * (40 + 39 + ... + 21) = 1261 ways: that many (x, y, z) have x + y == z, as many
# have x + y + z == 0, and by symmetry half of the rest have a positive sum.
GRID = 41 ** 3
GRID_COUNTS = {
    "ascending": math.comb(41, 3),             # three distinct values, one order of them
    "x_below_y": 41 * 40 // 2 * 41,
    "two_equal": GRID - 41 * 40 * 39,          # not all three distinct
    "x_even": 21 * 41 ** 2,
    "all_even": 21 ** 3,
    "x_multiple_of_3": 13 * 41 ** 2,
    "product_even": GRID - 20 * 20 * 41,       # not both x and y odd
    "sum_is_z": 1261,
    "sum_positive": (GRID - 1261) // 2,
    "all_positive": 20 ** 3,
    "y_is_7": 41 ** 2,
    "y_is_square_of_x": 9 * 41,                # x in -4 ... 4
    "always": GRID,
}


def test_rules_hold_on_hand_counted_shares_of_the_integer_grid():
    points = check_points()
    grid = points[10_000:10_000 + GRID]        # after the 2 x 5,000 random points
    assert grid[0].tolist() == [-20, -20, -20] and grid[-1].tolist() == [20, 20, 20]
    rules = {r.name: r for r in RULES}
    for name, count in GRID_COUNTS.items():
        assert int(evaluate(compile_guess(rules[name].expression), grid).sum()) == count, name


def test_semantics_worked_examples():
    pts = np.array([[1, 2, 3], [3, 2, 1], [4, 0, 5], [2.5, 0, 0]])
    assert evaluate(compile_guess("x < y < z"), pts).tolist() == [True, False, False, False]
    assert evaluate(compile_guess("x / y > 1"), pts).tolist() == [False, True, False, False]
    assert evaluate(compile_guess("(x & 1) == 1"), pts).tolist() == [True, True, False, False]
    assert evaluate(compile_guess("x > 2 if z > 2 else y == 2"), pts).tolist() == \
        [False, True, True, False]


def test_equivalent_guesses_pass_and_near_misses_fail():
    assert guess_matches("x < y < z", "y > x and z > y")
    assert guess_matches("x + y == z", "z - x - y == 0")
    assert guess_matches("x > 0 and y > 0 and z > 0", "not (x <= 0 or y <= 0 or z <= 0)")
    assert not guess_matches("x < y", "x <= y")                    # differs on the grid only
    assert not guess_matches("0 < x < 10", "0 < x < 10.5")         # differs on random floats
    assert guess_matches("x < y", "`lambda x, y, z: x < y`")
    assert clean_guess("```python\nx < y\n```") == "x < y"


def test_points():
    assert points_for(True, 0) == 1100 and points_for(True, MAX_TESTS) == 1000
    assert points_for(True, 15) == 1050 and points_for(False, 3) == 0


def test_protocol_with_a_scripted_player():
    wilt = Wilt(max_tests=3)
    items = wilt.generate(2, 0)
    scripts = [iter(["Test: (1, 2, 3)", "I am not sure", "test 3, 2, 1",
                     f"Guess: {items[0].gold}"]),
               iter(["Test: (0, 0, 0)", "Test: (1, 1, 1)", "Test: (2, 2, 2)",
                     "Test: (3, 3, 3)", "Guess: x < y"])]
    owner: dict[int, int] = {}     # id(chat) -> item index; each game keeps its own chat list

    def respond(chats):
        if not owner:
            owner.update({id(chat): k for k, chat in enumerate(chats)})
        return [next(scripts[owner[id(chat)]]) for chat in chats]

    (g0, e0), (g1, e1) = wilt.play(items, respond)
    assert g0.correct and e0["tests_used"] == 2 and e0["points"] == pytest.approx(1000 + 100 / 3)
    # a fourth test is over the limit: it is not run, and the game waits for the guess
    assert e1["tests_used"] == 3 and g1.parsed == "x < y" and not g1.correct
    assert e1["points"] == 0 and "could not read" in e1["transcript"]


def test_the_environment_answers_tests_with_the_hidden_rule():
    wilt = Wilt(max_tests=2)
    (item,) = [i for i in wilt.generate(len(RULES), 0) if i.meta["rule"] == "ascending"]
    replies = iter(["Test: (1, 2, 3)", "Test: (3, 2, 1)", "Guess: x < y < z"])
    seen = []

    def respond(chats):
        seen.append(chats[0][-1]["content"])
        return [next(replies)]

    ((grade, extra),) = wilt.play([item], respond)
    assert seen[1].startswith("True") and seen[2].startswith("False")
    assert "last test" in seen[2] and grade.correct


def test_generation_is_seeded():
    assert Wilt().generate(40, 1) == Wilt().generate(40, 1)
    assert Wilt().generate(5, 1) != Wilt().generate(5, 2)
    assert {i.meta["rule"] for i in Wilt().generate(len(RULES), 9)} == {r.name for r in RULES}
