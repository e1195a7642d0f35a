"""Leakage-free benchmarks: seeded generators, graders and perturbations, one harness.

    kk          Knights and Knaves (Xie et al. 2024)            kk.py
    randomcalc  RandomCalculation (Wu et al. 2025)              randomcalc.py
    wilt        WILT-style rule finding (Banatt et al. 2024)    wilt.py
    complexity  Scylla-style complexity levels (Qi et al. 2025) complexity.py

`generate(kind, n, seed)` makes items; `run_eval` (harness.py) scores a model on them and
writes a run; `limem` (limem.py) compares a run on originals with a run on perturbations.
Importing this package does not import torch.
"""

from __future__ import annotations

from . import complexity, kk, randomcalc, wilt  # noqa: F401  (registers the kinds)
from .base import Benchmark, benchmarks
from .items import BenchItem, Grade, read_items, write_items

__all__ = ["BenchItem", "Benchmark", "Grade", "benchmarks", "generate", "perturb",
           "read_items", "write_items"]


def generate(kind: str, n: int, seed: int = 0, level: int | None = None,
             **options) -> list[BenchItem]:
    """n seeded items of one kind. `options` go to the benchmark (e.g. split="id")."""
    return benchmarks.get(kind)(**options).generate(n, seed, level)


def perturb(items: list[BenchItem], perturbation: str, seed: int = 0) -> list[BenchItem]:
    """A perturbed copy of each item that admits one (ids get a `~<perturbation>` suffix)."""
    out = []
    for item in items:
        benchmark = benchmarks.get(item.kind)()
        try:
            new = benchmark.perturb(item, perturbation, seed)
        except (KeyError, TypeError, IndexError, AttributeError) as exc:
            # a hand-edited item: its gold or meta lacks what the generator put there
            raise ValueError(f"item {item.id!r}: its gold or meta is not what `mnemoscope bench "
                             f"generate` writes ({type(exc).__name__}: {exc}). Generate the "
                             "file again.") from None
        if new is not None:
            out.append(new)
    return out
