"""The shared-prefix scorer gives the same log-probabilities as scoring every sequence
from scratch (token_loss.continuation_logprobs) on a tiny model."""

import numpy as np
import pytest

from mnemoscope.extraction.shared_prefix import common_prefix_length, sequence_logprobs
from mnemoscope.extraction.token_loss import continuation_logprobs


def test_common_prefix_length_by_hand():
    assert common_prefix_length([[1, 2, 3], [1, 2, 4], [1, 2, 3, 5]]) == 2
    assert common_prefix_length([[1, 2], [1, 2]]) == 2
    assert common_prefix_length([[1, 2], [3, 2]]) == 0
    assert common_prefix_length([]) == 0


def _encode_all(model, texts):
    return [model.encode(t) for t in texts]


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_equals_scoring_each_sequence_from_scratch(tiny_model, batch_size):
    # tails of different lengths, more sequences than one batch, a repeated sequence
    texts = ["my account pin is 4 2 .", "my account pin is 9 9 .", "my account pin is 0 .",
             "my account pin is 1 2 3 4 5 .", "my account pin is 4 2 .", "my account pin is 7"]
    ids = _encode_all(tiny_model, texts)
    expected = continuation_logprobs(tiny_model, [[] for _ in ids], ids, batch_size=64)
    got = sequence_logprobs(tiny_model, ids, batch_size=batch_size)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
    assert got[0] == pytest.approx(got[4], abs=1e-5)


def test_no_shared_prefix_falls_back_to_plain_scoring(tiny_model):
    ids = _encode_all(tiny_model, ["river light", "king song night", "the old city"])
    expected = continuation_logprobs(tiny_model, [[] for _ in ids], ids)
    np.testing.assert_allclose(sequence_logprobs(tiny_model, ids), expected, rtol=1e-6)


def test_the_cached_prefix_is_not_changed_between_batches(tiny_model):
    # scoring in batches of 1 reuses the prefix cache five times; the last sequence must
    # get the value it gets alone
    ids = _encode_all(tiny_model, [f"my account pin is {d} ." for d in "0 1 2 3 4".split()])
    alone = sequence_logprobs(tiny_model, [ids[-1], ids[0]], batch_size=1)[0]
    assert sequence_logprobs(tiny_model, ids, batch_size=1)[-1] == pytest.approx(alone, abs=1e-5)
