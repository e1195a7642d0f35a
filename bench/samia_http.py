"""SaMIA through the OpenAI-compatible backend against a real llama-cpp-python server, next
to the loss signal on the same texts (HF backend, same weights).

The server serves GGUF as shipped, so for SmolLM2 (no BOS) its echo log-probs are refused
and the endpoint is generation-only: exactly SaMIA's setting. A lab model is first
written as a GGUF with bench/llama_gguf.py.

    python bench/samia_http.py --gguf weak.gguf --hf-model LAB/model --data LAB/lab_data.jsonl \
        --out runs/samia-weak [--subset 100] [--port P]
    python bench/samia_http.py --partial --hf-model LAB/model --out runs/samia-weak
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
KEY_ENV = "MNEMOSCOPE_BENCH_LLAMA_KEY"


def balanced_subset(data: Path, size: int, out: Path, seed: int = 0) -> Path:
    """`size` labelled texts, half members and half non-members, drawn with a fixed seed."""
    import random

    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(f"subset:{seed}")
    picked = []
    for label in (1, 0):
        pool = sorted((r for r in rows if r.get("label") == label), key=lambda r: r["id"])
        picked += rng.sample(pool, size // 2)
    out.write_text("".join(json.dumps(r) + "\n" for r in sorted(picked, key=lambda r: r["id"])),
                   encoding="utf-8")
    return out


def serve(gguf: Path, workdir: Path, port: int = 0):
    """Start llama-cpp-python's server on `port` (0: a free one). The run's identity holds
    the URL, so resuming a killed run needs the port it started with (server.json)."""
    if not port:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    key = "sk-bench-" + secrets.token_hex(8)
    config = {"host": "127.0.0.1", "port": port, "api_key": key,
              "models": [{"model": str(gguf), "model_alias": "lab", "n_ctx": 1024,
                          "n_threads": 1, "n_threads_batch": 1, "verbose": False, "seed": 0}]}
    (workdir / "server.json").write_text(json.dumps(config))
    log = open(workdir / "server.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--config_file",
                                str(workdir / "server.json")], stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    import requests

    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(400):
        try:
            if requests.get(url + "/models", headers={"Authorization": f"Bearer {key}"},
                            timeout=2).status_code == 200:
                return process, url, key
        except requests.RequestException:
            pass
        time.sleep(0.25)
    process.terminate()
    raise RuntimeError("llama-cpp server did not start; see " + str(workdir / "server.log"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gguf", type=Path)
    parser.add_argument("--hf-model", required=True, help="the same weights for the loss signal")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--subset", type=int, default=None, help="a balanced subset of this size")
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--port", type=int, default=0,
                        help="serve on this port (to resume a run: the port in OUT/server.json)")
    parser.add_argument("--partial", action="store_true",
                        help="no server: summarize OUT/http as far as it got (a stopped run), "
                             "with the loss of --hf-model on the same texts")
    args = parser.parse_args(argv)
    if args.partial:
        return summarize_partial(args.out, args.hf_model)
    if args.gguf is None or args.data is None:
        parser.error("--gguf and --data are required (unless --partial)")

    from mnemoscope import score

    args.out.mkdir(parents=True, exist_ok=True)
    data = balanced_subset(args.data, args.subset, args.out / "subset.jsonl") if args.subset \
        else args.data
    process, url, key = serve(args.gguf, args.out, args.port)
    os.environ[KEY_ENV] = key
    try:
        clock = time.perf_counter()
        http = _score_http(data, url, args.out / "http", args.samples)
        http_s = time.perf_counter() - clock
    finally:
        process.terminate()
        process.wait(timeout=30)
    local = score(str(data), model=args.hf_model, out=str(args.out / "hf"), signals="loss",
                  progress=False, report=False)
    result = {"texts": len(local.rows), "http_seconds": http_s,
              "endpoint_logprobs": json.loads((args.out / "http" / "spec.json").read_text())
              ["identity"]["model"]["logprobs"]}
    for name, run in (("samia", http), ("samia(zlib=True)", http), ("loss", local)):
        v = run.summary[name]
        result[name] = {"auroc": v["auroc"], "auroc_ci": v["auroc_ci"],
                        "tpr_at_1pct_fpr": v["tpr_at_1pct_fpr"]}
        print(f"{name:<18} AUROC {v['auroc']:.3f} [{v['auroc_ci'][0]:.3f}, {v['auroc_ci'][1]:.3f}]")
    print(f"{result['texts']} texts; SaMIA through HTTP took {http_s:.0f} s "
          f"(endpoint log-probs: {result['endpoint_logprobs']})")
    (args.out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


def summarize_partial(out: Path, hf_model: str) -> int:
    """SaMIA's AUROC over the texts a stopped run finished, next to the loss (HF backend,
    same weights) on exactly those texts; written to OUT/result_partial.json."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from signals_table import cell

    from mnemoscope import score
    from mnemoscope.runs import read_rows

    rows = read_rows(out / "http")
    done = set(rows["id"])
    source = [json.loads(line) for line in (out / "subset.jsonl").read_text().splitlines()
              if line.strip()]
    data = out / "done.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in source if r["id"] in done))
    local = score(str(data), model=hf_model, out=str(out / f"hf-done-{len(done)}"), signals="loss",
                  progress=False, report=False).rows.set_index("id").loc[rows["id"]]
    labels = rows["label"].to_numpy()
    result = {"texts": len(rows), "of": len(source), "members": int(labels.sum())}
    for name, scores in (("samia", rows["samia"]), ("samia(zlib=True)", rows["samia(zlib=True)"]),
                         ("loss", local["loss"])):
        value, low, high, n, tpr = cell(labels, scores.to_numpy())
        result[name] = {"auroc": value, "auroc_ci": [low, high], "tpr_at_1pct_fpr": tpr}
        print(f"{name:<18} AUROC {value:.3f} [{low:.3f}, {high:.3f}]  TPR@1%FPR {tpr:.3f}")
    print(f"{len(rows)} of {len(source)} texts ({result['members']} members)")
    (out / "result_partial.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _score_http(data: Path, url: str, out: Path, samples: int):
    from mnemoscope.data import DataConfig
    from mnemoscope.membership import ScoreSpec, run_score
    from mnemoscope.models import EndpointConfig, ModelConfig

    spec = ScoreSpec(data=DataConfig(path=str(data), label_column="label", id_column="id"),
                     out=str(out), model=ModelConfig(model=url, batch_size=1, endpoint=EndpointConfig(
                         served_model="lab", api_key_env=KEY_ENV)),
                     signals=("samia", "samia(zlib=True)"),
                     view_options={"samia_samples": samples}, chunk_size=4, progress=False,
                     report=False)
    return run_score(spec)


if __name__ == "__main__":
    sys.exit(main())
