"""One item format for every benchmark, and its JSON-lines file.

A generator writes items; `bench eval` reads them back. Everything a grader or a
perturbation needs lives in the item (`gold`, `meta`), so a file is self-contained:
it can be evaluated, perturbed or re-graded later without the generator's settings.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, TextIO

from ..types import InputError

ORIGINAL = "original"   # the `perturbation` value of an unperturbed item


@dataclass(frozen=True)
class BenchItem:
    """One question. `gold` and `meta` are plain JSON values (they round-trip through a file)."""

    id: str
    kind: str                      # kk | randomcalc | wilt | complexity
    task: str                      # the sub-task (for kk and randomcalc, the kind itself)
    level: int                     # people (kk), depth (randomcalc), complexity level (complexity)
    prompt: str                    # the user message; the harness adds the chat template
    gold: Any
    meta: dict[str, Any] = field(default_factory=dict)
    split: str = "id"              # id | ood (complexity); id elsewhere
    perturbation: str = ORIGINAL   # leaf | statement | roles | names | reorder | ...
    source_id: str | None = None   # the original item a perturbed one was made from

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Grade:
    """A graded answer. `score` is in [0, 1]; it differs from `correct` only where a
    benchmark gives partial credit (RandomCalculation) or points (WILT)."""

    score: float
    correct: bool
    parsed: str | None = None      # what the parser read as the answer, for inspection


_REQUIRED = ("id", "kind", "task", "level", "prompt", "gold")


# the JSON type each field must have, and how to say it; `gold` may be any JSON value
_TYPES = {"id": ((str, int), "a string"), "kind": (str, "a string"), "task": (str, "a string"),
          "level": (int, "an integer"), "prompt": (str, "a string"), "meta": (dict, "an object"),
          "split": (str, "a string"), "perturbation": (str, "a string"),
          "source_id": ((str, type(None)), "a string or null")}


def item_from_json(record: dict[str, Any], where: str) -> BenchItem:
    missing = [k for k in _REQUIRED if k not in record]
    if missing:
        raise InputError(f"{where}: missing field(s) {', '.join(missing)} (fields seen: "
                         f"{', '.join(sorted(record)) or 'none'}). Items must come from "
                         "`mnemoscope bench generate`.")
    for name, (kind, said) in _TYPES.items():
        value = record.get(name, ...)
        if value is not ... and (not isinstance(value, kind) or isinstance(value, bool)):
            raise InputError(f"{where}: field {name!r} is {type(value).__name__} "
                             f"({str(value)[:40]!r}), not {said} as `mnemoscope bench generate` "
                             "writes it. Fix the item or generate the file again.")
    known = set(BenchItem.__dataclass_fields__)
    return BenchItem(**{k: v for k, v in record.items() if k in known})


def write_items(items: Iterable[BenchItem], handle: TextIO) -> int:
    count = 0
    for item in items:
        handle.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
        count += 1
    return count


def read_items(path: str | Path) -> list[BenchItem]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file. Make one with `mnemoscope bench generate KIND "
                         f"--n N --seed S > {path.name}`.")
    from ..data import json_line, text_lines
    from .base import benchmarks

    items: list[BenchItem] = []
    seen: set[str] = set()
    for number, line in text_lines(path):     # InputError names the line of a non-UTF-8 byte
        if not line.strip():
            continue
        where = f"{path} line {number}"
        record = json_line(line, where, "Each line must be one item.")
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}. "
                             "Each line must be one item from `mnemoscope bench generate`.")
        item = item_from_json(record, where)
        if item.kind not in benchmarks:
            raise InputError(f"{where}: unknown kind {item.kind!r}; known: "
                             f"{', '.join(benchmarks.names())}. Fix the item or generate the "
                             "file again.")
        if item.id in seen:
            raise InputError(f"{where}: duplicate id {item.id!r}; ids must be unique in a file. "
                             "Delete or rename the repeat.")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise InputError(f"{path}: no items (the file is empty). Make items with `mnemoscope "
                         "bench generate KIND --n N -o FILE`.")
    return items


def check_items_output(path: str | Path) -> Path:
    """Refuse (InputError, before anything is generated) an -o that names a folder or a
    file in a folder that does not exist."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder; pass a file name for -o, e.g. "
                         f"{path / 'items.jsonl'}.")
    if not path.parent.is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist. Create it first "
                         f"(mkdir -p {path.parent}), or pass another -o.")
    return path


def write_items_file(items: Iterable[BenchItem], path: str | Path) -> int:
    """Write items to `path` atomically (a crash leaves the old file or the new one)."""
    import io

    from ..fileio import atomic_write_text

    path = check_items_output(path)
    buffer = io.StringIO()
    count = write_items(items, buffer)
    try:
        atomic_write_text(path, buffer.getvalue())
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc}). Pass another -o.") \
            from None
    return count


def items_hash(items: Iterable[BenchItem]) -> str:
    """Hash of the items' content, so a run resumes only on the same questions."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps(item.to_json(), sort_keys=True).encode() + b"\n")
    return digest.hexdigest()
