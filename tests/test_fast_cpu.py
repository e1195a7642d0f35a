"""The bfloat16 fast path: AMX detection, the `--dtype auto` rule, prepacked linears that
compute what nn.Linear computes, and the dtype choice recorded without blocking a resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mnemoscope.models import load_model
from mnemoscope.models.fast_cpu import (MIN_HIDDEN, amx_bf16, auto_cpu_dtype, cpu_flags,
                                        prepack_linears, unpack_linears)
from mnemoscope.runs import RunWriter, read_spec, resume_identity
from mnemoscope.types import SpecMismatchError

SPR = "fpu avx512f avx512_bf16 amx_bf16 amx_tile amx_int8"


def test_cpu_flags_reads_the_first_flags_line(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(f"processor\t: 0\nflags\t\t: {SPR}\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    assert cpu_flags(info) == set(SPR.split())
    assert cpu_flags(tmp_path / "missing") == set()


def test_amx_needs_both_tile_and_bf16():
    assert amx_bf16(set(SPR.split()))
    assert not amx_bf16({"amx_tile", "avx512_bf16"})
    assert not amx_bf16({"amx_bf16"})


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="torch without oneDNN")
def test_auto_rule():
    amx = set(SPR.split())
    assert auto_cpu_dtype(576, amx, bf16_agrees=True) == (
        "bfloat16", "auto: AMX-BF16 in /proc/cpuinfo flags")
    assert auto_cpu_dtype(576, {"avx512f", "avx512_bf16"}, bf16_agrees=True) == (
        "float32", "auto: no AMX-BF16 in /proc/cpuinfo flags")
    assert auto_cpu_dtype(MIN_HIDDEN - 1, amx, bf16_agrees=True)[0] == "float32"
    assert auto_cpu_dtype(MIN_HIDDEN, amx, bf16_agrees=True)[0] == "bfloat16"
    # as shipped: the agreement bar is not met, so auto stays float32 and says why
    assert auto_cpu_dtype(576, amx)[0] == "float32"
    assert "--dtype bfloat16" in auto_cpu_dtype(576, amx)[1]


def test_auto_keeps_the_tiny_model_float32(tiny_model_dir):
    model = load_model(str(tiny_model_dir))
    identity = model.identity()
    assert identity["dtype"] == "float32"                  # hidden 32 < MIN_HIDDEN everywhere
    assert identity["dtype_choice"].startswith("auto: ")
    assert load_model(str(tiny_model_dir), dtype="bf16").identity()["dtype_choice"] == \
        "asked: --dtype bf16"


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="torch without oneDNN")
def test_packed_linear_computes_the_linear_map():
    torch.manual_seed(0)
    layer = torch.nn.Linear(64, 48, bias=True).to(torch.bfloat16)
    x = torch.randn(5, 7, 64).to(torch.bfloat16)
    with torch.no_grad():
        expected = (x.float() @ layer.weight.float().T + layer.bias.float())
        plain = layer(x)
        assert prepack_linears(layer) == 1 and "forward" in vars(layer)
        packed = layer(x)
        assert unpack_linears(layer) == 1 and "forward" not in vars(layer)
    assert packed.shape == (5, 7, 48) and packed.dtype == torch.bfloat16
    # both round the float32 product once to bfloat16: 8 bits of mantissa, 2^-8 relative
    torch.testing.assert_close(packed.float(), expected, rtol=2 ** -7, atol=1e-2)
    torch.testing.assert_close(packed, plain, rtol=2 ** -7, atol=1e-2)


def test_bf16_scores_agree_with_float32_on_the_tiny_model(tiny_model_dir):
    texts = ["the river and the mountain in the old city", "she was a king of the night"]
    exact = load_model(str(tiny_model_dir), dtype="float32").score(texts)
    fast = load_model(str(tiny_model_dir), dtype="bfloat16")
    if torch.backends.mkldnn.is_available():     # 2 layers x (q k v o gate up down) + head
        assert fast.packed_linears == 2 * 7 + 1
    for a, b in zip(exact, fast.score(texts)):
        assert b.logprobs.dtype == np.float32
        np.testing.assert_array_equal(a.token_ids, b.token_ids)
        assert np.abs(a.logprobs - b.logprobs).max() < 0.1


def test_dtype_choice_is_recorded_and_never_blocks_a_resume(tmp_path):
    identity = {"name": "m", "dtype": "bfloat16", "versions": {"torch": "x"},
                "dtype_choice": "auto: AMX-BF16 in /proc/cpuinfo flags"}
    assert resume_identity(identity) == {"name": "m", "dtype": "bfloat16"}
    run = RunWriter.open(tmp_path / "run", "score", {"k": 1}, model=identity)
    run.add([{"id": "a", "x": 1.0}])
    run.flush()
    assert read_spec(tmp_path / "run")["dtype_choice"] == identity["dtype_choice"]
    other = {**identity, "dtype_choice": "asked: --dtype bf16"}
    assert RunWriter.open(tmp_path / "run", "score", {"k": 1}, model=other).resumed
    # a model identity nested in the audit's own identity (unlearn's --retrained) too
    nested = {"judge": {"retrained": {"name": "r", "dtype": "float32"}}}
    run = RunWriter.open(tmp_path / "nested", "unlearn", nested)
    run.add([{"id": "a", "x": 1.0}])
    run.flush()
    recorded = {"judge": {"retrained": {"name": "r", "dtype": "float32", "versions": {"t": "2"},
                                        "dtype_choice": "asked: --dtype float32"}}}
    assert RunWriter.open(tmp_path / "nested", "unlearn", recorded).resumed
    with pytest.raises(SpecMismatchError, match="judge.retrained.dtype: 'float32' -> 'bf16'"):
        RunWriter.open(tmp_path / "nested", "unlearn",
                       {"judge": {"retrained": {"name": "r", "dtype": "bf16"}}})


def test_a_float32_run_reopened_in_bf16_says_which_flag_resumes_it(tmp_path):
    old = {"name": "m", "dtype": "float32", "versions": {}}
    run = RunWriter.open(tmp_path / "run", "score", {"k": 1}, model=old)
    run.add([{"id": "a", "x": 1.0}])
    run.flush()
    with pytest.raises(SpecMismatchError, match=r"model.dtype: 'float32' -> 'bfloat16'.*"
                                                r"pass --dtype float32"):
        RunWriter.open(tmp_path / "run", "score", {"k": 1}, model={**old, "dtype": "bfloat16"})


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="torch without oneDNN")
def test_a_packed_linear_never_serves_stale_or_untrainable_weights():
    torch.manual_seed(0)
    layer = torch.nn.Linear(32, 16, bias=False).to(torch.bfloat16)
    x = torch.randn(4, 32).to(torch.bfloat16)
    prepack_linears(layer)
    with torch.no_grad():
        layer.weight.mul_(2.0)                      # an optimizer step, in place
        torch.testing.assert_close(layer(x), x @ layer.weight.T)
    y = layer(x)                                    # grad mode: autograd must see the weight
    y.float().sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0
