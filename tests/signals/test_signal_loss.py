import pytest
from _scores import scores

from mnemoscope.signals.loss import Loss


def test_loss_worked_example():
    # mean NLL of [-1, -2, -3] is 2, so the signal (higher = member) is -2
    assert Loss()(scores([-1.0, -2.0, -3.0])) == pytest.approx(-2.0)
