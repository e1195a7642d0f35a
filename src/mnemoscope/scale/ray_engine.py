"""Membership scoring on a Ray Data actor pool.

Each actor loads the same backend and signals as the single-process path and calls the
same `rows_for_chunk`, so a row is computed identically wherever it runs. Actors write
run-store parts themselves; a part's name is derived from the ids it holds, so a batch
that Ray retries after a worker dies rewrites the same file instead of duplicating rows.
The driver only streams the ids back for progress.

Works on a local Ray (started here) or an existing cluster (`address`); on a cluster the
run folder must be on storage every node can write.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from ..models.base import ModelConfig
from ..types import InputError, Sample

log = logging.getLogger(__name__)


def part_name(ids: Sequence[str]) -> str:
    """Deterministic part file name for a batch of ids."""
    digest = hashlib.sha256("\0".join(sorted(ids)).encode("utf-8")).hexdigest()[:20]
    return f"part-ray-{digest}.parquet"


class ScoreActor:
    """One Ray actor: a loaded model, the signals, and a folder to write parts into."""

    def __init__(self, model_config: ModelConfig, reference_config: ModelConfig | None,
                 signals: list, save_tokens: bool, out_dir: str, threads: int) -> None:
        import torch

        from ..models import load_model

        torch.set_num_threads(max(1, threads))
        self.model = load_model(model_config)
        self.reference = load_model(reference_config) if reference_config else None
        self.signals = signals
        self.save_tokens = save_tokens
        self.parts = Path(out_dir) / "parts"
        workers = Path(out_dir) / ".workers"          # lets an operator (or a test) find us
        workers.mkdir(exist_ok=True)
        (workers / str(os.getpid())).touch()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..membership import rows_for_chunk

        ids = [str(i) for i in batch["id"]]
        labels = batch.get("label")
        samples = [Sample(ids[i], str(batch["text"][i]), _label(labels, i)) for i in range(len(ids))]
        rows = rows_for_chunk(samples, self.model, self.reference, self.signals, self.save_tokens)
        name = part_name(ids)
        tmp = self.parts / f".{name}.{os.getpid()}.tmp"
        pq.write_table(pa.Table.from_pylist(rows), tmp)
        os.replace(tmp, self.parts / name)
        return {"id": np.asarray(ids, dtype=object)}


def _label(labels: Any, index: int) -> int | None:
    """Labels arrive as numpy values; an unlabelled row may come back as None or NaN."""
    if labels is None:
        return None
    value = labels[index]
    if value is None or value != value:      # NaN is the only value unequal to itself
        return None
    return int(value)


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


def score_on_ray(pending: list[Sample], out_dir: Path, model_config: ModelConfig,
                 reference_config: ModelConfig | None, signals: list, save_tokens: bool,
                 chunk_size: int, *, workers: int = 2, address: str | None = None,
                 progress: bool = True, total: int | None = None) -> None:
    if not pending:
        return
    ray = _init_ray(address, workers)
    from tqdm.auto import tqdm

    threads = max(1, (os.cpu_count() or 1) // workers) if not address else 1
    labelled = any(s.label is not None for s in pending)
    records = [{"id": s.id, "text": s.text, **({"label": s.label} if labelled else {})}
               for s in pending]
    blocks = max(1, min(len(records) // max(1, chunk_size), 4 * workers))
    dataset = ray.data.from_items(records, override_num_blocks=blocks)
    # Ray Data restarts dead actors and retries their batches by default
    # (max_restarts = max_task_retries = -1); part names make the retries idempotent.
    scored = dataset.map_batches(
        ScoreActor, batch_size=chunk_size, batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=threads,
        fn_constructor_kwargs=dict(model_config=model_config, reference_config=reference_config,
                                   signals=list(signals), save_tokens=save_tokens,
                                   out_dir=str(out_dir), threads=threads))
    total = total or len(pending)
    bar = tqdm(total=total, initial=total - len(pending), unit="text", desc="scoring (ray)",
               disable=not progress, file=sys.stderr)
    try:
        for batch in scored.iter_batches(batch_size=None, batch_format="numpy"):
            bar.update(len(batch["id"]))
    finally:
        bar.close()
