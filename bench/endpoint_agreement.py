"""How closely does a real OpenAI-compatible server's echo agree with the HF backend?

    python bench/endpoint_agreement.py [--data examples/famous_vs_fresh.jsonl] [--every 4]

Starts llama-cpp-python's server on 127.0.0.1 (the test launcher, tests/_llama_server.py)
serving the embedded SmolLM2-135M GGUF twice: as shipped (no BOS: the off-by-one echo) and
with a BOS override (aligned echo). Scores the data through both and through the HF
backend (the same GGUF dequantized to float32) and prints per-token |delta log p|
(max, p99, mean), the largest per-text |delta loss|, and the loss-signal AUROC on each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _llama_server import API_KEY_ENV, BOS, STOCK, LlamaServer, version  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(ROOT / "examples" / "famous_vs_fresh.jsonl"))
    parser.add_argument("--every", type=int, default=4,
                        help="use every N-th text of each label (llama-cpp-python sorts the whole vocabulary "
                             "in Python for every echoed token: ~5 s per 150-token text)")
    args = parser.parse_args()
    import warnings

    from sklearn.metrics import roc_auc_score

    from mnemoscope.data import DataConfig, load_samples
    from mnemoscope.models import EndpointConfig, ModelConfig, load_model
    from mnemoscope.models.endpoint_check import DEFAULT_TEXTS, _matched, _pieces

    every = load_samples(DataConfig(args.data))
    samples = [s for label in (1, 0) for s in every if s.label == label][:: args.every]
    texts = [s.text for s in samples]
    labels = [s.label for s in samples]
    reference = load_model(ModelConfig(model="smollm2-135m"))
    started = time.perf_counter()
    hf = reference.score(texts)
    hf_s = time.perf_counter() - started
    results = {"server": f"llama-cpp-python {version()}", "texts": len(texts),
               "tokens": int(sum(len(s) for s in hf)), "hf_seconds": round(hf_s, 1)}
    with tempfile.TemporaryDirectory() as tmp:
        server = LlamaServer(Path(tmp))
        try:
            server.wait_ready()
            os.environ[API_KEY_ENV] = server.api_key
            for name in (BOS, STOCK):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    endpoint = load_model(ModelConfig(model=server.url, batch_size=1, endpoint=EndpointConfig(
                        served_model=name, api_key_env=API_KEY_ENV)))
                started = time.perf_counter()
                echoed = endpoint.echo_scores(texts)
                seconds = time.perf_counter() - started
                deltas, loss_deltas, ours_loss, ref_loss = [], [], [], []
                for (pieces, a), b in zip(echoed, hf):
                    pairs = _matched(pieces, _pieces(reference.tokenizer, b.token_ids))
                    ia, ib = (np.asarray(x) for x in zip(*pairs))
                    d = np.abs(a.logprobs[ia].astype(float) - b.logprobs[ib].astype(float))
                    deltas.append(d)
                    ours_loss.append(-float(a.logprobs[ia].mean()))
                    ref_loss.append(-float(b.logprobs[ib].mean()))
                    loss_deltas.append(abs(ours_loss[-1] - ref_loss[-1]))
                every = np.concatenate(deltas)
                results[name] = {
                    "alignment": endpoint.alignment.describe(),
                    "capabilities": endpoint.capabilities.describe(),
                    "tokens_compared": int(every.size),
                    "max_abs_delta": round(float(every.max()), 4),
                    "p99_abs_delta": round(float(np.quantile(every, 0.99)), 4),
                    "mean_abs_delta": round(float(every.mean()), 4),
                    "max_loss_delta": round(max(loss_deltas), 4),
                    "loss_auroc_endpoint": round(roc_auc_score(labels, [-x for x in ours_loss]), 4),
                    "loss_auroc_hf_same_tokens": round(roc_auc_score(labels, [-x for x in ref_loss]), 4),
                    "seconds": round(seconds, 1)}
        finally:
            server.stop()
    results["loss_auroc_hf_all_tokens"] = round(roc_auc_score(
        labels, [-s.mean_nll for s in hf]), 4)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
