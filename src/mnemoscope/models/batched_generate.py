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


def _draw(probs, generators, n: int):
    """One multinomial draw per row, prompt i's n rows from generators[i] (as `generate`
    draws them for that prompt alone). On CPU a draw fills one exponential per vocabulary
    entry from the generator, a third of a sampled step at 320 rows; running prompts' draws
    on threads made the whole decode slower (their OpenMP teams compete with the network's),
    so they run one after the other."""
    import torch

    return torch.cat([torch.multinomial(probs[i * n:(i + 1) * n], 1, generator=generator)
                      for i, generator in enumerate(generators)]).squeeze(1)


def _last_logits(result):
    """The last position's logits in float32, (rows, V)."""
    import torch

    return result.logits[:, -1, :].to(dtype=torch.float32)


def decode(network, seqs: Sequence[Sequence[int]], *, n: int, max_new_tokens: int, pad: int,
           eos: Sequence[int] | None, seeds: Sequence[int | None] | None = None,
           temperature: float = 0.0, top_k: int | None = None, top_p: float | None = None,
           device=None, logprobs: bool = False):
    """n continuations of each token sequence (prompt excluded), `max_new_tokens` each; a
    row that produced an EOS in `eos` is padded with `pad` afterwards, and the loop stops
    once every row has (what `generate` returns). With temperature 0 the rows are greedy;
    otherwise prompt i's n rows are drawn with a generator seeded by seeds[i] (None: the
    global stream).

    Each prompt goes through the network once: its keys and values are copied to its n
    rows after the prompt pass, so 10 samples of a 50-token prompt cost one prompt pass,
    not ten. With `logprobs`, also returns each row's log p of every token it generated
    (before the EOS padding), from the raw float32 logits (no temperature or top-k): the
    guess's own log-likelihood given the prompt, which the caller would otherwise rescore."""
    import torch

    from .prefix_cache import cache_argument, cache_of

    device = torch.device(device) if device is not None else next(network.parameters()).device
    sampling = temperature > 0
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for r, seq in enumerate(seqs):                               # left padding
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
    rows = len(seqs) * n                                         # B
    eos_t = torch.tensor(list(eos or []), dtype=torch.long, device=device)
    unfinished = torch.ones(rows, dtype=torch.bool, device=device)
    out = torch.full((rows, max_new_tokens), pad, dtype=torch.long, device=device)
    picked = torch.zeros((rows, max_new_tokens), dtype=torch.float64, device=device)
    steps = 0
    with torch.inference_mode():
        result = network(input_ids=ids, attention_mask=mask, position_ids=positions,
                         use_cache=True, logits_to_keep=1)
        cache, scores = cache_of(result), _last_logits(result)                 # (prompts, V)
        if n > 1 and hasattr(cache, "batch_repeat_interleave"):
            cache.batch_repeat_interleave(n)
            scores = scores.repeat_interleave(n, dim=0)
        elif n > 1:                              # a cache that cannot be copied: n prompt rows
            result = network(input_ids=ids.repeat_interleave(n, dim=0),
                             attention_mask=mask.repeat_interleave(n, dim=0),
                             position_ids=positions.repeat_interleave(n, dim=0),
                             use_cache=True, logits_to_keep=1)
            cache, scores = cache_of(result), _last_logits(result)
        mask = mask.repeat_interleave(n, dim=0)
        step_positions = positions[:, -1:].repeat_interleave(n, dim=0)
        for step in range(max_new_tokens):
            if step:
                mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
                step_positions = step_positions + 1
                result = network(input_ids=chosen[:, None], attention_mask=mask,
                                 position_ids=step_positions, use_cache=True, logits_to_keep=1,
                                 **cache_argument(network, cache))
                cache, scores = cache_of(result), _last_logits(result)         # (B, V)
            if sampling:
                probs = _warp(scores, temperature, top_k, top_p).softmax(dim=-1)
                chosen = _draw(probs, generators, n)
            else:
                chosen = scores.argmax(dim=-1)
            if logprobs:
                own = torch.log_softmax(scores, dim=-1).gather(1, chosen[:, None]).squeeze(1)
                picked[:, step] = torch.where(unfinished, own.double(), 0.0)
            chosen = torch.where(unfinished, chosen, torch.full_like(chosen, pad))
            out[:, step] = chosen
            steps = step + 1
            if eos_t.numel():
                unfinished &= ~torch.isin(chosen, eos_t)
                if not bool(unfinished.any()):
                    break
    tokens = out[:, :steps].cpu().tolist()
    grouped = [tokens[i * n:(i + 1) * n] for i in range(len(seqs))]
    if not logprobs:
        return grouped
    values = picked[:, :steps].cpu().tolist()
    return grouped, [values[i * n:(i + 1) * n] for i in range(len(seqs))]
