"""Score texts after one shared prefix, running the prefix through the network once.

ReCaLL-style signals condition every text on the same prefix P (a few known non-member
texts). Scoring P + x from scratch for each x repeats P's forward pass N times; here P's
keys and values are computed once and copied for each batch, and only the texts run.
The result equals scoring the concatenated token sequence P + x with the loss counted on
x's tokens only, up to float rounding (tests/test_prefix_scoring.py: |Δ log p| < 1e-4).

Shapes: prefix (1, P); a batch of B texts right-padded to width W; the attention mask is
(B, P + W) with the prefix part all ones; the text's first token is predicted by the
prefix's last hidden state, the others by the text's own positions.
"""

from __future__ import annotations

import copy
import inspect
from typing import Sequence

import numpy as np


def cache_argument(module, cache) -> dict:
    """Newer transformers name the argument `cache` (`past_key_values` is deprecated)."""
    parameters = inspect.signature(module.forward).parameters
    return {"cache": cache} if "cache" in parameters else {"past_key_values": cache}


def cache_of(output):
    """The KV cache a forward pass returned: newer transformers name it `cache`
    (`past_key_values` is deprecated)."""
    return output["cache"] if "cache" in output else output.past_key_values


def score_after_prefix(decoder, head, logit_fn, prefix_ids: Sequence[int],
                       texts_ids: Sequence[Sequence[int]], *, batch_size: int, pad: int,
                       device, chunk_rows: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(log p, vocabulary mean, vocabulary variance) of every token of each text, each of
    shape (len(text),), conditioned on `prefix_ids` (which include the start token)."""
    import torch

    from .vocab_stats import token_stats

    results: list[tuple[np.ndarray, ...]] = [()] * len(texts_ids)   # type: ignore[list-item]
    with torch.inference_mode():
        prefix = torch.tensor([list(prefix_ids)], device=device)
        out = decoder(input_ids=prefix, use_cache=True)
        last_hidden = out.last_hidden_state[0, -1]                      # (H,) predicts token 0
        past = cache_of(out)
        n_prefix = prefix.shape[1]
        order = sorted(range(len(texts_ids)), key=lambda k: len(texts_ids[k]))
        for begin in range(0, len(order), batch_size):
            keys = order[begin:begin + batch_size]
            tails = [list(texts_ids[k]) for k in keys]
            width = max(len(t) for t in tails)
            ids = torch.full((len(keys), width), pad, dtype=torch.long)
            mask = torch.zeros((len(keys), n_prefix + width), dtype=torch.long)
            mask[:, :n_prefix] = 1
            for row, tail in enumerate(tails):
                ids[row, :len(tail)] = torch.tensor(tail)
                mask[row, n_prefix:n_prefix + len(tail)] = 1
            cache = copy.deepcopy(past)
            cache.batch_repeat_interleave(len(keys))
            hidden = decoder(input_ids=ids.to(device), attention_mask=mask.to(device),
                             use_cache=True, **cache_argument(decoder, cache)).last_hidden_state
            rows, cols = [], []
            for row, tail in enumerate(tails):
                rows += [row] * (len(tail) - 1)
                cols += range(len(tail) - 1)
            gathered = hidden[torch.tensor(rows, dtype=torch.long, device=device),
                              torch.tensor(cols, dtype=torch.long, device=device)] if rows \
                else hidden.new_zeros((0, hidden.shape[-1]))
            # per text: [state predicting token 0] + its own states predicting tokens 1..
            blocks, offset, counts = [], 0, []
            for tail in tails:
                n_own = len(tail) - 1
                blocks += [last_hidden[None], gathered[offset:offset + n_own]]
                offset += n_own
                counts.append(len(tail))
            flat = torch.cat([b.reshape(-1, hidden.shape[-1]) for b in blocks])   # (N, H)
            targets = torch.tensor([t for tail in tails for t in tail], device=device)
            lp, mean, var = token_stats(flat, head, targets, chunk_rows=chunk_rows,
                                        logit_fn=logit_fn)
            lp, mean, var = (t.cpu().numpy() for t in (lp, mean, var))
            offset = 0
            for key, n in zip(keys, counts):
                results[key] = (lp[offset:offset + n], mean[offset:offset + n],
                                var[offset:offset + n])
                offset += n
    return results  # type: ignore[return-value]
