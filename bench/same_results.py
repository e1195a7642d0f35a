"""Same results across a refactor: every audit's rows and summary, saved and compared.

    python bench/same_results.py save DIR      run every case, write DIR/<audit>.json
    python bench/same_results.py compare DIR   run again, compare with DIR; exit 1 on a difference

The cases (bench/same_results_cases.py) run each audit through `mnemoscope.cli.main` on a
small seeded input, most of them on the tiny random-init model of tests/_tiny_model.py.
A run's canonical form is its rows (every Parquet part under the run folder, read with
pyarrow rather than mnemoscope so a refactor of the run store cannot hide a change; sorted
by id, columns sorted) and its summary.json, with what changes from run to run removed:
timestamps, timings, versions, absolute paths, temporary folder and part file names.
Floats are compared to float noise (rel 1e-5, abs 1e-6); everything else exactly.

tests/test_same_results.py runs the same check in the normal suite against the golden
files in tests/fixtures/same_results/, saved from the code before the refactor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from same_results_cases import CASES, REPO  # noqa: E402

GOLDEN = REPO / "tests" / "fixtures" / "same_results"
REL_TOL, ABS_TOL = 1e-5, 1e-6
# Keys whose values differ between two identical runs (clock, machine, installed versions).
VOLATILE_KEY = re.compile(r"(^|_)(created|started|finished|timestamp|time|seconds|duration|"
                          r"elapsed|wall|version|versions|python|hostname|pid)(_|$)|_s$")
PART_NAME = re.compile(r"part-[0-9A-Za-z_-]+\.parquet")


# ------------------------------------------------------------------------- canonical form
def plain(value: Any) -> Any:
    """A JSON-able copy of a value read from Parquet or JSON (arrays become lists)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist"):                       # numpy arrays and scalars
        return plain(value.tolist())
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def scrub(value: Any, roots: dict[str, str]) -> Any:
    """Drop volatile keys; write absolute paths relative to a named root; hide part names."""
    if isinstance(value, dict):
        return {k: scrub(v, roots) for k, v in sorted(value.items())
                if not VOLATILE_KEY.search(k.lower())}
    if isinstance(value, list):
        return [scrub(v, roots) for v in value]
    if isinstance(value, str):
        for path, name in roots.items():
            value = value.replace(path, name)
        return PART_NAME.sub("<part>", value)
    return value


def read_tables(run: Path) -> dict[str, list[dict[str, Any]]]:
    """Rows of every Parquet file under `run`, grouped by the folder that holds them
    (relative to `run`: "parts" for a plain run; lab and unlearn have several)."""
    import pyarrow.parquet as pq

    tables: dict[str, list[dict[str, Any]]] = {}
    for part in sorted(run.rglob("*.parquet")):
        if part.name.startswith("."):                  # a part still being written
            continue
        folder = part.parent.relative_to(run).as_posix()
        tables.setdefault(folder, []).extend(plain(pq.read_table(part).to_pylist()))
    return tables


def sort_key(row: dict[str, Any]) -> tuple[str, str]:
    """By id; rows sharing an id (completion: one per ratio) by their non-float fields."""
    exact = {k: v for k, v in row.items() if not isinstance(v, float)}
    return str(row.get("id")), json.dumps(exact, sort_keys=True, default=str)


def canonical(run: Path, work: Path) -> dict[str, Any]:
    roots = {str(work.resolve()): "<work>", str(work): "<work>", str(REPO): "<repo>"}
    summary_path = run / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else None
    tables = {}
    for folder, rows in read_tables(run).items():
        rows = [dict(sorted(scrub(r, roots).items())) for r in rows]
        tables[folder] = sorted(rows, key=sort_key)
    return {"summary": scrub(summary, roots), "rows": tables}


# ------------------------------------------------------------------------- running
def run_all(workdir: str | Path, only: list[str] | None = None) -> dict[str, Any]:
    """Run every case (or those named in `only`) under `workdir`; audit -> canonical form."""
    import torch

    from _tiny_model import build_tiny_model

    work = Path(workdir)
    threads = torch.get_num_threads()
    # One thread: sums in a fixed order, so greedy tokens and training steps do not depend
    # on the machine's core count.
    torch.set_num_threads(1)
    try:
        model = build_tiny_model(work / "tiny_model")
        results = {}
        for audit, case in CASES.items():
            if only and audit not in only:
                continue
            started = time.perf_counter()
            seed_globals(0)
            results[audit] = canonical(case(work, model), work)
            print(f"{audit:<18} ran in {time.perf_counter() - started:5.1f} s", file=sys.stderr)
        return results
    finally:
        torch.set_num_threads(threads)


def seed_globals(seed: int) -> None:
    """The audits seed their own generators; this only keeps a case from depending on what
    ran before it in the same process (pytest) should some path draw from a global one."""
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ------------------------------------------------------------------------- comparing
def same_number(old: float, new: float) -> bool:
    if math.isnan(old) or math.isnan(new):
        return math.isnan(old) and math.isnan(new)
    return math.isclose(old, new, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def differences(old: Any, new: Any, where: str = "") -> list[str]:
    """Where `new` differs from `old`: floats to float noise, everything else exactly."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            if key not in new:
                out.append(f"{where}.{key}: missing now")
            elif key not in old:
                out.append(f"{where}.{key}: new key")
            else:
                out += differences(old[key], new[key], f"{where}.{key}")
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{where}: {len(old)} items before, {len(new)} now"]
        out = []
        for index, (a, b) in enumerate(zip(old, new)):
            out += differences(a, b, f"{where}[{index}]")
        return out
    numbers = (int, float)
    if (isinstance(old, float) or isinstance(new, float)) and isinstance(old, numbers) \
            and isinstance(new, numbers) and not isinstance(old, bool) \
            and not isinstance(new, bool):
        return [] if same_number(float(old), float(new)) else [f"{where}: {old!r} -> {new!r}"]
    if type(old) is not type(new) or old != new:
        return [f"{where}: {old!r} -> {new!r}"]
    return []


def compare(saved: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Every difference between saved and fresh canonical forms, as 'audit.path: a -> b'."""
    out = []
    for audit in sorted(set(saved) | set(fresh)):
        if audit not in fresh:
            out.append(f"{audit}: not run now")
        elif audit not in saved:
            out.append(f"{audit}: no saved result")
        else:
            out += [f"{audit}{d}" for d in differences(saved[audit], fresh[audit])]
    return out


def load(folder: Path) -> dict[str, Any]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def save(results: dict[str, Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for audit, result in results.items():
        (folder / f"{audit}.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n",
                                              encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["save", "compare"])
    parser.add_argument("folder", nargs="?", default=str(GOLDEN),
                        help=f"golden files (default {GOLDEN.relative_to(REPO)})")
    parser.add_argument("--only", nargs="+", default=None, help="run only these audits")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="same-results-") as work:
        fresh = run_all(work, args.only)
    print(f"all cases ran in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if args.mode == "save":
        save(fresh, folder)
        print(f"saved {len(fresh)} audits to {folder}")
        return 0
    saved = load(folder)
    if args.only:
        saved = {k: v for k, v in saved.items() if k in args.only}
    failed = False
    for audit in sorted(set(saved) | set(fresh)):
        found = compare({audit: saved[audit]} if audit in saved else {},
                        {audit: fresh[audit]} if audit in fresh else {})
        failed = failed or bool(found)
        shown = "; ".join(found[:5]) + (f" (+{len(found) - 5} more)" if len(found) > 5 else "")
        print(f"{audit:<18} " + (f"differs: {shown}" if found else "same"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
