"""A function over many shards as Ray tasks, with one large shared object broadcast.

    map_shards_on_ray(fn, shared, shards, on_result=...)  runs fn(shared, shard, *args) as
    one Ray task per shard; `shared` (e.g. the benchmark n-gram index, numpy arrays) is put
    in the object store once with ray.put, and every task receives that one copy
    (zero-copy for numpy arrays on the same node) instead of a pickle per task.

At most `workers` tasks are in flight, and results are handed to `on_result(position,
result)` on the driver as each task finishes, so the caller can checkpoint shard by shard;
a task that dies with its worker is retried by Ray (max_retries). Like ray_engine, this
module imports no audit: the audit passes its own function (importable by reference on
the workers, which get the driver's PYTHONPATH).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..types import InputError


def _call(fn: Callable, shared: Any, shard: Any, args: tuple) -> Any:
    return fn(shared, shard, *args)


def map_shards_on_ray(fn: Callable, shared: Any, shards: Sequence[Any], *,
                      args: tuple = (), workers: int = 2, address: str | None = None,
                      on_result: Callable[[int, Any], None], retries: int = 3) -> None:
    if workers < 1:
        raise InputError(f"--workers must be at least 1, not {workers}")
    if not shards:
        return
    from .ray_engine import _init_ray

    ray = _init_ray(address, workers)
    task = ray.remote(num_cpus=1, max_retries=retries)(_call)
    shared_ref = ray.put(shared)
    args_ref = ray.put(args)
    waiting = list(enumerate(shards))[::-1]
    running: dict[Any, int] = {}
    while waiting or running:
        while waiting and len(running) < workers:
            position, shard = waiting.pop()
            running[task.remote(fn, shared_ref, shard, args_ref)] = position
        finished, _ = ray.wait(list(running), num_returns=1)
        for ref in finished:
            position = running.pop(ref)
            on_result(position, _result(ray, ref))


def _result(ray, ref) -> Any:
    """ray.get, with a task's bad-input error raised as itself (one clear line)."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, InputError):
            raise type(cause)(str(cause)) from None
        raise
