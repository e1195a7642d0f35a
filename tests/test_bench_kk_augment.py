"""Training-time surface augmentation for the K&K memorization experiment: the logic and
the solution are kept, and nothing a test perturbation produces is ever a training prompt."""

from __future__ import annotations

import random

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from mnemoscope.benchmarks import generate, perturb
from mnemoscope.benchmarks.kk import KnightsAndKnaves, Puzzle, relabel
from mnemoscope.benchmarks.kk_augment import (TRAINING_NAMES, TRAINING_ROLES, AugmentConfig,
                                              logic_key, surface_variant, training_variants)
from mnemoscope.benchmarks.kk_logic import solutions
from mnemoscope.benchmarks.kk_text import ALTERNATIVE_ROLES, DEFAULT_ROLES, UNCOMMON_NAMES

KK = KnightsAndKnaves()


def test_training_pools_are_disjoint_from_the_test_pools():
    assert set(TRAINING_NAMES).isdisjoint(UNCOMMON_NAMES)
    test_words = {w for pair in ALTERNATIVE_ROLES for w in pair}
    train_words = {w for pair in TRAINING_ROLES for w in pair}
    assert train_words.isdisjoint(test_words) and train_words.isdisjoint(DEFAULT_ROLES)
    for truthful, liar in TRAINING_ROLES:      # the checker's regex needs distinct words
        assert not truthful.startswith(liar) and not liar.startswith(truthful)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 5))
def test_a_variant_is_the_same_puzzle_in_other_words(seed, n):
    (item,) = KK.generate(1, seed, level=n)
    puzzle = Puzzle.from_item(item)
    variant = surface_variant(puzzle, random.Random(seed), other_roles=0.5)
    assert variant.statements == puzzle.statements
    assert solutions(variant.statements) == solutions(puzzle.statements)
    assert set(variant.names).isdisjoint(puzzle.names)
    assert set(variant.names) <= set(TRAINING_NAMES)
    assert variant.roles == puzzle.roles or variant.roles in TRAINING_ROLES
    as_item = variant.to_item("v")
    assert KK.grade(as_item, as_item.meta["answer"]).correct
    assert logic_key(variant) == logic_key(puzzle)


def test_no_variant_prompt_is_a_test_prompt():
    originals = generate("kk", 40, 0, level=2)
    variants = training_variants(originals, AugmentConfig(variants=6), seed=0)
    assert len(variants) == 240 and len({v.id for v in variants}) == 240
    tests = [p for how in ("leaf", "statement", "names", "reorder", "roles")
             for p in perturb(originals, how, 0)]
    assert not {v.prompt for v in variants} & {t.prompt for t in tests}
    assert not {v.prompt for v in variants} & {o.prompt for o in originals}
    # both presentation orders and both role-word kinds occur
    assert {tuple(v.meta["order"]) for v in variants} == {(0, 1), (1, 0)}
    assert any(tuple(v.meta["roles"]) == DEFAULT_ROLES for v in variants)
    assert any(tuple(v.meta["roles"]) in TRAINING_ROLES for v in variants)
    assert training_variants(originals, AugmentConfig(variants=6), seed=0) == variants


def test_logic_key_ignores_renumbering_and_sees_a_changed_leaf():
    # A: "B is a knave"; B: "A and B are knights"  ==  renumbered: A: "...", B: "A is a knave"
    puzzle = Puzzle(names=("Ann", "Bo"),
                    statements=(["leaf", 1, False], ["and", ["leaf", 0, True], ["leaf", 1, True]]))
    swapped = relabel(puzzle, [1, 0])
    assert swapped.statements[0] == ["and", ["leaf", 1, True], ["leaf", 0, True]]
    assert logic_key(swapped) == logic_key(puzzle)
    changed = Puzzle(names=puzzle.names, statements=(["leaf", 1, True], puzzle.statements[1]))
    assert logic_key(changed) != logic_key(puzzle)


def test_completion_only_training_masks_the_prompt(tiny_model):
    # worked example: start token, 2 prompt tokens, 3 text tokens, EOS -> the loss covers
    # the 3 text tokens and EOS only; without a prompt, everything after the start token
    from mnemoscope.training import pad_batch, tokenize

    start, eos = tiny_model.start_token_id, tiny_model.tokenizer.eos_token_id
    prompt_ids, text_ids = tiny_model.encode("the king"), tiny_model.encode("of the city")
    assert len(prompt_ids) == 2 and len(text_ids) == 3
    with_prompt = tokenize(tiny_model, ["of the city"], 64, prompts=["the king"])
    assert with_prompt == [([start] + prompt_ids + text_ids + [eos], 3)]
    plain = tokenize(tiny_model, ["the king", "of the city"], 64)
    _, mask, labels = pad_batch(with_prompt + plain, pad=0)
    assert labels[0].tolist() == [-100, -100, -100] + text_ids + [eos]
    assert labels[1].tolist() == [-100] + prompt_ids + [eos] + [-100] * 3
    assert labels[2].tolist() == [-100] + text_ids + [eos] + [-100] * 2
    assert mask.sum(1).tolist() == [7, 4, 5]


def test_completion_only_fine_tune_runs_and_learns(tiny_model_dir):
    from mnemoscope.lab.config import TrainConfig
    from mnemoscope.lab.train import fine_tune
    from mnemoscope.models import load_model

    model = load_model(str(tiny_model_dir), batch_size=4)
    curve = fine_tune(model, ["of the city"] * 4, TrainConfig(epochs=6, batch_size=4,
                                                              learning_rate=1e-2),
                      progress=False, prompts=["the old king"] * 4)
    assert len(curve) == 6 and curve[-1]["loss"] < curve[0]["loss"]


def test_frozen_bottom_loss_equals_the_full_models_loss(tiny_model_dir):
    # the cached-state shortcut must compute exactly the loss of the whole network
    import torch

    from mnemoscope.lab.frozen import FrozenBottom
    from mnemoscope.models import load_model
    from mnemoscope.training import pad_batch, tokenize

    model = load_model(str(tiny_model_dir), batch_size=4)
    net = model.model
    seqs = tokenize(model, ["of the city", "the old king of the river"], 64,
                    prompts=["the king", "a"])
    ids, mask, labels = pad_batch(seqs, pad=0)
    with torch.no_grad():
        full = float(net(input_ids=ids, attention_mask=mask, labels=labels).loss)
        frozen = FrozenBottom(net, 1)
        states = frozen.cache(torch, [(ids, mask)])
        assert [s.shape[0] for s in states] == [len(s) for s, _ in seqs]
        cut = float(frozen.loss(torch, states, mask, labels))
    frozen.release()
    assert cut == pytest.approx(full, rel=1e-5)
    assert len(net.model.layers) == 2 and all(p.requires_grad for p in net.parameters())


def test_frozen_layers_train_only_the_top(tiny_model_dir):
    from mnemoscope.lab.config import TrainConfig
    from mnemoscope.lab.train import fine_tune
    from mnemoscope.models import load_model

    model = load_model(str(tiny_model_dir), batch_size=4)
    before = {k: v.clone() for k, v in model.model.state_dict().items()}
    curve = fine_tune(model, ["of the city"] * 4, TrainConfig(epochs=5, batch_size=2,
                                                              learning_rate=1e-2,
                                                              frozen_layers=1),
                      progress=False, prompts=["the old king"] * 4)
    after = model.model.state_dict()
    changed = {k for k in before if not torch_equal(before[k], after[k])}
    assert changed and all(k.startswith("model.layers.1.") or k == "model.norm.weight"
                           for k in changed)
    assert curve[-1]["loss"] < curve[0]["loss"]


def test_frozen_layers_are_checked():
    from mnemoscope.lab.config import TrainConfig
    from mnemoscope.types import InputError

    with pytest.raises(InputError, match="method full"):
        TrainConfig(method="lora", frozen_layers=2)
    with pytest.raises(InputError, match="use 0"):
        TrainConfig(frozen_layers=-1)


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a, b))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 5))
def test_invented_words_keep_the_puzzle_and_stay_out_of_every_test_pool(seed, n):
    (item,) = KK.generate(1, seed, level=n)
    puzzle = Puzzle.from_item(item)
    variant = surface_variant(puzzle, random.Random(seed), other_roles=1.0, invented=1.0)
    assert solutions(variant.statements) == solutions(puzzle.statements)
    test_words = {w.lower() for w in UNCOMMON_NAMES + DEFAULT_ROLES + puzzle.names}
    test_words |= {w for pair in ALTERNATIVE_ROLES for w in pair}
    assert len({m.lower() for m in variant.names}) == n
    assert not {m.lower() for m in variant.names} & test_words
    assert not set(variant.roles) & test_words
    truthful, liar = variant.roles
    assert not truthful.startswith(liar) and not liar.startswith(truthful)
    as_item = variant.to_item("v")
    assert KK.grade(as_item, as_item.meta["answer"]).correct


def test_invented_word_is_made_of_syllables_and_reproducible():
    from mnemoscope.benchmarks.kk_augment import invented_word

    words = [invented_word(random.Random(7)) for _ in range(3)]
    assert len(set(words)) == 1 and words[0].isalpha() and words[0].islower()
    assert 4 <= len(words[0]) <= 12


def test_each_round_gives_new_words_and_round_zero_the_old_ones():
    originals = generate("kk", 10, 0, level=2)
    config = AugmentConfig(variants=2, invented=0.5)
    first = training_variants(originals, config, seed=0)
    again = training_variants(originals, config, seed=0, round=0)
    later = training_variants(originals, config, seed=0, round=1)
    assert first == again
    assert [v.id for v in later][:2] == [f"{originals[0].id}+r1aug0", f"{originals[0].id}+r1aug1"]
    assert not {v.prompt for v in first} & {v.prompt for v in later}

    def by_position(variants):
        return [Puzzle.from_item(v).solution() for v in variants]
    assert by_position(first) == by_position(later)


def test_augment_shares_must_be_shares():
    with pytest.raises(ValueError, match="invented"):
        AugmentConfig(invented=1.5)
    with pytest.raises(ValueError, match="other_roles"):
        AugmentConfig(other_roles=-0.1)


def test_a_repeated_text_is_cached_once(tiny_model_dir, monkeypatch):
    from mnemoscope.lab.config import TrainConfig
    from mnemoscope.lab.frozen import FrozenBottom
    from mnemoscope.lab.train import fine_tune
    from mnemoscope.models import load_model

    rows, real_cache = [], FrozenBottom.cache

    def counting_cache(self, torch, batches):
        states = real_cache(self, torch, batches)
        rows.append(len(states))
        return states

    monkeypatch.setattr(FrozenBottom, "cache", counting_cache)
    model = load_model(str(tiny_model_dir), batch_size=4)
    texts = ["of the city", "of the river", "of the city", "of the city"]
    curve = fine_tune(model, texts, TrainConfig(epochs=2, batch_size=2, learning_rate=1e-2,
                                                frozen_layers=1),
                      progress=False, prompts=["the old king"] * 4)
    assert rows == [2] and len(curve) == 4
