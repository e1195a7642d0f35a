"""Complexity-graded list tasks with in-distribution (ID) and out-of-distribution (OOD)
twins, and the ID - OOD gap per level (Scylla, Qi et al. 2025).

How OOD is built: every ID instance (distinct integers 1-99) gets a twin whose numbers go
through v -> 1000 + 9v, which lands every number in 1009-1891: 4-digit values that the ID set
never uses. The map is increasing and affine, and targets are mapped with it (a planted
k-number answer with sum s becomes 9s + 1000k), so the twin keeps the same list length, the
same task wording, the same order of entries and the same planted answer positions. Gold is
re-solved on the twin. What the twin controls for: task, size N, wording and combinatorial
structure. What it does not: magnitude and length in tokens (4-digit numbers are longer),
so a gap measures "same problem, unfamiliar numbers", not pure recall.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Sequence

from .base import benchmarks, item_rng
from .complexity_tasks import BY_NAME, LEVELS, TASKS, Instance, Task
from .items import BenchItem, Grade

LIST_LENGTH = 6          # N; fixed across levels so only the algorithm's complexity varies
SPLITS = ("id", "ood", "both")


def to_ood(value: int) -> int:
    return 1000 + 9 * value


def make_instance(task: Task, rng, n: int = LIST_LENGTH) -> Instance:
    values = rng.sample(range(1, 100), n)
    instance: Instance = {"values": values}
    if task.plant:
        size = task.plant if task.plant > 0 else rng.randint(2, n - 1)
        positions = sorted(rng.sample(range(n), size))
        instance["planted"] = positions
        instance["target"] = sum(values[p] for p in positions)
        if task.name == "max_subset_under":
            instance["slack"] = rng.randint(0, 9)     # the cap may sit a little above a sum
            instance["target"] += instance["slack"]
    return instance


def ood_twin(instance: Instance) -> Instance:
    twin: Instance = {**instance, "values": [to_ood(v) for v in instance["values"]]}
    if "planted" in instance:
        planted_sum = sum(twin["values"][p] for p in instance["planted"])
        twin["target"] = planted_sum + instance.get("slack", 0)
    return twin


def make_prompt(task: Task, instance: Instance) -> str:
    numbers = ", ".join(str(v) for v in instance["values"])
    question = task.question.format(target=instance.get("target"))
    return (f"Here is a list of numbers: [{numbers}]\n{question}\n"
            f"End with a last line of the form: Answer: {task.answer_shape}")


_ANSWER = re.compile(r"answer\s*:?(.*)", re.IGNORECASE)
MAX_DIGITS = 1000          # far beyond any answer to these tasks


def parse_numbers(output: str) -> list[int]:
    """The integers on the last `Answer:` line, else on the last non-empty line."""
    lines = [line for line in output.splitlines() if line.strip()]
    chosen = next((m.group(1) for line in reversed(lines) if (m := _ANSWER.search(line))),
                  lines[-1] if lines else "")
    numbers = re.findall(r"-?\d+", chosen)
    if any(len(n) > MAX_DIGITS for n in numbers):   # int() refuses 4,300+ digits; no answer
        return []
    return [int(n) for n in numbers]


@benchmarks.register("complexity")
class Complexity:
    """List tasks at complexity levels 1-5; each ID item comes with its OOD twin."""

    kind: ClassVar[str] = "complexity"
    perturbations: ClassVar[tuple[str, ...]] = ("ood",)
    max_new_tokens: ClassVar[int] = 128
    interactive: ClassVar[bool] = False

    def __init__(self, split: str = "both", tasks: Sequence[str] | None = None) -> None:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
        unknown = [t for t in tasks or () if t not in BY_NAME]
        if unknown:
            raise ValueError(f"unknown complexity task(s) {', '.join(unknown)}; known: "
                             f"{', '.join(BY_NAME)}")
        self.split = split
        self.tasks = tuple(BY_NAME[t] for t in tasks) if tasks else TASKS

    def generate(self, n: int, seed: int, level: int | None = None) -> list[BenchItem]:
        if level is not None and level not in LEVELS:
            raise ValueError(f"complexity levels are {min(LEVELS)} to {max(LEVELS)}, not {level}")
        tasks = [t for t in self.tasks if level is None or t.level == level]
        if not tasks:
            raise ValueError(f"no selected task has level {level}")
        items = []
        for i in range(n):
            task = tasks[i % len(tasks)]
            instance = make_instance(task, item_rng("complexity", seed, task.name, i))
            original = self._item(task, instance, f"cx-{task.name}-s{seed}-{i:05d}", "id")
            if self.split in ("id", "both"):
                items.append(original)
            if self.split in ("ood", "both"):
                items.append(self.perturb(original, "ood", seed))
        return items

    def _item(self, task: Task, instance: Instance, item_id: str, split: str,
              **fields: Any) -> BenchItem:
        return BenchItem(id=item_id, kind=self.kind, task=task.name, level=task.level,
                         prompt=make_prompt(task, instance), gold=task.solve(instance),
                         meta={"instance": instance, "complexity": LEVELS[task.level]},
                         split=split, **fields)

    def grade(self, item: BenchItem, output: str) -> Grade:
        numbers = parse_numbers(output)
        correct = bool(numbers) and BY_NAME[item.task].check(item.meta["instance"], numbers)
        return Grade(float(correct), correct, ", ".join(map(str, numbers))[:120] or None)

    def perturb(self, item: BenchItem, perturbation: str, seed: int) -> BenchItem | None:
        if perturbation != "ood":
            raise ValueError(f"complexity has one perturbation, 'ood', not {perturbation!r}")
        if item.split == "ood":
            return None
        twin = ood_twin(item.meta["instance"])
        return self._item(BY_NAME[item.task], twin, item.id.removesuffix("-id") + "-ood", "ood",
                          source_id=item.id)


def gap_by_level(accuracy: dict[int, dict[str, float]]) -> dict[str, Any]:
    """Gap = max(ID - OOD, 0) per level; the critical complexity is the level where it peaks
    (None when no level shows a positive gap). `accuracy` maps level -> {"id": a, "ood": b}."""
    gaps = {level: max(acc["id"] - acc["ood"], 0.0) for level, acc in sorted(accuracy.items())
            if "id" in acc and "ood" in acc}
    peak = max(gaps.values(), default=0.0)
    critical = next((level for level, gap in gaps.items() if gap == peak), None) if peak > 0 \
        else None
    return {"gap": gaps, "critical_level": critical,
            "critical_complexity": LEVELS.get(critical) if critical else None}
