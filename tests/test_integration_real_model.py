"""Integration tests on the real embedded SmolLM2-135M-Instruct (short texts).

The first use dequantizes the GGUF (~20 s) and caches it; later runs reload in seconds.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mnemoscope.models.vocab_stats import token_stats_naive

from conftest import EXAMPLE

pytestmark = pytest.mark.integration


def test_embedded_model_identity_and_round_trip(real_model):
    identity = real_model.identity()
    assert identity["name"] == "smollm2-135m" and len(identity["file_hash"]) == 64
    assert identity["dtype"] == "float32"
    from mnemoscope.models import ModelConfig, identity_of
    from mnemoscope.models.fast_cpu import auto_cpu_dtype

    auto = identity_of(ModelConfig())              # what --dtype auto picks here, unloaded
    assert (auto["dtype"], auto["dtype_choice"]) == auto_cpu_dtype(576)
    text = "Hello, wörld! 123 — naïve café."
    assert real_model.decode(real_model.encode(text)) == text
    assert real_model.start_token_id == real_model.tokenizer.get_vocab()["<|endoftext|>"]


def test_one_pass_statistics_equal_the_full_matrix(real_model):
    text = "In the beginning God created the heaven and the earth."
    (scores,) = real_model.score([text])
    ids = [real_model.start_token_id] + real_model.encode(text)
    with torch.no_grad():
        logits = real_model.model(input_ids=torch.tensor([ids])).logits[0, :-1]
    lp, mean, var = token_stats_naive(logits, torch.tensor(ids[1:]))
    np.testing.assert_allclose(scores.logprobs, lp.numpy(), atol=2e-3)
    np.testing.assert_allclose(scores.vocab_mean, mean.numpy(), atol=2e-3)
    np.testing.assert_allclose(scores.vocab_var, var.numpy(), rtol=2e-3, atol=2e-3)


def test_greedy_generation_is_sane(real_model):
    (out,) = real_model.generate(["The capital of France is"], max_new_tokens=5)
    assert "Paris" in out[0]


def test_famous_text_is_likelier_than_a_look_alike(real_model):
    famous, fresh = real_model.score([
        "To be, or not to be, that is the question.",
        "To sail, or not to sail, that is the riddle.",
    ])
    assert famous.mean_nll < fresh.mean_nll


@pytest.mark.skipif(not EXAMPLE.exists(), reason="example dataset missing")
def test_example_dataset_separates_by_loss(tmp_path, real_model):
    import mnemoscope

    result = mnemoscope.score(str(EXAMPLE), model=real_model, out=str(tmp_path / "run"),
                              progress=False, report=False, bootstrap=200)
    assert result.summary["loss"]["auroc"] > 0.7
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["min_k_plus_plus"]["auroc"] > 0.5
