"""Invented facts and their probes, seeded: `mnemoscope knowledge generate`.

Entities are names made of syllables and kept only when the tokenizer does not hold them as
a whole word (with or without a leading space, in either case), so no model has an
embedding for them and no pretraining text taught it a fact about them. Each fact is one
relation (relations.py) between a subject and a new object; half of the subjects, where
one is free, are objects of earlier facts, which chains two facts into a multi-hop
question. The held-out facts are made the same way from disjoint entities: they are never
trained on, so their probes measure what training does to facts it never saw (locality)
and their sentences are the non-members of the membership audit.

One JSON object per fact (docs/knowledge.md, "The JSONL schema"):
    {"id", "split": "train"|"heldout", "relation", "subject", "object", "sentence",
     "paraphrases": [...], "probes": [{"id", "type", "format", "prompt", "answer",
                                       "choices"}, ...]}
"""

from __future__ import annotations

import random
from typing import Any, Callable, Iterable

from .relations import BY_NAME, NO_CHAIN, RELATIONS, Relation

ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
          "br", "dr", "gr", "kr", "pr", "tr", "st", "th", "sk", "pl")
VOWELS = ("a", "e", "i", "o", "u", "ae", "ou", "y")
CODAS = ("", "", "", "n", "r", "l", "s", "x", "th", "m")
CHAIN_SHARE = 0.5          # chance that a subject is an earlier fact's object, when one is free
DISTRACTORS = 3            # multiple choice: the answer among 1 + 3 options (chance 1/4)


def qa_prompt(question: str) -> str:
    return f"Question: {question}\nAnswer:"


def tf_prompt(statement: str) -> str:
    return f"True or false: {statement}\nAnswer:"


def cut_before(template: str, **slots: str) -> str:
    """A wording with its last slot (`{o}` or `{s}` at the end) cut off: the cloze prompt."""
    last = template.rstrip(".").rsplit("{", 1)[0].rstrip()
    return last.format(**slots)


def vocabulary_words(tokenizer) -> set[str]:
    """Whole words the tokenizer holds as one token, leading-space markers (GPT-2's 'Ġ',
    SentencePiece's '▁') removed: a name found here is a word the model already knows."""
    words = set()
    for token in tokenizer.get_vocab():
        word = token.replace("Ġ", " ").replace("▁", " ").strip()
        if word:
            words.add(word)
    return words


class Names:
    """Distinct invented names from a seeded generator; `known(name)` rejects a name."""

    def __init__(self, rng: random.Random, known: Callable[[str], bool]) -> None:
        self.rng, self.known, self.used = rng, known, set()

    def _candidate(self) -> str:
        syllables = self.rng.choice((2, 3, 3))
        parts = [self.rng.choice(ONSETS) + self.rng.choice(VOWELS) for _ in range(syllables)]
        parts[-1] += self.rng.choice(CODAS)
        return "".join(parts).capitalize()

    def new(self) -> str:
        while True:
            name = self._candidate()
            lower = name.lower()
            # no name is another's prefix: an answer then never matches inside another one
            clash = any(u.lower().startswith(lower) or lower.startswith(u.lower())
                        for u in self.used)
            if len(name) >= 5 and not clash and not self.known(name) \
                    and not self.known(lower):
                self.used.add(name)
                return name


def _facts(count: int, split: str, prefix: str, rng: random.Random,
           names: Names) -> list[dict[str, Any]]:
    """`count` facts as (relation, subject, object) records, chained where possible."""
    facts: list[dict[str, Any]] = []
    made_by: dict[str, str] = {}            # entity -> the relation whose object it is
    type_of: dict[str, str] = {}
    relations_of: dict[str, set[str]] = {}  # entity -> relations it is the subject of
    for index in range(count):
        relation = rng.choice(RELATIONS)
        free = [e for e in made_by if type_of[e] == relation.subject_type
                and relation.name not in relations_of.get(e, set())
                and (made_by[e], relation.name) not in NO_CHAIN]
        if free and rng.random() < CHAIN_SHARE:
            subject = rng.choice(free)
        else:
            subject = names.new()
            type_of[subject] = relation.subject_type
        obj = names.new()
        type_of[obj], made_by[obj] = relation.object_type, relation.name
        relations_of.setdefault(subject, set()).add(relation.name)
        facts.append({"id": f"{prefix}{index + 1:04d}", "split": split,
                      "relation": relation.name, "subject": subject, "object": obj})
    return facts


def _choices(answer: str, pool: Iterable[str], rng: random.Random) -> list[str]:
    others = sorted(set(pool) - {answer})
    options = rng.sample(others, min(DISTRACTORS, len(others))) + [answer]
    rng.shuffle(options)
    return options


def _probes(fact: dict[str, Any], facts: list[dict[str, Any]],
            rng: random.Random) -> list[dict[str, Any]]:
    relation: Relation = BY_NAME[fact["relation"]]
    s, o, fid = fact["subject"], fact["object"], fact["id"]
    same_objects = [f["object"] for f in facts if BY_NAME[f["relation"]].object_type
                    == relation.object_type]
    same_subjects = {f["subject"] for f in facts if BY_NAME[f["relation"]].subject_type
                     == relation.subject_type}
    # the same-type subjects of this relation first: a distractor that is also a founder
    founders = sorted({f["subject"] for f in facts if f["relation"] == relation.name})
    reverse_pool = founders if len(founders) > DISTRACTORS else sorted(same_subjects)

    def probe(kind: str, fmt: str, prompt: str, answer: str, choices=()) -> dict[str, Any]:
        return {"id": f"{fid}/{kind}/{fmt}", "type": kind, "format": fmt, "prompt": prompt,
                "answer": answer, "choices": list(choices)}

    question = relation.question.format(s=s)
    truth = rng.random() < 0.5
    wrong = [x for x in sorted(set(same_objects)) if x != o]
    stated = o if truth or not wrong else rng.choice(wrong)
    out = [
        probe("reliability", "cloze", cut_before(relation.sentence, s=s), o),
        probe("generality", "qa", qa_prompt(question), o),
        probe("generality", "cloze", relation.cloze.format(s=s), o),
        probe("generality", "tf", tf_prompt(relation.sentence.format(s=s, o=stated)),
              "True" if stated == o else "False", ("True", "False")),
        probe("generality", "mc", qa_prompt(question), o, _choices(o, same_objects, rng)),
        probe("reverse", "cloze", relation.reverse.format(o=o), s),
        probe("reverse", "mc", relation.reverse.format(o=o), s, _choices(s, reverse_pool, rng)),
    ]
    for first in facts:          # multi-hop: an earlier fact whose object is this subject
        if first["object"] == s and (first["relation"], relation.name) not in NO_CHAIN:
            described = BY_NAME[first["relation"]].describe.format(s=first["subject"])
            hop = qa_prompt(relation.question.format(s=described))
            out.append(probe("multihop", "qa", hop, o))
            out.append(probe("multihop", "mc", hop, o, _choices(o, same_objects, rng)))
    # a multiple choice needs another name of the kind (very small sets may have none)
    return [p for p in out if p["format"] != "mc" or len(p["choices"]) > 1]


def generate_facts(n: int, seed: int = 0, heldout: int = 0,
                   known: Callable[[str], bool] | None = None) -> list[dict[str, Any]]:
    """`n` training facts and `heldout` unseen ones, each with its sentence, paraphrases
    and probes. `known(word)` is True for a word the model's tokenizer holds whole (see
    `vocabulary_words`); such names are never used."""
    rng = random.Random(f"knowledge:{seed}")
    names = Names(rng, known or (lambda word: False))
    records = []
    for split, count, prefix in (("train", n, "k"), ("heldout", heldout, "h")):
        facts = _facts(count, split, prefix, rng, names)
        for fact in facts:
            relation = BY_NAME[fact["relation"]]
            slots = {"s": fact["subject"], "o": fact["object"]}
            records.append({**fact, "sentence": relation.sentence.format(**slots),
                            "paraphrases": [p.format(**slots) for p in relation.paraphrases],
                            "probes": _probes(fact, facts, rng)})
    return records
