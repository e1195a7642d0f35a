"""Fault injection for crash tests: SIGKILL this process at a chosen point inside a write.

    MNEMOSCOPE_FAULT=part.synced:3 mnemoscope score ...   # killed at the 3rd part, after its
                                                          # fsync, before its rename

The value is `<site>:<n>`: the process kills itself the n-th time (1-based) it reaches
`site`. Unset (always, outside tests), every fault point is one comparison with None.

Sites, where <what> is `part` (a Parquet part), `json` (spec.json, summary.json, overlap
shards, ground_truth.json, training curves) or `file` (every other atomic output: report.html,
data files, CSV, model and adapter folders):

    <what>.half     the temporary holds about half its bytes (json, part, file via bytes)
    <what>.synced   the temporary is complete and fsynced; not yet renamed
    <what>.renamed  renamed into place; its folder not yet fsynced
    part.done       a part is committed; the next chunk has not started ("between parts")
    model.renamed   lab: model/ (or reference_model/) is in place with its curve inside,
                    the copy beside it (training_curve.json) not yet written

bench/crash_soak.py and tests/test_crash_resume.py pick sites and counts at random.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import BinaryIO

ENV = "MNEMOSCOPE_FAULT"


def _parse(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    site, _, count = value.rpartition(":")
    if not site or not count.isdigit() or int(count) < 1:
        raise ValueError(f"{ENV}={value!r}: expected <site>:<n>, e.g. part.synced:2 "
                         "(see mnemoscope/faults.py)")
    return site, int(count)


ARMED = _parse(os.environ.get(ENV))       # read once, at import: a fault point stays cheap
_reached = 0


def point(site: str) -> None:
    """A place a crash test may kill us. SIGKILL, not an exception: nothing runs after it
    (no finally, no atexit, no buffered write), as after a power cut or the OOM killer."""
    global _reached
    if ARMED is None or ARMED[0] != site:
        return
    _reached += 1
    if _reached == ARMED[1]:
        sys.stderr.write(f"mnemoscope: fault injected at {site} #{_reached} ({ENV})\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def write(handle: BinaryIO, data: bytes, what: str) -> None:
    """handle.write(data); when a fault is armed, in two halves with `<what>.half` between
    them (flushed, so the killed process leaves a file cut short on disk)."""
    if ARMED is None:
        handle.write(data)
        return
    half = len(data) // 2
    handle.write(data[:half])
    handle.flush()
    point(f"{what}.half")
    handle.write(data[half:])
