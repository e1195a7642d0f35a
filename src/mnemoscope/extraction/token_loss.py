"""Log-probability of a continuation given a context, both as token ids.

`Model.score` takes strings; exposure and sampled extraction need the log-probability of
token sequences the model itself produced (or enumerated secrets) without a round trip
through text, which can re-tokenize differently. This reads the Hugging Face backend's
`.model` and `.start_token_id` directly, and prepends the start token exactly as scoring
and generation do.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..types import InputError


def continuation_logprobs(model, contexts: Sequence[Sequence[int]],
                          continuations: Sequence[Sequence[int]], *,
                          batch_size: int = 64) -> np.ndarray:
    """sum_t log p(continuation_t | start, context, continuation_<t) for each pair; shape (N,)."""
    import torch

    from ..models.base import right_pad

    network = getattr(model, "model", None)
    if network is None or not hasattr(model, "start_token_id"):
        raise InputError(f"model {getattr(model, 'name', model)!r} does not expose token-level "
                         "scoring; exposure and sampled extraction need the Hugging Face backend "
                         "(a local model folder, a .gguf file or smollm2-135m).")
    if len(contexts) != len(continuations):
        raise ValueError("contexts and continuations differ in length")
    start = [] if model.start_token_id is None else [int(model.start_token_id)]
    sequences = [start + list(c) + list(x) for c, x in zip(contexts, continuations)]
    first_scored = [len(start) + len(c) for c in contexts]    # index of first continuation token
    if any(f == 0 for f, x in zip(first_scored, continuations) if x):
        raise InputError("a continuation with no context and no start token cannot be scored; "
                         "give it at least one context token.")
    device = next(network.parameters()).device
    pad = model.tokenizer.pad_token_id if model.tokenizer.pad_token_id is not None else 0
    totals = np.zeros(len(sequences), dtype=np.float64)
    order = sorted(range(len(sequences)), key=lambda k: len(sequences[k]))  # length buckets
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            keys = [k for k in order[begin:begin + batch_size] if continuations[k]]
            if not keys:
                continue
            ids, mask = right_pad([sequences[k] for k in keys], pad)
            rows, cols, targets = [], [], []
            for row, k in enumerate(keys):
                n = len(sequences[k]) - first_scored[k]
                rows += [row] * n
                cols += range(first_scored[k] - 1, len(sequences[k]) - 1)
                targets += sequences[k][first_scored[k]:]
            logits = _logits_at(network, ids.to(device), mask.to(device),
                                torch.tensor(rows, device=device), torch.tensor(cols, device=device))
            picked = torch.log_softmax(logits.float(), dim=-1)[
                torch.arange(len(targets), device=device), torch.tensor(targets, device=device)]
            sums = torch.zeros(len(keys), dtype=torch.float64, device=device)
            sums.index_add_(0, torch.tensor(rows, device=device), picked.double())
            totals[keys] = sums.cpu().numpy()
    return totals


def _logits_at(network, ids, mask, rows, cols):
    """Logits at the given (row, position) pairs only, shape (N, V): the LM head runs on
    the N gathered hidden states, not on every position (V is ~50k for real models)."""
    parts = split_head(network)
    if parts is not None:
        body, head = parts
        hidden = body(input_ids=ids, attention_mask=mask).last_hidden_state
        return head(hidden[rows, cols])
    return network(input_ids=ids, attention_mask=mask).logits[rows, cols]


def split_head(network):
    """(decoder body, LM head) when the logits are exactly head(hidden states), so the
    head can run on gathered rows only; None for layouts with soft-capping or scaling."""
    config = network.config
    body = getattr(network, "model", None)
    head = network.get_output_embeddings()
    plain_head = not getattr(config, "final_logit_softcapping", None) and \
        getattr(config, "logit_scale", None) in (None, 1, 1.0)
    return (body, head) if body is not None and head is not None and plain_head else None
