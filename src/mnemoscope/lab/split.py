"""The seeded member / non-member split, and the files that record it."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Sequence

from ..types import InputError, Sample


def split_members(samples: Sequence[Sample], fraction: float,
                  seed: int) -> tuple[list[Sample], list[Sample]]:
    """(members, non-members): a seeded shuffle, the first round(fraction * n) are members.
    Labels already in the data are ignored: the lab makes its own ground truth."""
    if len(samples) < 4:
        raise InputError(f"the lab needs at least 4 texts (got {len(samples)}): two members and "
                         "two non-members at the least, a few hundred for useful figures.")
    order = list(samples)
    random.Random(f"split:{seed}").shuffle(order)
    n_members = min(max(1, round(fraction * len(order))), len(order) - 1)
    return order[:n_members], order[n_members:]


def write_lab_data(path: Path, members: Sequence[Sample], nonmembers: Sequence[Sample]) -> None:
    """The labelled calibration set (id, text, label), members first, as JSON lines."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for label, group in ((1, members), (0, nonmembers)):
            for sample in group:
                handle.write(json.dumps({"id": sample.id, "text": sample.text, "label": label})
                             + "\n")
    tmp.replace(path)
