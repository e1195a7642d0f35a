"""Log-probability of many token sequences that all begin with the same tokens, with the
shared part run once.

Canary exposure scores thousands of candidates that differ only in the secret: "My
account PIN is 0284719362." and every other secret in the same format. Scoring each one
from scratch recomputes the format's tokens (a third of each sequence or more) for every
candidate. Here the longest token prefix common to all sequences goes through the network
once; its keys and values are copied for each batch of the rest (the tails), and the
result equals continuation_logprobs with empty contexts up to float rounding (tested).
"""

from __future__ import annotations

import copy
from typing import Sequence

import numpy as np

from ..models.prefix_cache import cache_argument, cache_of
from .token_loss import continuation_logprobs, split_head

MIN_SHARED = 2   # below this the cached path saves nothing worth its overhead


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    """How many leading tokens every sequence shares."""
    if not sequences:
        return 0
    first = sequences[0]
    length = min(len(s) for s in sequences)
    for seq in sequences[1:]:
        k = 0
        while k < length and seq[k] == first[k]:
            k += 1
        length = k
        if length == 0:
            break
    return length


def sequence_logprobs(model, sequences: Sequence[Sequence[int]], *,
                      batch_size: int = 64) -> np.ndarray:
    """sum_t log p(x_t | start, x_<t) over every token of each sequence; shape (N,).
    The same values as continuation_logprobs(model, [[]] * N, sequences)."""
    import torch

    start = [] if getattr(model, "start_token_id", None) is None else [int(model.start_token_id)]
    full = [start + list(s) for s in sequences]
    # every sequence keeps at least one token of its own after the shared part
    shared = min(common_prefix_length(full), min((len(s) for s in full), default=0) - 1)
    network = getattr(model, "model", None)
    # without a start token nothing predicts the first token: continuation_logprobs says so
    if shared < MIN_SHARED or network is None or not start:
        return continuation_logprobs(model, [[] for _ in sequences], sequences,
                                     batch_size=batch_size)
    device = next(network.parameters()).device
    prefix = torch.tensor([full[0][:shared]], device=device)
    totals = np.zeros(len(full), dtype=np.float64)
    with torch.inference_mode():
        out = network(input_ids=prefix, use_cache=True)
        prefix_logp = torch.log_softmax(out.logits[0].float(), dim=-1)
        # prefix tokens 1..shared-1 (token 0 is the start token, which is not scored)
        shared_sum = float(prefix_logp[torch.arange(shared - 1, device=device),
                                       prefix[0, 1:shared]].double().sum())
        next_logp = prefix_logp[shared - 1]          # predicts each tail's first token
        past = cache_of(out)
        pad = model.tokenizer.pad_token_id if model.tokenizer.pad_token_id is not None else 0
        order = sorted(range(len(full)), key=lambda k: len(full[k]))
        for begin in range(0, len(order), batch_size):
            keys = order[begin:begin + batch_size]
            tails = [full[k][shared:] for k in keys]
            width = max(len(t) for t in tails)
            ids = torch.full((len(keys), width), pad, dtype=torch.long)
            mask = torch.zeros((len(keys), shared + width), dtype=torch.long)
            mask[:, :shared] = 1
            for row, tail in enumerate(tails):
                ids[row, :len(tail)] = torch.tensor(tail)
                mask[row, shared:shared + len(tail)] = 1
            firsts = next_logp[torch.tensor([t[0] for t in tails], device=device)].double()
            sums = firsts.clone()
            rows, cols, targets = [], [], []
            for row, tail in enumerate(tails):
                rows += [row] * (len(tail) - 1)
                cols += range(len(tail) - 1)
                targets += tail[1:]
            if targets:
                cache = copy.deepcopy(past)
                cache.batch_repeat_interleave(len(keys))
                logits = _tail_logits(network, ids.to(device), mask.to(device), cache,
                                      torch.tensor(rows, device=device),
                                      torch.tensor(cols, device=device))
                picked = torch.log_softmax(logits.float(), dim=-1)[
                    torch.arange(len(targets), device=device),
                    torch.tensor(targets, device=device)]
                sums.index_add_(0, torch.tensor(rows, device=device), picked.double())
            totals[keys] = sums.cpu().numpy() + shared_sum
    return totals


def _tail_logits(network, ids, mask, cache, rows, cols):
    """Logits at (row, position) of the tails, after the cached prefix; the LM head runs
    on the gathered hidden states only (token_loss.split_head), as in token_loss._logits_at."""
    parts = split_head(network)
    if parts is not None:
        body, head = parts
        hidden = body(input_ids=ids, attention_mask=mask, use_cache=True,
                      **cache_argument(body, cache)).last_hidden_state
        return head(hidden[rows, cols])
    return network(input_ids=ids, attention_mask=mask, use_cache=True,
                   **cache_argument(network, cache)).logits[rows, cols]
