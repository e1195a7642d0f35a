"""Ten list tasks graded by the complexity of their straightforward algorithm (after Scylla,
Qi et al. 2025): two tasks at each of five levels, O(N) to O(2^N).

Every instance is a list of distinct integers (plus a target for the search tasks). Search
tasks plant a solution and accept any valid one, so gold never depends on which of several
answers the solver happened to find.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable

Instance = dict[str, Any]          # {"values": [...], "target": int (search tasks only)}

LEVELS = {1: "O(N)", 2: "O(N log N)", 3: "O(N^2)", 4: "O(N^3)", 5: "O(2^N)"}


def _lis_length(values: list[int]) -> int:
    best = [1] * len(values)                       # O(N^2) dynamic programme
    for j in range(len(values)):
        for i in range(j):
            if values[i] < values[j]:
                best[j] = max(best[j], best[i] + 1)
    return max(best, default=0)


def _increasing_triples(values: list[int]) -> int:
    return sum(1 for a, b, c in itertools.combinations(values, 3) if a < b < c)


def _max_subset_under(values: list[int], cap: int) -> int:
    return max(sum(c) for r in range(len(values) + 1)
               for c in itertools.combinations(values, r) if sum(c) <= cap)


def _picks_from(values: list[int], picked: list[int], size: int | None) -> bool:
    """`picked` uses each list entry at most once (values are distinct) and has `size` entries."""
    return (len(set(picked)) == len(picked) and set(picked) <= set(values)
            and (size is None or len(picked) == size) and len(picked) > 0)


@dataclass(frozen=True)
class Task:
    name: str
    level: int
    question: str                         # formatted with target=
    answer_shape: str                     # shown in the format line
    solve: Callable[[Instance], Any]      # the gold answer (for search tasks: one solution)
    check: Callable[[Instance, list[int]], bool]
    plant: int = 0     # entries in a planted answer: 0 = none, -1 = a random size 2..N-1


def _equals(solve):
    return lambda inst, numbers: numbers == (solve(inst) if isinstance(solve(inst), list)
                                             else [solve(inst)])


def _sum_check(size: int | None):
    def check(inst: Instance, numbers: list[int]) -> bool:
        return _picks_from(inst["values"], numbers, size) and sum(numbers) == inst["target"]
    return check


def _solve_sum(size: int | None):
    def solve(inst: Instance) -> list[int]:
        sizes = [size] if size else range(1, len(inst["values"]) + 1)
        for r in sizes:
            for combo in itertools.combinations(inst["values"], r):
                if sum(combo) == inst["target"]:
                    return list(combo)
        raise ValueError("no planted solution found; the instance is malformed")
    return solve


def _task(name, level, question, shape, solve, check=None, **kw) -> Task:
    return Task(name, level, question, shape, solve, check or _equals(solve), **kw)


TASKS: tuple[Task, ...] = (
    _task("minimum", 1, "What is the smallest number in the list?", "<number>",
          lambda i: min(i["values"])),
    _task("second_largest", 1, "What is the second largest number in the list?", "<number>",
          lambda i: sorted(i["values"])[-2]),
    _task("sort", 2, "Sort the list in ascending order.", "<numbers, comma separated>",
          lambda i: sorted(i["values"])),
    _task("three_smallest", 2, "List the three smallest numbers in ascending order.",
          "<numbers, comma separated>", lambda i: sorted(i["values"])[:3]),
    _task("two_sum", 3, "Find two numbers in the list that add up to {target}.",
          "<number>, <number>", _solve_sum(2), _sum_check(2), plant=2),
    _task("lis_length", 3, "How long is the longest strictly increasing subsequence "
          "(entries in list order, not necessarily adjacent)?", "<number>",
          lambda i: _lis_length(i["values"])),
    _task("three_sum", 4, "Find three numbers in the list that add up to {target}.",
          "<number>, <number>, <number>", _solve_sum(3), _sum_check(3), plant=3),
    _task("increasing_triples", 4, "How many triples of positions i < j < k have "
          "list[i] < list[j] < list[k]?", "<number>",
          lambda i: _increasing_triples(i["values"])),
    _task("subset_sum", 5, "Find a set of numbers from the list (each used at most once) "
          "that adds up to exactly {target}.", "<numbers, comma separated>",
          _solve_sum(None), _sum_check(None), plant=-1),
    _task("max_subset_under", 5, "Using each number at most once, what is the largest total "
          "a set of numbers from the list can have without exceeding {target}?", "<number>",
          lambda i: _max_subset_under(i["values"], i["target"]), plant=-1),
)

BY_NAME = {task.name: task for task in TASKS}
