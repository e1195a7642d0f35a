"""Generation throughput of `extract` and CDD sampling, measured in one run.

Extraction (defaults: 50-token prefix, 50-token suffix, 10 sampled guesses at top-k 10):
  (a) mnemoscope: greedy continuation of every text, then the seeded guesses, batched
      (models/batched_generate.py), in generated tokens per second;
  (b) a bare batched transformers `generate` of the same prompts and lengths, unseeded,
      as many rows per call as mnemoscope uses (`generation_rows`): what the hardware
      gives for this work;
  (c) the code before batching: greedy batched, guesses one text per `generate` call.
CDD sampling (n samples of max_new_tokens per prompt, temperature 0.8):
  (d) mnemoscope: all prompts' samples in one batched call, a generator per prompt;
  (e) the CDD reference's per-sample loop: one `generate` call per sample.
Timings are interleaved ((a), (b), (c), then (d), (e)), each bucket once per repeat.
Rows equal: (a)'s tokens are checked equal to (c)'s.

Run: python bench/generation_throughput.py [--texts 16] [--dtype float32] [--cdd-prompts 4]
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="examples/famous_vs_fresh.jsonl")
    parser.add_argument("--texts", type=int, default=16)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--cdd-prompts", type=int, default=4)
    parser.add_argument("--cdd-samples", type=int, default=10)
    parser.add_argument("--cdd-tokens", type=int, default=32)
    args = parser.parse_args()

    import torch

    from mnemoscope.extraction.discoverable import (DiscoverableConfig, sample_seed,
                                                    split_tokens)
    from mnemoscope.models import load_model
    from mnemoscope.models.hf import generation_prefix

    model = load_model("smollm2-135m", dtype=args.dtype)
    config = DiscoverableConfig()
    rows = [json.loads(line) for line in open(args.data, encoding="utf-8")][: args.texts]
    splits = [split_tokens(model.encode(r["text"]), config.prefix_tokens, config.suffix_tokens)
              for r in rows]
    jobs = [(r["id"], s) for r, s in zip(rows, splits) if s is not None]
    eos = [t for t in {model.tokenizer.eos_token_id, model.start_token_id} if t is not None]
    pad = model.tokenizer.pad_token_id if model.tokenizer.pad_token_id is not None else eos[0]
    specials = set(model.tokenizer.all_special_ids)
    generated = sum(len(s[1]) for _, s in jobs) * (1 + config.samples)
    sampling = dict(temperature=config.temperature, top_k=config.top_k, stop_at_eos=False)

    def ours():
        greedy = model.generate_tokens([s[0] for _, s in jobs], max_new_tokens=config.suffix_tokens,
                                       temperature=0.0, stop_at_eos=False)
        guesses = model.generate_tokens([s[0] for _, s in jobs], n=config.samples,
                                        max_new_tokens=config.suffix_tokens,
                                        seeds=[sample_seed(0, i) for i, _ in jobs], **sampling)
        return greedy, guesses

    def hf_call(prompts, n, max_new_tokens, do_sample, temperature=None, top_k=None):
        seqs = [generation_prefix(model._prefix(), specials, p) + list(p) for p in prompts]
        width = max(map(len, seqs))
        ids = torch.full((len(seqs), width), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for r, seq in enumerate(seqs):
            ids[r, width - len(seq):] = torch.tensor(seq)
            mask[r, width - len(seq):] = 1
        with torch.inference_mode():
            out = model.model.generate(input_ids=ids, attention_mask=mask, pad_token_id=pad,
                                       max_new_tokens=max_new_tokens, num_return_sequences=n,
                                       do_sample=do_sample, temperature=temperature,
                                       top_k=top_k, top_p=None, eos_token_id=None)
        return out[:, width:].tolist()

    def bare():
        prompts = [s[0] for _, s in jobs]
        width = 1 + config.prefix_tokens + config.suffix_tokens
        per_call = max(1, model.generation_rows(width) // config.samples)
        hf_call(prompts, 1, config.suffix_tokens, False)
        for start in range(0, len(prompts), per_call):
            hf_call(prompts[start:start + per_call], config.samples, config.suffix_tokens,
                    True, config.temperature, config.top_k)

    def before():
        greedy = [[row] for row in hf_call([s[0] for _, s in jobs], 1, config.suffix_tokens,
                                             False)]
        guesses = []
        for text_id, (prefix, _) in jobs:
            torch.manual_seed((sample_seed(0, text_id) * 1_000_003) % (2**31 - 1))
            guesses.append(hf_call([prefix], config.samples, config.suffix_tokens, True,
                                   config.temperature, config.top_k))
        return greedy, guesses

    cdd_prompts = [s[0] for _, s in jobs][: args.cdd_prompts]
    cdd_tokens = args.cdd_prompts * args.cdd_samples * args.cdd_tokens

    def cdd_batched():
        return model.generate_tokens(cdd_prompts, n=args.cdd_samples,
                                     max_new_tokens=args.cdd_tokens, temperature=0.8,
                                     seeds=list(range(len(cdd_prompts))), stop_at_eos=False)

    def cdd_per_sample():
        for prompt in cdd_prompts:
            for _ in range(args.cdd_samples):
                hf_call([prompt], 1, args.cdd_tokens, True, 0.8, 0)

    load_before = os.getloadavg()[0]
    best = {}
    results = {}
    for _ in range(args.repeats):
        for key, fn in (("a", ours), ("b", bare), ("c", before), ("d", cdd_batched),
                        ("e", cdd_per_sample)):
            start = time.perf_counter()
            results[key] = fn()
            best[key] = min(best.get(key, float("inf")), time.perf_counter() - start)
    load_after = os.getloadavg()[0]
    same = results["a"][0] == results["c"][0] and results["a"][1] == results["c"][1]
    rate = {k: (generated if k in "abc" else cdd_tokens) / v for k, v in best.items()}
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, dtype "
          f"{model.torch_dtype}, load average {load_before:.2f} before, {load_after:.2f} after")
    print(f"extract: {len(jobs)} texts, {config.prefix_tokens}+{config.suffix_tokens} tokens, "
          f"greedy + {config.samples} guesses = {generated} generated tokens")
    print(f"(a) mnemoscope batched, seeded  {rate['a']:7.1f} tokens/s  {best['a']:7.1f} s")
    print(f"(b) bare batched HF generate    {rate['b']:7.1f} tokens/s  {best['b']:7.1f} s")
    print(f"(c) before: one call per text   {rate['c']:7.1f} tokens/s  {best['c']:7.1f} s")
    print(f"(a)/(b) = {rate['a'] / rate['b']:.2f}   (a)/(c) = {rate['a'] / rate['c']:.2f}   "
          f"(a) tokens equal (c): {same}")
    print(f"CDD: {len(cdd_prompts)} prompts x {args.cdd_samples} samples x {args.cdd_tokens} "
          f"tokens")
    print(f"(d) batched, a generator per prompt {rate['d']:7.1f} tokens/s")
    print(f"(e) per-sample loop                 {rate['e']:7.1f} tokens/s")
    print(f"(d)/(e) = {rate['d'] / rate['e']:.2f}")


if __name__ == "__main__":
    main()
