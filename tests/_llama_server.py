"""Start a real llama-cpp-python OpenAI-compatible server on 127.0.0.1 for the tests.

It serves the embedded SmolLM2-135M GGUF under two names:
- `smollm2`: the file as shipped. Its tokenizer adds no BOS, which is the case where
  llama-cpp-python's echo log-probs are off by one token.
- `smollm2-bos`: the same weights with the GGUF keys overridden at load time
  (`tokenizer.ggml.add_bos_token=true`, `bos_token_id=0`, i.e. `<|endoftext|>`), so the
  server prepends `<|endoftext|>` like a model with a BOS (Llama, Mistral, Gemma) and
  like the HF backend's start token for SmolLM2. Its echo is aligned.

The server needs `pip install 'llama-cpp-python[server]'` (scripts/test.sh installs it).
Without it the tests fail, unless MNEMOSCOPE_ALLOW_NO_LLAMA_SERVER=1 lets them skip
(CI never sets it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

STOCK, BOS = "smollm2", "smollm2-bos"
API_KEY_ENV = "MNEMOSCOPE_TEST_LLAMA_KEY"
READY_TIMEOUT_S = 90.0


def require_llama_server() -> None:
    if importlib.util.find_spec("llama_cpp") is not None:
        return
    message = ("llama-cpp-python[server] is not installed; scripts/test.sh installs it "
               "(pip install 'llama-cpp-python[server]==0.3.36')")
    if os.environ.get("MNEMOSCOPE_ALLOW_NO_LLAMA_SERVER") == "1":
        pytest.skip(message)
    pytest.fail(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    def __init__(self, workdir: Path) -> None:
        from mnemoscope.models.embedded import embedded_gguf_path

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.api_key = "sk-test-" + secrets.token_hex(16)
        gguf = str(embedded_gguf_path())
        common = {"model": gguf, "n_ctx": 512, "n_threads": 1, "n_threads_batch": 1,
                  "logits_all": True, "verbose": False, "seed": 0}
        config = {"host": "127.0.0.1", "port": self.port, "api_key": self.api_key,
                  "models": [dict(common, model_alias=STOCK),
                             dict(common, model_alias=BOS, kv_overrides=[
                                 "tokenizer.ggml.add_bos_token=bool:true",
                                 "tokenizer.ggml.bos_token_id=int:0"])]}
        self.config_path = workdir / "llama_server.json"
        self.config_path.write_text(json.dumps(config))
        self.log_path = workdir / "llama_server.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--config_file", str(self.config_path)],
            stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"})

    def wait_ready(self) -> None:
        import requests

        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama-cpp-python server exited with {self.process.returncode}:\n"
                                   + self.log_path.read_text(errors="replace")[-3000:])
            try:
                reply = requests.get(f"{self.url}/models", timeout=2,
                                     headers={"Authorization": f"Bearer {self.api_key}"})
                if reply.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"llama-cpp-python server not ready after {READY_TIMEOUT_S:.0f} s:\n"
                           + self.log_path.read_text(errors="replace")[-3000:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("llama_cpp_python")
