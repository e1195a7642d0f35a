"""Any chunked audit on a Ray Data actor pool.

An audit describes its per-chunk work as a *job*: a small picklable object whose `open()`
loads what a worker needs (models, signals) and returns a function from a chunk of samples
to rows, the same function the single-process path calls. Each actor opens the job once
and then turns chunks into run-store parts.

- Chunks are cut on the driver, exactly as the local engine cuts them, and each chunk is
  one Ray record: a batch always holds the same samples in the same order on either
  engine, so batched generation and scoring see the same inputs and give the same rows.
- Actors write the parts themselves; a part's name is derived from the ids it holds, so a
  chunk that Ray retries after a worker dies rewrites the same file instead of duplicating
  rows. The driver only streams ids back, for progress.

Works on a local Ray (started here) or an existing cluster (`address`); on a cluster the
run folder must be on storage every node can write.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from ..types import InputError, Sample

log = logging.getLogger(__name__)

RowsFn = Callable[[list[Sample]], list[dict[str, Any]]]


class ChunkJob(Protocol):
    """What a worker needs to turn chunks into rows. Must pickle (plain configs, no models)."""

    def open(self) -> RowsFn: ...


def part_name(ids: Sequence[str]) -> str:
    """Deterministic part file name for a chunk of ids."""
    digest = hashlib.sha256("\0".join(sorted(ids)).encode("utf-8")).hexdigest()[:20]
    return f"part-ray-{digest}.parquet"


def _encode(chunk: Sequence[Sample]) -> str:
    """A chunk as one JSON string (meta values that JSON lacks, e.g. timestamps, as text)."""
    from ..runs import json_default

    def fallback(value: Any) -> Any:
        try:
            return json_default(value)
        except TypeError:
            return str(value)

    return json.dumps([[s.id, s.text, s.label, dict(s.meta)] for s in chunk], default=fallback)


def _decode(payload: str) -> list[Sample]:
    return [Sample(i, text, label, meta) for i, text, label, meta in json.loads(payload)]


class ChunkActor:
    """One Ray actor: an opened job and a folder to write parts into."""

    def __init__(self, job: ChunkJob, out_dir: str, threads: int) -> None:
        import torch

        torch.set_num_threads(max(1, threads))
        self.rows = job.open()
        self.parts = Path(out_dir) / "parts"
        workers = Path(out_dir) / ".workers"          # lets an operator (or a test) find us
        workers.mkdir(exist_ok=True)
        (workers / str(os.getpid())).touch()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np
        import pyarrow as pa

        from ..runs import write_part

        done: list[str] = []
        for payload in batch["chunk"]:
            chunk = _decode(str(payload))
            ids = [s.id for s in chunk]
            write_part(self.parts, part_name(ids), pa.Table.from_pylist(self.rows(chunk)))
            done.extend(ids)
        return {"id": np.asarray(done, dtype=object)}


def _init_ray(address: str | None, workers: int):
    try:
        import ray
    except ImportError:
        raise InputError("engine 'ray' needs Ray Data: pip install 'mnemoscope[ray]'") from None
    logging.getLogger("ray").setLevel(logging.WARNING)
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"ignore_reinit_error": True, "log_to_driver": False,
                                  "include_dashboard": False}
        if address:
            kwargs["address"] = address
        else:
            kwargs["num_cpus"] = max(workers, os.cpu_count() or 1)
        # workers import mnemoscope from the same place as the driver
        src = str(Path(__file__).resolve().parents[2])
        kwargs["runtime_env"] = {"env_vars": {
            "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}}
        ray.init(**kwargs)
    return ray


def threads_per_worker(workers: int, address: str | None) -> int:
    """Local Ray: share this machine's cores among the actors; a cluster: one per actor."""
    return max(1, (os.cpu_count() or 1) // max(1, workers)) if not address else 1


def run_chunks_on_ray(job: ChunkJob, chunks: Sequence[Sequence[Sample]], out_dir: Path, *,
                      workers: int = 2, address: str | None = None, progress: bool = True,
                      total: int | None = None, already_done: int = 0,
                      desc: str = "ray", unit: str = "text") -> None:
    """Turn every chunk into a part under out_dir/parts on `workers` actors."""
    chunks = [list(c) for c in chunks if c]
    if not chunks:
        return
    if workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}")
    ray = _init_ray(address, workers)
    from tqdm.auto import tqdm

    threads = threads_per_worker(workers, address)
    dataset = ray.data.from_items([{"chunk": _encode(c)} for c in chunks],
                                  override_num_blocks=min(len(chunks), 4 * workers))
    # Ray Data restarts dead actors and retries their batches by default
    # (max_restarts = max_task_retries = -1); part names make the retries idempotent.
    rows = dataset.map_batches(
        ChunkActor, batch_size=1, batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=threads,
        fn_constructor_kwargs=dict(job=job, out_dir=str(out_dir), threads=threads))
    count = sum(len(c) for c in chunks)
    total = total or (already_done + count)
    bar = tqdm(total=total, initial=already_done, unit=unit, desc=f"{desc} (ray)",
               disable=not progress, file=sys.stderr)
    try:
        for batch in rows.iter_batches(batch_size=None, batch_format="numpy"):
            bar.update(len(batch["id"]))
    finally:
        bar.close()
