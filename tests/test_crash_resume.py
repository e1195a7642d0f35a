"""Kill every resumable command anywhere, resume it, and get the uninterrupted run's rows.

The fast subset of bench/crash_soak.py (bench/crash_harness.py says how a run is launched,
killed and compared): per command, one SIGKILL at a fault point inside a write
(MNEMOSCOPE_FAULT), one at a random delay in the resume, then a resume to completion;
0 rows lost, 0 duplicated in the raw parts, every value equal to the uninterrupted run's.
The lab is also killed while writing its --synthetic data file and between renaming model/
into place and writing training_curve.json beside it (it used to retrain on every resume).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from crash_harness import Exec, Fork, cases, compare, launch, prepare, trial  # noqa: E402


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    work = tmp_path_factory.mktemp("crash")
    launcher = Fork()
    try:
        yield work, cases(prepare(work)), launcher
    finally:
        launcher.close()


def _baseline(case, work: Path, launcher):
    first = launch(case, work / f"{case.name}-baseline", launcher)
    assert first.rc == 0, first.stderr
    return work / f"{case.name}-baseline", (first.first_write_s or 0.0, first.seconds)


def _assert_same_as_baseline(comparison) -> None:
    assert (comparison.lost, comparison.duplicated, comparison.mismatched) == (0, 0, 0), \
        comparison.notes
    assert comparison.max_delta == 0.0 and comparison.rows > 0


@pytest.mark.parametrize("command, fault", [
    ("score", "part.half:3"), ("extract", "part.synced:2"), ("overlap", "json.half:4"),
    ("bench-eval", "part.renamed:2")])
def test_killed_mid_write_and_at_random_then_resumed(setup, command, fault):
    work, known, launcher = setup
    case = known[command]
    baseline, window = _baseline(case, work, launcher)
    delay = random.Random(command).uniform(*window)
    # score's mid-write kill runs in a fresh interpreter, as a user starts it
    first = Exec() if command == "score" else launcher
    out = work / f"{command}-trial"
    killed = launch(case, out, first, fault=fault)
    assert killed.killed and f"fault injected at {fault.split(':')[0]}" in killed.stderr
    result = trial(case, out, baseline, [{"kill_after": delay}], launcher)
    assert result.launches[-1].rc == 0 and not result.failures, result.comparison.notes
    _assert_same_as_baseline(result.comparison)


def test_lab_killed_writing_its_data_and_after_saving_its_model(setup):
    work, known, launcher = setup
    case = known["lab"]
    baseline, window = _baseline(case, work, launcher)
    out = work / "lab-trial"
    data = Path(str(out) + "-data.jsonl")
    killed = launch(case, out, launcher, fault="file.half:1")      # --synthetic's DATA file
    assert killed.killed and not data.exists()                      # never a file cut short
    killed = launch(case, out, launcher, fault="model.renamed:1")
    assert killed.killed and data.is_file()
    weights = out / "model" / "model.safetensors"
    inode = weights.stat().st_ino
    assert (out / "model" / "training_curve.json").is_file()
    assert not (out / "training_curve.json").exists()
    result = trial(case, out, baseline, [{"kill_after": random.Random(1).uniform(*window)}],
                   launcher)
    assert result.launches[-1].rc == 0 and not result.failures, result.comparison.notes
    assert weights.stat().st_ino == inode                           # resumed, never retrained
    _assert_same_as_baseline(result.comparison)
    _assert_same_as_baseline(compare(case, out, baseline))
