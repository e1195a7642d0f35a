"""Throughput of one-pass scoring on the embedded model, measured in one run.

Prints tokens/s for
  (a) a bare forward pass (model(input_ids) with full logits), same texts and batches;
  (b) mnemoscope scoring: log-probs + vocabulary mean/variance, then every one-pass signal;
  (c) a per-sample loop that copies each text's full T x V log-prob matrix to the CPU and
      computes the statistics there (the MIMIR way);
and the ratios (b)/(a) and (b)/(c). Run: python bench/score_throughput.py [--texts 64]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--texts", type=int, default=64)
    parser.add_argument("--words", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    import numpy as np
    import torch

    from mnemoscope.models import load_model
    from mnemoscope.signals import default_signals

    model = load_model(args.model, batch_size=args.batch_size)
    texts = make_texts(args.texts, args.words)
    signals = default_signals()
    encoded = [[model.start_token_id] + model.encode(t) for t in texts]
    n_tokens = sum(len(e) - 1 for e in encoded)
    order = sorted(range(len(encoded)), key=lambda k: len(encoded[k]))
    batches = [[encoded[k] for k in order[i:i + args.batch_size]]
               for i in range(0, len(order), args.batch_size)]

    def bare() -> None:
        with torch.inference_mode():
            for batch in batches:
                width = max(map(len, batch))
                ids = torch.zeros((len(batch), width), dtype=torch.long)
                mask = torch.zeros_like(ids)
                for r, seq in enumerate(batch):
                    ids[r, :len(seq)] = torch.tensor(seq)
                    mask[r, :len(seq)] = 1
                model.model(input_ids=ids, attention_mask=mask).logits

    def ours() -> None:
        for scores in model.score(texts):
            for signal in signals:
                if not signal.views:
                    signal(scores)

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

    def timed(fn) -> float:
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        return n_tokens / best

    bare()  # warm-up
    a, b, c = timed(bare), timed(ours), timed(per_sample_full_matrix)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, device {model.device}, dtype {model.torch_dtype}")
    print(f"model {model.name}, {len(texts)} texts, {n_tokens} tokens, batch {args.batch_size}, "
          f"best of {args.repeats}")
    print(f"(a) bare forward            {a:8.0f} tokens/s")
    print(f"(b) all one-pass signals    {b:8.0f} tokens/s")
    print(f"(c) per-sample T x V on CPU {c:8.0f} tokens/s")
    print(f"(b)/(a) = {b / a:.3f}    (b)/(c) = {b / c:.2f}")


if __name__ == "__main__":
    main()
