"""The worked examples of docs/extending.md, each written in one file under tests/plugins/
and run by `mnemoscope` in a separate process with nothing in mnemoscope edited: a
signal (toy_signal.py), a backend (toy_backend.py) and a report section (toy_section.py)."""

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


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": f"the river {w} the king",
                                        "label": i % 2}) + "\n"
                            for i, w in enumerate(["song", "road", "stone", "field"])))
    return data


def _mnemoscope(plugins: str, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MNEMOSCOPE_PLUGINS": plugins,
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "mnemoscope.cli", "-q", *argv], env=env,
                          capture_output=True, text=True, timeout=300)


def test_score_runs_a_plugin_signal_and_section_from_one_file_each(tmp_path, tiny_model_dir):
    out = tmp_path / "run"
    done = _mnemoscope("toy_signal,toy_section", "score", str(_data(tmp_path)), "--model",
                       str(tiny_model_dir), "--signals", "loss,toy", "--out", str(out),
                       "--bootstrap", "10")
    assert done.returncode == 0, done.stderr
    assert '<section id="toy"><h2>Toy</h2>' in (out / "report.html").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) - {"token_classes"} == {"loss", "toy"}
    import pandas as pd

    rows = pd.read_parquet(out / "parts")
    assert len(rows) == 4 and rows["toy"].notna().all()


def test_score_runs_a_plugin_backend_from_one_file(tmp_path):
    out = tmp_path / "run"
    done = _mnemoscope("toy_backend", "score", str(_data(tmp_path)), "--backend", "coin",
                       "--signals", "loss,min_k", "--out", str(out), "--bootstrap", "10",
                       "--no-report", "--no-tokens")
    assert done.returncode == 0, done.stderr
    import pandas as pd

    rows = pd.read_parquet(out / "parts")
    # every token has log p = ln(1/2): loss = -ln 2 = -0.6931..., min_k the same
    assert rows["loss"].tolist() == pytest.approx([-0.6931472] * 4)
    assert rows["min_k"].tolist() == pytest.approx([-0.6931472] * 4)
