"""Every registered signal, checked the same way (the scikit-learn conformance idea):
- its own test file tests/signals/test_signal_<name>.py holds a hand-worked example;
- it is deterministic;
- higher means member: raising every token's log-prob, all else equal, raises it (and a
  view's member-like stand-in, `View.example(member=True)`, does not lower it);
- it runs on what it declares: without vocabulary statistics unless it needs them, and
  without the text's own scores (None) unless it needs log-probs (SaMIA reads samples only);
- it names only registered views, and its paper and cost.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from _scores import scores

from mnemoscope.signals import Context, signals, views
from mnemoscope.types import Capabilities

HERE = Path(__file__).parent
NAMES = signals.names()


def _context(signal, text="The Same Text, 2024.", member=False) -> Context:
    return Context(text=text, views={name: views.get(name).example(member)
                                     for name in signal.views})


def _worked_examples(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            and node.name.startswith("test_") and "worked_example" in node.name
            and ("approx" in ast.unparse(node) or "==" in ast.unparse(node))]


@pytest.mark.parametrize("name", NAMES)
def test_signal_has_its_own_hand_worked_test(name):
    path = HERE / f"test_signal_{name}.py"
    assert path.is_file(), f"signal {name!r} needs tests/signals/test_signal_{name}.py"
    assert _worked_examples(path), f"{path.name} needs a test_*worked_example* with a value"


@pytest.mark.parametrize("name", NAMES)
def test_signal_declares_paper_cost_and_known_views(name):
    cls = signals.get(name)
    assert cls.paper and (cls.__doc__ or "").strip()
    assert cls.extra_passes
    assert all(view in views for view in cls.views), cls.views


@pytest.mark.parametrize("name", NAMES)
def test_signal_is_deterministic(name):
    signal = signals.get(name)()
    s = scores([-0.3, -2.0, -1.1, -4.0], mean=[-3.0] * 4, var=[2.0] * 4)
    assert signal(s, _context(signal)) == signal(s, _context(signal))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shift", [0.1, 1.0, 3.0])
def test_higher_means_member(name, shift):
    signal = signals.get(name)()
    base = np.array([-4.0, -5.0, -3.0, -6.0])
    hard = scores(base, mean=[-3.0] * 4, var=[1.0] * 4)
    easy = scores(base + shift, mean=[-3.0] * 4, var=[1.0] * 4)
    if signal.reads_scores():
        assert signal(easy, _context(signal)) > signal(hard, _context(signal))
        assert signal(easy, _context(signal, member=True)) >= signal(easy, _context(signal))
    else:                         # the evidence is in its views alone
        assert signal(hard, _context(signal, member=True)) > signal(hard, _context(signal))


@pytest.mark.parametrize("name", NAMES)
def test_signal_runs_on_what_it_declares(name):
    signal = signals.get(name)()
    if Capabilities.VOCAB_STATS in signal.needs:
        return
    # a backend with log-probs only (an HTTP endpoint) gives no vocabulary statistics
    assert np.isfinite(signal(scores([-1.0, -2.0]), _context(signal)))
    if not signal.reads_scores():     # a generation-only backend: no scores
        assert np.isfinite(signal(None, _context(signal)))
