"""bfloat16 fast path against float32 on the same texts: per-token agreement and every
signal's AUROC, in one run.

Prints, for the embedded model on a labelled set (default examples/famous_vs_fresh.jsonl):
  - per-token |Δ log p| between the two dtypes (mean, max, 99th percentile), and the same
    for the vocabulary mean and variance that Min-K%++ reads;
  - each signal's AUROC under float32 and under the fast path, and the difference.
Both audits run through the library (`run_score`), into <out>/float32 and <out>/bfloat16.

Run: python bench/bf16_agreement.py [--data FILE] [--signals a,b] [--out runs/bf16-agreement]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# the default signals; recall/con_recall need prefix files, dc_pdd a frequency corpus,
# samia generation (its samples in bf16 are another random draw, not an agreement test)
SIGNALS = "loss,zlib,lowercase,min_k,min_k_plus_plus"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="examples/famous_vs_fresh.jsonl")
    parser.add_argument("--signals", default=SIGNALS)
    parser.add_argument("--out", default="runs/bf16-agreement")
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()

    import numpy as np
    import torch

    from mnemoscope.data import DataConfig
    from mnemoscope.membership import ScoreSpec, run_score
    from mnemoscope.models import ModelConfig, load_model

    texts = [json.loads(line)["text"] for line in open(args.data, encoding="utf-8")]
    models = {name: load_model("smollm2-135m", dtype=name, batch_size=args.batch_size)
              for name in ("float32", "bfloat16")}
    scores = {name: model.score(texts) for name, model in models.items()}
    delta = {key: np.concatenate([np.abs(getattr(a, key).astype(np.float64)
                                         - getattr(b, key).astype(np.float64))
                                  for a, b in zip(scores["float32"], scores["bfloat16"])])
             for key in ("logprobs", "vocab_mean", "vocab_var")}
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"{len(texts)} texts, {delta['logprobs'].size} tokens; "
          f"dtype_choice of auto here: {load_model('smollm2-135m').identity()['dtype_choice']}")
    first = np.array([abs(float(a.logprobs[0]) - float(b.logprobs[0]))
                      for a, b in zip(scores["float32"], scores["bfloat16"])])
    print(f"first token of each text: mean |Δ log p| {first.mean():.4f}, "
          f"max {first.max():.4f}; the other tokens: mean "
          f"{(delta['logprobs'].sum() - first.sum()) / (delta['logprobs'].size - len(first)):.4f}")
    for key, values in delta.items():
        print(f"|Δ {key:10s}| mean {values.mean():.4f}  p99 {np.percentile(values, 99):.4f}  "
              f"max {values.max():.4f}")

    summaries = {}
    for name, model in models.items():
        spec = ScoreSpec(data=DataConfig(path=args.data), out=f"{args.out}/{name}",
                         model=ModelConfig(dtype=name, batch_size=args.batch_size),
                         signals=tuple(args.signals.split(",")), save_tokens=False,
                         progress=False, report=False)
        start = time.perf_counter()
        result = run_score(spec, model=model)
        print(f"{name}: audit with {len(result.signals)} signals took "
              f"{time.perf_counter() - start:.0f} s (run folder {result.run_dir})")
        summaries[name] = result.summary
    worst = 0.0
    print(f"{'signal':18s} {'AUROC fp32':>10s} {'AUROC bf16':>10s} {'Δ':>8s}")
    for signal in args.signals.split(","):
        a = summaries["float32"]["signals"][signal]["auroc"] \
            if "signals" in summaries["float32"] else summaries["float32"][signal]["auroc"]
        b = summaries["bfloat16"]["signals"][signal]["auroc"] \
            if "signals" in summaries["bfloat16"] else summaries["bfloat16"][signal]["auroc"]
        worst = max(worst, abs(b - a))
        print(f"{signal:18s} {a:10.4f} {b:10.4f} {b - a:+8.4f}")
    print(f"largest |Δ AUROC| {worst:.4f}")


if __name__ == "__main__":
    main()
