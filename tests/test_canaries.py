"""Canary exposure: the Secret-Sharer formula by hand, the skew-normal estimate, and the
exact ranking on a tiny model."""

import math

import numpy as np
import pytest

from mnemoscope.extraction.canaries import (Canary, CanaryConfig, all_secrets, make_canaries,
                                            sample_secrets)
from mnemoscope.extraction.exposure import (ExposureConfig, canary_exposure,
                                            exposure_by_repetition, exposure_from_rank,
                                            rank_of_secret, skewnorm_exposure)
from mnemoscope.types import InputError


def test_exposure_hand_worked():
    # |R| = 10**4 4-digit secrets; the true one ranks 1st, 16th, 10000th
    assert exposure_from_rank(1, 10_000) == pytest.approx(math.log2(10_000))   # 13.2877
    assert exposure_from_rank(16, 10_000) == pytest.approx(13.287712 - 4.0, abs=1e-6)
    assert exposure_from_rank(10_000, 10_000) == 0.0
    with pytest.raises(ValueError):
        exposure_from_rank(0, 10)


def test_rank_counts_strictly_preferred_candidates_and_ties_favour_the_secret():
    # Px (log-perplexity): lower = preferred. Secret 2.0; others 1.0, 1.5 lower; 2.0 tied.
    assert rank_of_secret(2.0, [1.0, 1.5, 2.0, 3.0, 4.0]) == 3
    assert rank_of_secret(0.1, [1.0, 2.0]) == 1


def test_skewnorm_estimate_matches_the_normal_tail():
    # samples from a normal: the secret 2 sd below the mean has Pr[Px <= s] = 0.02275,
    # so exposure = -log2(0.02275) = 5.458 bits
    rng = np.random.default_rng(0)
    sampled = rng.normal(30.0, 2.0, size=20_000)
    exposure, fit = skewnorm_exposure(26.0, sampled, 10**6)
    assert exposure == pytest.approx(-math.log2(0.02275), abs=0.25)
    at_mean, _ = skewnorm_exposure(30.0, sampled, 10**6)
    assert at_mean == pytest.approx(1.0, abs=0.1)       # half the candidates are preferred
    capped, _ = skewnorm_exposure(-1e6, sampled, 10**6)
    assert capped == pytest.approx(math.log2(10**6))    # never above log2 |R|


def test_make_canaries_is_seeded_with_distinct_secrets_and_formats():
    config = CanaryConfig(per_repetition=2)
    canaries = make_canaries(config, seed=3)
    assert canaries == make_canaries(config, seed=3)
    assert [c.repetitions for c in canaries] == [1, 1, 4, 4, 16, 16]
    assert len({c.secret for c in canaries}) == 6 and len({c.format for c in canaries}) == 6
    assert all(len(c.secret) == 6 and c.secret.isdigit() for c in canaries)
    assert canaries[0].text == canaries[0].format.replace("{secret}", canaries[0].secret)
    assert make_canaries(config, seed=4) != canaries


def test_canary_config_errors_say_what_to_write():
    with pytest.raises(InputError, match=r"\{secret\}"):
        CanaryConfig(formats=("no placeholder",))


def test_secret_enumeration_and_sampling():
    assert all_secrets(2)[:3] == ["00", "01", "02"] and len(all_secrets(2)) == 100
    picked = sample_secrets(3, 50, seed=0, exclude="123")
    assert len(picked) == 50 and "123" not in picked and len(set(picked)) == 50


def test_exact_exposure_on_a_tiny_model_matches_scoring_every_candidate(tiny_model):
    canary = Canary("c", "my account pin is {secret} .", "42", 1)
    row = canary_exposure(tiny_model, canary, 2, ExposureConfig(exact_limit=100))
    # the same ranking from the backend's own scorer, summed over tokens
    totals = {s: -float(np.sum(t.logprobs)) for s, t in
              zip(all_secrets(2), tiny_model.score([canary.text_with(s) for s in all_secrets(2)]))}
    rank = 1 + sum(v < totals["42"] - 1e-4 for k, v in totals.items() if k != "42")
    assert row["method"] == "exact" and row["candidates_scored"] == 99
    assert row["secret_log_perplexity"] == pytest.approx(totals["42"], abs=1e-3)
    assert row["rank"] == rank
    assert row["exposure"] == pytest.approx(math.log2(100) - math.log2(rank))


def test_large_spaces_use_the_fitted_estimate(tiny_model):
    canary = Canary("c", "the city code is {secret} .", "123456", 4)
    row = canary_exposure(tiny_model, canary, 6, ExposureConfig(exact_limit=100, samples=200))
    assert row["method"] == "skewnorm" and row["candidates_scored"] == 200
    assert 0.0 <= row["exposure"] <= math.log2(10**6)
    summary = exposure_by_repetition([row, {**row, "exposure": 1.0}], 10**6)
    assert summary["4"]["n"] == 2
    assert summary["4"]["mean_exposure"] == pytest.approx((row["exposure"] + 1.0) / 2)


def test_by_repetition_reports_fit_free_measures_by_hand():
    rows = [{"repetitions": 1, "exposure": 4.0, "secret_log_perplexity": 30.0,
             "empirical_exposure": 3.0},
            {"repetitions": 1, "exposure": 18.0, "secret_log_perplexity": 20.0,
             "empirical_exposure": 11.0},
            {"repetitions": 16, "exposure": 13.0, "secret_log_perplexity": 3.0,
             "empirical_exposure": float("nan")}]          # an exact row has none
    summary = exposure_by_repetition(rows, 10**4)
    assert summary["1"]["mean_exposure"] == 11.0 and summary["1"]["min_exposure"] == 4.0
    assert summary["1"]["mean_secret_log_perplexity"] == 25.0
    assert summary["1"]["mean_empirical_exposure"] == 7.0
    assert summary["16"]["mean_secret_log_perplexity"] == 3.0
    assert "mean_empirical_exposure" not in summary["16"]
