"""Where bfloat16's error comes from, and what each way of keeping it out costs: per-token
agreement with float32 and scoring speed of five CPU paths, measured in one run.

  float32        today's default
  bf16           the fast path (models/fast_cpu.py): the whole network in bfloat16,
                 prepacked linears
  mixed          the network in float32 (residual stream, norms, rotary, attention,
                 softmax); only each linear product runs in bfloat16 on a prepacked weight
                 (input rounded to bfloat16, output back to float32)
  mixed_head32   mixed, but the LM head stays a float32 product
  split          mixed with the input split into a bfloat16 high part and a bfloat16
                 remainder, both multiplied in one product of twice the rows: the input's
                 rounding is gone, what is left is the weights' rounding and the product's
                 bfloat16 output (oneDNN's bfloat16 product returns bfloat16 on CPU, and
                 torch's float32-output product, aten::mm.dtype, has no CPU kernel)
  weights_only   (agreement only) float32 products of weights rounded to bfloat16: the
                 floor of any path that stores bfloat16 weights

Agreement: mean, first-token and max |Δ log p| against float32 on a labelled set (default
examples/famous_vs_fresh.jsonl), and each default signal's AUROC. Speed: the scoring call
with every one-pass signal, timed interleaved (a round of each path per repeat) on the
same synthetic texts as bench/score_throughput.py. Run alone on the machine:

    python bench/bf16_variants.py [--texts 32] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from score_throughput import make_texts  # noqa: E402

VARIANTS = ("float32", "bf16", "mixed", "mixed_head32", "split", "weights_only")


def _bf16_copy(linear):
    import torch

    copy = torch.nn.Linear(linear.in_features, linear.out_features, bias=False,
                           dtype=torch.bfloat16)
    copy.weight.data.copy_(linear.weight.data.to(torch.bfloat16))
    return copy


def convert(network, variant: str) -> int:
    """Rewire a float32 network's linear layers for `variant`; returns how many changed."""
    import torch

    from mnemoscope.models.fast_cpu import PackedLinear

    head = network.get_output_embeddings()
    count = 0
    for module in network.modules():
        if not isinstance(module, torch.nn.Linear):
            continue
        if variant == "mixed_head32" and module is head:
            continue
        if variant == "weights_only":
            module.weight = torch.nn.Parameter(module.weight.data.to(torch.bfloat16).float(),
                                               requires_grad=False)
            count += 1
            continue
        packed, bias = PackedLinear(_bf16_copy(module)), module.bias
        if variant == "split":
            def forward(x, packed=packed, bias=bias):
                flat = x.reshape(-1, x.shape[-1])
                high = flat.to(torch.bfloat16)
                low = (flat - high.float()).to(torch.bfloat16)
                both = packed(torch.cat([high, low])).float()
                y = (both[:len(flat)] + both[len(flat):]).reshape(*x.shape[:-1], -1)
                return y if bias is None else y + bias
        else:
            def forward(x, packed=packed, bias=bias):
                y = packed(x.to(torch.bfloat16)).float()
                return y if bias is None else y + bias
        module.forward = forward
        count += 1
    return count


def load(variant: str, batch_size: int):
    from mnemoscope.models import load_model

    if variant == "bf16":
        return load_model("smollm2-135m", dtype="bfloat16", batch_size=batch_size)
    model = load_model("smollm2-135m", dtype="float32", batch_size=batch_size)
    if variant != "float32":
        convert(model.model, variant)
    return model


def agreement(reference, other) -> dict[str, float]:
    import numpy as np

    deltas = [np.abs(a.logprobs.astype(np.float64) - b.logprobs.astype(np.float64))
              for a, b in zip(reference, other)]
    every = np.concatenate(deltas)
    return {"mean": float(every.mean()), "max": float(every.max()),
            "first": float(np.mean([d[0] for d in deltas])),
            "rest": float(np.concatenate([d[1:] for d in deltas]).mean())}


def aurocs(scores, texts, labels, signals) -> dict[str, float]:
    from mnemoscope.metrics import auroc
    from mnemoscope.signals import Context

    return {s.column: float(auroc(labels, [float(s(x, Context(text=t)))
                                           for x, t in zip(scores, texts)]))
            for s in signals}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="examples/famous_vs_fresh.jsonl")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--texts", type=int, default=32, help="synthetic texts for speed")
    parser.add_argument("--words", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="first N labelled texts (0: all)")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args()

    import torch

    from mnemoscope.signals import default_signals

    rows = [json.loads(line) for line in open(args.data, encoding="utf-8")]
    rows = rows[:args.limit] if args.limit else rows
    texts, labels = [r["text"] for r in rows], [int(r["label"]) for r in rows]
    signals = [s for s in default_signals() if not s.views]
    variants = args.variants.split(",")
    models = {v: load(v, args.batch_size) for v in variants}
    scores = {v: m.score(texts) for v, m in models.items()}
    result = {"threads": torch.get_num_threads(), "torch": torch.__version__,
              "labelled_texts": len(texts), "variants": {}}
    for v in variants:
        entry = {"auroc": aurocs(scores[v], texts, labels, signals)}
        if v != "float32":
            entry["agreement"] = agreement(scores["float32"], scores[v])
        result["variants"][v] = entry
    timed = [v for v in variants if v != "weights_only"]
    speed_texts = make_texts(args.texts, args.words)
    n_tokens = sum(len(models["float32"].encode(t)) for t in speed_texts)

    def run(model) -> None:
        for s in model.score(speed_texts):
            for signal in signals:
                signal(s)

    for v in timed:
        run(models[v])                                        # warm-up
    load_before = os.getloadavg()[0]
    best = {v: float("inf") for v in timed}
    for _ in range(args.repeats):
        for v in timed:
            start = time.perf_counter()
            run(models[v])
            best[v] = min(best[v], time.perf_counter() - start)
    result["load_average"] = [load_before, os.getloadavg()[0]]
    base = best.get("float32")
    for v in timed:
        result["variants"][v]["tokens_per_s"] = n_tokens / best[v]
        if base:
            result["variants"][v]["speedup"] = base / best[v]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {len(texts)} labelled "
          f"texts, {n_tokens} timed tokens, load {load_before:.2f} -> {os.getloadavg()[0]:.2f}")
    names = [s.column for s in signals]
    print(f"{'path':<14}{'tok/s':>8}{'speedup':>9}{'mean|Δ|':>9}{'first':>8}{'rest':>8}"
          f"{'max':>7}  " + "  ".join(f"{n:>8}" for n in names))
    for v in variants:
        e = result["variants"][v]
        a = e.get("agreement", {})
        speed = (f"{e['tokens_per_s']:>8.0f}{e.get('speedup', 0):>9.2f}" if "tokens_per_s" in e
                 else f"{'-':>8}{'-':>9}")
        agree = (f"{a['mean']:>9.4f}{a['first']:>8.3f}{a['rest']:>8.4f}{a['max']:>7.2f}" if a
                 else f"{'-':>9}{'-':>8}{'-':>8}{'-':>7}")
        print(f"{v:<14}{speed}{agree}  " + "  ".join(f"{e['auroc'][n]:>8.3f}" for n in names))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
