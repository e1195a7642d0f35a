"""Reading and writing facts files (the JSONL schema of docs/knowledge.md).

A user's own facts use the same schema as `knowledge generate`'s output. Required per
line: `id` (unique), `sentence` (the training text) and `probes`; optional: `split`
("train", the default, or "heldout": never trained on), `paraphrases` (extra training
texts for --paraphrases K). A probe needs `type` (reliability, generality, reverse,
multihop, locality), `format` (cloze or qa: generated and matched; tf or mc: the choice
with the highest log-probability), `prompt` and `answer`, plus `choices` (holding the
answer) for tf and mc. `id` is optional (default <fact id>/<type>/<format>[/<n>]).
Every problem is reported with its line number, before any model loads.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

from ..types import InputError
from .grading import CHOICE_FORMATS, OPEN_FORMATS

PROBE_TYPES = ("reliability", "generality", "reverse", "multihop", "locality")
SPLITS = ("train", "heldout")


def _fail(path: str | Path, line: int, what: str) -> InputError:
    return InputError(f"{path} line {line}: {what}. See docs/knowledge.md, 'The JSONL schema'.")


def _check_probe(probe: Any, fact_id: str, path, line: int, seen: set[str]) -> dict[str, Any]:
    if not isinstance(probe, dict):
        raise _fail(path, line, f"a probe of fact {fact_id!r} is not an object")
    for key in ("type", "format", "prompt", "answer"):
        if not isinstance(probe.get(key), str) or not probe[key]:
            raise _fail(path, line, f"a probe of fact {fact_id!r} has no text field {key!r}")
    if probe["type"] not in PROBE_TYPES:
        raise _fail(path, line, f"probe type {probe['type']!r} is unknown; use one of "
                    + ", ".join(PROBE_TYPES))
    if probe["format"] not in OPEN_FORMATS + CHOICE_FORMATS:
        raise _fail(path, line, f"probe format {probe['format']!r} is unknown; use one of "
                    + ", ".join(OPEN_FORMATS + CHOICE_FORMATS))
    choices = probe.get("choices") or []
    if probe["format"] in CHOICE_FORMATS:
        if not isinstance(choices, list) or len(choices) < 2 or \
                not all(isinstance(c, str) and c for c in choices):
            raise _fail(path, line, f"a {probe['format']} probe of fact {fact_id!r} needs "
                                    "'choices': a list of two or more texts")
        if probe["answer"] not in choices:
            raise _fail(path, line, f"the answer {probe['answer']!r} of a probe of fact "
                                    f"{fact_id!r} is not among its choices")
    base = probe.get("id") or f"{fact_id}/{probe['type']}/{probe['format']}"
    probe_id, n = base, 1
    while probe_id in seen:
        if probe.get("id"):
            raise _fail(path, line, f"probe id {probe_id!r} is used twice")
        n += 1
        probe_id = f"{base}/{n}"
    seen.add(probe_id)
    return {"id": probe_id, "type": probe["type"], "format": probe["format"],
            "prompt": probe["prompt"], "answer": probe["answer"], "choices": list(choices)}


def read_facts(path: str | Path) -> list[dict[str, Any]]:
    """The facts of a JSONL file, checked; InputError (with the line) on any problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file. Write one with `mnemoscope knowledge "
                         "generate --n 200 -o facts.jsonl`, or see docs/knowledge.md.")
    facts, fact_ids, probe_ids = [], set(), set()
    from ..data import json_line, text_lines

    for line, text in text_lines(path):       # InputError names the line of a non-UTF-8 byte
        if not text.strip():
            continue
        record = json_line(text, f"{path} line {line}",
                           "See docs/knowledge.md, 'The JSONL schema'.")
        if not isinstance(record, dict):
            raise _fail(path, line, "a fact must be a JSON object")
        fact_id, sentence = record.get("id"), record.get("sentence")
        if not isinstance(fact_id, str) or not fact_id:
            raise _fail(path, line, "field 'id' (a text) is missing")
        if fact_id in fact_ids:
            raise _fail(path, line, f"fact id {fact_id!r} is used twice")
        if not isinstance(sentence, str) or not sentence.strip():
            raise _fail(path, line, f"fact {fact_id!r} has no 'sentence' (its training text)")
        split = record.get("split", "train")
        if split not in SPLITS:
            raise _fail(path, line, f"split {split!r} is unknown; use train or heldout")
        paraphrases = record.get("paraphrases") or []
        if not isinstance(paraphrases, list) or not all(isinstance(p, str) for p in paraphrases):
            raise _fail(path, line, f"'paraphrases' of fact {fact_id!r} must be a list of texts")
        probes = record.get("probes")
        if not isinstance(probes, list):
            raise _fail(path, line, f"fact {fact_id!r} has no 'probes' list")
        fact_ids.add(fact_id)
        facts.append({**record, "id": fact_id, "split": split, "paraphrases": paraphrases,
                      "probes": [_check_probe(p, fact_id, path, line, probe_ids)
                                 for p in probes]})
    if not any(f["split"] == "train" for f in facts):
        raise InputError(f"{path}: no fact with split 'train'; there is nothing to inject")
    return facts


def facts_hash(facts: Iterable[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for fact in facts:
        digest.update(json.dumps(fact, sort_keys=True).encode("utf-8") + b"\n")
    return digest.hexdigest()


def facts_text(facts: Iterable[dict[str, Any]]) -> str:
    """The JSONL text of `facts`: one object per line, keys in their order, UTF-8 kept."""
    return "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in facts)


def check_facts_output(path: str | Path) -> Path:
    """Refuse an -o that exists (a user's file is never overwritten), is a folder, or sits in
    a folder that does not exist; before anything is generated."""
    path = Path(path)
    if path.exists():
        raise InputError(f"{path} already exists; it is left untouched. Pass a new file name "
                         "for -o.")
    if not path.parent.is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist. Create it first, or "
                         "pass another -o.")
    return path
