"""Checks during one training run, kept in a run folder: the part every training loop
shares (the lab's loop calls it directly; the Hugging Face callback wraps it).

    DIR/spec.json          identity: the probe's hash, the check settings, the signals
    DIR/probe.jsonl        the probe texts with labels (score it per checkpoint to compare)
    DIR/parts/*.parquet    one part per check (dynamics/check.py lists the rows)
    DIR/parts.superseded/  parts of steps a resumed training ran again (see `start`)
    DIR/summary.json       curves, first crossings, indicators, overhead (summary.py)
    DIR/report.html        the dynamics section: curves against the step

    monitor = Monitor("out/memorization", members, held_out, canaries)
    monitor.start(total_steps=93)                 # or start(93, step=40) when resuming
    for step in range(1, 94):
        train_one_step()
        if monitor.due(step):
            monitor.check(model, step)            # the network in eval mode meanwhile
    monitor.finish()
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from ..extraction.canaries import Canary
from ..fileio import fsync_folder
from ..runs import PARTS_DIR, RunWriter, read_rows
from ..types import InputError
from .config import DynamicsConfig
from .probe_set import ProbeSet

log = logging.getLogger(__name__)
SUPERSEDED_DIR = "parts.superseded"     # beside parts/, so read_parquet(parts) never sees them


class Monitor:
    """Constructor stores its arguments; `start` opens (or resumes) the run."""

    def __init__(self, out: str | Path, members: Sequence[Any], held_out: Sequence[Any],
                 canaries: Sequence[Canary] = (), config: DynamicsConfig = DynamicsConfig(),
                 *, progress: bool = True) -> None:
        self.out = Path(out)
        self.members, self.held_out, self.canaries = members, held_out, tuple(canaries)
        self.config = config
        self.progress = progress

    # ------------------------------------------------------------------ lifecycle
    def start(self, total_steps: int, step: int = 0,
              model_identity: dict[str, Any] | None = None) -> "Monitor":
        """Open the run for a training of `total_steps` optimiser steps that starts (or
        resumes) at `step`. Checks recorded after `step` belong to a training that went
        further and was then resumed from an earlier checkpoint: their parts are moved to
        parts.superseded/ and those steps are checked again, so every step has one set
        of rows, from the weights the training actually continued with."""
        from ..signals import build_signals

        self.signals_ = build_signals(list(self.config.signals))
        with_views = [s.column for s in self.signals_ if s.views]
        if with_views:
            raise InputError(f"signals {with_views} read a second scoring of every text; a "
                             "check during training takes one-pass signals only (e.g. "
                             "loss, zlib, min_k, min_k_plus_plus)")
        self.probe_ = ProbeSet.draw(self.members, self.held_out, self.canaries,
                                    n_members=self.config.members,
                                    n_held_out=self.config.held_out, seed=self.config.seed)
        identity = {"probe": self.probe_.identity(), "check": self.config.identity(),
                    "signals": [{"name": s.registry_name, "params": s.params(),
                                 "column": s.column} for s in self.signals_]}
        self.run_ = RunWriter.open(self.out, "dynamics", identity, model=model_identity,
                                   runtime={"batch_size": self.config.batch_size,
                                            "total_steps": total_steps})
        if not (self.out / "probe.jsonl").is_file():
            self.probe_.write(self.out / "probe.jsonl")
        superseded = set_aside_after(self.out, step)
        if superseded:
            log.warning("%s: training resumed at step %d; the checks of steps %s were set "
                        "aside in %s and run again", self.out, step, sorted(superseded),
                        SUPERSEDED_DIR)
        self.done_ = {int(i.split("/")[0]) for i in self.run_.done_ids() if "/check/" in i}
        self.schedule_ = set(self.config.check_steps(total_steps))
        self.total_steps_ = total_steps
        self.check_seconds_ = self.check_cpu_seconds_ = 0.0
        self.checks_ = 0
        self.started_, self.started_cpu_ = time.perf_counter(), time.process_time()
        return self

    def due(self, step: int) -> bool:
        return step in self.schedule_ and step not in self.done_

    def check(self, model, step: int, extra: dict[str, Any] | None = None) -> dict[str, float]:
        """Score the probe with `model` (a Hugging Face backend over the live network) and
        write the check's rows as one part; returns its scalars for a logger."""
        from .check import check_rows

        if step in self.done_:
            return {}
        clock, cpu = time.perf_counter(), time.process_time()
        rows = check_rows(model, step, self.probe_, self.signals_, self.config, extra)
        self.run_.add(rows)
        self.run_.flush()
        self.done_.add(step)
        self.check_seconds_ += time.perf_counter() - clock
        self.check_cpu_seconds_ += time.process_time() - cpu
        self.checks_ += 1
        return scalars(rows, [s.column for s in self.signals_], self.config)

    def overhead(self) -> dict[str, Any]:
        """Seconds in this session's checks vs in the rest of training, and the share: by
        the wall clock (what a dedicated machine shows), and by this process's CPU time
        (the same on a machine shared with other jobs, whose load the wall clock counts)."""
        wall = time.perf_counter() - self.started_
        cpu = time.process_time() - self.started_cpu_
        training = max(wall - self.check_seconds_, 1e-9)
        training_cpu = max(cpu - self.check_cpu_seconds_, 1e-9)
        return {"checks": self.checks_, "check_seconds": round(self.check_seconds_, 2),
                "training_seconds": round(training, 2),
                "share_of_training": round(self.check_seconds_ / training, 4),
                "check_cpu_seconds": round(self.check_cpu_seconds_, 2),
                "training_cpu_seconds": round(training_cpu, 2),
                "cpu_share_of_training": round(self.check_cpu_seconds_ / training_cpu, 4)}

    def finish(self, *, report: bool = True) -> dict[str, Any]:
        """summary.json (and report.html); prints the overhead line."""
        from .summary import summarize

        overhead = self.overhead()
        summary = summarize(read_rows(self.out), [s.column for s in self.signals_],
                            self.config, overhead)
        self.run_.finish(summary, report=report)
        if self.progress:
            print(f"mnemoscope: {overhead['checks']} memorization checks took "
                  f"{overhead['check_seconds']:.1f} s, {100 * overhead['share_of_training']:.1f}% "
                  f"of the training time ({overhead['training_seconds']:.1f} s; CPU time: "
                  f"{100 * overhead['cpu_share_of_training']:.1f}%); run: {self.out}",
                  file=sys.stderr)
        return summary


def scalars(rows: list[dict[str, Any]], signals: Sequence[str],
            config: DynamicsConfig) -> dict[str, float]:
    """One check's values, flat, for TensorBoard / W&B (`memorization/<curve>`)."""
    import pandas as pd
    from dataclasses import replace

    from .summary import curves_from_rows

    table = curves_from_rows(pd.DataFrame(rows), signals, replace(config, bootstrap=0))
    return {f"memorization/{name}": values[0] for name, values in table["curves"].items()
            if values and values[0] is not None
            and not name.startswith(("auroc_low", "auroc_high"))}


def set_aside_after(run_dir: Path, step: int) -> set[int]:
    """Move parts holding rows of steps after `step` to parts.superseded/; returns those
    steps. A part that cannot be read is left for the run store to set aside."""
    import pyarrow.parquet as pq

    moved: set[int] = set()
    parts = sorted((run_dir / PARTS_DIR).glob("*.parquet"))
    for part in parts:
        try:
            steps = set(pq.read_table(part, columns=["step"]).column("step").to_pylist())
        except Exception:            # ArrowInvalid, OSError, KeyError: not ours to judge here
            continue
        late = {int(s) for s in steps if s is not None and s > step}
        if late:
            aside = run_dir / SUPERSEDED_DIR
            aside.mkdir(exist_ok=True)
            os.replace(part, aside / part.name)
            moved |= late
    if moved:
        fsync_folder(run_dir / PARTS_DIR)
    return moved

