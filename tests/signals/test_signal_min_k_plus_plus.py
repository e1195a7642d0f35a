import pytest
from _scores import scores

from mnemoscope.signals.minkpp import MinKPlusPlus


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
