"""What the generation audits (CDD, completion) share: reading items with their optional
answers, the data block of a run identity, and the resumable chunk loop.

The loop has the shape of every mnemoscope audit: open or resume the run, compute the rows
of the items not done yet in chunks (each chunk becomes one Parquet part as soon as it is
done), then summarise from what is on disk.
"""

from __future__ import annotations

import logging
import platform
from pathlib import Path
from typing import Any, Callable, Sequence

from .. import __version__
from ..data import DataConfig, data_hash, load_samples
from ..runs import RunWriter, chunked
from ..types import InputError, Sample

log = logging.getLogger(__name__)


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


def data_identity(data: DataConfig) -> dict[str, Any]:
    """The `data` block of a run identity (the report reads texts back through it)."""
    return {"path": str(Path(data.path).resolve()), "hash": data_hash(data.path),
            "text_column": data.text_column, "label_column": data.label_column,
            "id_column": data.id_column, "limit": data.limit}


def open_run(out: str, identity: dict[str, Any], model_identity: dict[str, Any] | None,
             runtime: dict[str, Any]) -> RunWriter:
    extra = {"mnemoscope_version": __version__, "python": platform.python_version(),
             "versions": (model_identity or {}).get("versions", {}), "runtime": runtime}
    return RunWriter(out, identity, extra)


def run_pending(writer: RunWriter, items: Sequence[Sample], row_ids: Callable[[Sample], list[str]],
                job: Any, *, make_rows: Callable[[Sequence[Sample]], list[dict[str, Any]]] | None,
                chunk_size: int, desc: str, progress: bool, engine: str = "local",
                workers: int = 2, address: str | None = None) -> None:
    """Compute and write the rows of every item some of whose rows are not on disk yet, in
    this process (`make_rows`) or on a Ray actor pool that opens `job` (engine="ray").
    An item's rows always land in one part, so after a crash an item is all done or not."""
    from ..scale.engines import run_chunks

    done = writer.done_ids()
    pending = [s for s in items if not all(r in done for r in row_ids(s))]
    if done:
        log.info("resuming %s: %d of %d items already done", writer.dir,
                 len(items) - len(pending), len(items))
    pending.sort(key=lambda s: len(s.text))
    run_chunks(writer, job, list(chunked(pending, max(1, chunk_size))), engine=engine,
               make_rows=make_rows, workers=workers, address=address, total=len(items),
               already_done=len(items) - len(pending), desc=desc, unit="item",
               progress=progress)


def write_report(run_dir: str | Path) -> None:
    from ..report import write_report as write

    write(run_dir)


def require_generation(model, who: str) -> None:
    from ..models import require
    from ..types import Capabilities

    require(model, Capabilities.GENERATE, who)
