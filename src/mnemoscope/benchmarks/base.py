"""What every benchmark supplies, and the registry the harness and CLI look kinds up in.

A benchmark is a stateless object: `generate` makes seeded items, `grade` scores one model
output against an item, `perturb` makes a variant of an item. Interactive benchmarks (WILT)
also supply `play`, which the harness calls instead of one-shot generation.
"""

from __future__ import annotations

import random
from typing import ClassVar, Protocol, Sequence

from ..registry import Registry
from .items import BenchItem, Grade


class Benchmark(Protocol):
    kind: ClassVar[str]
    perturbations: ClassVar[tuple[str, ...]]   # names accepted by `perturb`
    max_new_tokens: ClassVar[int]              # the default answer budget
    interactive: ClassVar[bool]

    def generate(self, n: int, seed: int, level: int | None = None) -> list[BenchItem]: ...

    def grade(self, item: BenchItem, output: str) -> Grade: ...

    def perturb(self, item: BenchItem, perturbation: str, seed: int) -> BenchItem | None:
        """A variant of `item`, or None when none can be made (the caller skips it)."""
        ...


benchmarks: Registry[Benchmark] = Registry("benchmark", group="mnemoscope.benchmarks")


def item_rng(*parts: object) -> random.Random:
    """A generator seeded from its parts. String seeds hash with SHA-512 inside `random`, so
    the stream is the same on every run and platform, and item i does not depend on n."""
    return random.Random(":".join(str(p) for p in parts))


def perturbed_id(item: BenchItem, perturbation: str) -> str:
    return f"{item.id}~{perturbation}"


def check_perturbation(benchmark: Benchmark, perturbation: str) -> None:
    if perturbation not in benchmark.perturbations:
        known = ", ".join(benchmark.perturbations) or "none"
        raise ValueError(f"{benchmark.kind} has no perturbation {perturbation!r}; known: {known}")


def levels_cycle(level: int | None, choices: Sequence[int], n: int) -> list[int]:
    """The level of each of n items: the one asked for, else the choices in turn."""
    if level is not None:
        return [level] * n
    return [choices[i % len(choices)] for i in range(n)]
