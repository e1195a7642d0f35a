"""The malformed-input corpus: every command and every input format, through the CLI.

Each case must exit 2 with exactly one stderr line that names the file, line or flag and
says what to do (the words checked per case); print no traceback; fail before any model
loads (the backend lookup is replaced by one that raises); and leave nothing behind that
blocks the corrected command: --out is not even created, and where the corrected command
is cheap it is run on the tiny model and must succeed. The few failures only a run can see
(a corpus file is read as it is scanned) may leave --out, and must prove the fix runs.

test_cli_flags.py pins the parse-time flag checks one by one, test_input_errors.py the
readers' messages; this file runs whole commands. README states len(CASES).
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from mnemoscope.cli import main

REPO = Path(__file__).resolve().parents[1]
LATIN1 = "café".encode("latin-1")
GOOD_ROWS = [("the king of the city", 1), ("a river and a mountain", 0),
             ("she was in the house", 1), ("we know the old road", 0)]
SCORE_ROWS = [{"id": "0", "loss": 1.5, "label": 1}]     # a `score` run's row, for limem/report
TO_UTF8 = "onvert the file to UTF-8"                    # "Convert ..." or "...; convert ..."


class Files:
    """A case's folder: the inputs it writes, the tiny model, and the --out it names."""

    def __init__(self, root: Path, tiny: Path) -> None:
        self.root, self.tiny_dir = root, tiny
        self.tiny = str(tiny)
        self.out = str(root / "out")

    def path(self, name: str) -> str:
        return str(self.root / name)

    def write(self, name: str, content: str | bytes) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)

    def jsonl(self, name: str, records: list[dict]) -> str:
        return self.write(name, "".join(json.dumps(r) + "\n" for r in records))

    def latin1(self, name: str, head: bytes = b"", key: bytes = b"text") -> str:
        """A JSON-lines file whose last line holds a Latin-1 byte."""
        return self.write(name, head + b'{"' + key + b'": "' + LATIN1 + b'"}\n')

    def txt_folder(self) -> str:
        """A folder of .txt files, the second with a Latin-1 byte on its line 2."""
        self.write("txt/a.txt", "the king")
        return str(Path(self.write("txt/b.txt", b"one\n" + LATIN1)).parent)

    @property
    def data(self) -> str:
        """Four labelled texts in the tiny model's vocabulary."""
        return self.jsonl("data.jsonl", [{"text": t, "label": y} for t, y in GOOD_ROWS])

    @property
    def folder(self) -> str:
        """A folder of the user's own that is neither a run nor a model."""
        return str(Path(self.write("mine/notes.txt", "my notes")).parent)

    @property
    def items(self) -> str:
        from mnemoscope.benchmarks import generate

        return self.jsonl("items.jsonl", [i.to_json() for i in generate("kk", 2, 0, level=2)])

    def parquet(self, name: str, rows: list[dict]) -> str:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows), path)
        return str(path)

    def truncated_parquet(self, name: str) -> str:
        path = Path(self.parquet(name, [{"text": f"text number {i}", "label": i % 2}
                                        for i in range(50)]))
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        return str(path)

    def run(self, name: str, *, spec: str | None = None, part: bytes | None = None,
            rows: list[dict] | None = None) -> str:
        """A run folder as an audit leaves it (spec.json, parts/), possibly damaged."""
        folder = self.root / name
        (folder / "parts").mkdir(parents=True)
        (folder / "spec.json").write_text(spec if spec is not None else json.dumps(
            {"identity": {"kind": "score", "data": {"path": self.data}}}), encoding="utf-8")
        if rows is not None:
            self.parquet(f"{name}/parts/part-0.parquet", rows)
        if part is not None:
            (folder / "parts" / "part-1.parquet").write_bytes(part)
        return str(folder)

    def saved_dataset(self, name: str, info: str) -> str:
        """A datasets.save_to_disk folder whose dataset_info.json is damaged."""
        return str(Path(self.write(f"{name}/dataset_info.json", info)).parent)

    def weightless(self) -> str:
        """config.json and the tokenizer, no weights: a download that stopped half-way."""
        folder = self.root / "weightless"
        folder.mkdir()
        for file in self.tiny_dir.iterdir():
            if not file.name.endswith(".safetensors"):
                (folder / file.name).write_bytes(file.read_bytes())
        return str(folder)

    def watermark(self, key: dict | str | None = None) -> str:
        """An embed --out folder: data, and key.json (a dict merged into a valid key, or
        raw text)."""
        self.jsonl("wm/data.jsonl", [{"id": "0", "text": "the old king"}])
        if key is not None:
            self.write("wm/key.json", key if isinstance(key, str) else json.dumps(
                {"format": "mnemoscope-leximark-key/1", "data_file": "data.jsonl",
                 "text_column": "text", "texts": [], **key}))
        return self.path("wm")


@dataclass(frozen=True)
class Case:
    argv: Callable[[Files], list[str]]
    words: tuple[str, ...]                   # in the error line: what, where, the fix
    fixed: Callable[[Files], list[str]] | None = None   # the corrected command: exits 0
    late: bool = False                       # only the run can tell: --out may be made


def case(argv, *words, fixed=None, late=False) -> Case:
    assert fixed is not None or not late, "a late failure must show the fix still runs"
    return Case(argv, words, fixed, late)


# ---------------------------------------------------------------- each command, runnable
def score(f: Files, *extra: str, data: str | None = None) -> list[str]:
    return ["score", data or f.data, "--model", f.tiny, "--out", f.out, "--bootstrap", "10",
            *extra]


def extract(f: Files, *extra: str, data: str | None = None) -> list[str]:
    return ["extract", data or f.data, "--model", f.tiny, "--out", f.out, "--samples", "0",
            "--prefix-tokens", "2", "--suffix-tokens", "2", *extra]


LAB_QUICK = ("--epochs", "1", "--no-extraction", "--reference", "none", "--bootstrap", "10",
             "--canaries-per-repetition", "0", "--exposure-samples", "10")


def lab(f: Files, *extra: str, data: str | None = None) -> list[str]:
    return ["lab", data or f.data, "--model", f.tiny, "--out", f.out, *LAB_QUICK, *extra]


def lab_once_the_file_exists(f: Files) -> list[str]:
    """The same lab command after the missing file is written: nothing recorded the
    missing file's hash (the issue saw a spec.json that then refused this run)."""
    f.jsonl("none.jsonl", [{"text": t} for t, _ in GOOD_ROWS])
    return lab(f, data=f.path("none.jsonl"))


def unlearn(f: Files, *extra: str, forget: str | None = None,
            retain: str | None = None) -> list[str]:
    return ["unlearn", "--forget", forget or f.data, "--retain", retain or f.data,
            "--model", f.tiny, "--out", f.out, *extra]


def cdd(f: Files, *extra: str, data: str | None = None) -> list[str]:
    return ["contamination", "cdd", data or f.data, "--model", f.tiny, "--out", f.out,
            "--samples", "2", "--max-new-tokens", "2", *extra]


def completion(f: Files, *extra: str, data: str | None = None) -> list[str]:
    return ["contamination", "completion", data or f.data, "--model", f.tiny, "--out", f.out,
            "--max-new-tokens", "2", *extra]


def overlap(f: Files, *extra: str, data: str | None = None,
            corpus: str | None = None) -> list[str]:
    corpus = corpus or f.jsonl("corpus.jsonl", [{"text": "the king of the city and more"}])
    return ["contamination", "overlap", data or f.data, "--corpus", corpus, "--n", "3",
            "--out", f.out, *extra]


def cutoff(f: Files, *extra: str, results: list[dict] | None = None) -> list[str]:
    rows = results or [{"id": str(m), "date": f"2023-{m:02d}-01", "correct": m % 2}
                       for m in range(1, 13)]
    return ["contamination", "cutoff", f.jsonl("results.jsonl", rows), "--out", f.out,
            "--bootstrap", "10", *extra]


def generate(*extra: str) -> list[str]:
    return ["bench", "generate", "kk", "--n", "1", *extra]


def bench_eval(f: Files, *extra: str, items: str | None = None) -> list[str]:
    return ["bench", "eval", items or f.items, "--model", f.tiny, "--out", f.out,
            "--max-new-tokens", "2", *extra]


FACT = {"id": "a", "sentence": "Vex founded Qor.", "paraphrases": ["Vex is Qor's founder."],
        "probes": [{"type": "reliability", "format": "cloze", "prompt": "Vex founded",
                    "answer": "Qor"}]}


def inject(f: Files, *extra: str, facts: str | None = None) -> list[str]:
    return ["knowledge", "inject", facts or f.jsonl("facts.jsonl", [FACT]), "--model", f.tiny,
            "--out", f.out, "--epochs", "1", "--bootstrap", "10", "--no-general",
            "--max-new-tokens", "2", *extra]


def embed(f: Files, *extra: str, data: str | None = None) -> list[str]:
    return ["watermark", "embed", data or f.data, "--out", f.out, *extra]


def verify(f: Files, *extra: str, wm: str | None = None) -> list[str]:
    return ["watermark", "verify", wm or f.watermark({}), "--model", f.tiny, "--out", f.out,
            *extra]


def inference(f: Files, *extra: str, validation: int = 40) -> list[str]:
    """dataset-inference: the four labelled texts as suspects (labels are ignored), and
    `validation` texts of the tiny vocabulary as known non-members."""
    val = f.jsonl("val.jsonl", [{"id": str(i), "text": f"the road {i % 7} and the city"}
                                for i in range(validation)])
    return ["dataset-inference", f.data, "--validation", val, "--model", f.tiny,
            "--out", f.out, *extra]


def endpoint(*extra: str) -> list[str]:
    return ["check-endpoint", "http://127.0.0.1:9/v1", *extra]


CASES: dict[str, Case] = {
    # ---------------------------------------------------------------- dataset-inference
    "dataset-inference validation set too small": case(
        lambda f: inference(f, validation=39),
        "val.jsonl", "39 texts", "at least 40", "Add texts"),
    "dataset-inference missing validation file": case(
        lambda f: ["dataset-inference", f.data, "--validation", f.path("nope.jsonl"),
                   "--model", f.tiny, "--out", f.out],
        "nope.jsonl", "no such file", "Check the path"),
    "dataset-inference --alpha 1": case(
        lambda f: inference(f, "--alpha", "1"),
        "--alpha", "1"),
    # ---------------------------------------------------------------- score: data formats
    "score missing file": case(
        lambda f: score(f, data=f.path("nope.jsonl")),
        "nope.jsonl", "no such file", "Check the path"),
    "score empty file": case(
        lambda f: score(f, data=f.write("e.jsonl", "")),
        "e.jsonl", "no samples found", "one row per text"),
    "score header-only csv": case(
        lambda f: score(f, data=f.write("h.csv", "text,label\n")),
        "h.csv", "no samples found", "one row per text"),
    "score wrong columns": case(
        lambda f: score(f, data=f.write("w.csv", "prompt,label\nthe old king,1\na river,0\n")),
        "w.csv line 2", '"text" is missing', "Pass --text-column prompt",
        fixed=lambda f: score(f, "--text-column", "prompt", data=f.path("w.csv"))),
    "score --text-column absent": case(
        lambda f: score(f, "--text-column", "body"),
        "data.jsonl line 1", '"body" is missing', "Pass --text-column text"),
    "score --label-column absent": case(
        lambda f: score(f, "--label-column", "member"),
        "data.jsonl line 1", '"member" is missing', "Pass --label-column NAME"),
    "score labels of one class": case(
        lambda f: score(f, "--label-column", "label", data=f.jsonl(
            "ones.jsonl", [{"text": t, "label": 1} for t, _ in GOOD_ROWS])),
        "ones.jsonl", "every label", "is 1", "Add rows labelled 0", "drop --label-column",
        fixed=lambda f: score(f, data=f.path("ones.jsonl"))),
    "score string labels": case(
        lambda f: score(f, data=f.write("s.csv", "text,label\nthe king,yes\nthe road,maybe\n")),
        "s.csv line 3", "'maybe'", "Write 1 or 0"),
    "score partial labels (null)": case(
        lambda f: score(f, data=f.write("p.jsonl", '{"text": "the king", "label": 1}\n'
                                                   '{"text": "the road", "label": null}\n')),
        "p.jsonl line 2", "no label", "Label every row, or none"),
    "score partial labels (field absent)": case(
        lambda f: score(f, data=f.write("p.jsonl", '{"text": "the king", "label": 1}\n'
                                                   '{"text": "the road"}\n')),
        "p.jsonl line 2", '"label" is missing', "Label every row, or none"),
    "score duplicate ids": case(
        lambda f: score(f, data=f.write("d.jsonl", '{"id": "a", "text": "the king"}\n'
                                                   '{"id": "a", "text": "the road"}\n')),
        "d.jsonl line 2", "'a' repeats line 1", "must be unique"),
    "score non-UTF-8 jsonl": case(
        lambda f: score(f, data=f.latin1("l.jsonl", b'{"text": "the king"}\n')),
        "l.jsonl line 2", "not UTF-8", TO_UTF8),
    "score non-UTF-8 csv": case(
        lambda f: score(f, data=f.write("l.csv", b"text\nthe king\n" + LATIN1 + b"\n")),
        "l.csv line 3", "not UTF-8", TO_UTF8),
    "score truncated parquet": case(
        lambda f: score(f, data=f.truncated_parquet("t.parquet")),
        "t.parquet", "cannot read Parquet", "Is the file complete"),
    "score .gz that is not gzip": case(
        lambda f: score(f, data=f.write("g.jsonl.gz", b'{"text": "the king"}\n')),
        "g.jsonl.gz", "cannot decompress", "drop the .gz suffix"),
    "score cut gzip": case(
        lambda f: score(f, data=f.write("c.csv.gz", gzip.compress(b"text\n" + b"x\n" * 500)[:30])),
        "c.csv.gz", "cannot decompress", "Is the file complete"),
    "score broken saved dataset": case(
        lambda f: score(f, data=f.saved_dataset("hf", "{broken")),
        "dataset_info.json", "invalid JSON", "save the dataset again"),
    "score over-long JSON number": case(
        lambda f: score(f, data=f.write("n.jsonl", '{"text": "a", "n": ' + "1" * 5000 + "}\n")),
        "n.jsonl line 1", "cannot read this JSON", "Fix or delete that line"),
    "score text not a string": case(
        lambda f: score(f, data=f.write("i.jsonl", '{"text": 5}\n')),
        "i.jsonl line 1", "int, not a string", "Pass --text-column NAME"),
    "score empty text": case(
        lambda f: score(f, data=f.write("b.jsonl", '{"text": "  "}\n')),
        "b.jsonl line 1", "is empty", "Remove the row"),
    # ---------------------------------------------------------------- score: flags, model, --out
    "score --max-length 2": case(lambda f: score(f, "--max-length", "2"),
                                 "--max-length", ">= 4", "not '2'"),
    "score --bootstrap -5": case(lambda f: score(f, "--bootstrap", "-5"),
                                 "--bootstrap", ">= 0", "not '-5'"),
    "score --chunk-size -1": case(lambda f: score(f, "--chunk-size", "-1"),
                                  "--chunk-size", ">= 1"),
    "score --batch-size nan": case(lambda f: score(f, "--batch-size", "nan"),
                                   "--batch-size", ">= 1"),
    "score --device bogus": case(lambda f: score(f, "--device", "bogus"),
                                 "--device", "must be auto, cpu, cuda, cuda:N or mps"),
    "score --device cuda:7": case(lambda f: score(f, "--device", "cuda:7"),
                                  "--device cuda:7", "CUDA device", "pass --device cpu"),
    "score --dtype fp8": case(lambda f: score(f, "--dtype", "fp8"),
                              "--dtype", "choose from", "float32"),
    "score model missing": case(
        lambda f: score(f, "--model", f.path("no-model")),
        "no-model", "no such file or directory", "pass the local path"),
    "score model folder without config.json": case(
        lambda f: score(f, "--model", f.folder),
        "mine", "no config.json", "Pass a Hugging Face model directory"),
    "score weightless model folder": case(
        lambda f: score(f, "--model", f.weightless()),
        "weightless", "no weights", "Copy the weight files"),
    "score GGUF of junk bytes": case(
        lambda f: score(f, "--model", f.write("junk.gguf", b"\x00junk" * 100)),
        "junk.gguf", "not a GGUF file", "Is the file complete"),
    "score --out is a file": case(
        lambda f: score(f, "--out", f.write("taken", "x")),
        "--out", "taken is a file", "Pass a folder path",
        fixed=lambda f: score(f)),
    "score foreign --out": case(
        lambda f: score(f, "--out", f.folder),
        "--out", "notes.txt", "not a mnemoscope run", "nothing was touched", "new or empty"),
    "score corrupt spec.json in --out": case(
        lambda f: score(f, "--out", f.run("damaged", spec="{cut")),
        "damaged/spec.json", "not valid JSON", "start the run in a new folder"),
    # ---------------------------------------------------------------- extract
    "extract non-UTF-8 txt folder": case(
        lambda f: extract(f, data=f.txt_folder()),
        "b.txt line 2", "not UTF-8", TO_UTF8),
    "extract broken saved dataset": case(
        lambda f: extract(f, data=f.saved_dataset("hfx", "[1,")),
        "dataset_info.json", "invalid JSON", "save the dataset again"),
    "extract wrong id column": case(
        lambda f: extract(f, "--id-column", "key"),
        "data.jsonl line 1", '"key" is missing', "Pass --id-column NAME",
        fixed=lambda f: extract(f)),
    "extract --chunk-size 0": case(lambda f: extract(f, "--chunk-size", "0"),
                                   "--chunk-size", ">= 1"),
    "extract --chunk-size -1": case(lambda f: extract(f, "--chunk-size", "-1"),
                                    "--chunk-size", ">= 1"),
    "extract --device bogus": case(lambda f: extract(f, "--device", "bogus"),
                                   "--device", "cuda:N"),
    "extract --seed -1": case(lambda f: extract(f, "--seed", "-1"), "--seed", ">= 0"),
    "extract --top-k 0": case(lambda f: extract(f, "--top-k", "0"), "--top-k", ">= 1"),
    "extract --temperature -1": case(lambda f: extract(f, "--temperature", "-1"),
                                     "--temperature", "finite number > 0"),
    # ---------------------------------------------------------------- lab
    "lab missing data": case(
        lambda f: lab(f, data=f.path("none.jsonl")),
        "none.jsonl", "no such file", "Check the path",
        fixed=lab_once_the_file_exists),
    "lab empty file": case(
        lambda f: lab(f, data=f.write("empty.jsonl", "")),
        "empty.jsonl", "no samples found", "one row per text"),
    "lab one text": case(
        lambda f: lab(f, data=f.jsonl("one.jsonl", [{"text": "the king"}])),
        "one.jsonl", "at least 4 texts", "two members and two non-members"),
    "lab --seed 2**64": case(lambda f: lab(f, "--seed", str(2 ** 64)),
                             "--seed", f"<= {2 ** 63 - 1}"),
    "lab --synthetic and --python-docs": case(
        lambda f: lab(f, "--synthetic", "4", "--python-docs", "4", data=f.path("new.jsonl")),
        "--synthetic and --python-docs", "pass one of them"),
    "lab --signals min_k(k='a')": case(lambda f: lab(f, "--signals", "loss,min_k(k='a')"),
                                       "--signals", "min_k", "'a'"),
    "lab --bootstrap -5": case(lambda f: lab(f, "--bootstrap", "-5"), "--bootstrap", ">= 0"),
    "lab --reference-fraction nan": case(lambda f: lab(f, "--reference-fraction", "nan"),
                                         "--reference-fraction", "finite number"),
    "lab --lr 0": case(lambda f: lab(f, "--lr", "0"), "--lr", "> 0"),
    "lab --max-tokens 1": case(lambda f: lab(f, "--max-tokens", "1"), "--max-tokens", ">= 2"),
    "lab --repetitions 0,4": case(lambda f: lab(f, "--repetitions", "0,4"),
                                  "--repetitions", ">= 1"),
    "lab --secret-digits 0": case(lambda f: lab(f, "--secret-digits", "0"),
                                  "--secret-digits", ">= 1"),
    "lab --canary-format without {secret}": case(
        lambda f: lab(f, "--canary-format", "My PIN is 42."),
        "--canary-format", "{secret} exactly once", "Write e.g."),
    "lab --out is a file": case(lambda f: lab(f, "--out", f.write("file", "x")),
                                "--out", "is a file", "Pass a folder path"),
    "lab corrupt spec.json in --out": case(
        lambda f: lab(f, "--out", f.run("lab", spec="[")),
        "lab/spec.json", "not valid JSON", "Restore it"),
    # ---------------------------------------------------------------- unlearn
    "unlearn missing forget file": case(
        lambda f: unlearn(f, forget=f.path("gone.jsonl")),
        "gone.jsonl", "no such file", "Check the path"),
    "unlearn empty retain file": case(
        lambda f: unlearn(f, retain=f.write("r.jsonl", "\n")),
        "r.jsonl", "no samples found", "one row per text"),
    "unlearn --stop holdout without --holdout": case(
        lambda f: unlearn(f, "--stop", "holdout"), "--stop holdout", "pass --holdout FILE"),
    "unlearn --retain-weight -1": case(lambda f: unlearn(f, "--retain-weight", "-1"),
                                       "--retain-weight", ">= 0"),
    "unlearn --check-every 0": case(lambda f: unlearn(f, "--check-every", "0"),
                                    "--check-every", ">= 1"),
    "unlearn --target-modules ,": case(lambda f: unlearn(f, "--target-modules", ","),
                                       "--target-modules is empty", "q_proj,v_proj"),
    "unlearn --signals loss,nope": case(lambda f: unlearn(f, "--signals", "loss,nope"),
                                        "--signals", "unknown signal 'nope'", "known: "),
    "unlearn --bootstrap nan": case(lambda f: unlearn(f, "--bootstrap", "nan"),
                                    "--bootstrap", "whole number"),
    "unlearn foreign --out": case(lambda f: unlearn(f, "--out", f.folder),
                                  "--out", "not a mnemoscope run", "nothing was touched"),
    # ---------------------------------------------------------------- contamination
    "cdd wrong columns": case(
        lambda f: cdd(f, data=f.jsonl("q.jsonl", [{"question": "the king"}])),
        "q.jsonl line 1", "Pass --text-column question",
        fixed=lambda f: cdd(f, "--text-column", "question", data=f.path("q.jsonl"))),
    "cdd --batch-size 0": case(lambda f: cdd(f, "--batch-size", "0"), "--batch-size", ">= 1"),
    "cdd --samples 0": case(lambda f: cdd(f, "--samples", "0"), "--samples", ">= 1"),
    "cdd --temperature nan": case(lambda f: cdd(f, "--temperature", "nan"),
                                  "--temperature", "finite number > 0"),
    "cdd --alpha -1": case(lambda f: cdd(f, "--alpha", "-1"), "--alpha", ">= 0"),
    "cdd --tau -1": case(lambda f: cdd(f, "--tau", "-1"), "--tau", ">= 0"),
    "cdd --checker nope": case(lambda f: cdd(f, "--checker", "nope"),
                               "--checker", "'nope'", "module:function"),
    "cdd --seed -1": case(lambda f: cdd(f, "--seed", "-1"), "--seed", ">= 0"),
    "completion non-UTF-8 csv": case(
        lambda f: completion(f, data=f.write("x.csv", b"text\n" + LATIN1 + b"\n")),
        "x.csv line 2", "not UTF-8", TO_UTF8),
    "completion --ratios ''": case(lambda f: completion(f, "--ratios", ""),
                                   "--ratios", "between 0 and 1"),
    "completion --slack-tokens -1": case(lambda f: completion(f, "--slack-tokens", "-1"),
                                         "--slack-tokens", ">= 0"),
    "overlap non-UTF-8 items": case(
        lambda f: overlap(f, data=f.latin1("it.jsonl")),
        "it.jsonl line 1", "not UTF-8", TO_UTF8),
    "overlap missing corpus": case(
        lambda f: overlap(f, corpus=f.path("corpus-gone")),
        "corpus-gone", "no such file", "Check the --corpus path"),
    "overlap non-UTF-8 corpus": case(
        lambda f: overlap(f, corpus=f.latin1("cc.jsonl")),
        "cc.jsonl line 1", "not UTF-8", TO_UTF8, "--skip-bad-lines",
        late=True, fixed=lambda f: overlap(f)),
    "overlap wrong --corpus-text-column": case(
        lambda f: overlap(f, "--corpus-text-column", "body"),
        "corpus.jsonl line 1", '"body" is missing', "Pass --corpus-text-column NAME",
        late=True, fixed=lambda f: overlap(f)),
    "overlap --threshold nan": case(lambda f: overlap(f, "--threshold", "nan"),
                                    "--threshold", "<= 1"),
    "overlap --n -1": case(lambda f: overlap(f, "--n", "-1"), "--n", ">= 1"),
    "cutoff missing results": case(
        lambda f: ["contamination", "cutoff", f.path("res.jsonl"), "--out", f.out],
        "res.jsonl", "no such file", "Check the path"),
    "cutoff bad date": case(
        lambda f: cutoff(f, results=[{"id": "1", "date": "yesterday", "correct": 1}]),
        "results.jsonl line 1", "'yesterday'", "use YYYY-MM-DD",
        fixed=lambda f: cutoff(f)),
    "cutoff string correctness": case(
        lambda f: cutoff(f, results=[{"id": "1", "date": "2024-01-02", "correct": "maybe"}]),
        "results.jsonl line 1", "'maybe'", "not true/false", "--correct-column NAME"),
    "cutoff duplicate ids": case(
        lambda f: cutoff(f, results=[{"id": "1", "date": "2024-01-02", "correct": 1}] * 2),
        "results.jsonl line 2", "'1' repeats", "must be unique"),
    "cutoff --cutoff 2024-00": case(lambda f: cutoff(f, "--cutoff", "2024-00"),
                                    "--cutoff", "write it as YYYY-MM"),
    "cutoff --min-segment 0": case(lambda f: cutoff(f, "--min-segment", "0"),
                                   "--min-segment", ">= 1"),
    # ---------------------------------------------------------------- bench
    "bench generate --n -3": case(lambda f: generate("--n", "-3"), "--n", ">= 1"),
    "bench generate kk --level 99": case(lambda f: generate("--level", "99"),
                                         "--level 99", "2 to 8 people"),
    "bench generate wilt --max-tests -1": case(
        lambda f: ["bench", "generate", "wilt", "--max-tests", "-1"], "--max-tests", ">= 1"),
    "bench generate -o into a missing folder": case(
        lambda f: generate("-o", f.path("missing/dir/x.jsonl")),
        "missing/dir does not exist", "mkdir -p"),
    "bench generate -o a folder": case(lambda f: generate("-o", f.folder),
                                       "mine is a folder", "pass a file name for -o"),
    "bench perturb non-UTF-8": case(
        lambda f: ["bench", "perturb", f.latin1("pi.jsonl", key=b"prompt"), "--type", "leaf"],
        "pi.jsonl line 1", "not UTF-8", TO_UTF8),
    "bench perturb --type nope": case(
        lambda f: ["bench", "perturb", f.items, "--type", "nope"],
        "items.jsonl (--type nope)", "no perturbation 'nope'", "known: leaf"),
    "bench eval empty items": case(
        lambda f: bench_eval(f, items=f.write("ei.jsonl", "")),
        "ei.jsonl", "no items", "mnemoscope bench generate"),
    "bench eval --chunk-size 0": case(lambda f: bench_eval(f, "--chunk-size", "0"),
                                      "--chunk-size", ">= 1"),
    "bench eval --max-new-tokens -1": case(lambda f: bench_eval(f, "--max-new-tokens", "-1"),
                                           "--max-new-tokens", ">= 1"),
    "bench limem on score runs": case(
        lambda f: ["bench", "limem", f.run("r1", rows=SCORE_ROWS), f.run("r2", rows=SCORE_ROWS)],
        "r1", "source_id", "`mnemoscope bench eval`"),
    "bench limem on missing runs": case(
        lambda f: ["bench", "limem", f.path("gone1"), f.path("gone2")],
        "gone1", "no such folder", "`mnemoscope bench eval`"),
    # ---------------------------------------------------------------- knowledge
    "knowledge generate --n 0": case(lambda f: ["knowledge", "generate", "--n", "0"],
                                     "--n", ">= 1"),
    "knowledge generate -o an existing file": case(
        lambda f: ["knowledge", "generate", "--n", "2", "-o", f.write("taken.jsonl", "mine\n")],
        "taken.jsonl", "already exists", "new file name"),
    "knowledge inject missing facts": case(
        lambda f: inject(f, facts=f.path("gone.jsonl")),
        "gone.jsonl", "no such file", "knowledge generate"),
    "knowledge inject --paraphrases beyond the file": case(
        lambda f: inject(f, "--paraphrases", "2"), "--paraphrases 2", "smaller --paraphrases",
        fixed=lambda f: inject(f, "--paraphrases", "1")),
    "knowledge inject a probe without an answer": case(
        lambda f: inject(f, facts=f.jsonl("na.jsonl", [{**FACT, "probes": [
            {"type": "reverse", "format": "qa", "prompt": "Qor was founded by"}]}])),
        "na.jsonl line 1", "'answer'", "docs/knowledge.md"),
    "knowledge inject non-UTF-8 facts": case(
        lambda f: inject(f, facts=f.latin1("kl.jsonl")),
        "kl.jsonl line 1", "not UTF-8", TO_UTF8),
    "unlearn --forget-qa not UTF-8": case(
        lambda f: unlearn(f, "--retrained", f.tiny, "--holdout", f.jsonl(
            "held.jsonl", [{"id": f"h{i}", "text": f"the road {i} and the city"} for i in range(4)]),
            "--forget-qa", f.latin1("qa.jsonl")),
        "qa.jsonl line 1", "not UTF-8", TO_UTF8),
    "knowledge inject facts nested too deep": case(
        lambda f: inject(f, facts=f.write("deep.jsonl", "[" * 100_000 + "]" * 100_000 + "\n")),
        "deep.jsonl line 1", "cannot read this JSON", "docs/knowledge.md"),
    "unlearn --forget-qa with an over-long number": case(
        lambda f: unlearn(f, "--retrained", f.tiny, "--holdout", f.jsonl(
            "held.jsonl", [{"id": f"h{i}", "text": f"the road {i} and the city"} for i in range(4)]),
            "--forget-qa", f.write("qa.jsonl", '{"question": "a", "answer": ' + "1" * 5000 + "}\n")),
        "qa.jsonl line 1", "cannot read this JSON", "question and answer"),
    # ---------------------------------------------------------------- watermark
    "embed non-UTF-8 data": case(
        lambda f: embed(f, data=f.latin1("wl.jsonl")),
        "wl.jsonl line 1", "not UTF-8", TO_UTF8),
    "embed broken saved dataset": case(
        lambda f: embed(f, data=f.saved_dataset("hfd", "{")),
        "dataset_info.json", "invalid JSON", "save the dataset again"),
    "embed --out is a file": case(lambda f: embed(f, "--out", f.write("f.txt", "x")),
                                  "--out", "is a file", "Pass a folder path"),
    "embed --k 0": case(lambda f: embed(f, "--k", "0"), "--k", ">= 1"),
    "embed --fit-threshold nan": case(lambda f: embed(f, "--fit-threshold", "nan"),
                                      "--fit-threshold", "<= 1"),
    "embed --seed -1": case(lambda f: embed(f, "--seed", "-1"), "--seed", ">= 0"),
    "verify missing key": case(lambda f: verify(f, wm=f.watermark()),
                               "wm: no key.json", "`mnemoscope watermark embed`"),
    "verify corrupt key": case(lambda f: verify(f, wm=f.watermark("{")),
                               "key.json", "not valid JSON", "Restore the key"),
    "verify key pointing outside": case(
        lambda f: verify(f, wm=f.watermark({"data_file": "../data.jsonl"})),
        "data_file '../data.jsonl'", "outside", "name a file beside it"),
    "verify --signal not scored": case(lambda f: verify(f, "--signal", "zlib_ratio"),
                                       "--signal 'zlib_ratio'", "add it to --signals"),
    "verify --signals ''": case(lambda f: verify(f, "--signals", ""),
                                "--signals", "is empty", "mnemoscope signals"),
    "verify --resamples 0": case(lambda f: verify(f, "--resamples", "0"),
                                 "--resamples", ">= 1"),
    "verify --alpha nan": case(lambda f: verify(f, "--alpha", "nan"), "--alpha", "< 1"),
    # ---------------------------------------------------------------- report, endpoint, signals
    "report on a missing folder": case(lambda f: ["report", f.path("nowhere")],
                                       "nowhere", "no spec.json", "Pass the --out folder"),
    "report on a user's folder": case(lambda f: ["report", f.folder],
                                      "mine", "not a run folder", "Pass the --out folder"),
    "report on a corrupt spec.json": case(lambda f: ["report", f.run("rs", spec="{")],
                                          "rs/spec.json", "not valid JSON", "Restore it"),
    "report on a corrupt part": case(
        lambda f: ["report", f.run("rp", rows=SCORE_ROWS, part=b"PAR1 cut short")],
        "part-1.parquet", "cannot be read", "Re-run the audit's command with the same --out"),
    "check-endpoint not a URL": case(lambda f: ["check-endpoint", "localhost:8000"],
                                     "'localhost:8000'", "http://host:port/v1"),
    "check-endpoint --against weightless": case(
        lambda f: endpoint("--against", f.weightless()), "weightless", "no weights"),
    "check-endpoint --texts missing": case(lambda f: endpoint("--texts", f.path("t.jsonl")),
                                           "t.jsonl", "no such file", "Check the path"),
    "check-endpoint --request-timeout -1": case(lambda f: endpoint("--request-timeout", "-1"),
                                                "--request-timeout", "> 0"),
    "check-endpoint --limit 0": case(lambda f: endpoint("--limit", "0"), "--limit", ">= 1"),
    "check-endpoint --tolerance nan": case(lambda f: endpoint("--tolerance", "nan"),
                                           "--tolerance", "finite"),
    "check-endpoint --max-retries -2": case(lambda f: endpoint("--max-retries", "-2"),
                                            "--max-retries", ">= 0"),
    "signals extra": case(lambda f: ["signals", "extra"],
                          "unrecognized arguments: extra", "--help"),
}


@pytest.fixture
def no_model_load(monkeypatch):
    """Every way to a loaded model goes through the backend lookup: make it fail the case."""
    import mnemoscope.models
    import mnemoscope.models.base

    def refuse(name):
        raise AssertionError(f"model loaded (backend {name!r})")

    monkeypatch.setattr(mnemoscope.models, "backend_class", refuse)
    monkeypatch.setattr(mnemoscope.models.base, "backend_class", refuse)


def error_line(err: str) -> str:
    """The one line a bad input prints: no traceback, no usage block, nothing else."""
    assert "Traceback" not in err and "usage:" not in err, err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("mnemoscope: error: "), err
    return err.strip()


@pytest.mark.parametrize("name", CASES)
def test_bad_input_exits_2_with_one_line(name, tmp_path, tiny_model_dir, capsys, monkeypatch,
                                         request):
    spec = CASES[name]
    monkeypatch.chdir(tmp_path)
    files = Files(tmp_path, tiny_model_dir)
    argv = spec.argv(files)
    request.getfixturevalue("no_model_load")
    code = main(["-q", *argv])
    captured = capsys.readouterr()
    line = error_line(captured.err)
    assert code == 2 and captured.out == "", line
    for word in spec.words:
        assert word in line, (word, line)
    if not spec.late:
        assert not Path(files.out).exists(), sorted(Path(files.out).rglob("*"))
    if spec.fixed is not None:
        monkeypatch.undo()                       # the real backend lookup, for the fix
        monkeypatch.chdir(tmp_path)
        assert main(["-q", *spec.fixed(files)]) == 0, capsys.readouterr().err


# A few cases in a real process: the exit code and the stderr a shell sees, logging included.
IN_A_SUBPROCESS = ["score wrong columns", "score GGUF of junk bytes", "lab --seed 2**64",
                   "report on a corrupt part"]


@pytest.mark.parametrize("name", IN_A_SUBPROCESS)
def test_bad_input_in_a_real_process(name, tmp_path, tiny_model_dir):
    spec = CASES[name]
    argv = spec.argv(Files(tmp_path, tiny_model_dir))
    done = subprocess.run([sys.executable, "-m", "mnemoscope.cli", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    line = error_line(done.stderr)
    assert done.returncode == 2 and done.stdout == "", line
    assert all(word in line for word in spec.words), line


GROUPS = ("bench", "contamination", "watermark", "knowledge")
EVERY_COMMAND = {"score", "extract", "lab", "unlearn", "contamination cdd",
                 "contamination completion", "contamination overlap", "contamination cutoff",
                 "bench generate", "bench perturb", "bench eval", "bench limem",
                 "watermark embed", "watermark verify", "report", "check-endpoint", "signals",
                 "dataset-inference", "knowledge generate", "knowledge inject"}


def test_the_corpus_covers_every_command_and_the_readme_counts_it(tmp_path, tiny_model_dir):
    from mnemoscope.cli.main import discover

    commands = set()
    for index, spec in enumerate(CASES.values()):
        (tmp_path / str(index)).mkdir()
        argv = spec.argv(Files(tmp_path / str(index), tiny_model_dir))
        commands.add(" ".join(argv[:2]) if argv[0] in GROUPS else argv[0])
    top = {c.name for c in discover()}
    assert commands == EVERY_COMMAND and {c.split()[0] for c in commands} == top
    assert len(CASES) >= 60
    stated = re.findall(r"(\d+) malformed inputs", (REPO / "README.md").read_text())
    assert stated and set(stated) == {str(len(CASES))}, (stated, len(CASES))
