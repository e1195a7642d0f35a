"""mnemoscope.dynamics without a trainer: the pathway indicator and teacher-forced
extraction on hand-worked values, the probe pass against `score` and against greedy
generation, the schedule, the summary's crossings, and checkpoint-series parsing."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from mnemoscope.dynamics.check import teacher_forced_extraction
from mnemoscope.dynamics.config import DynamicsConfig
from mnemoscope.dynamics.pathways import layer_updates, pathway_consistency, pathway_similarity
from mnemoscope.dynamics.summary import first_crossing, first_move, held_out_turn, trend
from mnemoscope.extraction.exposure import normal_exposure
from mnemoscope.models.checkpoints import checkpoint_series
from mnemoscope.types import InputError, Sample


# ---------------------------------------------------------------- pathways
def test_layer_updates_worked_example():
    means = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])       # (L=3, H=2)
    assert layer_updates(means).tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_pathway_similarity_and_consistency_worked_example():
    a = np.array([[1.0, 0.0], [0.0, 1.0]])        # layer 1 writes e1, layer 2 writes e2
    b = np.array([[2.0, 0.0], [3.0, 0.0]])        # both layers write along e1
    # layer 1: cos(e1, e1) = 1; layer 2: cos(e2, e1) = 0 -> mean 0.5
    similarity, _ = pathway_similarity([a, b])
    assert similarity == pytest.approx(0.5)
    # a: cos(e1, e2) = 0; b: cos(e1, e1) = 1 -> mean 0.5, SE = std([0, 1]) / sqrt(2) = 0.5
    consistency, se = pathway_consistency([a, b])
    assert consistency == pytest.approx(0.5)
    assert se == pytest.approx(0.5)


def test_pathway_similarity_equals_pairs_by_brute_force_with_its_jackknife():
    rng = np.random.default_rng(0)
    updates = [rng.normal(size=(3, 5)) for _ in range(6)]

    def brute(group):
        per_layer = []
        for layer in range(3):
            cos = [float(u[layer] @ v[layer] / np.linalg.norm(u[layer]) / np.linalg.norm(v[layer]))
                   for u, v in itertools.combinations(group, 2)]
            per_layer.append(np.mean(cos))
        return float(np.mean(per_layer))

    value, se = pathway_similarity(updates)
    assert value == pytest.approx(brute(updates))
    leave_out = np.array([brute(updates[:i] + updates[i + 1:]) for i in range(6)])
    assert se == pytest.approx(math.sqrt(5 / 6 * ((leave_out - leave_out.mean()) ** 2).sum()))


# ---------------------------------------------------------------- teacher-forced extraction
def test_teacher_forced_extraction_worked_example():
    ids = [5, 6, 7, 8, 9, 10]                      # 6 tokens, k = m = 3: suffix = 8, 9, 10
    logprobs = np.array([-3.0, -2.0, -1.0, -0.5, -0.2, -4.0])
    top = np.array([-0.1, -0.1, -0.1, -0.5, -0.2, -0.3])   # the last suffix token is not top
    assert teacher_forced_extraction(ids, logprobs, top, 3, 3) == (False, 2, 3)
    top[5] = -4.0
    assert teacher_forced_extraction(ids, logprobs, top, 3, 3) == (True, 3, 3)
    assert teacher_forced_extraction([5], logprobs[:1], top[:1], 3, 3) == (False, 0, 0)


@pytest.fixture(scope="module")
def memorized(tiny_model_dir):
    """The tiny model fine-tuned hard on 8 texts (so some are extractable, some not)."""
    from _dynamics_train import texts
    from mnemoscope.lab.config import TrainConfig
    from mnemoscope.lab.train import fine_tune
    from mnemoscope.models import load_model

    model = load_model(str(tiny_model_dir), batch_size=4)
    trained = texts(8, 3)
    fine_tune(model, trained[:5], TrainConfig(epochs=25, learning_rate=3e-3, batch_size=4),
              progress=False)
    return model, [Sample(f"t{i}", t) for i, t in enumerate(trained)]


def test_teacher_forced_extraction_equals_greedy_generation(memorized):
    from mnemoscope.extraction.discoverable import DiscoverableConfig, greedy_rows
    from mnemoscope.models.probe import probe

    model, samples = memorized
    generated = greedy_rows(samples, model, DiscoverableConfig(prefix_tokens=8, suffix_tokens=8,
                                                               samples=0))
    forced = [teacher_forced_extraction(p.scores.token_ids, p.scores.logprobs, p.top_logprobs,
                                        8, 8) for p in probe(model, [s.text for s in samples])]
    assert [(r["exact_match"], r["longest_match"]) for r in generated] == \
        [(exact, longest) for exact, longest, _ in forced]
    assert {exact for exact, _, _ in forced} == {True, False}     # both cases are exercised


def test_probe_scores_equal_score(memorized):
    from mnemoscope.models.probe import probe

    model, samples = memorized
    texts = [s.text for s in samples]
    for probed, scored in zip(probe(model, texts), model.score(texts)):
        assert probed.scores.token_ids.tolist() == scored.token_ids.tolist()
        for field in ("logprobs", "vocab_mean", "vocab_var"):
            np.testing.assert_allclose(getattr(probed.scores, field), getattr(scored, field),
                                       atol=1e-4)
        assert probed.layer_means.shape[0] == model.model.config.num_hidden_layers
        assert (probed.top_logprobs >= probed.scores.logprobs - 1e-6).all()


# ---------------------------------------------------------------- exposure, schedule, summary
def test_normal_exposure_worked_example():
    # candidates' Px have mean 2 and sd 1; a secret at Px 0 is 2 sd below: Phi(-2) = 0.02275
    assert normal_exposure(0.0, [1.0, 2.0, 3.0], 10**6) == pytest.approx(-math.log2(0.0227501),
                                                                         1e-5)
    assert normal_exposure(-100.0, [1.0, 2.0, 3.0], 100) == pytest.approx(math.log2(100))
    assert normal_exposure(50.0, [1.0, 2.0, 3.0], 100) == pytest.approx(0.0, abs=1e-9)


def test_check_steps():
    assert DynamicsConfig().check_steps(93) == [0, 9, 19, 28, 37, 46, 56, 65, 74, 84, 93]
    assert DynamicsConfig(every_steps=4).check_steps(10) == [0, 4, 8, 10]
    assert DynamicsConfig(every_steps=4, at_start=False).check_steps(8) == [4, 8]
    assert DynamicsConfig(every_fraction=0.5).check_steps(3) == [0, 2, 3]
    with pytest.raises(InputError):
        DynamicsConfig(every_fraction=0.0)


def test_crossing_trend_and_moves_worked_example():
    steps = [0, 10, 20, 30]
    assert first_crossing(steps, [0.5, 0.85, 0.92, 0.97], 0.9) == 20
    assert first_crossing(steps, [0.5, None, 0.6, 0.7], 0.9) is None
    # slope over the last three checks: 0.1 per 10 steps = 1.0 per 100 steps
    assert trend(steps, [0.0, 0.1, 0.2, 0.3]) == pytest.approx(1.0)
    # a paired standard error of 0.1 for every change: a move needs more than 0.3
    flat = lambda a, b: 0.1                                    # noqa: E731
    assert first_move(steps, [1.0, 1.3, 1.5, 1.0], flat) == 20
    assert first_move(steps, [1.0, 1.3, 1.5, 1.0], None) is None
    # held-out loss: lowest 2.0 at step 10; 2.25 is within 0.3 of it, 2.35 is not
    assert held_out_turn(steps, [2.5, 2.0, 2.25, 2.35], flat) == 30
    assert held_out_turn(steps, [2.5, 2.4, 2.3, 2.2], flat) is None


def test_paired_errors_worked_example():
    import pandas as pd

    from mnemoscope.dynamics.summary import paired_errors

    rows = []
    for step, shift in ((0, 0.0), (10, 0.5)):
        # two held-out texts whose losses move by +0.4 and +0.6: mean change 0.5, standard
        # error of the mean change = std([0.4, 0.6]) / sqrt(2) = 0.1
        for name, loss, move in (("h1", 3.0, 0.4), ("h2", 5.0, 0.6)):
            rows.append({"kind": "text", "step": step, "sample_id": name, "label": 0,
                         "text_loss": loss + (move if shift else 0.0)})
        rows.append({"kind": "pathway", "step": step, "group": "members",
                     "pathway_similarity_loo": [0.5, 0.6, 0.7 + shift]})
    paired = paired_errors(pd.DataFrame(rows))
    assert paired["loss/held_out"](0, 10) == pytest.approx(0.1)
    # leave-one-out changes [0, 0, 0.5]: jackknife sqrt(2/3 * sum (d - 1/6)^2) = sqrt(1/9)
    assert paired["pathway_similarity"](0, 10) == pytest.approx(1 / 3)
    assert paired["loss/member"](0, 10) is None


# ---------------------------------------------------------------- checkpoint series names
def _model_folder(path):
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    return path


def test_checkpoint_series_from_a_folder_is_ordered_by_step(tmp_path):
    for step in (10, 2, 100):
        _model_folder(tmp_path / "out" / f"checkpoint-{step}")
    (tmp_path / "out" / "memorization").mkdir()
    series = checkpoint_series(str(tmp_path / "out"))
    assert [(c.label, c.step) for c in series] == [("checkpoint-2", 2), ("checkpoint-10", 10),
                                                   ("checkpoint-100", 100)]


def test_checkpoint_series_from_a_comma_list_and_what_is_not_one(tmp_path):
    a = _model_folder(tmp_path / "a" / "checkpoint-20")
    b = _model_folder(tmp_path / "b" / "checkpoint-5")
    series = checkpoint_series(f"{a},{b}")
    assert [c.step for c in series] == [5, 20]
    assert checkpoint_series(str(a)) is None                         # one model
    assert checkpoint_series("smollm2-135m") is None
    _model_folder(tmp_path / "final")
    _model_folder(tmp_path / "final" / "checkpoint-3")
    assert checkpoint_series(str(tmp_path / "final")) is None        # a model with config.json
    with pytest.raises(InputError, match="not a model folder"):
        checkpoint_series(f"{a},{tmp_path / 'missing'}")


def test_from_network_scores_a_peft_model_through_its_adapters(tiny_model_dir):
    peft = pytest.importorskip("peft")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mnemoscope.models.hf import HFModel

    network = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    base = HFModel.from_network(network, tokenizer).score(["the old king wrote a letter"])[0]
    # adapters with a non-zero B: the wrapped model must not score as the base does
    wrapped = peft.get_peft_model(network, peft.LoraConfig(
        r=4, target_modules="all-linear", init_lora_weights=False))
    live = HFModel.from_network(wrapped, tokenizer).score(["the old king wrote a letter"])[0]
    merged = HFModel.from_network(wrapped.merge_and_unload(), tokenizer).score(
        ["the old king wrote a letter"])[0]
    assert not np.allclose(live.logprobs, base.logprobs, atol=1e-3)
    np.testing.assert_allclose(live.logprobs, merged.logprobs, atol=1e-4)
