"""Every signal of the signals issue runs with HF_HUB_OFFLINE=1 and no network: each
`mnemoscope score` below runs in a subprocess whose sockets may reach only the loopback
interface (the local llama-cpp server); any other connection is refused and logged, and
the log must stay empty.

ReCaLL, CON-ReCall, neighbourhood (both generators: the model's own predictions, and
WordNet + MiniLM), DC-PDD (the wordfreq table), SaMIA (and its zlib variant) and
loss(tokens=content_after_function) run on the tiny HF model; SaMIA also runs through the
OpenAI-compatible backend against a real llama-cpp-python server, on the stock GGUF whose
echo is refused, i.e. a generation-only endpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from _llama_server import API_KEY_ENV, STOCK, LlamaServer, require_llama_server

pytestmark = pytest.mark.integration

SRC = Path(__file__).resolve().parents[1] / "src"

# installed in the subprocess through sitecustomize: only loopback and unix sockets connect
GUARD = '''
import ipaddress, os, socket

_LOG = os.environ["MNEMOSCOPE_TEST_NETWORK_LOG"]
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


def _allowed(sock, address):
    if sock.family == socket.AF_UNIX:
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check(sock, address):
    if not _allowed(sock, address):
        with open(_LOG, "a") as handle:
            handle.write(f"blocked {address!r}\\n")
        raise OSError(f"network blocked by the test: {address!r}")


def connect(self, address):
    _check(self, address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)


socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
'''


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory):
    guard = tmp_path_factory.mktemp("guard")
    (guard / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    log = guard / "blocked.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1", "MNEMOSCOPE_TEST_NETWORK_LOG": str(log),
           "PYTHONPATH": os.pathsep.join([str(guard), str(SRC), os.environ.get("PYTHONPATH", "")])}
    return env, log


def _run(env, *argv):
    return subprocess.run([sys.executable, "-m", "mnemoscope.cli", "-q", *argv], env=env,
                          capture_output=True, text=True, timeout=600)


def _data(path: Path, n: int = 12) -> Path:
    words = "the river city king old night song water stone field road house light".split()
    rng = np.random.default_rng(4)
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            text = " ".join(rng.choice(words, size=10)) + " ."
            handle.write(json.dumps({"id": f"s{i}", "text": text, "label": i % 2}) + "\n")
    return path


def test_the_guard_refuses_a_real_connection(offline_env):
    env, log = offline_env
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(("
                            "'93.184.216.34', 80), timeout=2)"], env=env, capture_output=True,
                           text=True, timeout=60)
    assert probe.returncode != 0 and "network blocked by the test" in probe.stderr
    log.unlink()


def test_every_new_signal_runs_offline_on_the_tiny_model(offline_env, tiny_model_dir, tmp_path):
    env, log = offline_env
    data = _data(tmp_path / "d.jsonl")
    signals = ("recall,con_recall,neighbourhood,dc_pdd,samia,samia(zlib=True),"
               "loss(tokens=content_after_function)")
    done = _run(env, "score", str(data), "--model", str(tiny_model_dir), "--out",
                str(tmp_path / "run"), "--signals", signals, "--recall-shots", "2",
                "--member-shots", "2", "--neighbours", "2", "--samia-samples", "2",
                "--bootstrap", "20")
    assert done.returncode == 0, done.stderr[-3000:]
    wordnet = _run(env, "score", str(data), "--model", str(tiny_model_dir), "--out",
                   str(tmp_path / "wordnet"), "--signals", "neighbourhood", "--neighbours", "2",
                   "--neighbour-generator", "wordnet", "--bootstrap", "20", "--no-report")
    assert wordnet.returncode == 0, wordnet.stderr[-3000:]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    for column in ("recall", "con_recall", "neighbourhood", "dc_pdd", "samia", "samia(zlib=True)",
                   "loss(tokens=content_after_function)"):
        assert summary[column]["n"] == 8, column                  # 12 texts less 4 shots
    assert not log.exists(), log.read_text()


def test_samia_through_a_generation_only_endpoint_offline(offline_env, tmp_path):
    env, log = offline_env
    require_llama_server()
    server = LlamaServer(tmp_path)
    try:
        server.wait_ready()
        data = _data(tmp_path / "d.jsonl", n=4)
        done = _run({**env, API_KEY_ENV: server.api_key}, "score", str(data), "--model",
                    server.url, "--served-model", STOCK, "--api-key-env", API_KEY_ENV,
                    "--signals", "samia,samia(zlib=True)", "--samia-samples", "2",
                    "--out", str(tmp_path / "run"), "--bootstrap", "20", "--no-report")
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    spec = json.loads((tmp_path / "run" / "spec.json").read_text())
    assert spec["identity"]["model"]["logprobs"] is False          # the echo was refused
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["samia"]["n"] == 4 and summary["samia"]["n_not_finite"] == 0
    assert not log.exists(), log.read_text()
