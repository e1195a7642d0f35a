"""PII recovery, the measure ReCIT-style attacks report: for each PII item in a text, give
the model the text before it and check whether its greedy continuation reproduces it.

The prompt is the text before the item with trailing spaces removed: with byte-level BPE
tokenizers a word's leading space belongs to the word's own token, so a prompt ending in a
bare space would be tokenized unlike anything seen in training.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..types import Sample
from .pii import detect_pii, reproduces

EXTRA_TOKENS = 8   # room for formatting differences (spaces, brackets) before the item ends


def add_pii_recovery(rows: list[dict[str, Any]], samples: Sequence[Sample], model) -> None:
    """Adds pii_items, pii_recovered and pii_found (JSON: kind, text, recovered) in place."""
    jobs = []   # (row index, item, prompt ids, budget)
    for index, sample in enumerate(samples):
        for item in detect_pii(sample.text):
            prompt = model.encode(sample.text[: item.start].rstrip())
            budget = len(model.encode(" " + item.text)) + EXTRA_TOKENS
            jobs.append((index, item, prompt, budget))
    found: list[list[dict[str, Any]]] = [[] for _ in samples]
    if jobs:
        budget = max(job[3] for job in jobs)
        outputs = model.generate_tokens([job[2] for job in jobs], max_new_tokens=budget,
                                        temperature=0.0, stop_at_eos=True)
        for (index, item, _, own_budget), output in zip(jobs, outputs):
            generated = model.decode(output[0][:own_budget])
            found[index].append({"kind": item.kind, "text": item.text,
                                 "recovered": reproduces(item, generated)})
    for row, items in zip(rows, found):
        row["pii_items"] = len(items)
        row["pii_recovered"] = sum(item["recovered"] for item in items)
        row["pii_found"] = json.dumps(items)
