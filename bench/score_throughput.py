"""Throughput of one-pass scoring on the embedded model, measured in one run.

Prints tokens/s for
  (a) a bare forward pass (model(input_ids) with full logits), same texts and batches;
  (b) mnemoscope scoring: log-probs + vocabulary mean/variance, then every one-pass signal;
  (c) a per-sample loop that copies each text's full T x V log-prob matrix to the CPU and
      computes the statistics there (the MIMIR way);
  (d) (b) with the network in bfloat16 as transformers runs it (weights re-laid out on
      every call);
  (e) (b) on the bfloat16 fast path (models/fast_cpu.py: prepacked oneDNN weights; what
      `--dtype auto` picks on an AMX CPU), statistics in float32 as always;
and the ratios (b)/(a), (b)/(c), (d)/(b), (e)/(b). (a), (b), (d), (e) are timed
interleaved, a round of each per repeat, so load from other processes hits all alike.
Run: python bench/score_throughput.py [--texts 64] [--no-bf16]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_texts(count: int, words: int) -> list[str]:
    import random

    rng = random.Random(0)
    vocab = ("the a of river mountain light history old new city people long water king "
             "song night morning letter road house field stone winter summer market bright "
             "quiet remember across under before after through silver garden").split()
    return [" ".join(rng.choice(vocab) for _ in range(words)).capitalize() + "." for _ in range(count)]


def bare_pass(model, texts, batch_size):
    """(a): model(input_ids) with full logits over length-sorted batches, no statistics.
    Returns the timed function and the number of scored tokens."""
    import torch

    encoded = [[model.start_token_id] + model.encode(t) for t in texts]
    order = sorted(range(len(encoded)), key=lambda k: len(encoded[k]))
    batches = [[encoded[k] for k in order[i:i + batch_size]]
               for i in range(0, len(order), batch_size)]

    def run() -> None:
        with torch.inference_mode():
            for batch in batches:
                width = max(map(len, batch))
                ids = torch.zeros((len(batch), width), dtype=torch.long)
                mask = torch.zeros_like(ids)
                for r, seq in enumerate(batch):
                    ids[r, :len(seq)] = torch.tensor(seq)
                    mask[r, :len(seq)] = 1
                model.model(input_ids=ids, attention_mask=mask).logits

    return run, sum(len(e) - 1 for e in encoded)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--texts", type=int, default=64)
    parser.add_argument("--words", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-bf16", action="store_true", help="float32 rows only")
    args = parser.parse_args()

    import numpy as np
    import torch

    from mnemoscope.models import load_model
    from mnemoscope.signals import default_signals

    model = load_model(args.model, batch_size=args.batch_size, dtype="float32")
    texts = make_texts(args.texts, args.words)
    signals = default_signals()
    bare, n_tokens = bare_pass(model, texts, args.batch_size)
    encoded = [[model.start_token_id] + model.encode(t) for t in texts]    # for (c)

    def ours(scorer=model):
        def run() -> None:
            for scores in scorer.score(texts):
                for signal in signals:
                    if not signal.views:
                        signal(scores)
        return run

    def per_sample_full_matrix() -> None:
        with torch.inference_mode():
            for seq in encoded:
                ids = torch.tensor([seq])
                logp = torch.log_softmax(model.model(input_ids=ids).logits[0, :-1].float(), -1)
                matrix = logp.cpu().numpy()                       # (T, V) to the CPU
                target = matrix[np.arange(len(seq) - 1), seq[1:]]
                p = np.exp(matrix)
                mean = (p * matrix).sum(-1)
                var = (p * matrix * matrix).sum(-1) - mean ** 2
                _ = (target, mean, var)

    runs = {"a": bare, "b": ours()}
    if not args.no_bf16:
        from mnemoscope.models.fast_cpu import unpack_linears

        fast = load_model(args.model, batch_size=args.batch_size, dtype="bfloat16")
        plain = load_model(args.model, batch_size=args.batch_size, dtype="bfloat16")
        unpack_linears(plain.model)
        runs.update(d=ours(plain), e=ours(fast))
    for fn in runs.values():
        fn()                                                  # warm-up
    load_before = os.getloadavg()[0]
    best = {key: float("inf") for key in runs}
    for _ in range(args.repeats):
        for key, fn in runs.items():
            start = time.perf_counter()
            fn()
            best[key] = min(best[key], time.perf_counter() - start)
    load_after = os.getloadavg()[0]
    start = time.perf_counter()
    per_sample_full_matrix()
    c = n_tokens / (time.perf_counter() - start)
    rate = {key: n_tokens / seconds for key, seconds in best.items()}
    a, b = rate["a"], rate["b"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, device {model.device}, "
          f"load average {load_before:.2f} before, {load_after:.2f} after")
    print(f"model {model.name}, {len(texts)} texts, {n_tokens} tokens, batch {args.batch_size}, "
          f"best of {args.repeats} interleaved rounds")
    print(f"(a) bare forward, float32         {a:8.0f} tokens/s")
    print(f"(b) all one-pass signals, float32 {b:8.0f} tokens/s")
    print(f"(c) per-sample T x V on CPU       {c:8.0f} tokens/s")
    if "e" in rate:
        print(f"(d) (b) in bfloat16, unpacked     {rate['d']:8.0f} tokens/s")
        print(f"(e) (b) on the bf16 fast path     {rate['e']:8.0f} tokens/s")
    print(f"(b)/(a) = {b / a:.3f}    (b)/(c) = {b / c:.2f}")
    if "e" in rate:
        print(f"(d)/(b) = {rate['d'] / b:.2f}    (e)/(b) = {rate['e'] / b:.2f}")


if __name__ == "__main__":
    main()
