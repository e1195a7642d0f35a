"""A deliberately slow signal, so tests can kill a Ray worker or the driver mid-run.
Workers import it by reference (PYTHONPATH includes tests/)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from mnemoscope.signals.loss import Loss


@dataclass(frozen=True)
class SlowLoss(Loss):
    delay: float = 0.25

    def __call__(self, s, ctx=None):
        time.sleep(self.delay)
        return super().__call__(s)
