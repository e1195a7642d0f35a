"""The one --signals parser and the default list."""

from __future__ import annotations

import pytest

from mnemoscope.signals import DEFAULT, build_signals, default_signals, split_specs
from mnemoscope.types import InputError


def test_build_signals_parses_parameters_and_columns():
    built = build_signals("loss, min_k(k=0.1),min_k_plus_plus(k=0.3)")
    assert [s.column for s in built] == ["loss", "min_k(k=0.1)", "min_k_plus_plus(k=0.3)"]
    assert built[1].k == 0.1


def test_split_keeps_commas_inside_parameters():
    assert split_specs("loss, x(a=1,b=2) ,min_k(k=0.1)") == ["loss", "x(a=1,b=2)", "min_k(k=0.1)"]


@pytest.mark.parametrize("spec, message", [
    ("nope", "unknown signal 'nope'; known: .*loss"),
    ("loss,loss", "loss listed twice"),
    ("", "--signals is empty"),
    (" , ", "--signals is empty"),
    ("min_k(k=0.1.2)", "bad value '0.1.2' for 'k'"),
    ("min_k(k='a')", "k must be a number in \\(0, 1\\], got 'a'"),
    ("min_k(k=2)", "k must be a number in \\(0, 1\\], got 2"),
    ("min_k(q=0.1)", "unexpected keyword argument 'q'"),
    ("min_k(k=0.1", "bad signal spec"),
    ("min_k(0.1)", "bad parameter '0.1'"),
])
def test_every_bad_spec_is_one_input_error(spec, message):
    with pytest.raises(InputError, match=message):
        build_signals(spec)


def test_defaults_are_the_one_list_plus_reference_when_a_reference_model_is_given():
    assert [s.column for s in default_signals()] == list(DEFAULT)
    with_reference = default_signals({"reference_model": "base"})
    assert [s.column for s in with_reference] == list(DEFAULT) + ["reference"]
