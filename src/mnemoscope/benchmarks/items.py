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


def item_from_json(record: dict[str, Any], where: str) -> BenchItem:
    missing = [k for k in _REQUIRED if k not in record]
    if missing:
        raise InputError(f"{where}: missing field(s) {', '.join(missing)} (fields seen: "
                         f"{', '.join(sorted(record)) or 'none'}). Items must come from "
                         "`mnemoscope bench generate`.")
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
    items: list[BenchItem] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path} line {number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: not JSON ({exc.msg}). Each line must be one item.") \
                    from None
            if not isinstance(record, dict):
                raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
            item = item_from_json(record, where)
            if item.id in seen:
                raise InputError(f"{where}: duplicate id {item.id!r}; ids must be unique in a file")
            seen.add(item.id)
            items.append(item)
    if not items:
        raise InputError(f"{path}: no items (the file is empty)")
    return items


def items_hash(items: Iterable[BenchItem]) -> str:
    """Hash of the items' content, so a run resumes only on the same questions."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps(item.to_json(), sort_keys=True).encode() + b"\n")
    return digest.hexdigest()
