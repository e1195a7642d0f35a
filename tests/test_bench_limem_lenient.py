"""The LiMem experiment's lenient diagnostic grading (bench/limem_experiment.py)."""

import dataclasses
import importlib.util
import sys
from pathlib import Path

from mnemoscope.benchmarks import generate
from mnemoscope.benchmarks.kk import Puzzle
from mnemoscope.benchmarks.kk_text import answer_text


def _experiment():
    path = Path(__file__).resolve().parent.parent / "bench" / "limem_experiment.py"
    spec = importlib.util.spec_from_file_location("limem_experiment", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_solved_by_position_reads_positions_and_either_role_words():
    solved_by_position = _experiment().solved_by_position
    item = generate("kk", 1, 3, level=2)[0]
    puzzle = dataclasses.replace(Puzzle.from_item(item), roles=("saint", "sinner"), order=(1, 0))
    twin = puzzle.to_item("twin")
    solution = puzzle.solution()
    gold = answer_text(puzzle.names, solution, puzzle.roles, puzzle.shown_order)
    assert solved_by_position(gold, twin)
    misspelled = answer_text(("Zzz", "Qqq"), [solution[1], solution[0]], puzzle.roles, (0, 1))
    assert solved_by_position(misspelled, twin)          # names ignored, positions kept
    fallback = answer_text(puzzle.names, solution, ("knight", "knave"), puzzle.shown_order)
    assert solved_by_position(fallback, twin)             # knight/knave accepted
    flipped = answer_text(puzzle.names, [not v for v in solution], puzzle.roles, puzzle.shown_order)
    assert not solved_by_position(flipped, twin)
    assert not solved_by_position(gold.split(" (2)")[0], twin)   # a missing clause fails
