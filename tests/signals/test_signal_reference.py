import pytest
from _scores import scores

from mnemoscope.signals import Context
from mnemoscope.signals.reference import Reference


def test_reference_worked_example():
    # target loss 1.0, reference loss 3.0 -> -(1 - 3) = 2
    ctx = Context(views={"reference": scores([-3.0, -3.0])})
    assert Reference()(scores([-1.0, -1.0]), ctx) == pytest.approx(2.0)
