"""Throughput of the n-gram overlap scan, in tokens per second per core.

Generates (seeded) a synthetic corpus of `--tokens` words (default 5 M) in one .jsonl
file, a benchmark of `--items` items of 80-150 words from the same word distribution (so
the benchmark vocabulary covers the corpus's frequent words: most windows must be
hashed), and times `scan_shard` on it in this process with Arrow limited to one thread.
"per core" = corpus tokens / CPU seconds of this process (time.process_time, all
threads), so it does not depend on how busy the machine is. Also prints the same for
.jsonl.zst and .parquet copies of the corpus, and the index build time.

Tokens are normalized words (the default tokenization); in cl100k tokens, which decon
counts, English text has about 1.3 tokens per word.

    python bench/overlap_throughput.py [--tokens 5000000] [--items 1000] [--n 13]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
# one core means one core: the Rust tokenizer's thread pool would otherwise add CPU time
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def peak_rss_mb(items_path: Path, corpus: Path, args) -> float:
    """Peak RSS of a new process that builds the index and scans `corpus` (the scan's
    memory should depend on the benchmark and the batch size, not on the corpus size)."""
    import subprocess

    code = ("import json, resource, sys; import pyarrow as pa; pa.set_cpu_count(1);"
            "from mnemoscope.contamination.ngram_index import build_index;"
            "from mnemoscope.contamination.ngram_tokens import tokenization;"
            "from mnemoscope.contamination.overlap_scan import scan_shard;"
            "items = json.load(open(sys.argv[1]));"
            "index = build_index([str(i) for i in range(len(items))], items, int(sys.argv[3]),"
            " tokenization(sys.argv[4]));"
            "scan_shard(index, sys.argv[2]);"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, str(items_path), str(corpus), str(args.n),
                          args.tokenizer], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=5_000_000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--n", type=int, default=13)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", default="jsonl,jsonl.zst,parquet")
    parser.add_argument("--tokenizer", default="words",
                        help="words, or a tokenizer (smollm2-135m, a folder)")
    args = parser.parse_args()

    import pyarrow as pa
    import pyarrow.parquet as pq

    from mnemoscope.contamination.ngram_index import build_index
    from mnemoscope.contamination.ngram_tokens import tokenization
    from mnemoscope.contamination.overlap_scan import scan_shard
    from overlap_synthetic import WordSource, corpus_records

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    source = WordSource(args.seed)
    items = [source.prose(int(source.rng.integers(80, 151))) for _ in range(args.items)]
    records = corpus_records(source, args.tokens)
    work = Path(tempfile.mkdtemp(prefix="overlap-bench-"))
    files = {}
    lines = "".join(json.dumps({"text": r}) + "\n" for r in records).encode("utf-8")
    for kind in args.formats.split(","):
        path = work / f"corpus.{kind}"
        if kind == "jsonl":
            path.write_bytes(lines)
        elif kind == "jsonl.zst":
            import zstandard

            path.write_bytes(zstandard.ZstdCompressor(level=3).compress(lines))
        elif kind == "jsonl.gz":
            import gzip

            path.write_bytes(gzip.compress(lines, compresslevel=6))
        elif kind == "parquet":
            pq.write_table(pa.table({"text": records}), path)
        files[kind] = path
    index, wall, cpu = timed(build_index, [str(i) for i in range(len(items))], items, args.n,
                             tokenization(args.tokenizer))
    print(f"index: {len(items)} items, {index.n_grams} {args.n}-grams, "
          f"{len(index.vocabulary)} distinct tokens ({args.tokenizer}); built in {wall:.2f} s")
    for kind, path in files.items():
        result, wall, cpu = timed(scan_shard, index, str(path))
        tokens = result["tokens"]
        print(f"{kind:<10} {tokens / 1e6:.2f} M tokens in {wall:.2f} s wall, {cpu:.2f} s CPU: "
              f"{tokens / cpu / 1e6:.2f} M tokens/s per core "
              f"({tokens / wall / 1e6:.2f} M/s wall; {path.stat().st_size / 1e6:.0f} MB file)")
    if "jsonl" in files:
        items_path = work / "items.json"
        items_path.write_text(json.dumps(items))
        big = work / "corpus4x.jsonl"
        with open(big, "wb") as handle:
            for _ in range(4):
                handle.write(files["jsonl"].read_bytes())
        for path in (files["jsonl"], big):
            peak = peak_rss_mb(items_path, path, args)
            print(f"peak memory of a fresh process scanning {path.name} "
                  f"({path.stat().st_size / 1e6:.0f} MB): {peak:.0f} MB")
    shutil.rmtree(work, ignore_errors=True)              # the corpus files are regenerated
    print("target: >= 1 M tokens/s per core (allenai decon: ~0.45 M tokens/s per vCPU)")


if __name__ == "__main__":
    main()
