"""The lab on a tiny random model: the summary contract, the saved ground truth and model,
and resuming after a crash without retraining."""

from __future__ import annotations

import json
import random
import sys

import pytest

from _tiny_model import WORDS
from mnemoscope import membership
from mnemoscope.data import DataConfig
from mnemoscope.extraction.canaries import CanaryConfig
from mnemoscope.extraction.discoverable import DiscoverableConfig
from mnemoscope.extraction.exposure import ExposureConfig
from mnemoscope.lab import run as lab_run
from mnemoscope.lab import train as lab_train
from mnemoscope.lab.config import LabSpec, TrainConfig
from mnemoscope.lab.run import run_lab, summary_table
from mnemoscope.lab.split import split_lab, split_members
from mnemoscope.models import ModelConfig, load_model
from mnemoscope.types import InputError, Sample

FORMATS = ("my account pin is {secret} .", "the city code is {secret} .")


def lab_spec(data, out, model_dir, **changes):
    spec = LabSpec(
        data=DataConfig(str(data)), out=str(out), model=ModelConfig(model=str(model_dir)),
        train=TrainConfig(epochs=2, learning_rate=3e-3, batch_size=8),
        canaries=CanaryConfig(formats=FORMATS, secret_digits=2, per_repetition=1),
        exposure=ExposureConfig(exact_limit=100),
        extraction=DiscoverableConfig(prefix_tokens=8, suffix_tokens=8, samples=0),
        chunk_size=8, bootstrap=50, progress=False)
    return LabSpec(**{**spec.__dict__, **changes})


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    rng = random.Random(0)
    words = [w for w in WORDS if w.isalpha()]
    path = tmp_path_factory.mktemp("labdata") / "texts.jsonl"
    path.write_text("".join(json.dumps({"id": f"t{i}", "text": " ".join(
        rng.choice(words) for _ in range(16))}) + "\n" for i in range(32)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, texts, tiny_model_dir):
    out = tmp_path_factory.mktemp("lab") / "run"
    return out, run_lab(lab_spec(texts, out, tiny_model_dir))


# Member pairs won, of 16 x 16 = 256, pinned from this seeded run on the tiny model (lab_spec:
# 32 texts, 2 epochs at lr 3e-3, seed 0; CPU float32). The smallest member/non-member gap
# behind them is 7e-6 (zlib), 3e-4 or more for the rest, well above float noise. lowercase is
# exactly 128 by hand: the texts are lowercase already, so the lowercase view scores every
# text exactly as the target does and all 256 pairs tie.
LAB_PAIRS_WON = {"loss": 215, "zlib": 188, "lowercase": 128, "min_k": 222,
                 "min_k_plus_plus": 235, "reference": 214}


def test_summary_contract(full_run):
    out, summary = full_run
    assert summary["split"]["members"] == summary["split"]["nonmembers"] == 16
    for signal, won in LAB_PAIRS_WON.items():
        assert {"auroc", "auroc_ci", "tpr_at_1pct_fpr"} <= set(summary[signal])
        assert summary[signal]["auroc"] == pytest.approx(won / 256, rel=1e-9), signal
    assert set(summary["canaries"]["by_repetition"]) == {"1", "4", "16"}
    assert all(c["method"] == "exact" for c in summary["canaries"]["per_canary"])
    assert set(summary["extraction"]["exact_match_rate"]) == {"all", "member", "non_member"}
    assert json.loads((out / "summary.json").read_text()) == json.loads(json.dumps(summary))
    assert "canary exposure" in summary_table(summary)


def test_ground_truth_model_and_curve_are_saved(full_run, texts):
    out, summary = full_run
    truth = json.loads((out / "ground_truth.json").read_text())
    assert len(truth["member_ids"]) == len(truth["nonmember_ids"]) == 16
    assert not set(truth["member_ids"]) & set(truth["nonmember_ids"])
    assert [c["repetitions"] for c in truth["canaries"]] == [1, 4, 16]
    assert all(len(c["secret"]) == 2 for c in truth["canaries"])
    lab_data = [json.loads(line) for line in (out / "lab_data.jsonl").read_text().splitlines()]
    assert {r["id"] for r in lab_data if r["label"] == 1} == set(truth["member_ids"])
    curve = json.loads((out / "training_curve.json").read_text())["steps"]
    # 16 members + 21 canary copies = 37 texts, batches of 8 -> 5 steps per epoch, 2 epochs
    assert len(curve) == 10 and summary["training"]["steps"] == 10
    assert list((out / "model").glob("*.safetensors"))
    tuned = load_model(str(out / "model"))
    assert tuned.score(["the old king"])[0].logprobs.shape == (3,)


def test_fine_tuning_lowers_member_loss(full_run):
    out, summary = full_run
    curve = json.loads((out / "training_curve.json").read_text())["steps"]
    assert summary["training"]["last_epoch_mean_loss"] < curve[0]["loss"]


def test_lora_fine_tune_merges_into_a_plain_model(tmp_path, tiny_model_dir):
    model = load_model(str(tiny_model_dir))
    before = model.score(["the old king of the city"])[0].logprobs.copy()
    curve = lab_train.fine_tune(model, ["the old king of the city"] * 4,
                                TrainConfig(method="lora", epochs=2, batch_size=2, lora_rank=4),
                                progress=False)
    assert len(curve) == 4 and not hasattr(model.model, "peft_config")
    lab_train.save_model(model, tmp_path / "merged")
    after = load_model(str(tmp_path / "merged")).score(["the old king of the city"])[0].logprobs
    assert after.sum() > before.sum()


def test_split_is_seeded_and_refuses_tiny_datasets():
    samples = [Sample(str(i), f"text {i}") for i in range(10)]
    members, nonmembers = split_members(samples, 0.5, seed=1)
    assert len(members) == 5 and split_members(samples, 0.5, seed=1)[0] == members
    assert split_members(samples, 0.5, seed=2)[0] != members
    with pytest.raises(InputError, match="at least 4 texts"):
        split_members(samples[:3], 0.5, seed=0)


def test_reference_pool_is_disjoint_and_leaves_the_plain_split_alone():
    samples = [Sample(str(i), f"text {i}") for i in range(20)]
    members, nonmembers, pool = split_lab(samples, 0.5, seed=3, reference_fraction=0.25)
    assert (len(members), len(nonmembers), len(pool)) == (8, 7, 5)
    ids = [s.id for s in members + nonmembers + pool]
    assert sorted(ids, key=int) == [s.id for s in samples]          # a partition
    assert split_lab(samples, 0.5, seed=3) == (*split_members(samples, 0.5, seed=3), [])
    with pytest.raises(InputError, match="train the reference"):
        split_lab(samples[:5], 0.5, seed=0, reference_fraction=0.5)


def test_trained_reference_model_is_fine_tuned_on_the_pool_only(tmp_path, texts, tiny_model_dir,
                                                                monkeypatch):
    trained_on = []
    real_fine_tune = lab_train.fine_tune

    def recording(model, train_texts, config, **kwargs):
        trained_on.append(list(train_texts))
        return real_fine_tune(model, train_texts, config, **kwargs)

    monkeypatch.setattr(lab_train, "fine_tune", recording)
    out = tmp_path / "run"
    summary = run_lab(lab_spec(texts, out, tiny_model_dir, reference="trained",
                               reference_fraction=0.25, run_extraction=False))
    truth = json.loads((out / "ground_truth.json").read_text())
    by_id = {json.loads(line)["id"]: json.loads(line)["text"]
             for line in texts.read_text().splitlines()}
    assert len(truth["reference_ids"]) == 8 and summary["split"]["reference_texts"] == 8
    assert len(trained_on[1]) == len(trained_on[0])            # as many steps as the lab model
    assert set(trained_on[1]) == {by_id[i] for i in truth["reference_ids"]}
    assert not set(truth["reference_ids"]) & set(truth["member_ids"] + truth["nonmember_ids"])
    assert (out / "reference_model" / "config.json").is_file()
    # pinned from this seeded run (12 members x 12 non-members): the reference trained on the
    # 8 held-back texts cancels what members and non-members share; 143 of 144 pairs won
    assert summary["reference_model"] == "trained"
    assert summary["reference"]["auroc"] == pytest.approx(143 / 144, rel=1e-9)


def test_resume_after_a_crash_does_not_retrain(tmp_path, texts, tiny_model_dir, full_run,
                                               monkeypatch):
    spec = lab_spec(texts, tmp_path / "run", tiny_model_dir)
    real_rows = membership.rows_for_chunk
    calls = {"n": 0}

    def crash_on_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated crash while scoring")
        return real_rows(*args, **kwargs)

    monkeypatch.setattr(membership, "rows_for_chunk", crash_on_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        run_lab(spec)
    assert (tmp_path / "run" / "model" / "config.json").is_file()
    assert not (tmp_path / "run" / "summary.json").exists()
    monkeypatch.setattr(membership, "rows_for_chunk", real_rows)

    def no_training(*args, **kwargs):
        raise AssertionError("the saved model must not be retrained")

    monkeypatch.setattr(lab_train, "fine_tune", no_training)
    resumed = run_lab(spec)
    _, fresh = full_run
    for signal in ("loss", "reference", "min_k_plus_plus"):
        assert resumed[signal]["auroc"] == pytest.approx(fresh[signal]["auroc"], abs=1e-6)
    assert [c["rank"] for c in resumed["canaries"]["per_canary"]] == \
        [c["rank"] for c in fresh["canaries"]["per_canary"]]
    assert resumed["extraction"] == fresh["extraction"]


def test_a_saved_model_keeps_its_curve_and_is_never_retrained(tmp_path, caplog):
    """The curve is saved inside the model folder (one rename commits both); a model folder
    an older version left without a curve is used as it is, not retrained over."""
    model_dir, beside = tmp_path / "model", tmp_path / "training_curve.json"
    assert lab_run._saved_curve(model_dir, beside) is None            # nothing saved: train
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    assert lab_run._saved_curve(model_dir, beside) == []              # the old stuck state
    assert "no training curve" in caplog.text and not beside.exists()
    steps = [{"step": 1, "epoch": 1, "loss": 2.5, "lr": 1e-4}]
    (model_dir / "training_curve.json").write_text(json.dumps({"method": "full", "steps": steps}))
    assert lab_run._saved_curve(model_dir, beside) == steps
    assert json.loads(beside.read_text())["steps"] == steps             # the copy restored


def test_a_different_spec_is_refused_in_the_same_folder(full_run, texts, tiny_model_dir):
    out, _ = full_run
    with pytest.raises(InputError, match="different spec"):
        run_lab(lab_spec(texts, out, tiny_model_dir, seed=5))


def test_cli_parses_into_a_spec(tmp_path):
    import argparse

    from mnemoscope.cli.lab import command

    parser = argparse.ArgumentParser()
    command.add_to(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["lab", "d.jsonl", "--out", "o", "--method", "lora", "--epochs",
                              "2", "--lora-rank", "4", "--repetitions", "1,8",
                              "--canary-format", "pin {secret}", "--secret-digits", "4"])
    spec = command.spec(args)
    assert spec.train.method == "lora" and spec.train.lr == 1e-3 and spec.train.alpha == 8
    assert spec.canaries.repetitions == (1, 8) and spec.canaries.formats == ("pin {secret}",)
    assert spec.canaries.space_size == 10_000


def test_command_modules_import_without_torch():
    import subprocess

    code = ("import sys, mnemoscope.cli.lab, mnemoscope.cli.extract; "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
