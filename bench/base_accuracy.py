"""The embedded SmolLM2-135M-Instruct's accuracy per benchmark, task and level, on a small
seeded sample (a few minutes on a CPU). Prints the table and writes a run folder.

    HF_HUB_OFFLINE=1 python bench/base_accuracy.py --out /tmp/bench_base
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mnemoscope.benchmarks import generate, write_items
from mnemoscope.benchmarks.harness import EvalSpec, run_eval
from mnemoscope.models import ModelConfig


def sample(per_cell: int, seed: int):
    items = []
    for people in (2, 3, 4):
        items += generate("kk", per_cell, seed, level=people)
    for level in (0, 1, 2, 4, 8):
        items += generate("randomcalc", per_cell, seed, level=level)
    items += generate("complexity", 10 * max(1, per_cell // 2), seed)   # every task, ID + OOD
    items += generate("wilt", per_cell + 2, seed, max_tests=10)
    return items


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="/tmp/bench_base")
    parser.add_argument("--per-cell", type=int, default=4, help="items per task and level")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    items_path = out / "items.jsonl"
    with open(items_path, "w", encoding="utf-8") as handle:
        write_items(sample(args.per_cell, args.seed), handle)
    spec = EvalSpec(items=str(items_path), out=str(out / "run"),
                    model=ModelConfig(model="smollm2-135m", batch_size=16),
                    progress=False, report=False)     # each kind's own answer budget
    print(run_eval(spec).table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
