"""One switch between the local loop and the Ray actor pool, for every chunked audit.

An audit describes its per-chunk work as a job (see ray_engine.ChunkJob): plain configs
plus `open(model=None) -> (chunk -> rows)`. Locally the job is opened once in this process
(with a model the caller may already hold); on Ray every actor opens it. Either way the
rows come from the same function, on the same chunks, into the same run store.

This module imports no audit: audits import it (lazily), so it sits with the run store.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

from ..models.base import ModelConfig
from ..runs import RunWriter, write_chunks
from ..types import Capabilities, InputError, Sample

ENGINES = ("local", "ray")


def check_engine(engine: str, model: Any = None) -> None:
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; use local or ray")
    if engine == "ray" and model is not None and not isinstance(model, (str, ModelConfig)):
        raise InputError("engine='ray' loads the model inside each worker: pass the model by "
                         "name or path, not as a loaded object.")


def prepare_model(config: ModelConfig, model: Any, engine: str,
                  needs: Sequence[tuple[Capabilities, str]]) -> tuple[Any, dict[str, Any], ModelConfig]:
    """(loaded model or None, model identity, config for workers). `needs` lists
    (capabilities, who needs them) pairs, checked before any work starts.

    local: load (or take) the model and check it. ray: nothing is loaded here; the
    backend's declared capabilities are checked, the identity is described from the files,
    and the dtype the driver resolved is pinned so every worker matches it."""
    from ..models import declared_capabilities, load_model, require, require_offered

    check_engine(engine, model)
    if engine == "local":
        model = model if model is not None else load_model(config)
        for needed, who in needs:
            require(model, needed, who)
        return model, model.identity(), config
    if config.resolved_backend() == "openai":
        raise InputError("engine='ray' runs models inside its workers; an HTTP endpoint is "
                         "already a server. Use the local engine and raise --batch-size (the "
                         "number of requests in flight) instead.")
    offered = declared_capabilities(config)
    if offered is not None:
        for needed, who in needs:
            require_offered(offered, f"{config.backend}:{config.model}", needed, who)
    from ..models.hf import describe

    identity = describe(config)
    return None, identity, replace(config, dtype=identity["dtype"])


def run_chunks(writer: RunWriter, job: Any, chunks: Sequence[Sequence[Sample]], *,
               engine: str = "local", make_rows: Callable | None = None, workers: int = 2,
               address: str | None = None, total: int, already_done: int, desc: str,
               unit: str = "text", progress: bool = True) -> None:
    """Write every chunk's rows as one part: in this process with `make_rows` (default:
    job.open()), or on `workers` Ray actors that each open `job`."""
    if engine == "ray":
        from .ray_engine import run_chunks_on_ray

        run_chunks_on_ray(job, chunks, Path(writer.dir), workers=workers, address=address,
                          progress=progress, total=total, already_done=already_done,
                          desc=desc, unit=unit)
        return
    check_engine(engine)
    write_chunks(writer, chunks, make_rows or job.open(), total=total,
                 already_done=already_done, desc=desc, unit=unit, progress=progress)
