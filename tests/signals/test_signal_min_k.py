import pytest
from _scores import scores

from mnemoscope.signals.mink import MinK


def test_min_k_worked_example():
    s = scores([-1.0, -3.0, -0.5, -2.0, -4.0])
    assert MinK(k=0.4)(s) == pytest.approx((-4.0 + -3.0) / 2)       # floor(0.4*5) = 2
    assert MinK(k=0.2)(s) == pytest.approx(-4.0)                      # floor(0.2*5) = 1
    assert MinK(k=0.1)(s) == pytest.approx(-4.0)                      # at least one token
    assert MinK(k=1.0)(s) == pytest.approx(-2.1)


@pytest.mark.parametrize("k", [0.0, 2, -0.1, "a", True])
def test_min_k_refuses_a_bad_k_when_built(k):
    with pytest.raises(ValueError, match="k must be a number in"):
        MinK(k=k)
