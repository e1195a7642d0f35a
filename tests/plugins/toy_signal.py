"""A signal written outside mnemoscope, in one file: the worked example of docs/extending.md.

`MNEMOSCOPE_PLUGINS=toy_signal` (with this folder on PYTHONPATH) makes
`mnemoscope score DATA --signals toy` run it; nothing in mnemoscope is edited.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnemoscope.signals import Context, Signal, register
from mnemoscope.types import TokenScores


@register("toy")
@dataclass(frozen=True)
class Toy(Signal):
    """The best token's log-prob: a member text has at least one very easy token."""

    paper = "docs/extending.md (an example, not a paper)"
    extra_passes = "0"

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return float(np.max(s.logprobs))
