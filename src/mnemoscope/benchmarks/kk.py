"""Knights and Knaves (Xie et al. 2024): seeded puzzles with exactly one solution, and
perturbations that either must change the solution (leaf, statement) or must keep it
(roles, names, reorder)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from . import kk_text
from .base import benchmarks, check_perturbation, item_rng, levels_cycle, perturbed_id
from .items import BenchItem, Grade
from .kk_logic import (Statement, StatementShape, as_statement, leaf_paths, random_leaf,
                       random_statement, remap_people, replace_at, unique_solution)

MIN_PEOPLE, MAX_PEOPLE = 2, 8
MATH_PERTURBATIONS = ("leaf", "statement")          # the solution must change
LANGUAGE_PERTURBATIONS = ("roles", "names", "reorder")   # the solution must not
_MAX_TRIES = 2000   # rejection sampling; 8-person puzzles need the most (a few hundred)


@dataclass(frozen=True)
class Puzzle:
    names: tuple[str, ...]
    statements: tuple[Statement, ...]
    roles: tuple[str, str] = kk_text.DEFAULT_ROLES
    order: tuple[int, ...] = ()          # presentation order; () = 0..N-1
    shape: StatementShape = StatementShape()

    @property
    def shown_order(self) -> tuple[int, ...]:
        return self.order or tuple(range(len(self.names)))

    def solution(self) -> tuple[bool, ...] | None:
        return unique_solution(self.statements)

    def to_item(self, item_id: str, **fields: Any) -> BenchItem:
        solution = self.solution()
        if solution is None:
            raise ValueError(f"{item_id}: puzzle has no unique solution; it must not be written")
        meta = {"names": list(self.names), "statements": [list(s) for s in self.statements],
                "roles": list(self.roles), "order": list(self.shown_order),
                "max_depth": self.shape.max_depth, "max_width": self.shape.max_width,
                "answer": kk_text.answer_text(self.names, solution, self.roles, self.shown_order)}
        gold = {name: solution[i] for i, name in enumerate(self.names)}
        return BenchItem(id=item_id, kind="kk", task="kk", level=len(self.names),
                         prompt=kk_text.prompt(self.names, self.statements, self.roles,
                                               self.shown_order),
                         gold=gold, meta=meta, **fields)

    @classmethod
    def from_item(cls, item: BenchItem) -> "Puzzle":
        m = item.meta
        return cls(names=tuple(m["names"]),
                   statements=tuple(as_statement(s) for s in m["statements"]),
                   roles=tuple(m["roles"]), order=tuple(m["order"]),  # type: ignore[arg-type]
                   shape=StatementShape(m["max_depth"], m["max_width"]))


def generate_puzzle(rng, n_people: int, shape: StatementShape = StatementShape()) -> Puzzle:
    if not MIN_PEOPLE <= n_people <= MAX_PEOPLE:
        raise ValueError(f"K&K puzzles have {MIN_PEOPLE} to {MAX_PEOPLE} people, not {n_people}")
    names = tuple(rng.sample(kk_text.COMMON_NAMES, n_people))
    for _ in range(_MAX_TRIES):
        statements = tuple(random_statement(rng, n_people, shape) for _ in range(n_people))
        if unique_solution(statements) is not None:
            return Puzzle(names, statements, shape=shape)
    raise RuntimeError(f"no {n_people}-person puzzle with a unique solution in {_MAX_TRIES} "
                       "tries; loosen the statement shape")


def _resample(puzzle: Puzzle, rng, how: str) -> Puzzle | None:
    """Re-sample one statement or one leaf so that the solution changes and stays unique."""
    before = puzzle.solution()
    n = len(puzzle.names)
    people = list(range(n))
    rng.shuffle(people)
    for person in people:
        old = puzzle.statements[person]
        paths = list(leaf_paths(old)) if how == "leaf" else [()]
        rng.shuffle(paths)
        for path in paths:
            for _ in range(50):
                if how == "leaf":
                    new = replace_at(old, path, random_leaf(rng, n))
                else:
                    new = random_statement(rng, n, puzzle.shape)
                if new == old:
                    continue
                statements = puzzle.statements[:person] + (new,) + puzzle.statements[person + 1:]
                after = unique_solution(statements)
                if after is not None and after != before:
                    return dataclasses.replace(puzzle, statements=statements)
    return None


def perturb_puzzle(puzzle: Puzzle, perturbation: str, rng) -> Puzzle | None:
    if perturbation in MATH_PERTURBATIONS:
        return _resample(puzzle, rng, perturbation)
    if perturbation == "roles":
        return dataclasses.replace(puzzle, roles=rng.choice(kk_text.ALTERNATIVE_ROLES))
    if perturbation == "names":
        return dataclasses.replace(puzzle, names=tuple(rng.sample(kk_text.UNCOMMON_NAMES,
                                                                  len(puzzle.names))))
    if perturbation == "reorder":
        # Shown in a new order; each person keeps their name, statement and role.
        order = list(puzzle.shown_order)
        while len(order) > 1 and order == list(puzzle.shown_order):
            rng.shuffle(order)
        return dataclasses.replace(puzzle, order=tuple(order))
    raise ValueError(f"unknown K&K perturbation {perturbation!r}")


def relabel(puzzle: Puzzle, new_index: list[int]) -> Puzzle:
    """The same puzzle with person i renumbered new_index[i] (used by tests of invariance)."""
    n = len(puzzle.names)
    names, statements = [""] * n, [None] * n
    for old, new in enumerate(new_index):
        names[new] = puzzle.names[old]
        statements[new] = remap_people(puzzle.statements[old], new_index)
    return dataclasses.replace(puzzle, names=tuple(names), statements=tuple(statements),
                               order=tuple(new_index[i] for i in puzzle.shown_order))


@benchmarks.register("kk")
class KnightsAndKnaves:
    """Knights and Knaves puzzles; `level` is the number of people (2 to 8)."""

    kind: ClassVar[str] = "kk"
    perturbations: ClassVar[tuple[str, ...]] = MATH_PERTURBATIONS + LANGUAGE_PERTURBATIONS
    max_new_tokens: ClassVar[int] = 256
    interactive: ClassVar[bool] = False

    def __init__(self, shape: StatementShape = StatementShape()) -> None:
        self.shape = shape

    def generate(self, n: int, seed: int, level: int | None = None) -> list[BenchItem]:
        items = []
        for i, people in enumerate(levels_cycle(level, range(MIN_PEOPLE, MAX_PEOPLE + 1), n)):
            puzzle = generate_puzzle(item_rng("kk", seed, people, i), people, self.shape)
            items.append(puzzle.to_item(f"kk-p{people}-s{seed}-{i:05d}"))
        return items

    def grade(self, item: BenchItem, output: str) -> Grade:
        roles = item.meta["roles"]
        found = kk_text.parse_roles(output, list(item.gold), roles)
        correct = len(found) == len(item.gold) and all(found[k] == v for k, v in item.gold.items())
        parsed = "; ".join(f"{k}={roles[0] if v else roles[1]}" for k, v in found.items())
        return Grade(score=float(correct), correct=correct, parsed=parsed or None)

    def perturb(self, item: BenchItem, perturbation: str, seed: int) -> BenchItem | None:
        check_perturbation(self, perturbation)
        new = perturb_puzzle(Puzzle.from_item(item), perturbation,
                             item_rng("kk-perturb", item.id, perturbation, seed))
        if new is None:
            return None
        return new.to_item(perturbed_id(item, perturbation), perturbation=perturbation,
                           source_id=item.id, split=item.split)
