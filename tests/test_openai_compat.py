"""OpenAI-compatible HTTP backend against a real llama-cpp-python server (see _llama_server).

One server process for the module, started on 127.0.0.1 on a free port and always
stopped. Every request is loopback.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from _llama_server import API_KEY_ENV, BOS, STOCK, LlamaServer, require_llama_server
from mnemoscope.models import EndpointConfig, ModelConfig, load_model
from mnemoscope.models.endpoint_check import compare_backends
from mnemoscope.models.http_client import EndpointClient, EndpointError, RetryPolicy
from mnemoscope.types import Capabilities, CapabilityError, InputError

pytestmark = pytest.mark.integration

# Agreement with the HF backend on the same weights. llama.cpp multiplies the Q4_1 weights
# with 8-bit-quantized activations and keeps an f16 KV cache; HF runs the same weights
# dequantized to float32. Measured by bench/endpoint_agreement.py (20 texts, 1,736 tokens):
# per-token |delta log p| max 1.96, p99 0.68, mean 0.106; off by one: mean 9.9, max 30.5.
TOLERANCE = 2.5           # per token
MEAN_TOLERANCE = 0.3      # mean over tokens (check-endpoint's default is 0.5)

TEXTS = ["In the beginning God created the heaven and the earth.",
         "The quick brown fox jumps over the lazy dog.",
         "Four score and seven years ago our fathers brought forth on this continent."]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_llama_server()
    srv = LlamaServer(tmp_path_factory.mktemp("llama"))
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def key_env(server, monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, server.api_key)
    return API_KEY_ENV


def endpoint(server, name: str, tokenizer: str | None = None, **options):
    return load_model(ModelConfig(model=server.url, batch_size=1, **options,
                                  endpoint=EndpointConfig(served_model=name, tokenizer=tokenizer,
                                                          api_key_env=API_KEY_ENV)))


@pytest.fixture(scope="module")
def stock(server):
    import os

    os.environ[API_KEY_ENV] = server.api_key
    with pytest.warns(UserWarning, match="off by one"):
        return endpoint(server, STOCK)


@pytest.fixture(scope="module")
def bos(server):
    import os

    os.environ[API_KEY_ENV] = server.api_key
    return endpoint(server, BOS, tokenizer="smollm2-135m")


# ---------------------------------------------------------------- stock GGUF: refused
def test_stock_server_is_detected_off_by_one_and_refused(stock):
    assert stock.alignment.verdict == "shifted"
    assert stock.capabilities == Capabilities.GENERATE
    assert stock.layout.start_text == "<|endoftext|>"
    with pytest.raises(CapabilityError, match="off by one"):
        stock.score(TEXTS[:1])


def test_check_endpoint_reports_the_stock_mismatch(stock, real_model):
    result = compare_backends(stock, real_model, TEXTS)
    assert result.max_abs_delta > 5.0           # the brief measured -18.1 vs -0.38


def test_generation_greedy_and_seeded_sampling(stock, real_model):
    prompt = ["The capital of France is"]
    greedy = stock.generate(prompt, max_new_tokens=8, n=2)
    assert len(greedy[0]) == 2 and greedy[0][0] == greedy[0][1] and greedy[0][0].strip()
    hf = real_model.generate(prompt, max_new_tokens=8)[0][0]
    assert greedy[0][0].split()[:2] == hf.split()[:2]   # same start token, same weights
    first = stock.generate(prompt, max_new_tokens=12, n=3, temperature=0.8, seed=7)
    again = stock.generate(prompt, max_new_tokens=12, n=3, temperature=0.8, seed=7)
    assert len(first[0]) == 3 and first == again        # n topped up one request each
    assert len(set(first[0])) > 1


# ---------------------------------------------------------------- BOS GGUF: scored
def test_bos_server_scores_agree_with_hf(bos, real_model):
    assert bos.alignment.verdict == "aligned"
    assert Capabilities.LOGPROBS in bos.capabilities
    assert Capabilities.VOCAB_STATS not in bos.capabilities
    assert bos.layout.start_text == "" and bos.layout.hidden_tokens == 1
    ours, theirs = bos.score(TEXTS), real_model.score(TEXTS)
    for a, b in zip(ours, theirs):
        # the server nulls its first echoed entry, so the first text token is not scored
        assert len(a) == len(b) - 1
        np.testing.assert_array_equal(a.token_ids, b.token_ids[1:])
        np.testing.assert_allclose(a.logprobs, b.logprobs[1:], atol=TOLERANCE)
    result = compare_backends(bos, real_model, TEXTS)
    assert result.tokens_compared == sum(len(b) - 1 for b in theirs)
    assert result.max_abs_delta <= TOLERANCE and result.mean_abs_delta <= MEAN_TOLERANCE


def test_min_k_plus_plus_is_refused_before_any_work(bos, tmp_path):
    from mnemoscope.data import DataConfig
    from mnemoscope.membership import ScoreSpec, run_score

    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "hello there"}\n')
    with pytest.raises(CapabilityError, match="min_k_plus_plus.*vocab_stats"):
        run_score(ScoreSpec(data=DataConfig(str(data)), out=str(tmp_path / "r"),
                            progress=False, report=False), model=bos)
    assert not (tmp_path / "r").exists()


def test_cli_score_run_through_endpoint_never_writes_the_key(server, key_env, tmp_path,
                                                            capsys, caplog):
    from mnemoscope.cli import main

    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": i % 2}) + "\n"
                            for i, t in enumerate(TEXTS * 2)))
    out = tmp_path / "run"
    with caplog.at_level(logging.DEBUG):
        code = main(["score", str(data), "--model", server.url, "--served-model", BOS,
                     "--api-key-env", key_env, "--signals", "loss,zlib,min_k",
                     "--tokenizer", "smollm2-135m", "--out", str(out), "--bootstrap", "50"])
    assert code == 0
    captured = capsys.readouterr()
    spec = json.loads((out / "spec.json").read_text())
    assert spec["identity"]["model"]["source"] == server.url
    assert spec["identity"]["model"]["alignment"] == "aligned"
    written = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in written)
    for path in written:
        assert server.api_key.encode() not in path.read_bytes(), path
    for text in (captured.out, captured.err, caplog.text):
        assert server.api_key not in text


# ---------------------------------------------------------------- errors people can act on
def test_missing_key_names_the_variable_not_the_key(server, monkeypatch):
    monkeypatch.delenv("MNEMOSCOPE_NO_SUCH_KEY", raising=False)
    with pytest.raises(EndpointError, match=r"401.*MNEMOSCOPE_NO_SUCH_KEY"):
        load_model(ModelConfig(model=server.url, endpoint=EndpointConfig(api_key_env="MNEMOSCOPE_NO_SUCH_KEY")))


def test_wrong_key_is_refused_and_not_echoed(server, monkeypatch):
    monkeypatch.setenv("MNEMOSCOPE_WRONG_KEY", "sk-wrong-0123456789")
    with pytest.raises(EndpointError) as info:
        load_model(ModelConfig(model=server.url, endpoint=EndpointConfig(api_key_env="MNEMOSCOPE_WRONG_KEY")))
    assert "was refused" in str(info.value) and "sk-wrong" not in str(info.value)


def test_wrong_model_name_lists_what_is_served(server, key_env):
    with pytest.raises(InputError, match=r"no-such-model.*smollm2, smollm2-bos"):
        load_model(ModelConfig(model=server.url, endpoint=EndpointConfig(
            served_model="no-such-model", api_key_env=key_env)))


def test_two_models_served_needs_a_name(server, key_env):
    with pytest.raises(InputError, match="serves 2 models.*--served-model"):
        load_model(ModelConfig(model=server.url, endpoint=EndpointConfig(api_key_env=key_env)))


def test_unreachable_endpoint_is_an_input_error_after_bounded_retries():
    from _llama_server import free_port

    waits: list[float] = []
    client = EndpointClient(f"http://127.0.0.1:{free_port()}/v1", retry=RetryPolicy(max_retries=2),
                            sleep=waits.append)
    with pytest.raises(InputError, match="connection refused after 3 attempts"):
        client.get("models")
    assert client.attempts == 3 and len(waits) == 2
    assert 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0   # backoff doubles, jittered


def test_retries_503_and_connection_resets_then_succeeds(server, key_env):
    """Faults injected in the transport in front of the real server: 503 with Retry-After,
    then a dropped connection, then the real reply."""
    import requests

    class Flaky(requests.Session):
        faults = ["503", "reset"]

        def send(self, request, **kwargs):
            if self.faults:
                fault = self.faults.pop(0)
                if fault == "reset":
                    raise requests.ConnectionError("Connection reset by peer")
                response = requests.Response()
                response.status_code, response._content = 503, b'{"error": "busy"}'
                response.headers["Retry-After"] = "0.01"
                return response
            return super().send(request, **kwargs)

    waits: list[float] = []
    client = EndpointClient(server.url, api_key_env=key_env, session_factory=Flaky,
                            sleep=waits.append)
    listing = client.get("models")
    assert {m["id"] for m in listing["data"]} == {STOCK, BOS}
    assert client.attempts == 3 and waits[0] == pytest.approx(0.01) and len(waits) == 2


def test_a_4xx_is_not_retried(server, key_env):
    client = EndpointClient(server.url, api_key_env=key_env, sleep=lambda s: None)
    with pytest.raises(EndpointError, match="HTTP 4"):
        client.post("completions", {"model": BOS, "prompt": "x " * 600, "max_tokens": 1})
    assert client.attempts == 1


def test_check_endpoint_command_exit_codes(server, key_env, capsys):
    from mnemoscope.cli import main

    args = ["check-endpoint", server.url, "--api-key-env", key_env, "--tokenizer",
            "smollm2-135m", "--served-model"]
    assert main(args + [BOS, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["mean_abs_delta"] <= MEAN_TOLERANCE
    with pytest.warns(UserWarning):
        assert main(args + [STOCK]) == 1
    assert "MISMATCH" in capsys.readouterr().out
