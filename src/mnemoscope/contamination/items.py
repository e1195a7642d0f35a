"""What the generation audits (CDD, completion) share: reading items with their optional
answers, and the check that the backend generates."""

from __future__ import annotations

from ..data import DataConfig, load_samples
from ..types import InputError, Sample


def load_items(data: DataConfig, answer_column: str | None,
               required: bool = False) -> tuple[list[Sample], dict[str, str] | None]:
    """(items, answers by id). Answers come from `answer_column` (a column of the items file);
    None when no row has it. A column present in some rows but not others is an error, as
    is a missing column the caller asked for explicitly (`required`)."""
    samples = load_samples(data)
    if not answer_column:
        return samples, None
    answers = {s.id: str(s.meta[answer_column]) for s in samples
               if s.meta.get(answer_column) is not None}
    if not answers:
        if required:
            raise InputError(f"{data.path}: no row has the answer column {answer_column!r} "
                             f"(columns seen: {', '.join(sorted(samples[0].meta)) or 'none'}). "
                             "Pass --answer-column NAME, or leave it out to skip TED.")
        return samples, None
    missing = [s.id for s in samples if s.id not in answers]
    if missing:
        raise InputError(f"{data.path}: {len(missing)} row(s) have no {answer_column!r} "
                         f"(first: id {missing[0]!r}) while others do. Give every row an "
                         "answer, or none.")
    return samples, answers


def require_generation(model, who: str) -> None:
    from ..models import require
    from ..types import Capabilities

    require(model, Capabilities.GENERATE, who)
