"""TokenScores from plain lists, for hand-worked signal examples."""

from __future__ import annotations

import numpy as np

from mnemoscope.types import TokenScores


def scores(logprobs, mean=None, var=None) -> TokenScores:
    lp = np.asarray(logprobs, dtype=np.float32)
    return TokenScores(np.arange(len(lp), dtype=np.int32), lp,
                       None if mean is None else np.asarray(mean, dtype=np.float32),
                       None if var is None else np.asarray(var, dtype=np.float32))
