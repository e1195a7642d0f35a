"""A backend written outside mnemoscope, in one file (docs/extending.md): every token has
probability 1/2 under a two-token 'vocabulary', so every text's loss is ln 2 per token.
`MNEMOSCOPE_PLUGINS=toy_backend mnemoscope score DATA --backend coin` runs it."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from mnemoscope.models import backends
from mnemoscope.types import Capabilities, TokenScores


@backends.register("coin")
class CoinModel:
    """One token per whitespace word, each with log p = ln(1/2)."""

    declared = Capabilities.LOGPROBS

    def __init__(self, config) -> None:
        self.config = config
        self.name = "coin"
        self.capabilities = self.declared

    def score(self, texts: Sequence[str], prefix: str | None = None) -> list[TokenScores]:
        out = []
        for text in texts:
            n = max(1, len(text.split()))
            out.append(TokenScores(np.arange(n, dtype=np.int32),
                                   np.full(n, -math.log(2.0), dtype=np.float32)))
        return out

    def generate(self, prompts, *, max_new_tokens, n=1, temperature=0.0, seed=None):
        raise NotImplementedError

    def identity(self) -> dict[str, Any]:
        return {"name": "coin", "backend": "coin", "versions": {}}
