"""The lab checks memorization during its fine-tune (DIR/dynamics/), and the checks leave
the training itself unchanged."""

from __future__ import annotations

import json
import random

from _tiny_model import WORDS
from mnemoscope.dynamics.config import DynamicsConfig
from mnemoscope.dynamics.monitor import Monitor
from mnemoscope.lab.config import TrainConfig
from mnemoscope.lab.run import run_lab, summary_table
from mnemoscope.lab.train import fine_tune
from mnemoscope.models import load_model
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
                               reference="none"))
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
                             reference="none"))
    assert again["dynamics"] == summary["dynamics"]


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
