"""vLLM backend: runs only where CUDA and vllm exist; elsewhere it must refuse clearly."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from mnemoscope.models import ModelConfig, load_model
from mnemoscope.types import InputError

HAS_VLLM = importlib.util.find_spec("vllm") is not None


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.skipif(HAS_VLLM, reason="vllm is installed")
def test_without_vllm_the_error_says_what_to_install():
    with pytest.raises(InputError, match="mnemoscope\\[vllm\\]"):
        load_model(ModelConfig(model="smollm2-135m", backend="vllm"))


@pytest.mark.skipif(not (HAS_VLLM and has_cuda()), reason="needs vllm and a CUDA GPU")
def test_vllm_scores_agree_with_hf_and_refuse_min_k_plus_plus(tmp_path):
    from mnemoscope.data import DataConfig
    from mnemoscope.membership import ScoreSpec, run_score
    from mnemoscope.types import CapabilityError

    texts = ["In the beginning God created the heaven and the earth.",
             "The quick brown fox jumps over the lazy dog."]
    vllm_model = load_model(ModelConfig(model="smollm2-135m", backend="vllm", dtype="float32"))
    hf_model = load_model(ModelConfig(model="smollm2-135m", dtype="float32"))
    for ours, reference in zip(vllm_model.score(texts), hf_model.score(texts)):
        np.testing.assert_allclose(ours.logprobs, reference.logprobs, atol=2e-2)
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "hello there"}\n')
    with pytest.raises(CapabilityError, match="vocab_stats"):
        run_score(ScoreSpec(data=DataConfig(str(data)), out=str(tmp_path / "r"),
                            progress=False, report=False), model=vllm_model)
    out = vllm_model.generate(["The capital of France is"], max_new_tokens=8, n=4,
                              temperature=0.8, seed=1)
    assert len(out[0]) == 4
