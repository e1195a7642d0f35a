"""A WILT-style game (Banatt et al. 2024): find a hidden rule over (x, y, z) by testing triples.

Protocol, one episode per item: the model replies `Test: (x, y, z)` and the environment says
True or False, up to `max_tests` times; then it replies `Guess: <expression>`, once. The guess
is parsed by the restricted evaluator in wilt_expr.py and compared with the rule on random
points and an integer grid. Points for a correct guess: 1000 + 100 * (1 - tests / 30).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, ClassVar, Sequence

import numpy as np

from .base import benchmarks, item_rng
from .items import BenchItem, Grade
from .wilt_expr import GuessError, clean_guess, compile_guess, evaluate
from .wilt_rules import RULES

MAX_TESTS = 30
INVALID_REPLIES_ALLOWED = 3       # unreadable replies before the episode ends without a guess
_NUM = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_TEST = re.compile(rf"test\s*:?\s*\(?\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*\)?", re.I)
_GUESS = re.compile(r"guess\s*:\s*(.+)", re.I)

INSTRUCTIONS = """Let's play a game. I have a hidden rule that takes three numbers x, y, z and \
says True or False. Find the rule.
Each turn, reply with exactly one line, either
  Test: (x, y, z)      to learn whether the rule is True for these numbers (at most {max_tests} \
tests), or
  Guess: <expression>  your final answer, a Python boolean expression in x, y and z.
A guess may use numbers, + - * / // % **, comparisons, and/or/not, & | ^ ~ and \
`a if c else b`, but no function calls. You get one guess; fewer tests earn more points."""


@lru_cache(maxsize=1)
def check_points() -> np.ndarray:
    """Where a guess must agree with the rule: 5,000 random points in [-200, 200]^3, 5,000
    in [-3, 3]^3, the integer grid [-20, 20]^3 and a few fixed floats (fixed seed)."""
    rng = np.random.default_rng(20240601)
    grid = np.stack(np.meshgrid(*[np.arange(-20, 21)] * 3, indexing="ij"), -1).reshape(-1, 3)
    fixed = np.array([[0.5, 1.5, 2.5], [-0.5, 0.25, 3.75], [1e-3, -1e-3, 0.0],
                      [99.9, -99.9, 0.1], [7.0, 49.0, 56.0], [2.0, 4.0, 8.0]])
    return np.concatenate([rng.uniform(-200, 200, (5000, 3)), rng.uniform(-3, 3, (5000, 3)),
                           grid.astype(np.float64), fixed])


def guess_matches(rule: str, guess: str) -> bool:
    """True when the guess agrees with the rule everywhere on check_points(); GuessError when
    the guess is not an allowed expression."""
    points = check_points()
    return bool(np.array_equal(evaluate(compile_guess(rule), points),
                               evaluate(compile_guess(clean_guess(guess)), points)))


def points_for(correct: bool, tests_used: int, max_tests: int = MAX_TESTS) -> float:
    return 1000 + 100 * (1 - tests_used / max_tests) if correct else 0.0


@dataclass
class Episode:
    """One game in progress. `messages` is the chat so far (user / assistant turns)."""

    item: BenchItem
    messages: list[dict[str, str]]
    tests: list[tuple[tuple[float, float, float], bool]] = field(default_factory=list)
    invalid: int = 0
    guess: str | None = None
    finished: bool = False

    @property
    def max_tests(self) -> int:
        return int(self.item.meta.get("max_tests", MAX_TESTS))

    def step(self, reply: str) -> None:
        """Take the model's reply and answer it (or end the game)."""
        self.messages.append({"role": "assistant", "content": reply})
        guess, test = _GUESS.search(reply), _TEST.search(reply)
        if guess and (not test or guess.start() < test.start()):
            self.guess, self.finished = guess.group(1).strip(), True
            return
        if test and len(self.tests) < self.max_tests:
            triple = tuple(float(v) for v in test.groups())
            result = bool(evaluate(compile_guess(self.item.gold), np.array([triple]))[0])
            self.tests.append((triple, result))   # type: ignore[arg-type]
            left = self.max_tests - len(self.tests)
            note = f" ({left} tests left)" if left else \
                ". That was your last test. Reply now with: Guess: <expression>"
            self.messages.append({"role": "user", "content": f"{result}{note}"})
            return
        self.invalid += 1
        if self.invalid > INVALID_REPLIES_ALLOWED:
            self.finished = True
            return
        ask = "Reply with one line: Guess: <expression>" if len(self.tests) >= self.max_tests \
            else "Reply with one line: Test: (x, y, z) or Guess: <expression>"
        self.messages.append({"role": "user", "content": f"I could not read that. {ask}"})

    def grade(self) -> tuple[Grade, dict]:
        correct, error = False, None
        if self.guess is not None:
            try:
                correct = guess_matches(self.item.gold, self.guess)
            except GuessError as exc:
                error = str(exc)
        extra = {"tests_used": float(len(self.tests)), "guess_error": error or "",
                 "points": points_for(correct, len(self.tests), self.max_tests),
                 "transcript": "\n".join(f"{m['role']}: {m['content']}" for m in self.messages)}
        return Grade(float(correct), correct, self.guess), extra


Responder = Callable[[Sequence[list[dict[str, str]]]], list[str]]


@benchmarks.register("wilt")
class Wilt:
    """The rule-finding game; each item is one hidden rule. No levels: rules differ by kind."""

    kind: ClassVar[str] = "wilt"
    perturbations: ClassVar[tuple[str, ...]] = ()
    max_new_tokens: ClassVar[int] = 48      # per turn: one test or one guess line
    interactive: ClassVar[bool] = True

    def __init__(self, max_tests: int = MAX_TESTS) -> None:
        self.max_tests = max_tests

    def generate(self, n: int, seed: int, level: int | None = None) -> list[BenchItem]:
        if level is not None:
            raise ValueError("WILT has no levels; drop --level (rules are grouped by category)")
        order = list(RULES)
        item_rng("wilt", seed).shuffle(order)
        items = []
        for i in range(n):
            rule = order[i % len(order)]
            prompt = INSTRUCTIONS.format(max_tests=self.max_tests)
            items.append(BenchItem(id=f"wilt-s{seed}-{i:05d}-{rule.name}", kind=self.kind,
                                   task=rule.category, level=0, prompt=prompt,
                                   gold=rule.expression,
                                   meta={"rule": rule.name, "max_tests": self.max_tests}))
        return items

    def grade(self, item: BenchItem, output: str) -> Grade:
        """Grade one final answer (the `Guess:` line, or a bare expression)."""
        match = _GUESS.search(output)
        guess = (match.group(1) if match else output).strip()
        try:
            correct = guess_matches(item.gold, guess)
        except GuessError:
            return Grade(0.0, False, guess[:120])
        return Grade(float(correct), correct, guess[:120])

    def play(self, items: Sequence[BenchItem], respond: Responder) -> list[tuple[Grade, dict]]:
        """Run every item's game to the end; `respond` maps chats to one reply each.
        All unfinished games advance together, so a batch is one call per turn."""
        episodes = [Episode(item, [{"role": "user", "content": item.prompt}]) for item in items]
        limit = max((e.max_tests for e in episodes), default=0) + INVALID_REPLIES_ALLOWED + 2
        for _ in range(limit):
            active = [e for e in episodes if not e.finished]
            if not active:
                break
            for episode, reply in zip(active, respond([e.messages for e in active])):
                episode.step(reply)
        return [e.grade() for e in episodes]

    def perturb(self, item: BenchItem, perturbation: str, seed: int) -> BenchItem | None:
        raise ValueError("WILT rules have no perturbations")
