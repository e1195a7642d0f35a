"""The real embedded SmolLM2-135M on a few items: the chat template is applied and every kind
runs end to end. Accuracy is not asserted (a 135M model is near zero on these)."""

from __future__ import annotations

import json

import pytest

from mnemoscope.benchmarks import generate, write_items
from mnemoscope.benchmarks.harness import EvalSpec, run_eval


@pytest.mark.integration
def test_real_model_answers_and_is_graded(tmp_path, real_model):
    items = generate("kk", 1, 0, level=2) + generate("complexity", 1, 0, level=1, split="id")
    path = tmp_path / "items.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        write_items(items, handle)
    result = run_eval(EvalSpec(items=str(path), out=str(tmp_path / "run"), max_new_tokens=24,
                               progress=False, report=False), model=real_model)
    spec = json.loads((tmp_path / "run" / "spec.json").read_text())
    assert spec["identity"]["chat_template"] is True
    assert result.summary["n_items"] == 2
    assert 0.0 <= result.summary["accuracy"] <= 1.0
