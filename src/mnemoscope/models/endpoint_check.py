"""Do an endpoint's log-probs match a local backend's? (`mnemoscope check-endpoint`)

Scores the same texts on both backends and compares token by token. Tokens are matched by
their text: the endpoint's pieces are walked against the local tokenizer's pieces of the
same text, and only positions where both split identically are compared (a different
split, or the endpoint's unscored first token, is counted, not compared).

Reported: the largest and the mean per-token |delta log p| and the largest difference of
the per-text mean NLL (the `loss` signal), with the endpoint's own alignment verdict.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

DEFAULT_TEXTS = (
    "In the beginning God created the heaven and the earth.",
    "The quick brown fox jumps over the lazy dog.",
    "Four score and seven years ago our fathers brought forth on this continent a new nation.",
    "def add(a, b):\n    return a + b\n",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "It was the best of times, it was the worst of times, it was the age of wisdom.",
)


@dataclass
class Comparison:
    texts: int
    tokens_compared: int
    tokens_skipped: int                   # split differently, or unscored by the endpoint
    max_abs_delta: float
    mean_abs_delta: float
    max_loss_delta: float                 # largest |mean NLL difference| over texts
    per_text_max: list[float] = field(default_factory=list)
    endpoint_alignment: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def table(self) -> str:
        return "\n".join([
            f"texts {self.texts}, tokens compared {self.tokens_compared}, "
            f"skipped {self.tokens_skipped}",
            f"max |delta log p| per token   {self.max_abs_delta:.4f}",
            f"mean |delta log p| per token  {self.mean_abs_delta:.4f}",
            f"max |delta loss| per text     {self.max_loss_delta:.4f}",
            f"endpoint alignment check      {self.endpoint_alignment}",
        ])


def _pieces(tokenizer, ids: Sequence[int]) -> list[str]:
    return [tokenizer.decode([int(i)]) for i in ids]


def _matched(endpoint_pieces: list[str], reference_pieces: list[str]) -> list[tuple[int, int]]:
    """(endpoint index, reference index) of tokens that start and end at the same
    character offsets in both splits of the same text."""
    def spans(pieces, total):
        ends, pos = [], total - sum(len(p) for p in pieces)   # a dropped head shifts starts
        for piece in pieces:
            ends.append((pos, pos + len(piece)))
            pos += len(piece)
        return ends

    total = sum(len(p) for p in reference_pieces)
    ours = {span: i for i, span in enumerate(spans(endpoint_pieces, total))}
    return [(ours[span], j) for j, span in enumerate(spans(reference_pieces, total))
            if span in ours]


def compare_backends(endpoint, reference, texts: Sequence[str] = DEFAULT_TEXTS) -> Comparison:
    """Score `texts` on both models and compare per token.

    `endpoint` is an OpenAICompatModel (its raw echo scores are used even when its
    alignment check failed, to show the size of the error); `reference` any local backend
    with a `tokenizer` (HFModel)."""
    echoed = endpoint.echo_scores(texts)
    pieces = [p for p, _ in echoed]
    ours = [s for _, s in echoed]
    theirs = reference.score(texts)
    deltas, per_text, loss_deltas, skipped = [], [], [], 0
    for k, (a, b) in enumerate(zip(ours, theirs)):
        ref_pieces = _pieces(reference.tokenizer, b.token_ids)
        pairs = _matched(list(pieces[k]), ref_pieces)
        skipped += len(b) - len(pairs)
        if not pairs:
            per_text.append(float("nan"))
            continue
        ia, ib = (np.asarray(x) for x in zip(*pairs))
        d = np.abs(a.logprobs[ia].astype(np.float64) - b.logprobs[ib].astype(np.float64))
        deltas.append(d)
        per_text.append(float(d.max()))
        loss_deltas.append(abs(float(-a.logprobs[ia].mean()) - float(-b.logprobs[ib].mean())))
    every = np.concatenate(deltas) if deltas else np.zeros(0)
    alignment = getattr(endpoint, "alignment", None)
    return Comparison(
        texts=len(texts), tokens_compared=int(every.size), tokens_skipped=int(skipped),
        max_abs_delta=float(every.max()) if every.size else float("nan"),
        mean_abs_delta=float(every.mean()) if every.size else float("nan"),
        max_loss_delta=max(loss_deltas) if loss_deltas else float("nan"),
        per_text_max=per_text,
        endpoint_alignment=None if alignment is None else alignment.describe())
