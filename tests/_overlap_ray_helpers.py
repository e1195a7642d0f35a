"""A deliberately slow overlap scan, so a test can kill a Ray worker or the driver mid-run.
Workers import it by reference (PYTHONPATH includes tests/). Each call leaves a marker
<corpus dir>/.calls/<file>.<pid>.<n> so the test can find the worker and count scans."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from mnemoscope.contamination.overlap_scan import scan_shard

DELAY = 0.6


def slow_scan_shard(index, path, config):
    calls = Path(path).parent / ".calls"
    calls.mkdir(exist_ok=True)
    (calls / f"{Path(path).name}.{os.getpid()}.{uuid.uuid4().hex[:6]}").touch()
    time.sleep(DELAY)
    return scan_shard(index, path, config)
