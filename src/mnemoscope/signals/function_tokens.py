"""Token classes for the function-token question (the seed paper: "Memory Retrieval and
Consolidation through Function Tokens", 2025): is the membership signal carried by the
content tokens that follow function tokens?

Defined once, here:
- a **function** token decodes to punctuation or symbols only, to whitespace only (or is a
  special token), or to a word of the closed list in text/function_words.py (case and
  surrounding spaces ignored);
- every other token is a **content** token, split by the token before it:
  **content_after_function** (the previous token is a function token; the document start
  counts as one) or **content_after_content** (the rest of a multi-token word, or a
  content word right after another).

The `token_classes` view maps the target's vocabulary through these rules once per run
(one decode per vocabulary entry); `loss(tokens=...)` reads it (signals/loss.py), and
`score`'s summary breaks the loss down by class (`class_breakdown`, below).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..text.function_words import FUNCTION_WORDS
from .views import View, ViewSetup, register_view

FUNCTION, CONTENT_AFTER_FUNCTION, CONTENT_AFTER_CONTENT = 0, 1, 2
CLASSES = {"function": FUNCTION, "content_after_function": CONTENT_AFTER_FUNCTION,
           "content_after_content": CONTENT_AFTER_CONTENT}
# which classes each `loss(tokens=...)` choice keeps
SELECTIONS = {"function": (FUNCTION,), "content": (CONTENT_AFTER_FUNCTION, CONTENT_AFTER_CONTENT),
              **{name: (value,) for name, value in CLASSES.items() if name != "function"}}


def is_function_piece(piece: str) -> bool:
    """A decoded token: whitespace, punctuation/symbols, or a closed-list function word."""
    core = piece.strip()
    if not core:
        return True
    if "\ufffd" in core:                 # a byte fragment of a multi-byte character
        return False
    if all(unicodedata.category(c)[0] in "PS" for c in core):
        return True
    return core.lower() in FUNCTION_WORDS


@dataclass(frozen=True)
class TokenClassTable:
    """is_function[id] for every id of the target's vocabulary, shape (V,)."""

    is_function: np.ndarray

    @classmethod
    def from_tokenizer(cls, tokenizer: Any) -> "TokenClassTable":
        from ..models.tokenizer import vocab_size

        size = vocab_size(tokenizer)
        pieces = tokenizer.batch_decode([[i] for i in range(size)])
        special = set(getattr(tokenizer, "all_special_ids", []) or [])
        return cls(np.array([i in special or is_function_piece(p) for i, p in enumerate(pieces)]))

    def classes(self, token_ids: np.ndarray) -> np.ndarray:
        """The class of every token, shape (T,): the first token follows the document
        start, which counts as a function token."""
        ids = np.asarray(token_ids, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.is_function)):
            raise ValueError("token ids outside the vocabulary: the scores carry no real token "
                             "ids (an endpoint without --tokenizer?)")
        function = self.is_function[ids]
        after_function = np.concatenate([[True], function[:-1]]) if ids.size else function
        return np.where(function, FUNCTION,
                        np.where(after_function, CONTENT_AFTER_FUNCTION, CONTENT_AFTER_CONTENT))


@register_view("token_classes")
@dataclass(frozen=True)
class TokenClassesView(View):
    """The same class table for every text (a lookup, not a scoring)."""

    table: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def prepare(cls, setup: ViewSetup) -> "TokenClassesView":
        from ..models.tokenizer import tokenizer_of

        return cls(TokenClassTable.from_tokenizer(tokenizer_of(setup.target, "loss(tokens=...)")))

    def identity(self) -> dict[str, Any]:
        return {"function_tokens": int(self.table.is_function.sum()),
                "vocab": int(len(self.table.is_function))}

    def open(self, target: Any) -> Callable[[Sequence[str]], list[Any]]:
        return lambda texts: [self.table] * len(texts)

    @classmethod
    def example(cls, member: bool) -> TokenClassTable:
        return TokenClassTable(np.array([True, False, False, True, False, False, False, False]))


def class_breakdown(rows: Any, table: TokenClassTable, *, resamples: int = 1000,
                    seed: int = 0) -> dict[str, Any]:
    """Per class, from the rows' stored tokens: how many tokens, mean log p (token-pooled)
    for members and non-members, the class's share of the member/non-member loss gap, and
    the AUROC (with CI) of the loss restricted to the class.

    Gap share: with T the text's token count, text loss = sum_c (sum_{t in c} -lp_t) / T,
    so the gap between the non-members' and the members' mean loss splits exactly into one
    term per class; `gap_share` is each term over the whole gap."""
    from ..metrics import summarize_signal

    labels = rows["label"].to_numpy() if "label" in rows.columns else None
    per_class = {name: {"lp_sum": [], "count": []} for name in CLASSES}
    total_tokens = []
    for ids, lps in zip(rows["token_ids"], rows["token_logprobs"]):
        ids, lps = np.asarray(ids), np.asarray(lps, dtype=np.float64)
        classes = table.classes(ids)
        total_tokens.append(len(ids))
        for name, value in CLASSES.items():
            chosen = classes == value
            per_class[name]["lp_sum"].append(float(lps[chosen].sum()))
            per_class[name]["count"].append(int(chosen.sum()))
    total = np.maximum(np.asarray(total_tokens, dtype=np.float64), 1)
    out: dict[str, Any] = {"classes": {}, "definition": "signals/function_tokens.py"}
    gap_terms = {}
    for name, acc in per_class.items():
        lp_sum, count = np.asarray(acc["lp_sum"]), np.asarray(acc["count"], dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            class_loss = np.where(count > 0, -lp_sum / np.maximum(count, 1), np.nan)
        entry: dict[str, Any] = {"tokens": int(count.sum()),
                                 "token_share": float(count.sum() / total.sum())}
        if labels is not None:
            for label, key in ((1, "members"), (0, "nonmembers")):
                pick = labels == label
                n = count[pick].sum()
                entry[f"mean_logprob_{key}"] = float(lp_sum[pick].sum() / n) if n else None
            contribution = -lp_sum / total                 # this class's part of each text's loss
            gap_terms[name] = float(contribution[labels == 0].mean() - contribution[labels == 1].mean())
            summary = summarize_signal(labels, -class_loss, resamples=resamples, seed=seed)
            entry.update(auroc=summary["auroc"], auroc_ci=summary["auroc_ci"],
                         texts_without_class=summary["n_not_finite"])
        out["classes"][name] = entry
    if gap_terms:
        gap = sum(gap_terms.values())
        out["loss_gap"] = gap
        for name, term in gap_terms.items():
            out["classes"][name]["gap_share"] = term / gap if gap else None
    return out


def breakdown_for_run(rows: Any, target: Any, *, resamples: int = 1000,
                      seed: int = 0) -> dict[str, Any] | None:
    """`class_breakdown` for a score run, or None when the run cannot give one: no stored
    tokens (--no-tokens), no tokenizer (an endpoint without --tokenizer), no real ids."""
    if not len(rows) or "token_ids" not in rows.columns or rows["token_ids"].isna().any():
        return None
    from ..models.tokenizer import tokenizer_of
    from ..types import InputError

    try:
        table = TokenClassTable.from_tokenizer(tokenizer_of(target, "the token-class breakdown"))
        return class_breakdown(rows, table, resamples=resamples, seed=seed)
    except (InputError, ValueError):
        return None
