"""RandomCalculation (Wu et al. 2025): random arithmetic expressions by level, exact answers.

Level 0 is one atom: an integer 0-99, a proper fraction i/d (d = 2-9), a square i^2 or a cube
i^3. Level L joins a level-j and a level-(L-1-j) expression with + - * /, so a level-L
expression has exactly L operators. Values are exact Fractions end to end.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, ClassVar

from .arith_parse import ParseError, final_answer, parse_number
from .base import benchmarks, item_rng, levels_cycle
from .items import BenchItem, Grade

MAX_LEVEL = 20
OPERATORS = ("+", "-", "*", "/")
# Squares and cubes of small bases only: 20^2 and 10^3 keep level-0 atoms within 4 digits,
# so difficulty grows with the level, not with the size of one atom.
SQUARE_BASES, CUBE_BASES = range(0, 21), range(0, 11)


def random_atom(rng) -> list[Any]:
    draw = rng.random()
    if draw < 0.5:
        return ["int", rng.randint(0, 99)]
    if draw < 0.7:
        d = rng.randint(2, 9)
        return ["frac", rng.randint(1, d - 1), d]
    if draw < 0.85:
        return ["sq", rng.choice(SQUARE_BASES)]
    return ["cube", rng.choice(CUBE_BASES)]


def value(node: list[Any]) -> Fraction:
    kind = node[0]
    if kind == "int":
        return Fraction(node[1])
    if kind == "frac":
        return Fraction(node[1], node[2])
    if kind == "sq":
        return Fraction(node[1]) ** 2
    if kind == "cube":
        return Fraction(node[1]) ** 3
    left, right = value(node[1]), value(node[2])
    if kind == "+":
        return left + right
    if kind == "-":
        return left - right
    if kind == "*":
        return left * right
    if kind == "/":
        return left / right          # the generator never builds a zero divisor
    raise ValueError(f"unknown RandomCalculation node {kind!r}")


def random_expression(rng, level: int) -> list[Any]:
    if level == 0:
        return random_atom(rng)
    left_level = rng.randint(0, level - 1)
    right_level = level - 1 - left_level
    left = random_expression(rng, left_level)
    right = random_expression(rng, right_level)
    if rng.random() < 0.5:
        (left, left_level), (right, right_level) = (right, right_level), (left, left_level)
    op = rng.choice(OPERATORS)
    while op == "/" and value(right) == 0:   # keep the value finite: re-draw the divisor
        right = random_expression(rng, right_level)
    return [op, left, right]


def render(node: list[Any]) -> str:
    kind = node[0]
    if kind == "int":
        return str(node[1])
    if kind == "frac":
        return f"({node[1]}/{node[2]})"
    if kind == "sq":
        return f"{node[1]}^2"
    if kind == "cube":
        return f"{node[1]}^3"
    left, right = render(node[1]), render(node[2])
    compound_left, compound_right = node[1][0] in OPERATORS, node[2][0] in OPERATORS
    if kind in ("*", "/"):      # operands of * and / are always bracketed when compound
        left = f"({left})" if compound_left else left
        right = f"({right})" if compound_right else right
    elif kind == "-" and node[2][0] in ("+", "-"):
        right = f"({right})"
    return f"{left} {kind} {right}"


def as_text(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def partial_credit(predicted: Fraction, gold: Fraction) -> float:
    """1 - |pred - gold| when the difference is at most 1, else 0; an exact match scores 1."""
    diff = abs(predicted - gold)
    return float(1 - diff) if diff <= 1 else 0.0


def make_prompt(expression: str) -> str:
    return ("Compute the exact value of this expression. ^ means power; / is exact division.\n"
            f"{expression}\n"
            "Give the result as an integer or a fraction p/q in lowest terms, on a last line "
            "of the form: Answer: <value>")


@benchmarks.register("randomcalc")
class RandomCalculation:
    """Arithmetic expressions; `level` is the number of operators (0 to 20)."""

    kind: ClassVar[str] = "randomcalc"
    perturbations: ClassVar[tuple[str, ...]] = ()
    max_new_tokens: ClassVar[int] = 192
    interactive: ClassVar[bool] = False

    def generate(self, n: int, seed: int, level: int | None = None) -> list[BenchItem]:
        if level is not None and not 0 <= level <= MAX_LEVEL:
            raise ValueError(f"RandomCalculation levels are 0 to {MAX_LEVEL}, not {level}")
        items = []
        for i, lvl in enumerate(levels_cycle(level, range(0, MAX_LEVEL + 1), n)):
            tree = random_expression(item_rng("randomcalc", seed, lvl, i), lvl)
            expression = render(tree)
            items.append(BenchItem(id=f"rc-l{lvl}-s{seed}-{i:05d}", kind=self.kind,
                                   task=self.kind, level=lvl, prompt=make_prompt(expression),
                                   gold=as_text(value(tree)),
                                   meta={"expression": expression, "tree": tree}))
        return items

    def grade(self, item: BenchItem, output: str) -> Grade:
        answer = final_answer(output)
        if answer is None:
            return Grade(0.0, False, None)
        try:
            predicted = parse_number(answer)
        except ParseError:
            return Grade(0.0, False, answer[:80])
        gold = Fraction(item.gold)
        return Grade(partial_credit(predicted, gold), predicted == gold, as_text(predicted))

    def perturb(self, item: BenchItem, perturbation: str, seed: int) -> BenchItem | None:
        raise ValueError("RandomCalculation items are fresh by construction and have no "
                         "perturbations; generate with another --seed instead")
