"""Questions about the synthetic records of lab/synthetic.py, with ground truth for
unlearning's KnowMem and TOFU's truth ratio, offline.

Each record's first two sentences are parsed back into their fields (the generator's own
template, so the parse is exact) and become six questions: age, job, city, what happened
on the date, how many objects, why. Every question has the true answer, a paraphrase of it
(the same fact in other words) and three perturbed answers (the same template with wrong
values, drawn from the generator's own lists, seeded by the record id), as TOFU lays out
its QA:

    {"id": "syn-00003:age", "record": "syn-00003", "question": "How old is Alice Moreno?",
     "answer": "34", "paraphrased_answer": "Alice Moreno is 34 years old.",
     "perturbed_answers": ["Alice Moreno is 51 years old.", ...]}

    python -m mnemoscope.lab.synthetic_qa texts.jsonl > qa.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from typing import Any, Iterable

from .synthetic import CITIES, EVENTS, JOBS, OBJECTS, REASONS

PERTURBED = 3
_RECORD = re.compile(
    r"^(?P<name>\S+ \S+), a (?P<age>\d+)-year-old (?P<job>\w+) from (?P<city>\S+), "
    r"(?P<event>.+?) on (?P<date>\w+ \d+ \w+)\. (?P<pronoun>She|He|They) carried "
    r"(?P<count>\d+) (?P<objects>.+?) "
    r"(?P<place>(?:to|across|into|behind|onto|up|through|down) .+?) "
    r"because (?P<reason>.+?)\.")


def parse_record(text: str) -> dict[str, str] | None:
    """The fields of a synthetic record's first two sentences; None for other texts."""
    match = _RECORD.match(text)
    return None if match is None else match.groupdict()


def _others(rng: random.Random, pool: Iterable[Any], true: Any) -> list[Any]:
    return rng.sample([v for v in pool if v != true], PERTURBED)


def record_questions(record_id: str, text: str) -> list[dict[str, Any]]:
    """The six questions of one record ([] when it is not a synthetic record)."""
    f = parse_record(text)
    if f is None:
        return []
    rng = random.Random(f"qa:{record_id}")
    name, age, count = f["name"], int(f["age"]), int(f["count"])
    ages = _others(rng, range(19, 81), age)
    counts = _others(rng, range(3, 60), count)
    items = [
        ("age", f"How old is {name}?", str(age), f"{name} is {age} years old.",
         [f"{name} is {a} years old." for a in ages]),
        ("job", f"What does {name} do for a living?", f"{name} is a {f['job']}.",
         f"{name} works as a {f['job']}.",
         [f"{name} works as a {j}." for j in _others(rng, JOBS, f["job"])]),
        ("city", f"Which city is {name} from?", f"{name} is from {f['city']}.",
         f"{name} comes from {f['city']}.",
         [f"{name} comes from {c}." for c in _others(rng, CITIES, f["city"])]),
        ("event", f"What did {name} do on {f['date']}?", f"{name} {f['event']}.",
         f"On {f['date']}, {name} {f['event']}.",
         [f"On {f['date']}, {name} {e}." for e in _others(rng, EVENTS, f["event"])]),
        ("count", f"How many {f['objects']} did {name} carry?", str(count),
         f"{name} carried {count} {f['objects']}.",
         [f"{name} carried {c} {f['objects']}." for c in counts]),
        ("reason", f"Why did {name} carry the {f['objects']} {f['place']}?",
         f"Because {f['reason']}.", f"{name} did it since {f['reason']}.",
         [f"{name} did it since {r}." for r in _others(rng, REASONS, f["reason"])]),
    ]
    return [{"id": f"{record_id}:{kind}", "record": record_id, "question": question,
             "answer": answer, "paraphrased_answer": paraphrase, "perturbed_answers": perturbed}
            for kind, question, answer, paraphrase, perturbed in items]


def synthetic_qa(records: Iterable[dict[str, str]]) -> list[dict[str, Any]]:
    """Questions for every synthetic record among `records` ({"id", "text"})."""
    return [q for r in records for q in record_questions(str(r["id"]), r["text"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write QA about synthetic records as JSON lines")
    parser.add_argument("texts", help="a .jsonl of synthetic records (id, text)")
    args = parser.parse_args(argv)
    with open(args.texts, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    for question in synthetic_qa(records):
        sys.stdout.write(json.dumps(question) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
