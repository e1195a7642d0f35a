"""The features of dataset inference: every membership signal the backend can compute.

Maini et al. 2024 use every membership-inference score they have (~26 per text); here that
is every registered signal, with its defaults, whose capabilities the backend offers and
whose views need no setting left unset (`--reference-model` turns on `reference`), plus, for
a signal with a `k` (Min-K%, Min-K%++), the paper's sweep of k. Signals added later (the
perturbation- and prefix-based ones) join the list by registering; nothing here names one.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Mapping

from ..signals import Signal, signals, views
from ..types import Capabilities, InputError

log = logging.getLogger(__name__)

K_SWEEP = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)       # Shi et al. 2024 sweep k over 0.05..0.6


def feature_signals(options: Mapping[str, Any], offered: Capabilities) -> list[Signal]:
    """The signals dataset inference computes when --signals is not given."""
    chosen: list[Signal] = []
    for name in signals.names():
        cls = signals.get(name)
        missing = cls.needs & ~offered
        if missing:
            log.info("dataset inference: %s left out (the backend lacks %s)", name,
                     missing.describe())
            continue
        try:
            for view in cls.views:
                views.get(view).check(options)
            default = cls()
        except (InputError, TypeError, ValueError) as exc:
            log.info("dataset inference: %s left out (%s)", name, str(exc).splitlines()[0])
            continue
        chosen.append(default)
        fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        if "k" in fields:
            chosen += [cls(k=k) for k in K_SWEEP if k != default.k]   # type: ignore[call-arg]
    return chosen
