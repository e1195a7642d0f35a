"""The MemorizationCallback in a plain transformers.Trainer on the tiny model: one part per
check, scalars in the log history, the report; a checkpoint series scored with `score`
gives the callback's numbers at the same steps; a resume after SIGKILL leaves no step
with two sets of rows; trl's SFTTrainer when trl is installed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

pytest.importorskip("transformers")

from _dynamics_train import build_trainer, canary_texts, make_callback  # noqa: E402
from mnemoscope.runs import read_rows  # noqa: E402

SIGNALS = ["loss", "zlib", "min_k", "min_k_plus_plus"]
TESTS = Path(__file__).resolve().parent


def raw_rows(run_dir: Path) -> pd.DataFrame:
    """Every row of every part, duplicates kept (read_rows would hide them)."""
    return pd.concat([pq.read_table(p).to_pandas() for p in sorted((run_dir / "parts").glob(
        "*.parquet"))], ignore_index=True)


@pytest.fixture(scope="module")
def trained(tiny_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("trainer") / "out"
    callback, canaries = make_callback()
    trainer = build_trainer(tiny_model_dir, out, callbacks=[callback],
                            extra_texts=canary_texts(canaries))
    callback.trainer = trainer
    trainer.train()
    return out, callback, trainer


def test_one_part_per_check_and_scalars_reach_the_trainer_log(trained):
    out, callback, trainer = trained
    run = out / "memorization"
    assert len(list((run / "parts").glob("*.parquet"))) == 7        # steps 0, 2, ..., 12
    rows = raw_rows(run)
    assert not rows["id"].duplicated().any()
    assert sorted(rows.loc[rows["kind"] == "check", "step"]) == [0, 2, 4, 6, 8, 10, 12]
    per_check = rows[rows["step"] == 4]["kind"].value_counts().to_dict()
    assert per_check == {"text": 32, "canary": 2, "pathway": 2, "check": 1}
    logged = [e for e in trainer.state.log_history if "memorization/auroc/loss" in e]
    assert [e["step"] for e in logged] == [0, 2, 4, 6, 8, 10, 12]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == [0, 2, 4, 6, 8, 10, 12]
    assert {"auroc/loss", "auroc/min_k_plus_plus", "exposure/x1", "exposure/x4",
            "extraction/member", "loss_gap", "pathway_similarity"} <= set(summary["curves"])
    assert summary["overhead"]["checks"] == 7
    assert callback.summary_ == summary
    html = (run / "report.html").read_text()
    assert "Memorization over training" in html and 'id="dynamics-auroc"' in html
    assert "<h2>Extraction</h2>" not in html           # the per-step rows are not one audit


def test_report_threshold_is_the_readers_choice(trained):
    from mnemoscope.cli.main import main

    out, _, _ = trained
    run = out / "memorization"
    summary = json.loads((run / "summary.json").read_text())
    low = min(v for v in summary["curves"]["auroc/loss"] if v is not None)
    assert main(["--quiet", "report", str(run), "--threshold", f"auroc={low}"]) == 0
    html = (run / "report.html").read_text()
    assert f"auroc/loss &ge; {low:g}: first at step <b>" in html
    assert main(["--quiet", "report", str(run), "--threshold", "roc=0.5"]) == 2


def test_checkpoint_series_gives_the_callbacks_numbers(trained, tmp_path):
    from mnemoscope.cli.main import main

    out, _, _ = trained
    series = tmp_path / "series"
    code = main(["--quiet", "score", str(out / "memorization" / "probe.jsonl"), "--model",
                 str(out), "--signals", ",".join(SIGNALS), "--out", str(series),
                 "--bootstrap", "50", "--label-column", "label", "--id-column", "id"])
    assert code == 0
    scored = read_rows(series)
    assert sorted(scored["step"].unique()) == [4, 8, 12]
    checked = read_rows(out / "memorization")
    checked = checked[checked["kind"] == "text"]
    for step in (4, 8, 12):
        a = scored[scored["step"] == step].set_index("sample_id").sort_index()
        b = checked[checked["step"] == step].set_index("sample_id").sort_index()
        assert list(a.index) == list(b.index)
        for column in SIGNALS:
            np.testing.assert_allclose(a[column], b[column], atol=1e-4)
    summary = json.loads((series / "summary.json").read_text())
    callback_summary = json.loads((out / "memorization" / "summary.json").read_text())
    for column in SIGNALS:
        by_step = {e["step"]: e["auroc"] for e in summary[column]["by_checkpoint"]}
        for step in (4, 8, 12):
            i = callback_summary["steps"].index(step)
            assert by_step[step] == pytest.approx(callback_summary["curves"][f"auroc/{column}"][i],
                                                  abs=1e-9)
    html = (series / "report.html").read_text()
    assert "Memorization over training" in html and "Membership signals" in html


def test_resume_after_sigkill_leaves_no_step_twice(tiny_model_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent / "src"), str(TESTS)]),
           "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    script = [sys.executable, str(TESTS / "_dynamics_train.py"), str(tiny_model_dir), str(out)]
    # checks every 2 steps, checkpoints every 4: killed after the check of step 6, before
    # any checkpoint of it, so the resume starts from checkpoint-4
    first = subprocess.Popen(script + ["--pause-at", "6"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600
    while not (out / "paused-at-6").exists():
        assert first.poll() is None, first.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the training never reached step 6"
        time.sleep(0.5)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    run = out / "memorization"
    before = raw_rows(run)
    assert sorted(before.loc[before["kind"] == "check", "step"]) == [0, 2, 4, 6]
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-4"]

    second = subprocess.run(script + ["--resume"], env=env, capture_output=True, timeout=600)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    after = raw_rows(run)
    assert not after["id"].duplicated().any()
    assert sorted(after.loc[after["kind"] == "check", "step"]) == [0, 2, 4, 6, 8, 10, 12]
    assert len(after) == len(after.drop_duplicates(subset=["step", "kind", "sample_id",
                                                           "canary_id", "group"]))
    # the step-6 check of the killed training was set aside, and redone on the weights the
    # resumed training reached at step 6
    aside = pd.concat([pq.read_table(p).to_pandas()
                       for p in (run / "parts.superseded").glob("*.parquet")])
    assert set(aside["step"]) == {6}
    # the resumed training restores the data order and RNG from checkpoint-4, so it reaches
    # the same weights at step 6: the redone check equals the one set aside
    redone = after[(after["step"] == 6) & (after["kind"] == "text")].set_index("sample_id")
    killed = aside[aside["kind"] == "text"].set_index("sample_id").loc[redone.index]
    for column in SIGNALS:
        np.testing.assert_allclose(redone[column], killed[column], atol=1e-4)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == [0, 2, 4, 6, 8, 10, 12]


def test_trl_sft_trainer(tiny_model_dir, tmp_path):
    trl = pytest.importorskip("trl")
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from _dynamics_train import members_and_held_out

    members, _ = members_and_held_out()
    callback, _ = make_callback(every_steps=2)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    config = trl.SFTConfig(output_dir=str(tmp_path / "sft"), max_steps=4,
                           per_device_train_batch_size=4, learning_rate=1e-3, report_to=[],
                           use_cpu=True, save_strategy="no", logging_steps=1,
                           disable_tqdm=True, max_length=64)
    trainer = trl.SFTTrainer(model=AutoModelForCausalLM.from_pretrained(tiny_model_dir),
                             args=config, train_dataset=Dataset.from_dict({"text": members}),
                             processing_class=tokenizer, callbacks=[callback])
    trainer.train()
    summary = json.loads((tmp_path / "sft" / "memorization" / "summary.json").read_text())
    assert summary["steps"] == [0, 2, 4]
    assert summary["curves"]["loss/member"][-1] < summary["curves"]["loss/member"][0]
