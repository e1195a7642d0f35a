"""Crash soak: 20 random SIGKILLs per command, each run resumed to completion and compared
with one uninterrupted run (bench/crash_harness.py says how).

    PYTHONPATH=src python bench/crash_soak.py [--kills 20] [--per-trial 4] [--seed 0]
                                              [--commands score,extract,...] [--work DIR]

A trial kills a fresh run, then kills up to --per-trial - 1 of its resumes (each at a new
random point: half the time a fault point inside a write, else a random delay), then
resumes it until it finishes. Prints one row per command (kills, resumes, rows lost,
duplicated, mismatched, max |delta|) and writes the same as JSON to WORK/soak.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crash_harness import (Comparison, Exec, Fork, cases, launch, pick_kill,  # noqa: E402
                           prepare, trial)


def soak(case, work: Path, kills_wanted: int, per_trial: int, rng: random.Random,
         launcher) -> dict:
    baseline = work / f"{case.name}-baseline"
    clock = time.perf_counter()
    first = launch(case, baseline, launcher)
    if first.rc != 0:
        raise SystemExit(f"{case.name}: the uninterrupted run failed ({first.rc}):\n{first.stderr}")
    window = (first.first_write_s or 0.0, first.seconds)
    total, kills, resumes, trials, failures = Comparison(), 0, 0, 0, []
    how = Counter()
    while kills < kills_wanted:
        plan = [pick_kill(case, rng, window) for _ in range(min(per_trial, kills_wanted - kills))]
        result = trial(case, work / f"{case.name}-trial{trials}", baseline, plan, launcher)
        trials += 1
        kills += result.kills
        resumes += result.resumes
        total.add(result.comparison)
        failures += [f"{launch.how}: rc {launch.rc}: {launch.stderr[-300:]}"
                     for launch in result.failures]
        how.update("fault" if launch.how.startswith("fault") else "delay"
                   for launch in result.launches if launch.killed)
    return {"command": case.name, "kills": kills, "fault_kills": how["fault"],
            "delay_kills": how["delay"], "trials": trials, "resumes": resumes,
            "rows_checked": total.rows, "rows_lost": total.lost, "duplicated": total.duplicated,
            "mismatched": total.mismatched, "max_abs_delta": total.max_delta,
            "failed_launches": failures, "notes": total.notes[:10],
            "seconds": round(time.perf_counter() - clock, 1)}


def table(rows: list[dict]) -> str:
    lines = ["| command | kills (fault / delay) | resumes | rows lost | duplicated | "
             "mismatched | max \\|Δ\\| | wall s |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['command']} | {r['kills']} ({r['fault_kills']} / {r['delay_kills']}) "
                     f"| {r['resumes']} | {r['rows_lost']} | {r['duplicated']} | "
                     f"{r['mismatched']} | {r['max_abs_delta']:.3g} | {r['seconds']:.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--per-trial", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--commands", default="score,extract,overlap,bench-eval,lab")
    parser.add_argument("--work", default=None, help="default: a temporary folder, removed")
    parser.add_argument("--exec", action="store_true",
                        help="start every launch as a new interpreter (python -m mnemoscope.cli) "
                             "instead of forking it from a server that imported torch once "
                             "(bench/crash_zygote.py): the same process, ~5 s slower to start")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="crash-soak-"))
    clock = time.perf_counter()
    known = cases(prepare(work))
    rng = random.Random(args.seed)
    rows = []
    launcher = Exec() if args.exec else Fork()
    try:
        for name in args.commands.split(","):
            rows.append(soak(known[name], work, args.kills, args.per_trial, rng, launcher))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    finally:
        launcher.close()
    print(f"launcher: {launcher.name}")
    print(table(rows))
    wall = time.perf_counter() - clock
    print(f"wall time {wall / 60:.1f} min")
    (work / "soak.json").write_text(json.dumps({"rows": rows, "wall_s": round(wall, 1),
                                                "launcher": launcher.name}, indent=2) + "\n")
    bad = any(r["rows_lost"] or r["duplicated"] or r["mismatched"] or r["failed_launches"]
              for r in rows)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
