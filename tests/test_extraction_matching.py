"""Extraction measures on known token sequences, and the short-text split rule."""

import pytest

from mnemoscope.extraction.discoverable import DiscoverableConfig, sample_seed, split_tokens
from mnemoscope.extraction.matching import (approx_match, exact_match, matching_prefix_length,
                                            token_edit_distance)
from mnemoscope.types import InputError


def test_exact_match_needs_every_target_token():
    assert exact_match([1, 2, 3], [1, 2, 3])
    assert exact_match([1, 2, 3, 9], [1, 2, 3])        # tokens past the target do not count
    assert not exact_match([1, 2], [1, 2, 3])
    assert not exact_match([1, 2, 4], [1, 2, 3])


def test_matching_prefix_length_stops_at_first_difference():
    assert matching_prefix_length([5, 6, 7, 8], [5, 6, 0, 8]) == 2
    assert matching_prefix_length([0, 6], [5, 6]) == 0
    assert matching_prefix_length([5, 6, 7], [5, 6, 7]) == 3


def test_token_edit_distance_worked_examples():
    target = list(range(10))
    assert token_edit_distance(target, target) == 0.0
    one_wrong = target[:4] + [99] + target[5:]          # one substitution in ten tokens
    assert token_edit_distance(one_wrong, target) == pytest.approx(0.1)
    assert approx_match(token_edit_distance(one_wrong, target))
    two_wrong = [99, 98] + target[2:]
    assert token_edit_distance(two_wrong, target) == pytest.approx(0.2)
    assert not approx_match(0.2)
    assert token_edit_distance([7, 7, 7], [1, 2, 3]) == 1.0
    # a missing token is a deletion: 1 edit over the longer length 4
    assert token_edit_distance([1, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.25)


def test_split_uses_k_and_m_when_the_text_is_long_enough():
    prefix, suffix = split_tokens(list(range(120)), 50, 50)
    assert prefix == list(range(50)) and suffix == list(range(50, 100))


def test_short_texts_split_in_the_same_proportion():
    prefix, suffix = split_tokens(list(range(64)), 50, 50)
    assert (len(prefix), len(suffix)) == (32, 32)
    prefix, suffix = split_tokens(list(range(10)), 30, 10)
    assert (len(prefix), len(suffix)) == (8, 2)
    assert split_tokens([1, 2], 50, 50) == ([1], [2])
    assert split_tokens([1], 50, 50) is None


def test_sample_seed_depends_on_id_not_on_order():
    assert sample_seed(0, "a") == sample_seed(0, "a")
    assert sample_seed(0, "a") != sample_seed(0, "b")
    assert sample_seed(1, "a") != sample_seed(0, "a")


def test_config_rejects_nonsense():
    with pytest.raises(InputError, match="at least 1 token"):
        DiscoverableConfig(prefix_tokens=0)
