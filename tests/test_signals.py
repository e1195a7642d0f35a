"""Every signal pinned to a number worked by hand."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from mnemoscope.signals import Context, build_signals, default_signals
from mnemoscope.signals.loss import Loss
from mnemoscope.signals.lowercase import Lowercase
from mnemoscope.signals.mink import MinK
from mnemoscope.signals.minkpp import MinKPlusPlus
from mnemoscope.signals.reference import Reference
from mnemoscope.signals.zlib_ratio import Zlib, zlib_length
from mnemoscope.types import TokenScores


def scores(logprobs, mean=None, var=None) -> TokenScores:
    lp = np.asarray(logprobs, dtype=np.float32)
    return TokenScores(np.arange(len(lp), dtype=np.int32), lp,
                       None if mean is None else np.asarray(mean, dtype=np.float32),
                       None if var is None else np.asarray(var, dtype=np.float32))


def test_loss_is_negative_mean_nll():
    assert Loss()(scores([-1.0, -2.0, -3.0])) == pytest.approx(-2.0)


def test_zlib_divides_by_compressed_length():
    text = "hello hello hello"
    expected_len = len(zlib.compress(text.encode("utf-8")))
    assert zlib_length(text) == expected_len
    value = Zlib()(scores([-1.0, -3.0]), Context(text=text))
    assert value == pytest.approx(-2.0 / expected_len)


def test_lowercase_ratio():
    # loss(text) = 1.0, loss(lowercased) = 2.5 -> 2.5 (a memorized text suffers from lowercasing)
    ctx = Context(text="Hello", views={"lowercase": scores([-2.0, -3.0])})
    assert Lowercase()(scores([-0.5, -1.5]), ctx) == pytest.approx(2.5)


def test_min_k_takes_floor_of_k_times_t():
    s = scores([-1.0, -3.0, -0.5, -2.0, -4.0])
    assert MinK(k=0.4)(s) == pytest.approx((-4.0 + -3.0) / 2)       # floor(0.4*5) = 2
    assert MinK(k=0.2)(s) == pytest.approx(-4.0)                      # floor(0.2*5) = 1
    assert MinK(k=0.1)(s) == pytest.approx(-4.0)                      # at least one token
    assert MinK(k=1.0)(s) == pytest.approx(-2.1)


def test_min_k_plus_plus_worked_example():
    # z = (lp - mu) / sigma = [(-1+2)/1, (-3+2)/1, (-0.5+2)/1, (-2+2)/1] = [1, -1, 1.5, 0]
    s = scores([-1.0, -3.0, -0.5, -2.0], mean=[-2.0] * 4, var=[1.0] * 4)
    assert MinKPlusPlus(k=0.5)(s) == pytest.approx((-1.0 + 0.0) / 2)
    # sigma = 2 on the second token: z = (-3+2)/2 = -0.5
    s = scores([-1.0, -3.0, -0.5, -2.0], mean=[-2.0] * 4, var=[1.0, 4.0, 1.0, 1.0])
    assert MinKPlusPlus(k=0.25)(s) == pytest.approx(-0.5)


def test_min_k_plus_plus_without_stats_fails_clearly():
    with pytest.raises(ValueError, match="vocabulary statistics"):
        MinKPlusPlus()(scores([-1.0]))


def test_reference_difference():
    # target loss 1.0, reference loss 3.0 -> -(1 - 3) = 2
    ctx = Context(views={"reference": scores([-3.0, -3.0])})
    assert Reference()(scores([-1.0, -1.0]), ctx) == pytest.approx(2.0)


def test_higher_means_member_for_every_default_signal():
    """A text the model finds easy (member-like) scores higher than a hard one."""
    easy = scores([-0.1, -0.2, -0.1, -0.3], mean=[-3.0] * 4, var=[1.0] * 4)
    hard = scores([-4.0, -5.0, -3.0, -6.0], mean=[-3.0] * 4, var=[1.0] * 4)
    lower = scores([-5.0] * 4)
    for signal in default_signals():
        ctx = Context(text="Same text", views={"lowercase": lower})
        assert signal(easy, ctx) > signal(hard, ctx), signal.column


def test_build_signals_parses_parameters_and_columns():
    built = build_signals("loss, min_k(k=0.1),min_k_plus_plus(k=0.3)")
    assert [s.column for s in built] == ["loss", "min_k(k=0.1)", "min_k_plus_plus(k=0.3)"]
    assert built[1].k == 0.1
    with pytest.raises(KeyError, match="unknown signal 'nope'"):
        build_signals("nope")
    with pytest.raises(ValueError, match="twice"):
        build_signals("loss,loss")
    with pytest.raises(ValueError, match="k must be"):
        MinK(k=0.0)(scores([-1.0]))
