"""One forward pass that gives a training monitor everything it reads about a text.

`HFModel.score` returns TokenScores. A check during training wants three more things from
the very same pass, so that it costs one forward per text instead of three:

- the log-prob of the most likely token at each scored position (free in the chunked
  head, vocab_stats.token_stats(with_max=True)): the target is what greedy decoding would
  pick there exactly when its log-prob equals that maximum, which turns discoverable
  extraction into a teacher-forced test (dynamics/check.py);
- the hidden state after each layer, averaged over the text's tokens (the start token is
  left out: its activations are huge and the same for every text), for the pathway
  indicator (dynamics/pathways.py).

The TokenScores are laid out exactly as `HFModel.score` lays them out (start token, no
special tokens, truncated to the context), so signals computed here equal those of a
`score` run on the same weights to float noise (tested).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..types import InputError, TokenScores


@dataclass(frozen=True)
class Probe:
    scores: TokenScores
    top_logprobs: np.ndarray          # (T,) log-prob of the most likely token at each position
    # (L, H): the embedding, then the residual stream after layers 1 .. L-1, each averaged
    # over the text's tokens. The last layer is absent: transformers returns its output
    # after the final norm, which is not on the same scale. None when not asked for.
    layer_means: np.ndarray | None


def probe(model, texts: Sequence[str], *, hidden: bool = True) -> list[Probe]:
    """One Probe per text, for a Hugging Face backend (loaded or `HFModel.from_network`)."""
    import torch

    from .base import right_pad
    from .vocab_stats import DEFAULT_CHUNK_ROWS, token_stats

    decoder, head, logit_fn = model._decoder, model._head, model._logit_fn
    if decoder is None:
        raise InputError(f"model {model.name!r} has no separate decoder and LM head; the "
                         "training monitor needs a causal LM laid out as model.model + lm_head")
    start = model._prefix()
    encoded, truncated = [], []
    for i, text in enumerate(texts):
        ids = model.encode(text)
        if not ids:
            raise InputError(f"text {i} has no tokens (empty text); remove it or give it content")
        encoded.append((start + ids)[: model.max_length])
        truncated.append(len(start) + len(ids) > model.max_length)
    first = len(start) or 1               # first position whose token is scored
    pad = model.tokenizer.pad_token_id if model.tokenizer.pad_token_id is not None else 0
    out: list[Probe | None] = [None] * len(texts)
    order = sorted(range(len(texts)), key=lambda k: len(encoded[k]))
    chunk = DEFAULT_CHUNK_ROWS if model.device.type == "cpu" else 2048
    with torch.inference_mode():
        for begin in range(0, len(order), model.batch_size):
            keys = order[begin:begin + model.batch_size]
            ids, mask = right_pad([encoded[k] for k in keys], pad)
            ids, mask = ids.to(model.device), mask.to(model.device)
            result = decoder(input_ids=ids, attention_mask=mask, output_hidden_states=hidden,
                             use_cache=False)
            lengths = [len(encoded[k]) - first for k in keys]
            rows = torch.cat([torch.full((n,), r, dtype=torch.long) for r, n in enumerate(lengths)])
            cols = torch.cat([torch.arange(first - 1, first - 1 + n) for n in lengths])
            targets = torch.cat([ids[r, first:first + n] for r, n in enumerate(lengths)])
            flat = result.last_hidden_state[rows.to(model.device), cols.to(model.device)]
            lp, mean, var, top = (t.cpu().numpy() for t in token_stats(
                flat, head, targets, chunk_rows=chunk, logit_fn=logit_fn, with_max=True))
            layers = _layer_means(result.hidden_states, mask, len(start)) if hidden else None
            offset = 0
            for r, (k, n) in enumerate(zip(keys, lengths)):
                span = slice(offset, offset + n)
                token_ids = np.asarray(encoded[k][first:], dtype=np.int32)
                scores = TokenScores(token_ids, lp[span], mean[span], var[span],
                                     truncated=truncated[k])
                out[k] = Probe(scores, top[span], None if layers is None else layers[r])
                offset += n
    return out  # type: ignore[return-value]


def _layer_means(hidden_states, mask, skip: int) -> np.ndarray:
    """(B, L, H): each text's residual stream per layer, averaged over its own tokens (the
    first `skip` positions, the start token, left out)."""
    import torch

    keep = mask.clone().float()
    keep[:, :skip] = 0.0
    keep = keep[:, :, None]                                          # (B, T, 1)
    count = keep.sum(1).clamp(min=1.0)                               # (B, 1)
    stacked = torch.stack([(h.float() * keep).sum(1) / count for h in hidden_states[:-1]], 1)
    return stacked.cpu().numpy()
