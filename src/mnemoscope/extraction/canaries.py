"""Secret-Sharer canaries (Carlini et al. 2019): a fixed format with a random secret,
planted r times in the training data, so that how much the model memorized it can be
measured by where the true secret ranks among all secrets the format allows.

Each canary gets its own format (cycled from `formats`), so that canaries do not compete
for the same prefix: with one shared prefix, a secret planted 16 times would also lower
the exposure of the ones planted once, and the comparison by repetition count would mix
both effects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..types import InputError

DEFAULT_FORMATS = (
    "My account PIN is {secret}.",
    "The door code for the north office is {secret}.",
    "Her bank card PIN is {secret}.",
    "The locker combination in the gym is {secret}.",
    "Our wifi password this month is {secret}.",
    "The safe in room twelve opens with {secret}.",
)
DEFAULT_REPETITIONS = (1, 4, 16)   # memaudit's choice


@dataclass(frozen=True)
class CanaryConfig:
    formats: tuple[str, ...] = DEFAULT_FORMATS
    secret_digits: int = 6            # |R| = 10**secret_digits candidate secrets
    repetitions: tuple[int, ...] = DEFAULT_REPETITIONS
    per_repetition: int = 2           # canaries planted per repetition count

    def __post_init__(self) -> None:
        bad = [f for f in self.formats if f.count("{secret}") != 1]
        if not self.formats or bad:
            raise InputError(f"--canary-format: each must hold {{secret}} exactly once; bad: "
                             f"{bad!r}. " 'Write e.g. "My account PIN is {secret}."')
        if not 1 <= self.secret_digits <= 12:
            raise InputError(f"secret_digits {self.secret_digits} is out of range; use 1 to 12")
        if any(r < 1 for r in self.repetitions) or self.per_repetition < 0:
            raise InputError("canary repetitions must be >= 1 and per_repetition >= 0")

    @property
    def space_size(self) -> int:
        return 10 ** self.secret_digits


@dataclass(frozen=True)
class Canary:
    id: str
    format: str
    secret: str
    repetitions: int

    def text_with(self, secret: str) -> str:
        return self.format.replace("{secret}", secret)

    @property
    def text(self) -> str:
        return self.text_with(self.secret)


def make_canaries(config: CanaryConfig, seed: int) -> list[Canary]:
    """per_repetition canaries for every repetition count, each with a distinct format
    (cycled) and a distinct uniformly random secret."""
    rng = random.Random(f"canaries:{seed}")
    canaries: list[Canary] = []
    used: set[str] = set()
    for reps in config.repetitions:
        for _ in range(config.per_repetition):
            secret = format(rng.randrange(config.space_size), f"0{config.secret_digits}d")
            while secret in used:
                secret = format(rng.randrange(config.space_size), f"0{config.secret_digits}d")
            used.add(secret)
            fmt = config.formats[len(canaries) % len(config.formats)]
            canaries.append(Canary(f"canary-{len(canaries):02d}-x{reps}", fmt, secret, reps))
    return canaries


def all_secrets(digits: int) -> list[str]:
    return [format(i, f"0{digits}d") for i in range(10 ** digits)]


def sample_secrets(digits: int, count: int, seed: int, exclude: str) -> list[str]:
    """`count` distinct random secrets other than `exclude`."""
    rng = random.Random(f"candidates:{seed}:{exclude}")
    space = 10 ** digits
    count = min(count, space - 1)
    picked: set[str] = set()
    while len(picked) < count:
        candidate = format(rng.randrange(space), f"0{digits}d")
        if candidate != exclude:
            picked.add(candidate)
    return sorted(picked)
