import pytest
from _scores import scores

from mnemoscope.signals import Context
from mnemoscope.signals.lowercase import Lowercase


def test_lowercase_worked_example():
    # loss(text) = 1.0, loss(lowercased) = 2.5 -> 2.5 (a memorized text suffers from lowercasing)
    ctx = Context(text="Hello", views={"lowercase": scores([-2.0, -3.0])})
    assert Lowercase()(scores([-0.5, -1.5]), ctx) == pytest.approx(2.5)
