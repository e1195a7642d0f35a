"""Must-show for `contamination overlap`: planted exact and lightly edited copies of
benchmark items are found in a corpus of >= 1 M tokens, with 0 misses and 0 false hits on
clean items.

Seeded. Corpus: `--tokens` words (default 2 M) of Zipf prose (bench/overlap_synthetic.py)
in five shards, one per format: .jsonl, .jsonl.gz, .jsonl.zst, .parquet, .txt
(paragraphs). Benchmark (`--per-group` items per group, 80-150 words each):

    exact      copied verbatim into a random corpus record
    edited     copied with 2-4 word substitutions/insertions at random places, ~5% of
               words upper-cased, trailing periods/commas dropped, a few "!" added
    clean      never copied, drawn from the same word distribution
    near-miss  never copied, but each holds two phrases of 8-12 words taken from the
               corpus (shorter than n = 13: must stay clean), fenced by a word that is not
               in the corpus (without the fence, a frequent neighbouring word sometimes
               extends a phrase to a genuinely shared 13-gram)

An edited item keeps >= 13 consecutive original words (pigeonhole: with k <= 4 edits in
>= 80 words, one of the k + 1 untouched runs has >= 15 words), so lm-eval's rule (any
shared 13-gram) should flag it. Runs the full audit (`ngram_overlap`, run folder, rows,
summary) and prints misses, false hits, overlap per group and scan throughput.

    python bench/overlap_experiment.py [--tokens 2000000] [--per-group 100] [--ray]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def build(args, work: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import zstandard

    from overlap_synthetic import WordSource, corpus_records, light_edit

    source = WordSource(args.seed)
    records = corpus_records(source, args.tokens)
    groups: dict[str, list[str]] = {g: [] for g in ("exact", "edited", "clean", "near-miss")}
    edits = []
    for group in ("exact", "edited", "clean"):
        for _ in range(args.per_group):
            groups[group].append(source.prose(int(source.rng.integers(80, 151))))
    for _ in range(args.per_group):
        phrases = []
        for _ in range(2):
            words = records[int(source.rng.integers(0, len(records)))].split()
            size = int(source.rng.integers(8, 13))
            start = int(source.rng.integers(0, max(1, len(words) - size)))
            phrases.append(" ".join(words[start:start + size]))
        body = source.prose(int(source.rng.integers(60, 120))).split()
        cut = int(source.rng.integers(1, len(body) - 1))
        # "xqx" (no such word in the corpus) fences each phrase, so no 13-gram is shared
        groups["near-miss"].append(" ".join([phrases[0], "xqx"] + body[:cut] +
                                            ["xqx", phrases[1], "xqx"] + body[cut:]))
    planted = [(text, text) for text in groups["exact"]]
    for text in groups["edited"]:
        k = int(source.rng.integers(2, 5))
        edits.append(k)
        planted.append((text, light_edit(text, k, source)))
    for _, copy in planted:
        target = int(source.rng.integers(0, len(records)))
        words = records[target].split()
        place = int(source.rng.integers(0, len(words) + 1))
        records[target] = " ".join(words[:place] + [copy] + words[place:])
    items = work / "items.jsonl"
    with open(items, "w", encoding="utf-8") as handle:
        for group, texts in groups.items():
            for i, text in enumerate(texts):
                handle.write(json.dumps({"id": f"{group}-{i}", "text": text, "group": group,
                                         "label": int(group in ("exact", "edited"))}) + "\n")
    shards = [records[i::5] for i in range(5)]
    lines = [("".join(json.dumps({"text": r}) + "\n" for r in s)).encode() for s in shards]
    (work / "c0.jsonl").write_bytes(lines[0])
    (work / "c1.jsonl.gz").write_bytes(gzip.compress(lines[1], compresslevel=6))
    (work / "c2.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines[2]))
    pq.write_table(pa.table({"text": shards[3]}), work / "c3.parquet")
    (work / "c4.txt").write_text("\n\n".join(shards[4]) + "\n", encoding="utf-8")
    corpus = [work / n for n in ("c0.jsonl", "c1.jsonl.gz", "c2.jsonl.zst", "c3.parquet",
                                 "c4.txt")]
    return items, corpus, edits


def naive_matched(items: Path, corpus, n: int = 13) -> dict[str, int]:
    """The matched-gram count of every item by plain Python sets (the reference the
    vectorized scan must agree with): same normalization, same records."""
    from mnemoscope.contamination.corpus import read_batches
    from mnemoscope.contamination.ngram_tokens import split_words

    grams: dict[tuple, set] = {}
    counts: dict[str, int] = {}
    for line in open(items, encoding="utf-8"):
        row = json.loads(line)
        words, _ = split_words(__import__("pyarrow").array([row["text"]]))
        words = words.to_pylist()
        item_grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
        counts[row["id"]] = 0
        for k, gram in enumerate(item_grams):
            grams.setdefault(gram, set()).add((row["id"], k))
    found: set = set()
    for path in corpus:
        for batch in read_batches(Path(path)):
            words, lengths = split_words(batch.texts)
            words, start = words.to_pylist(), 0
            for length in lengths.tolist():
                record = words[start:start + length]
                start += length
                for i in range(len(record) - n + 1):
                    owners = grams.get(tuple(record[i:i + n]))
                    if owners:
                        found |= owners
    for item_id, _ in found:
        counts[item_id] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=2_000_000)
    parser.add_argument("--per-group", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ray", action="store_true", help="also run on 2 Ray workers")
    args = parser.parse_args()

    import pyarrow as pa

    from mnemoscope.contamination.overlap import ngram_overlap

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    work = Path(tempfile.mkdtemp(prefix="overlap-exp-"))
    items, corpus, edits = build(args, work)
    wall, cpu = time.perf_counter(), time.process_time()
    result = ngram_overlap(str(items), corpus=[str(c) for c in corpus], out=str(work / "run"))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = result.rows
    rows["group"] = rows["id"].str.rsplit("-", n=1).str[0]
    tokens = result.summary["corpus"]["tokens"]
    print(f"corpus: {tokens / 1e6:.2f} M tokens, {result.summary['corpus']['records']} records, "
          f"5 files (.jsonl .jsonl.gz .jsonl.zst .parquet .txt); edits per edited copy: "
          f"{min(edits)}-{max(edits)}")
    print(f"{'group':<10} {'items':>5} {'dirty':>5} {'min overlap':>11} {'mean overlap':>12} "
          f"{'max overlap':>11}")
    for group in ("exact", "edited", "clean", "near-miss"):
        g = rows[rows["group"] == group]
        print(f"{group:<10} {len(g):>5} {int(g['dirty'].sum()):>5} {g['overlap'].min():>11.3f} "
              f"{g['overlap'].mean():>12.3f} {g['overlap'].max():>11.3f}")
    planted = rows["group"].isin(["exact", "edited"])
    misses = int((planted & ~rows["dirty"]).sum())
    false_hits = int((~planted & rows["dirty"]).sum())
    print(f"misses: {misses} of {int(planted.sum())} planted; false hits: {false_hits} of "
          f"{int((~planted).sum())} clean")
    print(f"whole audit (index, scan, rows, summary, report): {wall:.1f} s wall, {cpu:.1f} s "
          f"CPU = {tokens / cpu / 1e6:.2f} M tokens/s per core")
    reference = naive_matched(items, corpus)
    agree = all(reference[r["id"]] == r["matched_grams"] for _, r in rows.iterrows())
    print(f"naive Python-set reference gives the same matched-gram count for every item: {agree}")
    if args.ray:
        wall = time.perf_counter()
        ray_result = ngram_overlap(str(items), corpus=[str(c) for c in corpus],
                                   out=str(work / "ray"), engine="ray", workers=2)
        wall = time.perf_counter() - wall
        columns = ["id", "matched_grams", "overlap", "dirty", "n_spans"]
        same = ray_result.rows[columns].equals(result.rows[columns]) and \
            ray_result.summary == result.summary
        print(f"ray, 2 workers: {wall:.1f} s wall (includes starting Ray); rows and summary "
              f"identical to local: {same}")
    print(f"run folder: {work / 'run'}")


if __name__ == "__main__":
    main()
