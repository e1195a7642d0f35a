"""A model's answers to probes: greedy generation for open probes (cloze, QA), one forward
pass per choice for true/false and multiple choice.

A choice is scored as a continuation of the prompt: the start token, the prompt's tokens,
then the tokens of " <choice>", laid out as `score` and the trainer lay out a text, and its
score is the sum of the choice tokens' log-probabilities (no length normalisation: the
options of one probe are names of one kind, and a shorter name is not favoured by design,
since the answer is drawn at random among them). Generation prepends the same start token
(models/hf.py), so a cloze prompt is the training sentence's own beginning.
"""

from __future__ import annotations

from typing import Any, Sequence

from .grading import CHOICE_FORMATS, exact_match, lenient_match, pick_choice


def choice_logprobs(model, pairs: Sequence[tuple[str, str]], batch_size: int) -> list[float]:
    """Sum of log p(continuation tokens | start, prompt) for each (prompt, continuation)."""
    import torch

    from ..models.base import right_pad
    from ..training import device_of, pad_id

    start = [] if model.start_token_id is None else [int(model.start_token_id)]
    encoded = [(start + model.encode(p), model.encode(c)) for p, c in pairs]
    order = sorted(range(len(encoded)), key=lambda k: len(encoded[k][0]) + len(encoded[k][1]))
    out = [0.0] * len(encoded)
    pad, device = pad_id(model), device_of(model)
    for first in range(0, len(order), batch_size):
        rows = order[first:first + batch_size]
        seqs = [encoded[k][0] + encoded[k][1] for k in rows]
        ids, mask = right_pad(seqs, pad)
        with torch.inference_mode():
            logits = model.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            logp = torch.log_softmax(logits.float(), dim=-1)        # (B, T, V)
        for r, k in enumerate(rows):
            prompt, cont = encoded[k]
            positions = torch.arange(len(prompt) - 1, len(prompt) + len(cont) - 1)
            targets = torch.tensor(cont)
            out[k] = float(logp[r, positions, targets].sum())
    return out


def answer(model, probes: Sequence[dict[str, Any]], *, max_new_tokens: int,
           batch_size: int) -> list[dict[str, Any]]:
    """One result per probe (same order): `output` (the generated text, or the picked
    choice), `exact`, `lenient` (equal to `exact` for choice probes), `choice_logprobs`."""
    results: list[dict[str, Any]] = [{} for _ in probes]
    open_idx = [k for k, p in enumerate(probes) if p["format"] not in CHOICE_FORMATS]
    choice_idx = [k for k, p in enumerate(probes) if p["format"] in CHOICE_FORMATS]
    if open_idx:
        outputs = model.generate([probes[k]["prompt"] for k in open_idx],
                                 max_new_tokens=max_new_tokens)
        for k, out in zip(open_idx, outputs):
            text, gold = out[0], probes[k]["answer"]
            results[k] = {"output": text, "exact": exact_match(text, gold),
                          "lenient": lenient_match(text, gold), "choice_logprobs": []}
    pairs = [(probes[k]["prompt"], " " + c) for k in choice_idx for c in probes[k]["choices"]]
    scores = choice_logprobs(model, pairs, batch_size) if pairs else []
    at = 0
    for k in choice_idx:
        choices = probes[k]["choices"]
        mine, at = scores[at:at + len(choices)], at + len(choices)
        picked = choices[pick_choice(mine)]
        right = picked == probes[k]["answer"]
        results[k] = {"output": picked, "exact": right, "lenient": right,
                      "choice_logprobs": mine}
    return results
