"""The seeded member / non-member split, and the files that record it."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Sequence

from ..runs import write_text_atomic
from ..types import InputError, Sample


def split_members(samples: Sequence[Sample], fraction: float,
                  seed: int) -> tuple[list[Sample], list[Sample]]:
    """(members, non-members): a seeded shuffle, the first round(fraction * n) are members.
    Labels already in the data are ignored: the lab makes its own ground truth."""
    members, nonmembers, _ = split_lab(samples, fraction, seed)
    return members, nonmembers


def split_lab(samples: Sequence[Sample], member_fraction: float, seed: int,
              reference_fraction: float = 0.0) -> tuple[list[Sample], list[Sample], list[Sample]]:
    """(members, non-members, reference pool). After one seeded shuffle the first
    round(reference_fraction * n) texts train a reference model and are never scored; of the
    rest, the first round(member_fraction * rest) are members. With no reference pool this
    is exactly split_members, so adding one later does not reshuffle anything else."""
    n_reference = round(reference_fraction * len(samples))
    if len(samples) - n_reference < 4 or (reference_fraction > 0 and n_reference < 2):
        raise InputError(f"the lab needs at least 4 texts to score (got {len(samples)}, of which "
                         f"{n_reference} train the reference): two members and two non-members "
                         "at the least, a few hundred for useful figures.")
    order = list(samples)
    random.Random(f"split:{seed}").shuffle(order)
    reference, rest = order[len(order) - n_reference:], order[:len(order) - n_reference]
    n_members = min(max(1, round(member_fraction * len(rest))), len(rest) - 1)
    return rest[:n_members], rest[n_members:], reference


def write_lab_data(path: Path, members: Sequence[Sample], nonmembers: Sequence[Sample]) -> None:
    """The labelled calibration set (id, text, label), members first, as JSON lines,
    written atomically."""
    write_text_atomic(path, "".join(
        json.dumps({"id": sample.id, "text": sample.text, "label": label}) + "\n"
        for label, group in ((1, members), (0, nonmembers)) for sample in group))
