"""The fixed set of texts every check scores: a seeded sample of members and held-out
texts, and the canaries planted in the training data."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..extraction.canaries import Canary
from ..types import InputError, Sample



def as_samples(items: Sequence[Any], label: int, prefix: str) -> list[Sample]:
    """Strings, Samples or {"id", "text"} dicts -> Samples with `label`. Strings get ids
    `<prefix>-<index>`; ids must be distinct."""
    out = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            out.append(Sample(f"{prefix}-{index:05d}", item, label))
        elif isinstance(item, Sample):
            out.append(Sample(item.id, item.text, label))
        elif isinstance(item, Mapping) and "text" in item:
            out.append(Sample(str(item.get("id", f"{prefix}-{index:05d}")), str(item["text"]),
                              label))
        else:
            raise InputError(f"{prefix} item {index}: give a string, a Sample or a dict with a "
                             f"'text' field (got {type(item).__name__})")
        if not out[-1].text.strip():
            raise InputError(f"{prefix} item {index} ({out[-1].id}) is empty; remove it")
    return out


@dataclass(frozen=True)
class ProbeSet:
    members: tuple[Sample, ...]        # label 1
    held_out: tuple[Sample, ...]       # label 0
    canaries: tuple[Canary, ...] = ()

    @classmethod
    def draw(cls, members: Sequence[Any], held_out: Sequence[Any],
             canaries: Sequence[Canary] = (), *, n_members: int, n_held_out: int,
             seed: int = 0) -> "ProbeSet":
        """A seeded sample of `n_members` members and `n_held_out` held-out texts (all of
        a group when it is smaller); the canaries are kept whole."""
        member_samples = as_samples(members, 1, "member")
        held_samples = as_samples(held_out, 0, "held_out")
        if len(member_samples) < 2 or len(held_samples) < 2:
            raise InputError(f"a memorization check needs at least 2 members and 2 held-out "
                             f"texts (got {len(member_samples)} and {len(held_samples)})")
        ids = [s.id for s in member_samples + held_samples]
        if len(set(ids)) != len(ids):
            repeated = sorted({i for i in ids if ids.count(i) > 1})[:3]
            raise InputError(f"member and held-out ids must be distinct; repeated: {repeated}")
        rng = random.Random(f"probe:{seed}")
        picked_members = _pick(member_samples, n_members, rng)
        picked_held = _pick(held_samples, n_held_out, rng)
        return cls(tuple(picked_members), tuple(picked_held), tuple(canaries))

    @property
    def texts(self) -> list[Sample]:
        return list(self.members) + list(self.held_out)

    def identity(self) -> dict[str, Any]:
        """A hash of every probe text and canary: a resumed run must score the same ones."""
        digest = hashlib.sha256()
        for sample in self.texts:
            digest.update(json.dumps([sample.id, sample.text, sample.label]).encode())
        for canary in self.canaries:
            digest.update(json.dumps(asdict(canary)).encode())
        return {"members": len(self.members), "held_out": len(self.held_out),
                "canaries": len(self.canaries), "sha256": digest.hexdigest()}

    def write(self, path: Path) -> None:
        """The probe texts as labelled JSON lines (id, text, label): `mnemoscope score` on
        this file with --model <checkpoint folder> scores the same texts per checkpoint."""
        from ..runs import write_text_atomic

        write_text_atomic(path, "".join(json.dumps({"id": s.id, "text": s.text,
                                                    "label": s.label}) + "\n"
                                        for s in self.texts))


def _pick(samples: list[Sample], count: int, rng: random.Random) -> list[Sample]:
    if len(samples) <= count:
        return list(samples)
    chosen = sorted(rng.sample(range(len(samples)), count))
    return [samples[i] for i in chosen]
