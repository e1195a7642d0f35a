"""Checkpoint series: several saved states of one training, scored as one run.

`--model` names a series when it is
- a comma list of model folders: `out/checkpoint-100,out/checkpoint-200`, or
- a folder that is not itself a model (no config.json) but holds `checkpoint-<step>/`
  model folders: a Trainer's output_dir before the final save_model().
Checkpoints are ordered by step when every one is named checkpoint-<step>, else kept in
the order given. Anything else is one model (None here), so existing paths keep their
meaning: a folder with config.json is that model, even with checkpoints inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..types import InputError

STEP_NAME = re.compile(r"checkpoint-(\d+)$")


@dataclass(frozen=True)
class Checkpoint:
    label: str            # the folder's name: the run's `checkpoint` column
    step: int | None      # from checkpoint-<step>, else None
    path: str


def _checkpoint(path: Path) -> Checkpoint:
    match = STEP_NAME.search(path.name)
    return Checkpoint(path.name, int(match.group(1)) if match else None, str(path))


def checkpoint_series(model: str) -> list[Checkpoint] | None:
    """The checkpoints `model` names (see the module docstring), or None for one model."""
    if "://" in model or Path(model).expanduser().exists() and "," not in model:
        folder = Path(model).expanduser()
        if not folder.is_dir() or (folder / "config.json").is_file():
            return None
        found = [p for p in folder.iterdir() if p.is_dir() and STEP_NAME.search(p.name)
                 and (p / "config.json").is_file()]
        return _ordered([_checkpoint(p) for p in found]) if found else None
    if "," not in model:
        return None
    paths = [Path(part.strip()).expanduser() for part in model.split(",") if part.strip()]
    missing = [str(p) for p in paths if not (p / "config.json").is_file()]
    if missing:
        raise InputError(f"--model {model}: a comma list names a checkpoint series, and "
                         f"{', '.join(missing[:3])} is not a model folder (no config.json). "
                         "List checkpoint folders, e.g. out/checkpoint-100,out/checkpoint-200.")
    labels = [p.name for p in paths]
    series = [Checkpoint(p.name if labels.count(p.name) == 1 else str(p), _checkpoint(p).step,
                         str(p)) for p in paths]
    if len({c.label for c in series}) != len(series):
        raise InputError(f"--model {model}: a checkpoint is listed twice; name each once")
    return _ordered(series)


def _ordered(series: list[Checkpoint]) -> list[Checkpoint]:
    if all(c.step is not None for c in series):
        return sorted(series, key=lambda c: c.step)      # type: ignore[arg-type, return-value]
    return series
