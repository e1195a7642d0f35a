"""The LiMem experiment's lenient diagnostic grading (bench/limem_experiment.py)."""

import dataclasses

from _bench import bench_module
from mnemoscope.benchmarks import generate
from mnemoscope.benchmarks.kk import Puzzle
from mnemoscope.benchmarks.kk_text import answer_text


def _experiment():
    return bench_module("limem_experiment")


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


def test_new_words_each_epoch_trains_every_string_once_per_epoch_at_most():
    experiment = _experiment()
    config = experiment.ExperimentConfig(n_puzzles=6, variants=2, augmented_epochs=3,
                                         invented=0.5, new_words_each_epoch=1)
    originals = generate("kk", 6, 0, level=2)
    items, passes = experiment.training_items("augmented", originals, config)
    assert passes == 1 and len(items) == 3 * 6 * (1 + 2)
    assert len({i.id for i in items}) == len(items)
    variants = [i for i in items if "aug" in i.id]
    assert len({i.prompt for i in variants}) == len(variants)      # no variant repeats
    assert sum(i.prompt == originals[0].prompt for i in items) == 3  # originals once an epoch
    fixed, epochs = experiment.training_items(
        "augmented", originals, dataclasses.replace(config, new_words_each_epoch=0))
    assert epochs == 3 and len(fixed) == 6 * 3


def test_loss_by_epoch_groups_by_epoch_or_by_share_of_the_steps():
    loss_by_epoch = _experiment().loss_by_epoch
    curve = [{"epoch": 1, "loss": 1.0}, {"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}]
    assert loss_by_epoch(curve, 2) == [0.75, 0.25]
    one_pass = [{"epoch": 1, "loss": x} for x in (4.0, 2.0, 1.0, 1.0, 0.5)]
    assert loss_by_epoch(one_pass, 1, chunks=2) == [2.3333, 0.75]   # steps 1-3, then 4-5
