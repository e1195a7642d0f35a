"""Batched, seeded decoding: many prompts x many samples in one token-by-token loop.

transformers' `generate` draws every sample of a batch from one global random stream, so a
seeded sample would depend on which other prompts shared its batch; the backend therefore
ran seeded sampling one prompt per call (45 s per text for `extract`'s 10 guesses). Here
each prompt owns a torch.Generator, seeded as that one-prompt call seeded the global one,
and draws its n rows with one `multinomial` per step, exactly as `generate` did for it
alone. The batch is only a way to share the matrix products: a prompt's tokens do not
depend on the batch it runs in, up to float noise in the logits (left padding changes the
shapes of the products), and equal transformers' `generate` of that prompt alone. That
holds in float32 (tested); in bfloat16 the noise is large enough to change some samples
(bench/generation_throughput.py --dtype bfloat16 reports it).

Shapes: B rows = sum over prompts of n; prompts left-padded to width W; the KV cache grows
by one position per step; logits are taken for the last position only, in float32.
Sampling follows `generate`'s warpers in its order: temperature, top-k, top-p.
"""

from __future__ import annotations

from typing import Sequence


def _warp(scores, temperature: float, top_k: int | None, top_p: float | None):
    """transformers' TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper (in that
    order, filter value -inf, at least one token kept). scores: (B, V) float32."""
    import torch

    if temperature != 1.0:
        scores = scores / temperature
    if top_k:
        k = min(int(top_k), scores.shape[-1])
        kth = torch.topk(scores, k)[0][..., -1, None]
        scores = scores.masked_fill(scores < kth, -float("inf"))
    if top_p is not None and top_p < 1.0:
        sorted_scores, order = torch.sort(scores, descending=False)
        cumulative = sorted_scores.softmax(dim=-1).cumsum(dim=-1)
        remove = cumulative <= (1 - top_p)
        remove[..., -1:] = False
        scores = scores.masked_fill(remove.scatter(1, order, remove), -float("inf"))
    return scores


def decode(network, seqs: Sequence[Sequence[int]], *, n: int, max_new_tokens: int, pad: int,
           eos: Sequence[int] | None, seeds: Sequence[int | None] | None = None,
           temperature: float = 0.0, top_k: int | None = None, top_p: float | None = None,
           device=None) -> list[list[list[int]]]:
    """n continuations of each token sequence (prompt excluded), `max_new_tokens` each; a
    row that produced an EOS in `eos` is padded with `pad` afterwards, and the loop stops
    once every row has (what `generate` returns). With temperature 0 the rows are greedy;
    otherwise prompt i's n rows are drawn with a generator seeded by seeds[i] (None: the
    global stream)."""
    import torch

    from .prefix_cache import cache_argument

    device = device or next(network.parameters()).device
    sampling = temperature > 0
    width = max(len(s) for s in seqs)
    rows = [s for s in seqs for _ in range(n)]                   # B = len(seqs) * n
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for r, seq in enumerate(rows):                               # left padding
        ids[r, width - len(seq):] = torch.tensor(list(seq), dtype=torch.long)
        mask[r, width - len(seq):] = 1
    ids, mask = ids.to(device), mask.to(device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    generators = None
    if sampling:
        generators = []
        for seed in (seeds if seeds is not None else [None] * len(seqs)):
            if seed is None:
                generators.append(None)
            else:
                generators.append(torch.Generator(device=device).manual_seed(int(seed)))
    eos_t = torch.tensor(list(eos or []), dtype=torch.long, device=device)
    unfinished = torch.ones(len(rows), dtype=torch.bool, device=device)
    out = torch.full((len(rows), max_new_tokens), pad, dtype=torch.long, device=device)
    cache = None
    steps = 0
    with torch.inference_mode():
        step_ids, step_positions = ids, positions
        for step in range(max_new_tokens):
            kwargs = {} if cache is None else cache_argument(network, cache)
            result = network(input_ids=step_ids, attention_mask=mask, position_ids=step_positions,
                             use_cache=True, logits_to_keep=1, **kwargs)
            cache = result["cache"] if "cache" in result else result.past_key_values
            scores = result.logits[:, -1, :].to(dtype=torch.float32)            # (B, V)
            if sampling:
                probs = _warp(scores, temperature, top_k, top_p).softmax(dim=-1)
                chosen = torch.empty(len(rows), dtype=torch.long, device=device)
                for i, generator in enumerate(generators):          # one draw per prompt
                    block = slice(i * n, (i + 1) * n)
                    chosen[block] = torch.multinomial(probs[block], 1,
                                                      generator=generator).squeeze(1)
            else:
                chosen = scores.argmax(dim=-1)
            chosen = torch.where(unfinished, chosen, torch.full_like(chosen, pad))
            out[:, step] = chosen
            steps = step + 1
            if eos_t.numel():
                unfinished &= ~torch.isin(chosen, eos_t)
                if not bool(unfinished.any()):
                    break
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            step_positions = step_positions[:, -1:] + 1
            step_ids = chosen[:, None]
    tokens = out[:, :steps].cpu().tolist()
    return [tokens[i * n:(i + 1) * n] for i in range(len(seqs))]
