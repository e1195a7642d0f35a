"""Each membership signal's cost relative to one bare forward pass on the same texts,
measured in one run, and ReCaLL's prefix reuse (KV cache) against scoring P + x from
scratch.

For every signal alone, the time of the runner's per-chunk work (`rows_for_chunk`: the
target's scoring when the signal reads scores, the views it reads, the signal) over the
same texts, divided by the time of a bare forward pass (model(input_ids) with logits,
same texts, same batches). Times are CPU seconds of the process (one thread), so that other
load on a shared machine does not enter the ratios. One-time preparation (drawing shots, building DC-PDD's table,
loading WordNet and MiniLM) is reported apart: it is paid once per run, not per text.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 python bench/signal_cost.py --texts 16 --out cost.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from score_throughput import bare_pass  # noqa: E402  (the same bare pass as the throughput bench)

# (label, --signals spec, view options)
CASES = [
    ("loss", "loss", {}),
    ("zlib", "zlib", {}),
    ("lowercase", "lowercase", {}),
    ("min_k", "min_k", {}),
    ("min_k_plus_plus", "min_k_plus_plus", {}),
    ("reference (same size model)", "reference", {"reference_model": "smollm2-135m"}),
    ("recall (7 shots)", "recall", {"recall_shots": 7}),
    ("con_recall (7 + 7 shots)", "con_recall", {"recall_shots": 7, "member_shots": 7}),
    ("neighbourhood n=25, model", "neighbourhood", {"neighbour_generator": "model"}),
    ("neighbourhood n=25, wordnet", "neighbourhood", {"neighbour_generator": "wordnet"}),
    ("dc_pdd (wordfreq table)", "dc_pdd", {}),
    ("samia k=10", "samia", {}),
    ("loss(tokens=content_after_function)", "loss(tokens=content_after_function)", {}),
]


def best_of(fn, repeats: int) -> float:
    """Best CPU seconds of this process over `repeats` runs: on a shared machine, wall time
    counts other processes' load; with one thread, CPU time is the work done."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def prefix_reuse(model, texts, prefix, repeats):
    """Seconds with P's KV cache reused vs P + x from scratch, and the largest |delta log p|."""
    import numpy as np

    cached = model.score(texts, prefix=prefix)
    fresh = model._score_after_prefix(texts, prefix, reuse_cache=False)
    delta = max(float(np.abs(a.logprobs - b.logprobs).max()) for a, b in zip(cached, fresh))
    with_cache = best_of(lambda: model.score(texts, prefix=prefix), repeats)
    without = best_of(lambda: model._score_after_prefix(texts, prefix, reuse_cache=False), repeats)
    return {"prefix_tokens": len(model.encode(prefix)) + 1, "seconds_reused": with_cache,
            "seconds_from_scratch": without, "speedup": without / with_cache,
            "max_abs_delta_logprob": delta}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--data", default=str(REPO / "examples" / "famous_vs_fresh.jsonl"))
    parser.add_argument("--texts", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", default=None, help="comma list of case labels' first words")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)

    import torch

    from mnemoscope.data import DataConfig, load_samples
    from mnemoscope.membership import rows_for_chunk
    from mnemoscope.models import load_model
    from mnemoscope.signals import ViewSetup, build_signals, views

    model = load_model(args.model, batch_size=args.batch_size)
    samples = load_samples(DataConfig(path=args.data))

    def second_model(given):
        loaded = load_model(given, batch_size=args.batch_size)
        return loaded, loaded.identity(), None

    bare, n_tokens = None, 0
    results = []
    timed_samples = None
    for label, spec, options in CASES:
        if args.only and label.split()[0] not in args.only.split(","):
            continue
        signal = build_signals(spec)[0]
        clock = time.process_time()
        setup = ViewSetup(options, second_model, samples, seed=0, target=model)
        prepared = [views.get(name).prepare(setup) for name in sorted(signal.views)]
        scorers = {v.registry_name: v.open_samples(model) for v in prepared}   # loads WordNet, MiniLM
        prepare_s = time.process_time() - clock
        if timed_samples is None:
            # the same texts for every case: none of them may serve as a shot
            shots = set()
            for spec_options in ({"recall_shots": 7}, {"member_shots": 7}):
                view = views.get("recall_prefix" if "recall_shots" in spec_options else "member_prefix")
                shots |= view.prepare(ViewSetup(spec_options, second_model, samples)).excluded_ids()
            timed_samples = [s for s in samples if s.id not in shots][: args.texts]
            texts = [s.text for s in timed_samples]
            bare, n_tokens = bare_pass(model, texts, args.batch_size)
            bare()                                             # warm-up
            bare_s = best_of(bare, args.repeats)
        run = lambda: rows_for_chunk(timed_samples, model, scorers, [signal], False)  # noqa: E731
        seconds = best_of(run, args.repeats)
        results.append({"signal": label, "spec": spec, "seconds": seconds,
                        "relative_to_bare_pass": seconds / bare_s, "prepare_seconds": prepare_s})
        print(f"{label:<40} {seconds:8.2f} s  {seconds / bare_s:7.2f} x bare   "
              f"(prepare {prepare_s:.1f} s)", flush=True)

    recall = None
    if not args.only or "recall" in args.only.split(","):
        shots = views.get("recall_prefix").prepare(ViewSetup({"recall_shots": 7}, second_model,
                                                             samples))
        recall = prefix_reuse(model, [s.text for s in timed_samples], shots.prefix, args.repeats)
        print(f"ReCaLL prefix ({recall['prefix_tokens']} tokens): reused {recall['seconds_reused']:.2f} s, "
              f"from scratch {recall['seconds_from_scratch']:.2f} s, speed-up {recall['speedup']:.2f}x, "
              f"max |delta log p| {recall['max_abs_delta_logprob']:.1e}")
    report = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
                         f"threads {torch.get_num_threads()}, device {model.device}",
              "model": model.name, "texts": len(timed_samples), "tokens": n_tokens,
              "batch_size": args.batch_size, "repeats": args.repeats, "bare_pass_seconds": bare_s,
              "signals": results, "recall_prefix_reuse": recall}
    print(f"bare forward pass: {bare_s:.2f} s for {len(timed_samples)} texts, {n_tokens} tokens "
          f"({report['machine']})")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
