import zlib

import pytest
from _scores import scores

from mnemoscope.signals import Context
from mnemoscope.signals.zlib_ratio import Zlib, zlib_length


def test_zlib_worked_example():
    text = "hello hello hello"
    expected_len = len(zlib.compress(text.encode("utf-8")))
    assert zlib_length(text) == expected_len
    # -(mean NLL) / compressed length = -2 / len
    value = Zlib()(scores([-1.0, -3.0]), Context(text=text))
    assert value == pytest.approx(-2.0 / expected_len)
