"""Natural English passages for lab runs, read from this machine's Python standard library.

The synthetic records (synthetic.py) are mostly random fields: after three epochs a 135M
model has learned their template but not the fields, so none is reproduced verbatim. Real
prose memorizes differently: the model already predicts much of it and a fine-tune pulls
it towards the exact wording, so members become extractable within a few epochs. These
passages are the docstrings of the standard library's own modules (parsed with `ast`,
nothing is imported), cut to their first 48 words (about 64 SmolLM2 tokens), skipping
short or code-heavy paragraphs, doctests and test modules. Offline and deterministic: the
same Python version and seed give the same texts.

The base model may have seen this code in pretraining (it is on GitHub). Members and
non-members are drawn from the same pool, so the non-members are the control for that:
the lab reports both groups before and after the fine-tune is what it measures.

    python -m mnemoscope.lab.pydocs 400 --seed 0 > texts.jsonl
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import re
import sys
import sysconfig
from pathlib import Path
from typing import Iterator

WORDS = 48          # ~64 SmolLM2 tokens of docstring prose
MIN_WORDS = 40
MIN_CHARS = 200
PROSE_SHARE = 0.9   # letters and spaces; lower means code, tables or paths


def _modules(root: Path) -> list[Path]:
    paths = sorted(root.glob("*.py")) + sorted(root.glob("*/*.py"))
    return [p for p in paths if not {"test", "tests", "idlelib", "site-packages"} & set(p.parts)
            and not p.name.startswith("test_")]


def _paragraphs(path: Path) -> Iterator[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        doc = ast.get_docstring(node)
        for paragraph in re.split(r"\n\s*\n", doc or ""):
            text = " ".join(paragraph.split())
            prose = sum(c.isalpha() or c == " " for c in text)
            if len(text) >= MIN_CHARS and prose >= PROSE_SHARE * len(text) \
                    and ">>>" not in text and "::" not in text:
                yield text


def python_doc_texts(count: int, seed: int = 0, root: str | None = None) -> list[dict[str, str]]:
    """`count` distinct passages as {"id", "text"}, shuffled with `seed`."""
    from ..types import InputError

    base = Path(root or sysconfig.get_paths()["stdlib"])
    seen: set[str] = set()
    passages = []
    for path in _modules(base):
        for paragraph in _paragraphs(path):
            words = paragraph.split()[:WORDS]
            text = " ".join(words)
            if len(words) >= MIN_WORDS and text not in seen:
                seen.add(text)
                passages.append(text)
    if len(passages) < count:
        raise InputError(f"the standard library at {base} has {len(passages)} usable "
                         f"docstring passages; ask for at most that many (got {count})")
    random.Random(f"pydocs:{seed}").shuffle(passages)
    return [{"id": f"doc-{k:05d}", "text": text} for k, text in enumerate(passages[:count])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write standard-library docstring passages "
                                                 "as JSON lines")
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for record in python_doc_texts(args.count, args.seed):
        sys.stdout.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
