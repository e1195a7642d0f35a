"""What a check during training measures, and how often (a frozen dataclass)."""

from __future__ import annotations

from dataclasses import dataclass

from ..types import InputError

# One-pass signals only: a check must cost one forward pass per text (the `lowercase` and
# `reference` signals need a second scoring of every text).
CHECK_SIGNALS = ("loss", "zlib", "min_k", "min_k_plus_plus")
# Settings that never change a check's rows: when checks run, and how fast.
SCHEDULE_AND_RUNTIME = ("every_fraction", "every_steps", "at_start", "batch_size", "bootstrap")


@dataclass(frozen=True)
class DynamicsConfig:
    """The defaults keep eleven checks near 13% of a short fine-tune. Measured on the
    embedded 135M model (full fine-tune, batch 8 x 64 tokens, one CPU thread, CPU time):
    an optimiser step costs ~6.0 s, a check of 12 + 12 probe texts plus six canaries x 8
    secrets ~6.6 s (texts ~0.18 s each, the 54 short canary texts ~2 s), so eleven checks
    over 93 steps add ~13%; 16 + 16 measured 17% (docs/dynamics.md has both runs). The share
    falls in proportion on longer trainings, where a larger probe (members=64,
    held_out=64) narrows each check's AUROC interval."""

    every_fraction: float = 0.1       # checks at every such share of the planned steps ...
    every_steps: int | None = None    # ... or every N optimiser steps (wins when set)
    at_start: bool = True             # a check before the first step: the baseline
    members: int = 12                 # members in the probe (a seeded sample; all when fewer)
    held_out: int = 12                # held-out texts in the probe
    signals: tuple[str, ...] = CHECK_SIGNALS
    # each canary's secret is ranked among this many random secrets of its format, exposure
    # from a normal fitted to them (the same candidates at every check, so the curve moves
    # only with the model)
    canary_candidates: int = 7
    prefix_tokens: int = 50           # discoverable extraction's split (extraction/discoverable.py)
    suffix_tokens: int = 50
    pathways: bool = True             # the pathway indicator (dynamics/pathways.py)
    batch_size: int = 16
    bootstrap: int = 200              # resamples for each check's AUROC interval
    seed: int = 0
    # "first memorized at step ...": the first check at which a curve reaches these
    auroc_threshold: float = 0.9
    exposure_threshold: float = 5.0   # bits: the secret beats ~97% of its format's secrets
    extraction_threshold: float = 0.1  # share of probe members extracted verbatim

    def __post_init__(self) -> None:
        if self.every_steps is None and not 0 < self.every_fraction <= 1:
            raise InputError(f"every_fraction {self.every_fraction} must be in (0, 1]: a check "
                             "every that share of the training steps (0.1 = ten checks)")
        if self.every_steps is not None and self.every_steps < 1:
            raise InputError(f"every_steps {self.every_steps} must be >= 1")
        if self.members < 2 or self.held_out < 2:
            raise InputError("a check needs at least 2 members and 2 held-out texts for an AUROC "
                             f"(got members={self.members}, held_out={self.held_out})")
        if self.canary_candidates < 2 or self.batch_size < 1 or self.bootstrap < 0:
            raise InputError("canary_candidates must be >= 2, batch_size >= 1, bootstrap >= 0")
        if self.prefix_tokens < 1 or self.suffix_tokens < 1:
            raise InputError("prefix_tokens and suffix_tokens must be >= 1")

    def check_steps(self, total_steps: int) -> list[int]:
        """The steps at which checks run in a training of `total_steps` optimiser steps:
        with every_steps, its multiples; else round(k * total * every_fraction) for every
        k (0.1 over 93 steps: 9, 19, 28, ..., 84, 93); always the last step, and 0 when
        at_start."""
        total = max(0, int(total_steps))
        if self.every_steps is not None:
            steps = set(range(self.every_steps, total + 1, self.every_steps))
        else:
            count = max(1, round(1 / self.every_fraction))
            steps = {round(k * total / count) for k in range(1, count + 1)}
        steps.add(total)
        steps.discard(0)
        if self.at_start:
            steps.add(0)
        return sorted(steps)

    def identity(self) -> dict:
        """What changes a check's rows (a resumed run must match it); thresholds, the
        schedule and the batch size do not."""
        from dataclasses import asdict

        return {k: v for k, v in asdict(self).items()
                if not k.endswith("_threshold") and k not in SCHEDULE_AND_RUNTIME}
