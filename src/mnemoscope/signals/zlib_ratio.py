"""zlib entropy ratio (Carlini et al. 2021, "Extracting Training Data from Large Language
Models"). The model's loss is normalised by how compressible the text is, so texts that
are merely repetitive do not look memorized. Higher = member."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from ..types import TokenScores
from .base import Context, Signal, register


def zlib_length(text: str) -> int:
    """Bytes of the zlib-compressed UTF-8 text (default level 6)."""
    return len(zlib.compress(text.encode("utf-8")))


@register("zlib")
@dataclass(frozen=True)
class Zlib(Signal):
    """-loss / len(zlib(text))."""

    paper = "Carlini et al. 2021"

    def __call__(self, s: TokenScores, ctx: Context = Context()) -> float:
        return -s.mean_nll / zlib_length(ctx.text)
