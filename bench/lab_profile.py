"""The lab's wall time by phase, and whether two labs agree.

    python bench/lab_profile.py RUN [RUN2] [--names before,after]
    python bench/lab_profile.py --synthetic 400 --out runs/lab-profile [--compare RUN]

Each RUN is a finished `mnemoscope lab` folder; its summary.json holds the phases' wall
times (`timings_s`: training, calibration = scoring + reference + dynamics, canary
exposure, extraction) and the results. With `--synthetic N --out DIR` the script first
runs `mnemoscope lab DIR-data.jsonl --synthetic N --out DIR` with every other default
(DIR must not exist: nothing is overwritten), times the whole command, and prints its
table. With two runs it prints each phase's ratio (first / second) and the check that the
two labs agree: every signal's AUROC of the second run inside the first run's 95% CI, and
the same extraction rates. Run it alone on the machine: two torch processes sharing the
cores slow each other down.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

PHASES = ("training", "calibration", "exposure", "extraction")
SIGNALS = ("loss", "zlib", "lowercase", "min_k", "min_k_plus_plus", "reference", "combined")


def load(run: str | Path) -> dict:
    path = Path(run) / "summary.json"
    if not path.is_file():
        raise SystemExit(f"{path}: no summary.json (is {run} a finished lab run?)")
    summary = json.loads(path.read_text(encoding="utf-8"))
    if "timings_s" not in summary:
        raise SystemExit(f"{path}: no timings_s (a lab run from before phases were timed)")
    return summary


def phase_table(summaries: list[dict], names: list[str],
                walls: list[float | None] | None = None) -> str:
    """Seconds (share of the phases' sum) per phase per run, and first/second ratios."""
    head = ["phase"] + names + (["ratio"] if len(summaries) == 2 else [])
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    totals = [sum(s["timings_s"].get(p, 0.0) for p in PHASES) for s in summaries]
    rows = [(p, [s["timings_s"].get(p) for s in summaries]) for p in PHASES]
    rows.append(("sum of phases", totals))
    if walls and any(w is not None for w in walls):
        rows.append(("whole command (wall)", walls))
    for label, values in rows:
        cells = [label]
        for value, total in zip(values, totals):
            if value is None:
                cells.append("-")
            elif label in PHASES:
                cells.append(f"{value:.1f} s ({value / total:.0%})" if total else f"{value:.1f} s")
            else:
                cells.append(f"{value:.1f} s")
        if len(values) == 2:
            a, b = values
            cells.append(f"{a / b:.2f}x" if a and b else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def agreement(first: dict, second: dict) -> tuple[list[str], bool]:
    """One line per signal and extraction rate; True when every AUROC of `second` lies in
    `first`'s 95% CI and the extraction rates are equal."""
    lines, ok = [], True
    for name in SIGNALS:
        a, b = first.get(name), second.get(name)
        if not a or not b or "auroc" not in a:
            continue
        low, high = a["auroc_ci"]
        inside = low <= b["auroc"] <= high
        ok &= inside
        lines.append(f"{name}: {a['auroc']:.4f} [{low:.3f}, {high:.3f}] vs {b['auroc']:.4f}"
                     f" {'inside' if inside else 'OUTSIDE'} the CI")
    for key in ("exact_match_rate", "approx_match_rate", "pii_recovery_rate"):
        a = first.get("extraction", {}).get(key)
        b = second.get("extraction", {}).get(key)
        if a is None or b is None:
            continue
        same = a == b
        ok &= same
        lines.append(f"extraction {key}: {a} vs {b} {'equal' if same else 'DIFFERENT'}")
    return lines, ok


def run_lab(out: Path, n: int) -> float:
    """Runs the default lab on n synthetic records into `out`; returns the wall seconds."""
    if out.exists():
        raise SystemExit(f"{out} exists; give a new folder (nothing is overwritten)")
    data = out.with_name(out.name + "-data.jsonl")
    if data.exists():
        raise SystemExit(f"{data} exists; give a new folder (nothing is overwritten)")
    command = ["mnemoscope", "lab", str(data), "--synthetic", str(n), "--out", str(out)]
    print("$", " ".join(command), flush=True)
    clock = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - clock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", help="finished lab run folders (one or two)")
    parser.add_argument("--names", default=None, help="column names, comma-separated")
    parser.add_argument("--synthetic", type=int, default=None,
                        help="run the default lab on N synthetic records first")
    parser.add_argument("--out", default=None, help="the new lab folder for --synthetic")
    parser.add_argument("--compare", default=None,
                        help="with --synthetic: an earlier lab run to set beside the new one")
    args = parser.parse_args(argv)
    runs, walls = list(args.runs), [None] * len(args.runs)
    if args.synthetic is not None:
        if not args.out or runs:
            parser.error("--synthetic takes --out DIR and no run folders")
        wall = run_lab(Path(args.out), args.synthetic)
        runs, walls = [args.out], [wall]
        if args.compare:
            runs, walls = [args.compare, args.out], [None, wall]
    if not 1 <= len(runs) <= 2:
        parser.error("give one or two lab run folders, or --synthetic N --out DIR")
    names = args.names.split(",") if args.names else [Path(r).name for r in runs]
    if len(names) != len(runs):
        parser.error(f"{len(names)} names for {len(runs)} runs")
    summaries = [load(r) for r in runs]
    print(phase_table(summaries, names, walls))
    if len(summaries) == 2:
        lines, ok = agreement(*summaries)
        print("\n".join(lines))
        print("the two labs agree" if ok else "the two labs DIFFER")
    return 0


if __name__ == "__main__":
    sys.exit(main())
