"""One check: the rows of the probe under the weights of one step.

Rows (one Parquet part per check; `kind` says which fields a row has):

    text      one per probe text: every signal, the text's loss, teacher-forced extraction
    canary    one per canary: the secret's exposure among `canary_candidates` secrets
    pathway   one per group (members, held_out): the pathway indicator and its error
    check     one: the step, seconds the check took, and what the caller adds (train loss)

Ids are `<step>/<kind>/<name>`, so a step's rows are unique within the run.

**Teacher-forced extraction.** Greedy decoding from the true prefix reproduces the true
suffix exactly when, at every suffix position, the true token is the most likely one
given the true text before it: while it has matched, the generated context *is* the true
context. So exact match and the length of the matching start (the `extract` audit's
`exact_match` and `longest_match`) follow from one forward pass over the text, without
generating; the split into prefix and suffix is discoverable extraction's own
(`split_tokens`). Near-miss measures (edit distance after the first wrong token) do need
generation; the lab's extraction stage reports them at the end of training.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from ..extraction.discoverable import split_tokens
from ..signals import Context, Signal
from .config import DynamicsConfig
from .pathways import (consistency_per_sample, layer_updates, pathway_consistency,
                       pathway_similarity, similarity_leave_one_out)
from .probe_set import ProbeSet


def row_id(step: int, kind: str, name: str) -> str:
    return f"{step:08d}/{kind}/{name}"


def teacher_forced_extraction(token_ids: Sequence[int], logprobs: np.ndarray,
                              top_logprobs: np.ndarray, prefix_tokens: int,
                              suffix_tokens: int) -> tuple[bool, int, int]:
    """(exact match, longest match, suffix length) of greedy extraction, from the log-prob
    of each true token and of the most likely token at each position (position t predicts
    token t). A text of one token cannot be split: (False, 0, 0)."""
    split = split_tokens(list(token_ids), prefix_tokens, suffix_tokens)
    if split is None:
        return False, 0, 0
    cut, length = len(split[0]), len(split[1])
    span = slice(cut, cut + length)
    greedy_pick = np.asarray(logprobs[span]) >= np.asarray(top_logprobs[span])
    longest = int(np.argmin(greedy_pick)) if not greedy_pick.all() else length
    return bool(greedy_pick.all()), longest, length


def text_rows(step: int, probe: ProbeSet, probes: Sequence[Any], signals: Sequence[Signal],
              config: DynamicsConfig) -> list[dict[str, Any]]:
    rows = []
    for sample, p in zip(probe.texts, probes):
        row: dict[str, Any] = {"id": row_id(step, "text", sample.id), "step": step,
                               "kind": "text", "sample_id": sample.id, "label": sample.label,
                               "n_tokens": len(p.scores)}
        ctx = Context(text=sample.text)
        for signal in signals:
            row[signal.column] = float(signal(p.scores, ctx))
        row["text_loss"] = p.scores.mean_nll
        exact, longest, suffix = teacher_forced_extraction(
            p.scores.token_ids, p.scores.logprobs, p.top_logprobs, config.prefix_tokens,
            config.suffix_tokens)
        row.update(exact_match=exact, longest_match=longest, suffix_tokens=suffix)
        rows.append(row)
    return rows


def pathway_rows(step: int, probe: ProbeSet, probes: Sequence[Any]) -> list[dict[str, Any]]:
    rows = []
    groups = {"members": [p for s, p in zip(probe.texts, probes) if s.label == 1],
              "held_out": [p for s, p in zip(probe.texts, probes) if s.label == 0]}
    for group, members in groups.items():
        updates = [layer_updates(p.layer_means) for p in members if p.layer_means is not None]
        if len(updates) < 2:
            continue
        similarity, similarity_se = pathway_similarity(updates)
        consistency, consistency_se = pathway_consistency(updates)
        # per-sample pieces, in the probe's order (the same at every check): paired errors
        rows.append({"id": row_id(step, "pathway", group), "step": step, "kind": "pathway",
                     "group": group, "pathway_similarity": similarity,
                     "pathway_similarity_se": similarity_se,
                     "pathway_similarity_loo": similarity_leave_one_out(updates).tolist(),
                     "pathway_consistency": consistency,
                     "pathway_consistency_se": consistency_se,
                     "pathway_consistency_each": consistency_per_sample(updates).tolist()})
    return rows


def canary_candidates(probe: ProbeSet, config: DynamicsConfig) -> list[tuple[Any, list[str]]]:
    """(canary, [its secret, then `canary_candidates` random secrets of its format]): the
    same candidates at every check (seeded by the run seed and the secret), so the curve
    moves only with the model."""
    from ..extraction.canaries import sample_secrets

    return [(c, [c.secret, *sample_secrets(len(c.secret), config.canary_candidates,
                                             config.seed, c.secret)]) for c in probe.canaries]


def canary_rows(step: int, candidates, log_perplexities: Sequence[float]) -> list[dict[str, Any]]:
    """Each canary's exposure from the log-perplexities Px of its secret and candidates (in
    the order of `canary_candidates`): a normal fitted to the candidates' Px
    (extraction/exposure.py, normal_exposure), and the empirical exposure of the secret's
    rank among them (at most log2(candidates + 1))."""
    from ..extraction.exposure import exposure_from_rank, normal_exposure, rank_of_secret

    rows, offset = [], 0
    for canary, secrets in candidates:
        scored = np.asarray(log_perplexities[offset:offset + len(secrets)], dtype=np.float64)
        offset += len(secrets)
        secret_px, px = float(scored[0]), scored[1:]
        rank = rank_of_secret(secret_px, px)
        rows.append({"id": row_id(step, "canary", canary.id), "step": step, "kind": "canary",
                     "canary_id": canary.id, "repetitions": canary.repetitions,
                     "secret_log_perplexity": secret_px,
                     "exposure": normal_exposure(secret_px, px, 10 ** len(canary.secret)),
                     "sampled_rank": rank,
                     "empirical_exposure": exposure_from_rank(rank, len(px) + 1),
                     "candidates_scored": len(px)})
    return rows


def check_rows(model, step: int, probe: ProbeSet, signals: Sequence[Signal],
               config: DynamicsConfig, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every row of one check, with the network as it is now (the caller puts it in eval
    mode and back). `extra` goes into the check row (train loss, epoch, ...)."""
    from ..models.probe import probe as forward

    clock = time.perf_counter()
    candidates = canary_candidates(probe, config)
    # one pass for everything: the probe texts and every canary candidate (short texts,
    # which the length-sorted batches keep together); a candidate's log-perplexity is the
    # sum over its tokens, exactly as the lab's exposure scores it
    canary_texts = [canary.text_with(secret) for canary, secrets in candidates
                    for secret in secrets]
    probes = forward(model, [s.text for s in probe.texts] + canary_texts,
                     hidden=config.pathways)
    probes, canary_probes = probes[:len(probe.texts)], probes[len(probe.texts):]
    rows = text_rows(step, probe, probes, signals, config)
    if config.pathways:
        rows += pathway_rows(step, probe, probes)
    rows += canary_rows(step, candidates,
                        [-float(p.scores.logprobs.sum(dtype=np.float64)) for p in canary_probes])
    rows.append({"id": row_id(step, "check", "check"), "step": step, "kind": "check",
                 "check_seconds": time.perf_counter() - clock,
                 # floats always: a part's types must match the other parts' (epoch 0 vs 0.5)
                 **{k: None if v is None else float(v) for k, v in (extra or {}).items()}})
    return same_columns(rows)


def same_columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row with every column (None where a kind has no such field): a Parquet part
    takes its schema from its rows, and rows of different kinds share one part."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return [{key: row.get(key) for key in columns} for row in rows]
