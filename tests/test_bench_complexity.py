"""Complexity tasks: coverage of levels, correct gold, OOD twins, the gap and its peak."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnemoscope.benchmarks.complexity import (Complexity, gap_by_level, parse_numbers,
                                              to_ood)
from mnemoscope.benchmarks.complexity_tasks import BY_NAME, LEVELS, TASKS

CX = Complexity()


def test_at_least_eight_tasks_over_at_least_four_levels_from_linear_to_exponential():
    assert len(TASKS) >= 8
    assert len({t.level for t in TASKS}) >= 4
    assert LEVELS[min(LEVELS)] == "O(N)" and LEVELS[max(LEVELS)] == "O(2^N)"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_gold_passes_its_own_check_and_twins_keep_the_shape(seed):
    items = CX.generate(len(TASKS), seed)
    originals = [i for i in items if i.split == "id"]
    twins = {i.source_id: i for i in items if i.split == "ood"}
    assert len(originals) == len(twins) == len(TASKS)
    for item in originals:
        twin = twins[item.id]
        for x in (item, twin):
            gold = x.gold if isinstance(x.gold, list) else [x.gold]
            assert CX.grade(x, "Answer: " + ", ".join(map(str, gold))).correct
        values, twin_values = item.meta["instance"]["values"], twin.meta["instance"]["values"]
        assert len(values) == len(twin_values)
        assert all(1 <= v <= 99 for v in values) and all(1000 <= v <= 9999 for v in twin_values)
        # order of entries is kept, so order-based answers are the same positions
        assert sorted(range(len(values)), key=values.__getitem__) == \
            sorted(range(len(values)), key=twin_values.__getitem__)
        assert (twin.task, twin.level) == (item.task, item.level)
        assert re.sub(r"\d+", "#", twin.prompt) == re.sub(r"\d+", "#", item.prompt)


def test_search_tasks_accept_any_valid_answer_and_reject_invalid_ones():
    item = next(i for i in CX.generate(10, 4) if i.task == "two_sum" and i.split == "id")
    values, target = item.meta["instance"]["values"], item.meta["instance"]["target"]
    pairs = [(a, b) for k, a in enumerate(values) for b in values[k + 1:] if a + b == target]
    for a, b in pairs:
        assert CX.grade(item, f"Answer: {b}, {a}").correct
    assert not CX.grade(item, f"Answer: {target}, 0").correct
    assert not CX.grade(item, f"Answer: {values[0]}, {values[0]}").correct   # reused entry


def test_worked_examples_of_the_solvers():
    lis = BY_NAME["lis_length"].solve({"values": [5, 1, 6, 2, 7, 3]})
    triples = BY_NAME["increasing_triples"].solve({"values": [1, 2, 3, 4]})
    best = BY_NAME["max_subset_under"].solve({"values": [5, 8, 13], "target": 20})
    assert (lis, triples, best) == (3, 4, 18)
    assert to_ood(1) == 1009 and to_ood(99) == 1891


def test_gap_and_critical_complexity():
    accuracy = {1: {"id": 0.9, "ood": 0.85}, 2: {"id": 0.7, "ood": 0.4},
                3: {"id": 0.3, "ood": 0.35}, 4: {"id": 0.1, "ood": 0.0}}
    gap = gap_by_level(accuracy)
    assert gap["gap"] == pytest.approx({1: 0.05, 2: 0.3, 3: 0.0, 4: 0.1})
    assert gap["critical_level"] == 2 and gap["critical_complexity"] == "O(N log N)"
    assert gap_by_level({1: {"id": 0.0, "ood": 0.0}})["critical_level"] is None


def test_answer_parsing():
    assert parse_numbers("I think 4\nAnswer: 1, 2, 3\n") == [1, 2, 3]
    assert parse_numbers("the list sorted is\n[1, 2]") == [1, 2]
    assert parse_numbers("") == []


def test_splits_levels_and_seeds():
    assert all(i.split == "id" for i in Complexity(split="id").generate(5, 0))
    assert all(i.level == 3 for i in CX.generate(4, 0, level=3))
    assert CX.generate(6, 2) == CX.generate(6, 2) and CX.generate(6, 2) != CX.generate(6, 3)
    with pytest.raises(ValueError, match="levels are 1 to 5"):
        CX.generate(1, 0, level=9)
    with pytest.raises(ValueError, match="unknown complexity task"):
        Complexity(tasks=["knapsack"])
