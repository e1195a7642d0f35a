"""The lab on the real embedded SmolLM2-135M: a small fine-tune makes its members stand out.

40 standard-library docstring passages (lab/pydocs.py, seed 0), half of them members,
fine-tuned 3 epochs at the default 1e-4 with the bottom 24 of 30 decoder layers frozen
(lab/frozen.py: their output is computed once per text, so a step runs 6 layers), then
calibrated by `run_lab` itself. No canaries and no extraction: this checks the one claim
the lab exists for, that the signals separate members from non-members after a real
fine-tune, and it runs in about a minute on one CPU thread.

Measured twice, the same both times (Python 3.11 stdlib texts, torch on CPU, float32),
20 members x 20 non-members: reference (tuned loss minus base loss) AUROC 1.000, loss
0.7975 (319 of 400 pairs), min_k_plus_plus 0.770 (308 of 400). With OMP_NUM_THREADS=1 the
test takes 45 s of CPU (60 s training, 57 s calibration, 134 s wall on a 2-core machine
shared with a load of 10; 83 s at a load of 7). The thresholds sit a little under the
measured values; the split is seeded and random, so without the fine-tune only chance
would tell the two groups apart.
"""

from __future__ import annotations

import json

import pytest

from mnemoscope.data import DataConfig
from mnemoscope.extraction.canaries import CanaryConfig
from mnemoscope.lab.config import LabSpec, TrainConfig
from mnemoscope.lab.pydocs import python_doc_texts
from mnemoscope.lab.run import run_lab
from mnemoscope.models import ModelConfig

pytestmark = pytest.mark.integration

MIN_AUROC = {"reference": 0.95, "loss": 0.75, "min_k_plus_plus": 0.72}  # measured 1, .7975, .77


def test_a_small_fine_tune_separates_members(tmp_path):
    data = tmp_path / "texts.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in python_doc_texts(40, seed=0)),
                    encoding="utf-8")
    spec = LabSpec(
        data=DataConfig(str(data)), out=str(tmp_path / "lab"),
        model=ModelConfig(model="smollm2-135m", batch_size=8),
        train=TrainConfig(epochs=3, batch_size=8, max_tokens=96, frozen_layers=24),
        canaries=CanaryConfig(per_repetition=0), run_extraction=False,
        signals=("loss", "min_k_plus_plus", "reference"), bootstrap=200, progress=False)
    summary = run_lab(spec)
    assert summary["split"] == {"members": 20, "nonmembers": 20, "reference_texts": 0,
                                "canaries": 0}
    assert summary["training"]["steps"] == 9                # 20 texts / 8 per batch x 3 epochs
    assert summary["training"]["last_epoch_mean_loss"] < summary["training"]["first_loss"]
    for signal, threshold in MIN_AUROC.items():
        assert summary[signal]["auroc"] >= threshold, (signal, summary[signal])
