"""Kill an audit anywhere, resume it, and compare with one uninterrupted run.

Each command runs as `python -m mnemoscope.cli ...` on a tiny random model and a few dozen
texts, in a new interpreter (Exec) or in a child forked from bench/crash_zygote.py, which
imported torch once (Fork: the same code in a fresh process, ~5 s sooner). A launch is either left to finish or SIGKILLed: after a random delay (somewhere
between the first file the baseline wrote and its end), or by the process itself at a
fault point inside a write (MNEMOSCOPE_FAULT=<site>:<n>, mnemoscope/faults.py). A trial
kills a run, resumes it (a resume may be killed too), then resumes it to completion and
compares it with the baseline:

    rows lost        ids in the baseline's parts that the trial's parts lack
    duplicated       rows beyond one per id, counted in pandas.read_parquet(<run>/parts)
                     (the raw rows, not the run store's deduplicating reader)
    mismatched       cells (id x column) or summary.json values that differ from the
                     baseline's, plus rows whose id the baseline lacks; max |delta| over
                     every number, in cells (arrays elementwise) and summaries alike

bench/crash_soak.py runs it 20 kills per command; tests/test_crash_resume.py a few.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# summary keys that hold wall-clock figures or paths, not results
# wall-clock figures (the training monitor's `overhead` holds its check and training times)
VOLATILE_KEYS = {"timings_s", "seconds", "created", "runtime", "overhead"}


@dataclass(frozen=True)
class Case:
    """One command: its arguments for a run folder, the folders under it whose parts/ hold
    its rows, and the fault points it reaches (site, most hits in one uninterrupted run)."""
    name: str
    args: Callable[[Path], list[str]]
    row_folders: tuple[str, ...]
    faults: tuple[tuple[str, int], ...]
    summaries: tuple[str, ...] = ("summary.json",)


def _sites(parts: int, json_files: int, files: int = 0) -> tuple[tuple[str, int], ...]:
    sites = [("part.half", parts), ("part.synced", parts), ("part.renamed", parts),
             ("part.done", parts), ("json.half", json_files), ("json.synced", json_files),
             ("json.renamed", json_files)]
    if files:
        sites += [("file.synced", files), ("file.renamed", files)]
    return tuple(sites)


def prepare(work: Path) -> dict[str, Path]:
    """The tiny model and the inputs every case reads (built once per work folder)."""
    from _tiny_model import WORDS, build_tiny_model

    work.mkdir(parents=True, exist_ok=True)
    paths = {"model": work / "model", "texts": work / "texts.jsonl", "corpus": work / "corpus",
             "items": work / "items.jsonl"}
    if not (paths["model"] / "config.json").is_file():
        build_tiny_model(paths["model"])
    rng = random.Random(0)
    words = [w for w in WORDS if w.isalpha()]
    sentence = lambda n: " ".join(rng.choice(words) for _ in range(n))  # noqa: E731
    texts = [{"id": f"t{i}", "text": sentence(rng.randint(8, 24)), "label": i % 2}
             for i in range(40)]
    paths["texts"].write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
    paths["corpus"].mkdir(exist_ok=True)
    for shard in range(6):      # one overlap shard per file; two hold some of the texts
        records = [sentence(30) for _ in range(10)]
        records += [texts[shard]["text"]] if shard < 2 else []
        (paths["corpus"] / f"c{shard}.txt").write_text("\n\n".join(records) + "\n")
    from mnemoscope.benchmarks import generate
    from mnemoscope.benchmarks.items import write_items_file

    write_items_file(generate("randomcalc", n=12, seed=0), str(paths["items"]))
    return paths


def cases(paths: dict[str, Path]) -> dict[str, Case]:
    model, texts = str(paths["model"]), str(paths["texts"])
    return {case.name: case for case in (
        Case("score", lambda out: ["score", texts, "--model", model, "--out", str(out),
                                   "--chunk-size", "4", "--bootstrap", "20"],
             (".",), _sites(10, 2, 1)),
        Case("extract", lambda out: ["extract", texts, "--model", model, "--out", str(out),
                                     "--chunk-size", "4", "--prefix-tokens", "6",
                                     "--suffix-tokens", "6"],
             (".",), _sites(10, 2)),
        Case("overlap", lambda out: ["contamination", "overlap", texts, "--corpus",
                                     str(paths["corpus"]), "--n", "3", "--out", str(out),
                                     "--no-report"],
             (".",), _sites(1, 8)),
        Case("bench-eval", lambda out: ["bench", "eval", str(paths["items"]), "--model", model,
                                        "--out", str(out), "--chunk-size", "2",
                                        "--max-new-tokens", "8", "--no-report"],
             (".",), _sites(6, 2)),
        # the data file (--synthetic) is written by the first launch of each trial
        Case("lab", lambda out: ["lab", str(out) + "-data.jsonl", "--synthetic", "24",
                                 "--out", str(out), "--model", model, "--epochs", "1",
                                 "--secret-digits", "2", "--repetitions", "1,2",
                                 "--canaries-per-repetition", "1", "--exact-limit", "100",
                                 "--prefix-tokens", "8", "--suffix-tokens", "8",
                                 "--chunk-size", "4", "--bootstrap", "20"],
             ("calibration", "canaries", "extraction"),
             _sites(14, 9, 3) + (("file.half", 2), ("model.renamed", 1)),
             ("summary.json", "training_curve.json", "ground_truth.json",
              "calibration/summary.json", "extraction/summary.json")),
    )}


# ---------------------------------------------------------------- launching
def environment(fault: str | None = None) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("MNEMOSCOPE_FAULT", None)
    if fault:
        env["MNEMOSCOPE_FAULT"] = fault
    return env


class Exec:
    """Each launch a new interpreter: `python -m mnemoscope.cli ...`."""
    name = "exec"

    def start(self, args: list[str], env: dict[str, str], stderr: Path) -> Any:
        with open(stderr, "wb") as handle:
            return subprocess.Popen([sys.executable, "-m", "mnemoscope.cli", *args], env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=handle)

    def poll(self, proc) -> int | None:
        return proc.poll()

    def kill(self, proc) -> None:
        proc.send_signal(signal.SIGKILL)

    def close(self) -> None:
        pass


class Fork:
    """Each launch a child forked from bench/crash_zygote.py, which imported torch and the
    rest once: the same `python -m mnemoscope.cli` in a fresh process, ~5 s sooner."""
    name = "fork"

    def __init__(self) -> None:
        import queue
        import threading

        self._server = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("crash_zygote.py"))], env=environment(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._started: "queue.Queue[int]" = queue.Queue()
        self._ended: dict[int, int] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._server.stdout:
            message = json.loads(line)
            if "rc" in message:
                self._ended[message["pid"]] = message["rc"]
            else:
                self._started.put(message["pid"])

    def _send(self, message: dict) -> None:
        self._server.stdin.write(json.dumps(message) + "\n")
        self._server.stdin.flush()

    def start(self, args: list[str], env: dict[str, str], stderr: Path) -> int:
        self._send({"run": args, "env": env, "stderr": str(stderr)})
        return self._started.get(timeout=300)

    def poll(self, pid: int) -> int | None:
        return self._ended.get(pid)

    def kill(self, pid: int) -> None:
        self._send({"kill": pid})

    def close(self) -> None:
        self._server.stdin.close()          # the server kills any child left, then ends
        try:
            self._server.wait(timeout=2)
        except subprocess.TimeoutExpired:   # still unloading torch: nothing left to keep
            self._server.kill()
            self._server.wait()


@dataclass
class Launch:
    rc: int
    seconds: float
    how: str                 # "finished", "fault <site>:<n>" or "after <t> s"
    stderr: str = ""
    first_write_s: float | None = None

    @property
    def killed(self) -> bool:
        return self.rc == -signal.SIGKILL


def launch(case: Case, out: Path, launcher, *, fault: str | None = None,
           kill_after: float | None = None, timeout: float = 600) -> Launch:
    """One `mnemoscope.cli` run of `case` into `out`, perhaps killed."""
    stderr = out.parent / f".{out.name}.stderr"
    handle = launcher.start(["-q", *case.args(out)], environment(fault), stderr)
    start = time.perf_counter()
    first_write, killed_at = None, None
    deadline = start + (kill_after if kill_after is not None else timeout)
    while (rc := launcher.poll(handle)) is None:
        now = time.perf_counter()
        if first_write is None and (out / "spec.json").exists():
            first_write = now - start
        if now >= deadline and killed_at is None:
            launcher.kill(handle)
            killed_at = now
        time.sleep(0.01)
    how = f"fault {fault}" if fault else (f"after {kill_after:.2f} s" if kill_after is not None
                                          else "finished")
    text = stderr.read_text(errors="replace")[-2000:] if stderr.exists() else ""
    return Launch(rc, time.perf_counter() - start, how, text, first_write)


# ---------------------------------------------------------------- comparing
@dataclass
class Comparison:
    rows: int = 0
    lost: int = 0
    duplicated: int = 0
    mismatched: int = 0
    max_delta: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, other: "Comparison") -> None:
        self.rows += other.rows
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.mismatched += other.mismatched
        self.max_delta = max(self.max_delta, other.max_delta)
        self.notes += other.notes


def _delta(a: Any, b: Any) -> tuple[bool, float]:
    """(equal, max |numeric difference|) of two cells or JSON values."""
    import numpy as np

    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return False, 0.0
        pairs = [_delta(a[k], b[k]) for k in a]
        return all(p[0] for p in pairs), max((p[1] for p in pairs), default=0.0)
    if isinstance(a, (list, tuple, np.ndarray)) and isinstance(b, (list, tuple, np.ndarray)):
        if len(a) != len(b):
            return False, 0.0
        pairs = [_delta(x, y) for x, y in zip(a, b)]
        return all(p[0] for p in pairs), max((p[1] for p in pairs), default=0.0)
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    if missing_a or missing_b:
        return missing_a == missing_b, 0.0
    if isinstance(a, (bool, np.bool_, str)) or isinstance(b, (bool, np.bool_, str)):
        return a == b, 0.0
    if isinstance(a, (int, float, np.integer, np.floating)):
        gap = abs(float(a) - float(b))
        return gap == 0.0, gap
    return a == b, 0.0


def compare_rows(run: Path, baseline: Path) -> Comparison:
    import pandas as pd

    got = pd.read_parquet(run / "parts")
    want = pd.read_parquet(baseline / "parts").set_index("id")
    result = Comparison(rows=len(got), duplicated=len(got) - got["id"].nunique())
    result.lost = len(set(want.index) - set(got["id"]))
    extra = set(got["id"]) - set(want.index)
    result.mismatched += len(extra)
    if extra:
        result.notes.append(f"{run}: ids the baseline lacks: {sorted(extra)[:3]}")
    for record in got.to_dict("records"):
        if record["id"] not in want.index:
            continue
        expected = want.loc[record["id"]]
        for column, value in record.items():
            if column == "id":
                continue
            equal, gap = _delta(value, expected.get(column))
            result.max_delta = max(result.max_delta, gap)
            if not equal:
                result.mismatched += 1
                if len(result.notes) < 5:
                    result.notes.append(f"{run.name} {record['id']}.{column}: "
                                        f"{value!r:.60} != {expected.get(column)!r:.60}")
    return result


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def compare_json(path: Path, baseline: Path) -> Comparison:
    result = Comparison()
    if not path.is_file():
        result.mismatched += 1
        result.notes.append(f"{path}: missing")
        return result
    got, want = (_strip(json.loads(p.read_text(encoding="utf-8"))) for p in (path, baseline))
    equal, gap = _delta(got, want)
    result.max_delta = gap
    if not equal:
        result.mismatched += 1
        result.notes.append(f"{path}: differs from the baseline's")
    return result


def compare(case: Case, run: Path, baseline: Path) -> Comparison:
    total = Comparison()
    for folder in case.row_folders:
        total.add(compare_rows(run / folder, baseline / folder))
    for name in case.summaries:
        total.add(compare_json(run / name, baseline / name))
    return total


# ---------------------------------------------------------------- a trial
@dataclass
class Trial:
    launches: list[Launch]
    comparison: Comparison

    @property
    def kills(self) -> int:
        return sum(launch.killed for launch in self.launches)

    @property
    def resumes(self) -> int:
        return len(self.launches) - 1

    @property
    def failures(self) -> list[Launch]:
        return [launch for launch in self.launches if launch.rc not in (0, -signal.SIGKILL)]


def pick_kill(case: Case, rng: random.Random, window: tuple[float, float]
              ) -> dict[str, Any]:
    """A random way to die: half the time a fault point inside a write, else a delay."""
    if rng.random() < 0.5:
        site, most = rng.choice(case.faults)
        return {"fault": f"{site}:{rng.randint(1, most)}"}
    return {"kill_after": rng.uniform(*window)}


def trial(case: Case, out: Path, baseline: Path, kills: list[dict[str, Any]],
          launcher) -> Trial:
    """Launch with each kill in turn (a launch that finishes first ends the list), then
    resume without one until the run finishes; compare with the baseline."""
    launches: list[Launch] = []
    for kill in kills:
        launches.append(launch(case, out, launcher, **kill))
        if not launches[-1].killed:
            break
    while not launches or launches[-1].killed:
        launches.append(launch(case, out, launcher))
    if launches[-1].rc != 0:
        return Trial(launches, Comparison(notes=[f"{case.name}: the last resume exited "
                                                 f"{launches[-1].rc}: {launches[-1].stderr}"]))
    return Trial(launches, compare(case, out, baseline))
