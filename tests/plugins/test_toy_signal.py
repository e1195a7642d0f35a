"""The toy plugin signal: its hand-worked value, and `mnemoscope score --signals toy`
running it from a separate process with nothing in mnemoscope edited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnemoscope.types import TokenScores

HERE = Path(__file__).parent


def test_toy_worked_example():
    from toy_signal import Toy

    s = TokenScores(np.arange(3, dtype=np.int32), np.array([-2.0, -0.5, -3.0], dtype=np.float32))
    assert Toy()(s) == pytest.approx(-0.5)


def test_score_runs_a_plugin_signal_from_one_file(tmp_path, tiny_model_dir):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": f"the river {w} the king",
                                        "label": i % 2}) + "\n"
                            for i, w in enumerate(["song", "road", "stone", "field"])))
    env = {**os.environ, "MNEMOSCOPE_PLUGINS": "toy_signal",
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "mnemoscope.cli", "-q", "score", str(data),
                           "--model", str(tiny_model_dir), "--signals", "loss,toy",
                           "--out", str(out), "--bootstrap", "10", "--no-report"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"loss", "toy"}
    import pandas as pd

    rows = pd.read_parquet(out / "parts")
    assert len(rows) == 4 and rows["toy"].notna().all()
