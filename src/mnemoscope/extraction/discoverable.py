"""Discoverable extraction (Carlini et al. 2022) and sampled extraction
(lm-extraction-benchmark, Carlini et al. 2023).

Greedy: the true k-token prefix is continued greedily for m tokens; the text is extracted
when those m tokens equal the true suffix.

Short texts: a text with fewer than k + m tokens is split in the same k : m proportion
(half and half with the defaults), with at least one token on each side; a text of one
token cannot be split and is skipped (its row says so). So a 64-token text gets a
32-token prefix and a 32-token suffix.

Sampled: N continuations are drawn with top-k sampling from the same prefix and ranked by
their own loss (the mean negative log-likelihood of the guess given the prefix, lowest
first). Recall at N guesses = the share of texts for which one of the N guesses is the
true suffix; `sampled_rank` is where that guess ranks (1 = the attacker's first pick).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Sequence

from ..types import InputError, Sample
from .matching import (APPROX_THRESHOLD, approx_match, exact_match, matching_prefix_length,
                       token_edit_distance)


@dataclass(frozen=True)
class DiscoverableConfig:
    prefix_tokens: int = 50            # k
    suffix_tokens: int = 50            # m
    approx_threshold: float = APPROX_THRESHOLD
    samples: int = 10                  # N sampled guesses per text; 0 = greedy only
    top_k: int = 10                    # lm-extraction-benchmark samples at top-k = 10
    temperature: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.prefix_tokens < 1 or self.suffix_tokens < 1:
            raise InputError("prefix and suffix lengths must be at least 1 token "
                             f"(got k={self.prefix_tokens}, m={self.suffix_tokens})")
        if self.samples < 0 or self.top_k < 1 or self.temperature <= 0:
            raise InputError("samples must be >= 0, top_k >= 1 and temperature > 0")


def split_tokens(ids: Sequence[int], prefix_tokens: int,
                 suffix_tokens: int) -> tuple[list[int], list[int]] | None:
    """(prefix, suffix) per the rule in the module docstring; None when too short."""
    ids = list(ids)
    if len(ids) >= prefix_tokens + suffix_tokens:
        return ids[:prefix_tokens], ids[prefix_tokens:prefix_tokens + suffix_tokens]
    if len(ids) < 2:
        return None
    cut = round(len(ids) * prefix_tokens / (prefix_tokens + suffix_tokens))
    cut = min(max(cut, 1), len(ids) - 1)
    return ids[:cut], ids[cut:]


def sample_seed(seed: int, sample_id: str) -> int:
    """A per-text seed from the run seed and the text's id, so that sampled guesses do not
    depend on chunking, order or resumes."""
    digest = hashlib.sha256(f"{seed}:{sample_id}".encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2**31 - 1)


def greedy_rows(samples: Sequence[Sample], model, config: DiscoverableConfig) -> list[dict[str, Any]]:
    """One row per sample with the greedy-extraction measures (and the split it used)."""
    rows: list[dict[str, Any]] = []
    splits = []
    for sample in samples:
        ids = model.encode(sample.text)
        split = split_tokens(ids, config.prefix_tokens, config.suffix_tokens)
        row: dict[str, Any] = {"id": sample.id, "n_tokens": len(ids), "extractable": split is not None}
        if sample.label is not None:
            row["label"] = sample.label
        rows.append(row)
        splits.append(split)
    todo = [index for index, split in enumerate(splits) if split is not None]
    if todo:
        # one call for every length: a greedy row's first L tokens do not depend on how
        # many follow, so each is cut to its own suffix length
        longest = max(len(splits[i][1]) for i in todo)
        outputs = model.generate_tokens([splits[i][0] for i in todo], max_new_tokens=longest,
                                        temperature=0.0, stop_at_eos=False)
        for index, output in zip(todo, outputs):
            prefix, suffix = splits[index]
            generated = output[0][:len(suffix)]
            distance = token_edit_distance(generated, suffix)
            rows[index].update(
                prefix_tokens=len(prefix), suffix_tokens=len(suffix),
                exact_match=exact_match(generated, suffix),
                longest_match=matching_prefix_length(generated, suffix),
                edit_distance=distance,
                approx_match=approx_match(distance, config.approx_threshold),
                generated_ids=[int(t) for t in generated])
    for row in rows:
        if not row["extractable"]:
            row.update(prefix_tokens=0, suffix_tokens=0, exact_match=False, longest_match=0,
                       edit_distance=1.0, approx_match=False, generated_ids=[])
    return rows


def add_sampled(rows: list[dict[str, Any]], samples: Sequence[Sample], model,
                config: DiscoverableConfig) -> None:
    """Adds sampled_hit, sampled_rank, sampled_top1_match, sampled_best_distance in place."""
    from .token_loss import continuation_logprobs

    splits = [split_tokens(model.encode(sample.text), config.prefix_tokens,
                           config.suffix_tokens) for sample in samples]
    drawn, own_logprobs = _draw_guesses(samples, splits, model, config)
    for index, (row, split) in enumerate(zip(rows, splits)):
        if config.samples == 0 or split is None:
            row.update(sampled_hit=False, sampled_rank=None, sampled_top1_match=False,
                       sampled_best_distance=None)
            continue
        prefix, suffix = split
        guesses = [g[: len(suffix)] for g in drawn[index]]
        if index in own_logprobs:          # scored while drawn: the same numbers, no rescoring
            total = [sum(lp) for lp in own_logprobs[index]]
        else:
            total = continuation_logprobs(model, [prefix] * len(guesses), guesses)
        mean_loss = [-t / max(1, len(g)) for t, g in zip(total, guesses)]
        ranked = [guesses[i] for i in sorted(range(len(guesses)), key=lambda i: mean_loss[i])]
        hit_rank = next((r + 1 for r, g in enumerate(ranked) if exact_match(g, suffix)), None)
        row.update(sampled_hit=hit_rank is not None, sampled_rank=hit_rank,
                   sampled_top1_match=hit_rank == 1,
                   sampled_best_distance=min(token_edit_distance(g, suffix) for g in guesses))


def _draw_guesses(samples: Sequence[Sample], splits, model, config: DiscoverableConfig
                  ) -> tuple[dict[int, list[list[int]]], dict[int, list[list[float]]]]:
    """config.samples sampled guesses per extractable text, by its index, seeded from (run
    seed, text id), and, where the backend reports them (`generation_logprobs`), the log p
    of each guess's tokens given the prefix. A backend that takes one seed per prompt gets
    one call for all texts; the tokens equal one call per text (models/batched_generate.py)."""
    jobs = [(index, sample, split) for index, (sample, split) in enumerate(zip(samples, splits))
            if split is not None]
    if config.samples == 0 or not jobs:
        return {}, {}
    options = dict(n=config.samples, temperature=config.temperature, top_k=config.top_k,
                   stop_at_eos=False)
    drawn: dict[int, list[list[int]]] = {}
    if not getattr(model, "per_prompt_seeds", False):
        for index, sample, (prefix, suffix) in jobs:
            drawn[index] = model.generate_tokens(
                [prefix], max_new_tokens=len(suffix), seed=sample_seed(config.seed, sample.id),
                **options)[0]
        return drawn, {}
    scored = bool(getattr(model, "generation_logprobs", False))
    if scored:
        options["logprobs"] = True
    logprobs: dict[int, list[list[float]]] = {}
    # one call for every suffix length: a seeded row's first L tokens do not depend on how
    # many follow (its generator draws once per step), so each guess is cut to its length
    longest = max(len(split[1]) for _, _, split in jobs)
    out = model.generate_tokens([split[0] for _, _, split in jobs], max_new_tokens=longest,
                                seeds=[sample_seed(config.seed, s.id) for _, s, _ in jobs],
                                **options)
    tokens, values = out if scored else (out, None)
    for j, (index, _, (_, suffix)) in enumerate(jobs):
        drawn[index] = [g[:len(suffix)] for g in tokens[j]]
        if values is not None:
            logprobs[index] = [lp[:len(suffix)] for lp in values[j]]
    return drawn, logprobs
