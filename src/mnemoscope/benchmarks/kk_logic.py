"""Knights and Knaves logic: statements as small JSON trees, their truth, a brute-force solver.

A statement is a nested list, so that it survives a round trip through an items file:
    ["leaf", j, True]          person j is a knight (False: a knave)
    ["not", s]
    ["and", s1, s2, ...]   ["or", s1, s2, ...]
    ["implies", s1, s2]    ["iff", s1, s2]
Depth counts nodes on the longest path (a leaf has depth 1); width is the number of
operands of and/or. An assignment is a tuple of booleans, True = knight.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

Statement = list[Any]
COMPOUND_KINDS = ("not", "and", "or", "implies", "iff")
KINDS = ("leaf",) + COMPOUND_KINDS


@dataclass(frozen=True)
class StatementShape:
    """Limits on a sampled statement (Xie et al. 2024 default: depth 2, width 2)."""

    max_depth: int = 2
    max_width: int = 2


def truth(statement: Statement, assignment: Sequence[bool]) -> bool:
    kind = statement[0]
    if kind == "leaf":
        return assignment[statement[1]] == bool(statement[2])
    parts = [truth(s, assignment) for s in statement[1:]]
    if kind == "not":
        return not parts[0]
    if kind == "and":
        return all(parts)
    if kind == "or":
        return any(parts)
    if kind == "implies":
        return (not parts[0]) or parts[1]
    if kind == "iff":
        return parts[0] == parts[1]
    raise ValueError(f"unknown statement kind {kind!r}; expected one of {', '.join(KINDS)}")


def consistent(statements: Sequence[Statement], assignment: Sequence[bool]) -> bool:
    """A knight's statement is true and a knave's false: role == truth of what they say."""
    return all(assignment[i] == truth(s, assignment) for i, s in enumerate(statements))


def solutions(statements: Sequence[Statement]) -> list[tuple[bool, ...]]:
    """Every consistent assignment, by brute force over the 2^N role assignments."""
    n = len(statements)
    return [a for a in itertools.product((True, False), repeat=n) if consistent(statements, a)]


def unique_solution(statements: Sequence[Statement]) -> tuple[bool, ...] | None:
    found = solutions(statements)
    return found[0] if len(found) == 1 else None


def random_leaf(rng: random.Random, n_people: int) -> Statement:
    return ["leaf", rng.randrange(n_people), rng.random() < 0.5]


def random_statement(rng: random.Random, n_people: int, shape: StatementShape,
                     depth: int | None = None) -> Statement:
    depth = shape.max_depth if depth is None else depth
    kind = "leaf" if depth <= 1 else rng.choice(KINDS)
    if kind == "leaf":
        return random_leaf(rng, n_people)
    if kind == "not":
        arity = 1
    elif kind in ("and", "or"):
        arity = rng.randint(2, max(2, shape.max_width))
    else:
        arity = 2
    operands: list[Statement] = []
    while len(operands) < arity:   # "A is a knight and A is a knight" says nothing twice
        operand = random_statement(rng, n_people, shape, depth - 1)
        if operand not in operands or n_people == 1:
            operands.append(operand)
    return [kind] + operands


def leaf_paths(statement: Statement, prefix: tuple[int, ...] = ()) -> Iterator[tuple[int, ...]]:
    """Index paths to every leaf (a path indexes into the nested lists)."""
    if statement[0] == "leaf":
        yield prefix
        return
    for position, child in enumerate(statement[1:], start=1):
        yield from leaf_paths(child, prefix + (position,))


def replace_at(statement: Statement, path: tuple[int, ...], new: Statement) -> Statement:
    """A copy of `statement` with the node at `path` replaced (the original is untouched)."""
    if not path:
        return new
    copy = list(statement)
    copy[path[0]] = replace_at(statement[path[0]], path[1:], new)
    return copy


def remap_people(statement: Statement, new_index: Sequence[int]) -> Statement:
    """Rename person i to new_index[i] everywhere in a statement."""
    if statement[0] == "leaf":
        return ["leaf", new_index[statement[1]], statement[2]]
    return [statement[0]] + [remap_people(s, new_index) for s in statement[1:]]


def as_statement(value: Any) -> Statement:
    """Normalise a statement read from JSON (tuples become lists; the shape is checked)."""
    if not isinstance(value, (list, tuple)) or not value or not isinstance(value[0], str) \
            or value[0] not in KINDS:
        raise ValueError(f"not a K&K statement: {str(value)[:60]}")
    kind, operands = value[0], value[1:]
    if kind == "leaf":
        if len(operands) != 2 or type(operands[0]) is not int or operands[0] < 0:
            raise ValueError(f"a leaf is [\"leaf\", person, is_knight], not {str(value)[:60]}")
        return ["leaf", operands[0], bool(operands[1])]
    arity = {"not": (1, 1), "implies": (2, 2), "iff": (2, 2)}.get(kind, (1, len(operands)))
    if not arity[0] <= len(operands) <= arity[1]:
        raise ValueError(f"{kind!r} takes {arity[0]}..{arity[1]} operand(s), not "
                         f"{len(operands)}: {str(value)[:60]}")
    return [kind] + [as_statement(v) for v in operands]
