"""The k likeliest next tokens a Hugging Face causal LM predicts at given character
offsets of a text, from the left context only: one forward pass over the text. Used to
make neighbours from the target model's own predictions (signals/neighbourhood.py).

Shapes: the text's T tokens after the start token, logits (1 + T, V); the row at index i
(start token included) predicts text token i.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..types import CapabilityError


def top_k_at(model: Any, text: str, starts: Sequence[int], k: int) -> list[tuple[str, list[str]]]:
    """For each offset in `starts`: (the decoded token that begins there, the decoded k
    likeliest tokens at that position, best first). An offset that no token begins at, or
    that falls past the context, gives ("", [])."""
    for needed in ("model", "tokenizer", "max_length"):
        if not hasattr(model, needed):
            raise CapabilityError("neighbours from the model's own predictions need the Hugging "
                                  "Face backend (a local model); use --neighbour-generator wordnet")
    import torch

    tokenizer = model.tokenizer
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    start_ids = [] if model.start_token_id is None else [model.start_token_id]
    ids = list(encoded["input_ids"])[: model.max_length - len(start_ids)]
    offsets = list(encoded["offset_mapping"])[: len(ids)]
    if not ids:
        return [("", []) for _ in starts]
    with torch.inference_mode():
        logits = model.model(input_ids=torch.tensor([start_ids + ids], device=model.device)).logits[0]
    out = []
    for start in starts:
        index = next((t for t, (a, b) in enumerate(offsets) if a <= start < b), None)
        row = None if index is None else index + len(start_ids) - 1
        # the token must begin the word (a leading space is fine), not run into it
        if row is None or row < 0 or text[offsets[index][0]:start].strip():
            out.append(("", []))
            continue
        top = torch.topk(logits[row].float(), k).indices.tolist()
        out.append((tokenizer.decode([ids[index]]), [tokenizer.decode([t]) for t in top]))
    return out
