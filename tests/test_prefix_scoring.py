"""Model.score(texts, prefix=P): the prefix's keys and values computed once and reused
give the same scores as running P + text from scratch (to float rounding)."""

from __future__ import annotations

import numpy as np
import pytest

from mnemoscope.types import Capabilities, InputError

PREFIX = "the king was in the city . the river was long and quiet ."
TEXTS = ["the old man read a letter", "she went to the market in the morning light",
         "we", "they stand by the stone house on the road in winter and they wait"]


def test_cached_prefix_scores_match_scoring_from_scratch(tiny_model):
    assert Capabilities.PREFIX in tiny_model.capabilities
    cached = tiny_model.score(TEXTS, prefix=PREFIX)
    fresh = tiny_model._score_after_prefix(TEXTS, PREFIX, reuse_cache=False)
    for text, a, b in zip(TEXTS, cached, fresh):
        assert a.token_ids.tolist() == tiny_model.encode(text)
        assert np.abs(a.logprobs - b.logprobs).max() < 1e-4
        assert np.abs(a.vocab_mean - b.vocab_mean).max() < 1e-4
        assert np.abs(a.vocab_var - b.vocab_var).max() < 1e-4


def test_the_prefix_changes_the_scores_and_only_text_tokens_are_scored(tiny_model):
    plain = tiny_model.score(TEXTS)
    after = tiny_model.score(TEXTS, prefix=PREFIX)
    assert [len(a) for a in after] == [len(p) for p in plain]
    assert any(np.abs(a.logprobs - p.logprobs).max() > 1e-3 for a, p in zip(after, plain))


def test_an_empty_prefix_is_refused(tiny_model):
    with pytest.raises(InputError, match="prefix has no tokens"):
        tiny_model.score(TEXTS, prefix="")
