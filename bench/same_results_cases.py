"""The small cases of bench/same_results.py: one per audit, each run through the CLI.

Every case writes its own seeded inputs under `work/inputs` (in plain Python, except bench
eval's items, which `bench generate` writes), runs `mnemoscope.cli.main([...])`, and
returns the run folder. Model-based audits use the tiny random-init Llama of
tests/_tiny_model.py, so a case takes about a second on a CPU. Only CLI flags are used,
which the refactor keeps.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
from pathlib import Path
from typing import Callable

from _tiny_model import WORDS

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "famous_vs_fresh.jsonl"
TINY_WORDS = [w for w in WORDS if w.isalpha()]


def cli(*argv: str) -> None:
    """`mnemoscope -q ARGV...`; its printed table is not kept (rows and summary are)."""
    from mnemoscope.cli import main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["-q", *argv])
    if code != 0:
        raise RuntimeError(f"mnemoscope {' '.join(argv)} exited {code}:\n{printed.getvalue()}")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def tiny_texts(count: int, words: int, seed: int) -> list[str]:
    """Texts made only of words the tiny model's vocabulary holds (no <unk>)."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(TINY_WORDS) for _ in range(words)) for _ in range(count)]


def echoed(text: str, head: int, copies: int) -> str:
    """The text's first `head` words, then the last of them `copies` more times. The tiny
    model's greedy continuation repeats the last word, so it "memorized" such a text: it
    is extracted whenever the prefix holds the head (head <= prefix tokens)."""
    words = text.split()[:head]
    return " ".join(words + [words[-1]] * copies)


def labelled(texts: list[str], prefix: str) -> list[dict]:
    return [{"id": f"{prefix}{i:02d}", "text": t, "label": i % 2} for i, t in enumerate(texts)]


# ------------------------------------------------------------------------- membership
def score(work: Path, model: Path) -> Path:
    """Short labelled texts, per-token arrays kept (they are a few dozen numbers each)."""
    rng = random.Random(0)
    texts = [" ".join(rng.choice(TINY_WORDS) for _ in range(rng.randint(3, 12)))
             for _ in range(24)]
    data = write_jsonl(work / "inputs" / "score.jsonl", labelled(texts, "s"))
    out = work / "score"
    cli("score", str(data), "--model", str(model), "--out", str(out), "--bootstrap", "50",
        "--seed", "0", "--no-report", "--chunk-size", "10")
    return out


def score_example(work: Path, model: Path) -> Path:
    """The shipped example set (its first 40 rows) on the tiny model; no per-token arrays."""
    out = work / "score_example"
    cli("score", str(EXAMPLE), "--model", str(model), "--out", str(out), "--limit", "40",
        "--no-tokens", "--bootstrap", "50", "--seed", "0", "--no-report")
    return out


# ------------------------------------------------------------------------- extraction
def extract(work: Path, model: Path) -> Path:
    texts = tiny_texts(10, 16, seed=1)
    for i in (0, 1, 4):
        texts[i] = echoed(texts[i], head=4, copies=12)
    texts[3] = "call 415-555-0132 and my account pin is 4 2 7 1 in the river city"  # PII
    rows = labelled(texts, "e") + [{"id": "short", "text": "the", "label": 0}]
    data = write_jsonl(work / "inputs" / "extract.jsonl", rows)
    out = work / "extract"
    cli("extract", str(data), "--model", str(model), "--out", str(out), "-k", "6", "-m", "6",
        "--samples", "3", "--seed", "0", "--chunk-size", "4")
    return out


# ------------------------------------------------------------------------- contamination
def cdd(work: Path, model: Path) -> Path:
    prompts = ["the river is long", "a king and a song", "we go to the city",
               "my account pin is 4 2", "the old house in the winter"]
    rows = [{"id": f"i{k}", "text": t, "answer": str(k), "label": k % 2}
            for k, t in enumerate(prompts)]
    data = write_jsonl(work / "inputs" / "cdd.jsonl", rows)
    out = work / "cdd"
    cli("contamination", "cdd", str(data), "--model", str(model), "--out", str(out), "-n", "5",
        "--max-new-tokens", "6", "--chunk-size", "2", "--seed", "0", "--no-report")
    return out


def completion(work: Path, model: Path) -> Path:
    texts = tiny_texts(4, 14, seed=2)
    texts[1] = echoed(texts[1], head=6, copies=10)
    rows = [{"id": f"c{i}", "text": t, "label": i % 2} for i, t in enumerate(texts)]
    data = write_jsonl(work / "inputs" / "completion.jsonl", rows)
    out = work / "completion"
    cli("contamination", "completion", str(data), "--model", str(model), "--out", str(out),
        "--ratios", "0.5,0.75", "--max-new-tokens", "12", "--no-report")
    return out


def overlap(work: Path, model: Path) -> Path:
    """Model-free: items of 14 words, two of them planted (one in part) in a 2-file corpus."""
    items = tiny_texts(6, 14, seed=3)
    rows = [{"id": f"q{i}", "text": t, "label": int(i < 2)} for i, t in enumerate(items)]
    data = write_jsonl(work / "inputs" / "overlap_items.jsonl", rows)
    filler = tiny_texts(30, 20, seed=4)
    first = filler[:15] + [f"{filler[15]} {items[0]} . {filler[16]}"]
    second = filler[17:] + [" ".join(items[1].split()[:10]) + " end"]
    corpus = [write_jsonl(work / "inputs" / "corpus" / f"c{k}.jsonl", [{"text": t} for t in part])
              for k, part in enumerate((first, second))]
    out = work / "overlap"
    cli("contamination", "overlap", str(data), "--corpus", *map(str, corpus), "--out", str(out),
        "--n", "8", "--no-report")
    return out


def cutoff(work: Path, model: Path) -> Path:
    """Graded items over 2023-01..2023-08, mostly right before May and mostly wrong after;
    no --cutoff, so the change point is estimated too."""
    rng = random.Random(5)
    rows = []
    for month in range(1, 9):
        for k in range(5):
            p_correct = 0.8 if month <= 4 else 0.3
            rows.append({"id": f"m{month}-{k}", "date": f"2023-{month:02d}-{3 + 5 * k:02d}",
                         "correct": rng.random() < p_correct})
    data = write_jsonl(work / "inputs" / "cutoff.jsonl", rows)
    out = work / "cutoff"
    cli("contamination", "cutoff", str(data), "--out", str(out), "--bootstrap", "200",
        "--seed", "0", "--no-report")
    return out


# ------------------------------------------------------------------------- benchmarks
def bench_eval(work: Path, model: Path) -> Path:
    """Two items of each kind (complexity: two plus their OOD twins), made by the CLI."""
    parts = []
    for kind, extra in (("kk", ["--level", "2"]), ("randomcalc", ["--level", "1"]),
                        ("complexity", ["--level", "1"]), ("wilt", ["--max-tests", "3"])):
        path = work / "inputs" / f"bench_{kind}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        cli("bench", "generate", kind, "--n", "2", "--seed", "0", *extra, "-o", str(path))
        parts.append(path.read_text(encoding="utf-8"))
    items = work / "inputs" / "bench_items.jsonl"
    items.write_text("".join(parts), encoding="utf-8")
    out = work / "bench_eval"
    cli("bench", "eval", str(items), "--model", str(model), "--out", str(out),
        "--max-new-tokens", "12", "--chunk-size", "4", "--no-report")
    return out


# ------------------------------------------------------------------------- watermark
def watermark_key(folder: Path, count: int = 20) -> Path:
    """A watermark folder as `watermark embed` writes it (texts.jsonl + key.json), made by
    hand: its synonyms are words of the tiny vocabulary, so the published and control
    versions score differently (real WordNet synonyms would all be <unk> to the tiny model)."""
    pairs = [("river", "mountain", "stone"), ("city", "house", "field"),
             ("song", "letter", "night"), ("old", "new", "long"), ("king", "people", "water")]
    rng = random.Random(6)
    published, entries = [], []
    for i in range(count):
        words = [rng.choice(TINY_WORDS) for _ in range(10)]
        chosen = {2: rng.choice(pairs), 6: rng.choice(pairs)}      # word position -> pair
        changes = []
        for position, (original, first, second) in chosen.items():
            words[position] = original
            mark, control = (first, second) if rng.random() < 0.5 else (second, first)
            changes.append({"position": position, "original": original, "watermark": mark,
                            "control": control, "candidates": [first, second]})
        for change in changes:                  # character offsets in the original text
            change["start"] = len(" ".join(words[:change.pop("position")])) + 1
            change["end"] = change["start"] + len(change["original"])
        text = " ".join(words)
        for change in reversed(changes):
            text = text[:change["start"]] + change["watermark"] + text[change["end"]:]
        published.append({"id": f"t{i:02d}", "text": text})
        entries.append({"id": f"t{i:02d}", "changes": changes})
    write_jsonl(folder / "texts.jsonl", published)
    key = {"format": "mnemoscope-leximark-key/1", "seed": 7, "data_file": "texts.jsonl",
           "text_column": "text", "id_column": None, "texts": entries}
    (folder / "key.json").write_text(json.dumps(key, indent=2) + "\n", encoding="utf-8")
    return folder


def watermark_verify(work: Path, model: Path) -> Path:
    key_folder = watermark_key(work / "inputs" / "watermark")
    out = work / "watermark_verify"
    cli("watermark", "verify", str(key_folder), "--out", str(out), "--model", str(model),
        "--resamples", "2000", "--bootstrap", "50", "--no-report")
    return out


# ------------------------------------------------------------------------- training
def lab(work: Path, model: Path) -> Path:
    """32 texts (every fourth extractable), 16 members + 2 canaries (1 and 4 copies), one
    epoch of full fine-tuning."""
    texts = [echoed(t, head=6, copies=12) if i % 4 == 0 else t
             for i, t in enumerate(tiny_texts(32, 16, seed=7))]
    rows = [{"id": f"t{i:02d}", "text": t} for i, t in enumerate(texts)]
    data = write_jsonl(work / "inputs" / "lab.jsonl", rows)
    out = work / "lab"
    cli("lab", str(data), "--out", str(out), "--model", str(model), "--epochs", "1",
        "--lr", "3e-3", "--train-batch-size", "8", "--seed", "0", "--repetitions", "1,4",
        "--canaries-per-repetition", "1", "--secret-digits", "2", "--exact-limit", "100",
        "--canary-format", "my account pin is {secret} .",
        "--canary-format", "the city code is {secret} .",
        "--prefix-tokens", "8", "--suffix-tokens", "8", "--bootstrap", "50", "--chunk-size", "8",
        # the golden rows predate the checks during training (tests/test_lab_dynamics.py
        # covers those); training with or without them is the same training
        "--no-dynamics")
    return out


def unlearn(work: Path, model: Path) -> Path:
    """4 forget, 8 retain, 4 held-out texts (the first of each extractable); three IHL
    steps of a FILA-initialised LoRA."""
    sets = {}
    for name, count, seed in (("forget", 4, 8), ("retain", 8, 9), ("holdout", 4, 10)):
        texts = tiny_texts(count, 16, seed)
        texts[0] = echoed(texts[0], head=8, copies=8)     # extractable before unlearning
        rows = [{"id": f"{name[0]}{i}", "text": t} for i, t in enumerate(texts)]
        sets[name] = write_jsonl(work / "inputs" / f"unlearn_{name}.jsonl", rows)
    out = work / "unlearn"
    cli("unlearn", "--model", str(model), "--forget", str(sets["forget"]),
        "--retain", str(sets["retain"]), "--holdout", str(sets["holdout"]), "--out", str(out),
        "--method", "ihl", "--lora-rank", "4", "--lora-alpha", "8", "--lr", "1e-2",
        "--train-batch-size", "4", "--steps", "3", "--seed", "0", "--prefix-tokens", "8",
        "--suffix-tokens", "8", "--bootstrap", "20")
    return out


CASES: dict[str, Callable[[Path, Path], Path]] = {
    "score": score, "score_example": score_example, "extract": extract, "cdd": cdd,
    "completion": completion, "overlap": overlap, "cutoff": cutoff, "bench_eval": bench_eval,
    "watermark_verify": watermark_verify, "lab": lab, "unlearn": unlearn,
}
