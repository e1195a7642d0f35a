"""The fine-tune's learning-rate multiplier, against values worked by hand."""

import pytest

from mnemoscope.lab.config import TrainConfig
from mnemoscope.training import lr_factor
from mnemoscope.types import InputError


def test_warmup_then_constant():
    # 2 warm-up steps of 10: 1/2, then 1 for good
    assert [lr_factor(s, 2, 10, "constant") for s in (0, 1, 2, 9)] == [0.5, 1.0, 1.0, 1.0]


def test_warmup_then_linear_decay():
    # after 2 warm-up steps, 8 decay steps: (10 - s) / 8, so 1 at s=2 and 1/8 at the last
    factors = [lr_factor(s, 2, 10, "linear") for s in range(10)]
    assert factors[:3] == [0.5, 1.0, 1.0]
    assert factors[5] == pytest.approx(5 / 8)
    assert factors[-1] == pytest.approx(1 / 8)
    assert all(a >= b for a, b in zip(factors[1:], factors[2:]))


def test_unknown_schedule_is_an_input_error():
    with pytest.raises(InputError, match="schedule 'cosine' is unknown"):
        TrainConfig(schedule="cosine")
