"""Ray Data scaling of `score` on this machine: 1 vs 2 workers, same texts, same model.

Prints texts/s and tokens/s for the single-process engine and for Ray with 1 and 2
actors (each actor gets cores / workers torch threads), and the ratios. Ray times include
starting Ray and loading the model in every actor, so they understate steady-state
throughput on small inputs. Run: python bench/ray_scaling.py [--texts 96]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--texts", type=int, default=96)
    parser.add_argument("--words", type=int, default=60)
    args = parser.parse_args()

    import json

    import mnemoscope
    from score_throughput import make_texts

    work = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    data = work / "texts.jsonl"
    texts = make_texts(args.texts, args.words)
    data.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                            for i, t in enumerate(texts)))
    common = dict(signals="loss,zlib,min_k,min_k_plus_plus", progress=False,
                  report=False, chunk_size=8, save_tokens=False)

    def timed(engine: str, workers: int) -> float:
        start = time.perf_counter()
        mnemoscope.score(str(data), model=args.model, out=str(work / f"{engine}{workers}-run"),
                         engine=engine, workers=workers, **common)
        return time.perf_counter() - start

    results = {}
    local_model = mnemoscope.load_model(args.model)
    n_tokens = sum(len(local_model.encode(t)) for t in texts)
    start = time.perf_counter()
    mnemoscope.score(str(data), model=local_model, out=str(work / "local"), **common)
    results["local (1 process)"] = time.perf_counter() - start
    del local_model
    import ray

    for workers in (1, 2):
        results[f"ray, {workers} worker(s)"] = timed("ray", workers)
        ray.shutdown()
    print(f"{args.texts} texts, {n_tokens} tokens, model {args.model}, {os.cpu_count()} cores")
    print("(ray times include starting Ray and loading the model in every actor)")
    for name, seconds in results.items():
        print(f"{name:<22} {seconds:7.1f} s  {n_tokens / seconds:7.0f} tokens/s")
    one, two = results["ray, 1 worker(s)"], results["ray, 2 worker(s)"]
    print(f"speed-up ray 2 vs 1 workers: {one / two:.2f}x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
