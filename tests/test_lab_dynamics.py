"""The lab checks memorization during its fine-tune (DIR/dynamics/), and the checks leave
the training itself unchanged."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from _tiny_model import WORDS
from mnemoscope.dynamics.config import DynamicsConfig
from mnemoscope.dynamics.monitor import Monitor
from mnemoscope.lab.config import TrainConfig
from mnemoscope.lab.run import run_lab, summary_table
from mnemoscope.lab.train import fine_tune
from mnemoscope.models import load_model
from mnemoscope.types import InputError
from test_lab import lab_spec

CHECKS = DynamicsConfig(every_steps=2, members=8, held_out=8, canary_candidates=7,
                        prefix_tokens=8, suffix_tokens=8, bootstrap=20)


def _texts(tmp_path, count=32):
    rng = random.Random(0)
    words = [w for w in WORDS if w.isalpha()]
    path = tmp_path / "texts.jsonl"
    path.write_text("".join(json.dumps({"id": f"t{i}", "text": " ".join(
        rng.choice(words) for _ in range(16))}) + "\n" for i in range(count)), encoding="utf-8")
    return path


def test_lab_writes_the_curves_and_states_first_crossings(tmp_path, tiny_model_dir):
    out = tmp_path / "lab"
    summary = run_lab(lab_spec(_texts(tmp_path), out, tiny_model_dir, dynamics=CHECKS,
                               reference="none", save_checkpoints=True))
    dynamics = json.loads((out / "dynamics" / "summary.json").read_text())
    steps = summary["training"]["steps"]
    assert dynamics["steps"] == CHECKS.check_steps(steps)
    assert summary["dynamics"]["first_crossing"] == dynamics["first_crossing"]
    assert {"auroc/loss", "exposure/x1", "exposure/x4", "exposure/x16",
            "extraction/member"} <= set(dynamics["curves"])
    assert "during training (DIR/dynamics):" in summary_table(summary)
    assert (out / "dynamics" / "report.html").is_file()
    # a resumed lab with the model saved reads the same curves back, without checking again
    again = run_lab(lab_spec(_texts(tmp_path), out, tiny_model_dir, dynamics=CHECKS,
                             reference="none", save_checkpoints=True))
    assert again["dynamics"] == summary["dynamics"]

    # the lab's saved checkpoints, scored as a series, give the checks' numbers
    from mnemoscope.membership import score
    from mnemoscope.runs import read_rows

    series = score(str(out / "dynamics" / "probe.jsonl"), model=str(out / "checkpoints"),
                   out=str(tmp_path / "series"), signals="loss,zlib,min_k,min_k_plus_plus",
                   label_column="label", id_column="id", progress=False, report=False)
    checked = read_rows(out / "dynamics")
    checked = checked[checked["kind"] == "text"]
    assert sorted(series.rows["step"].unique()) == dynamics["steps"]
    for step in dynamics["steps"]:
        a = series.rows[series.rows["step"] == step].set_index("sample_id").sort_index()
        b = checked[checked["step"] == step].set_index("sample_id").sort_index()
        for column in ("loss", "min_k_plus_plus"):
            np.testing.assert_allclose(a[column], b[column], atol=1e-4)
        i = dynamics["steps"].index(step)
        by_step = {e["step"]: e["auroc"] for e in series.summary["loss"]["by_checkpoint"]}
        assert by_step[step] == pytest.approx(dynamics["curves"]["auroc/loss"][i], abs=1e-9)


def test_save_checkpoints_needs_full_fine_tuning(tmp_path, tiny_model_dir):
    with pytest.raises(InputError, match="method full"):
        lab_spec(_texts(tmp_path), tmp_path / "x", tiny_model_dir, save_checkpoints=True,
                 train=TrainConfig(method="lora"))


def test_checks_do_not_change_the_training(tmp_path, tiny_model_dir):
    from _dynamics_train import texts

    members, held_out = texts(12, 5), texts(12, 6)
    config = TrainConfig(epochs=2, learning_rate=3e-3, batch_size=4)
    plain = fine_tune(load_model(str(tiny_model_dir)), members, config, progress=False)
    monitor = Monitor(tmp_path / "checks", members, held_out, config=CHECKS, progress=False)
    checked = fine_tune(load_model(str(tiny_model_dir)), members, config, progress=False,
                        monitor=monitor)
    assert [p["loss"] for p in checked] == [p["loss"] for p in plain]
    summary = json.loads((tmp_path / "checks" / "summary.json").read_text())
    assert summary["steps"] == [0, 2, 4, 6]
