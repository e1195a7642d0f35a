"""Knights and Knaves: uniqueness, perturbation contracts, reproducibility, the checker."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mnemoscope.benchmarks import generate, perturb
from mnemoscope.benchmarks.kk import KnightsAndKnaves, Puzzle, relabel
from mnemoscope.benchmarks.kk_logic import consistent, solutions, truth

KK = KnightsAndKnaves()
seeds = st.integers(min_value=0, max_value=10**6)
people = st.integers(min_value=2, max_value=5)     # 6-8 are slower; one test below covers them


def _roles_by_name(item) -> dict[str, bool]:
    puzzle = Puzzle.from_item(item)
    (solution,) = solutions(puzzle.statements)       # exactly one, or this unpacking fails
    return dict(zip(puzzle.names, solution))


def test_truth_table_worked_example():
    # A says "B is a knave"; B says "A and B are both knights". Only A=knight, B=knave works:
    # if B were a knight, A and B would both be knights, but then A's claim would be false.
    statements = [["leaf", 1, False], ["and", ["leaf", 0, True], ["leaf", 1, True]]]
    assert solutions(statements) == [(True, False)]
    assert truth(["implies", ["leaf", 0, False], ["leaf", 1, True]], (True, False))
    assert not consistent(statements, (False, True))


@settings(max_examples=40, deadline=None)
@given(seed=seeds, n=people)
def test_every_puzzle_has_exactly_one_solution(seed, n):
    (item,) = KK.generate(1, seed, level=n)
    assert len(solutions(Puzzle.from_item(item).statements)) == 1
    assert _roles_by_name(item) == item.gold


def test_large_puzzles_are_unique_too():
    for n in (6, 7, 8):
        for item in KK.generate(2, 3, level=n):
            assert len(solutions(Puzzle.from_item(item).statements)) == 1


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=people, how=st.sampled_from(["leaf", "statement"]))
def test_math_perturbations_change_the_solution_and_keep_it_unique(seed, n, how):
    (item,) = KK.generate(1, seed, level=n)
    new = KK.perturb(item, how, seed)
    assume(new is not None)            # some puzzles admit no such change; see the yield test
    assert _roles_by_name(new) != _roles_by_name(item)          # unique (unpacking) and changed
    assert new.gold == _roles_by_name(new)
    assert new.source_id == item.id and new.perturbation == how
    changed = [a != b for a, b in zip(item.meta["statements"], new.meta["statements"])]
    assert sum(changed) == 1                                    # one person's statement only


def test_most_puzzles_admit_math_perturbations():
    # A 2-person puzzle has only 4 possible leaves, and for about a quarter of them no leaf
    # change gives a new unique solution; those items are skipped (None), never faked.
    items = KK.generate(60, 5, level=2) + KK.generate(30, 5, level=3)
    made = {how: sum(KK.perturb(i, how, 0) is not None for i in items)
            for how in ("leaf", "statement")}
    assert made["statement"] >= 0.95 * len(items) and made["leaf"] >= 0.6 * len(items)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=people)
def test_leaf_perturbation_changes_one_leaf_only(seed, n):
    (item,) = KK.generate(1, seed, level=n)
    new = KK.perturb(item, "leaf", seed)
    assume(new is not None)
    old_s = item.meta["statements"]
    new_s = new.meta["statements"]
    person = next(i for i in range(n) if old_s[i] != new_s[i])
    flat_old, flat_new = str(old_s[person]), str(new_s[person])
    # same tree shape: only a leaf's person index or claim differs
    assert flat_old.count("leaf") == flat_new.count("leaf")
    assert [k for k in old_s[person] if isinstance(k, str)] == \
        [k for k in new_s[person] if isinstance(k, str)]


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=people, how=st.sampled_from(["roles", "names", "reorder"]))
def test_language_perturbations_keep_the_solution(seed, n, how):
    (item,) = KK.generate(1, seed, level=n)
    new = KK.perturb(item, how, seed)
    before, after = _roles_by_name(item), _roles_by_name(new)
    if how == "names":     # same people in the same places, new names
        assert list(after.values()) == list(before.values())
        assert set(after).isdisjoint(before)
    else:
        assert after == before
    assert new.prompt != item.prompt
    if how == "roles":
        assert "knight" not in new.prompt and new.meta["roles"][0] in new.prompt


@settings(max_examples=20, deadline=None)
@given(seed=seeds, n=people, permutation_seed=seeds)
def test_renumbering_people_does_not_change_who_is_what(seed, n, permutation_seed):
    import random

    (item,) = KK.generate(1, seed, level=n)
    order = list(range(n))
    random.Random(permutation_seed).shuffle(order)
    puzzle = Puzzle.from_item(item)
    renumbered = relabel(puzzle, order)
    (solution,) = solutions(renumbered.statements)
    assert dict(zip(renumbered.names, solution)) == item.gold


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_generation_is_reproducible_from_the_seed(seed):
    first = generate("kk", 10, seed)
    assert first == generate("kk", 10, seed)
    assert generate("kk", 4, seed) == first[:4]      # item i does not depend on n
    assert perturb(first, "leaf", 1) == perturb(generate("kk", 10, seed), "leaf", 1)
    assert [i.level for i in first[:7]] == [2, 3, 4, 5, 6, 7, 8]


def test_different_seeds_give_different_puzzles():
    assert generate("kk", 5, 0, level=3) != generate("kk", 5, 1, level=3)


def test_checker_accepts_the_gold_line_and_rejects_a_wrong_one():
    (item,) = KK.generate(1, 7, level=3)
    assert KK.grade(item, "Let me think.\n" + item.meta["answer"]).correct
    flipped = {k: not v for k, v in item.gold.items()}
    wrong = " ".join(f"{k} is a {'knight' if v else 'knave'}." for k, v in flipped.items())
    assert not KK.grade(item, f"CONCLUSION: {wrong}").correct
    partial = item.meta["answer"].split("(3)")[0]
    assert not KK.grade(item, partial).correct                 # one person missing


def test_checker_reads_only_after_the_conclusion_marker():
    (item,) = KK.generate(1, 7, level=2)
    name = next(iter(item.gold))
    wrong_role = "knave" if item.gold[name] else "knight"
    reasoning = f"Suppose {name} is a {wrong_role}. That fails.\n"
    assert KK.grade(item, reasoning + item.meta["answer"]).correct


def test_checker_ignores_an_echo_of_the_format_line():
    (item,) = KK.generate(1, 7, level=2)
    echo = "CONCLUSION: " + " ".join(f"({k + 1}) {n} is a knight/knave"
                                     for k, n in enumerate(item.gold))
    grade = KK.grade(item, echo)
    assert not grade.correct and grade.parsed is None


def test_checker_uses_the_items_role_words():
    (item,) = KK.generate(1, 11, level=2)
    new = KK.perturb(item, "roles", 0)
    assert KK.grade(new, new.meta["answer"]).correct
    assert not KK.grade(new, item.meta["answer"]).correct      # knight/knave words don't count


def test_bad_requests_say_what_is_allowed():
    with pytest.raises(ValueError, match="2 to 8 people"):
        KK.generate(1, 0, level=9)
    with pytest.raises(ValueError, match="known: leaf, statement"):
        KK.perturb(KK.generate(1, 0, level=2)[0], "shuffle", 0)


# --- the checker under language perturbations: a wrong verdict here would inflate LiMem ---

def test_checker_accepts_a_reordered_puzzle_answered_in_any_order():
    # reorder changes the order in which people (and the gold line) are listed; the
    # checker keys on names, so the answer in the ORIGINAL order is just as correct
    for seed in range(20):
        (item,) = KK.generate(1, seed, level=3)
        new = KK.perturb(item, "reorder", seed)
        assert new.meta["order"] != item.meta["order"] and new.gold == item.gold
        assert KK.grade(new, new.meta["answer"]).correct
        assert KK.grade(new, item.meta["answer"]).correct


def test_checker_accepts_every_alternative_role_pair_and_only_its_words():
    from mnemoscope.benchmarks.kk_text import ALTERNATIVE_ROLES, answer_text

    (item,) = KK.generate(1, 4, level=3)
    puzzle = Puzzle.from_item(item)
    for roles in ALTERNATIVE_ROLES:
        new = puzzle.__class__(**{**puzzle.__dict__, "roles": roles}).to_item("x")
        assert new.meta["answer"] == answer_text(puzzle.names, puzzle.solution(), roles,
                                                 puzzle.shown_order)
        assert roles[0] in new.meta["answer"] or roles[1] in new.meta["answer"]
        assert KK.grade(new, new.meta["answer"]).correct
        assert KK.grade(new, new.meta["answer"].replace(" an ", " a ")).correct  # article
        assert not KK.grade(new, item.meta["answer"]).correct   # knight/knave words


def test_checker_reads_every_uncommon_name():
    from mnemoscope.benchmarks.kk_text import UNCOMMON_NAMES

    for seed in range(12):
        (item,) = KK.generate(1, seed, level=8)
        new = KK.perturb(item, "names", seed)
        assert set(new.gold) <= set(UNCOMMON_NAMES)
        assert KK.grade(new, new.meta["answer"]).correct
        grade = KK.grade(new, "Reasoning...\n" + new.meta["answer"])
        assert grade.correct and grade.parsed.count("=") == 8


def test_names_never_contain_one_another():
    # "Ann" inside "Annabel" would let one name's role be read for another
    from mnemoscope.benchmarks.kk_augment import TRAINING_NAMES
    from mnemoscope.benchmarks.kk_text import COMMON_NAMES, UNCOMMON_NAMES

    names = COMMON_NAMES + UNCOMMON_NAMES + TRAINING_NAMES
    assert len(set(names)) == len(names)
    assert not [(a, b) for a in names for b in names if a != b and a.lower() in b.lower()]


def test_prompt_uses_the_right_article_for_each_role_word():
    puzzle = Puzzle(names=("Ann", "Bo"), statements=(["leaf", 1, False],
                                                     ["and", ["leaf", 0, True], ["leaf", 1, True]]),
                    roles=("angel", "devil"))
    text = puzzle.to_item("x").prompt
    assert text.startswith("Every inhabitant of an island is either an angel or a devil. "
                           "An angel only ever says true things; a devil only ever says")
    assert "Who is an angel and who is a devil?" in text
