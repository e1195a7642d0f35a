import pytest
from _scores import scores

from mnemoscope.signals.loss import Loss


def test_loss_worked_example():
    # mean NLL of [-1, -2, -3] is 2, so the signal (higher = member) is -2
    assert Loss()(scores([-1.0, -2.0, -3.0])) == pytest.approx(-2.0)


def test_loss_on_content_after_function_worked_example():
    import numpy as np

    from mnemoscope.signals import Context, parse_signal
    from mnemoscope.signals.function_tokens import TokenClassTable

    # ids 0 1 2 3 4 with 0 and 3 function tokens:
    #   0 function, 1 content after function, 2 content after content, 3 function,
    #   4 content after function -> the mean of log p at positions 1 and 4: (-2 - 6) / 2 = -4
    table = TokenClassTable(np.array([True, False, False, True, False]))
    s = scores([-1.0, -2.0, -3.0, -0.5, -6.0])
    ctx = Context(views={"token_classes": table})
    signal = parse_signal("loss(tokens=content_after_function)")
    assert signal.column == "loss(tokens=content_after_function)"
    assert signal.views == {"token_classes"} and Loss().views == frozenset()
    assert signal(s, ctx) == pytest.approx(-4.0)
    assert Loss(tokens="function")(s, ctx) == pytest.approx(-0.75)
    assert Loss(tokens="content_after_content")(s, ctx) == pytest.approx(-3.0)
    assert Loss(tokens="content")(s, ctx) == pytest.approx(-11.0 / 3)
    assert np.isnan(Loss(tokens="content_after_content")(scores([-1.0]), ctx))   # none: NaN
