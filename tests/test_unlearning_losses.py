"""The unlearning objectives and FILA's factorisation against values worked by hand."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from mnemoscope.unlearning.fila import fila_factors  # noqa: E402
from mnemoscope.unlearning.losses import (gradient_ascent, inverted_hinge, nll,  # noqa: E402
                                          unlearning_loss)

# One text, input ids [0, 1, 2], vocabulary of 3. Position 0 predicts token 1, position 1
# predicts token 2; position 2 predicts nothing (no label after it).
#   position 0: logits (0, ln 2, ln 3) -> p = (1/6, 1/3, 1/2); target 1, p_t = 1/3, the best
#               other token is 2 with 1/2: IHL = 1 + 1/3 - 1/2 = 5/6.
#   position 1: logits (0, ln 3, ln 4) -> p = (1/8, 3/8, 1/2); target 2, p_t = 1/2, the best
#               other token is 1 with 3/8: IHL = 1 + 1/2 - 3/8 = 9/8.
#   mean IHL = (5/6 + 9/8) / 2 = (20/24 + 27/24) / 2 = 47/48.
IDS = torch.tensor([[0, 1, 2]])


def _logits() -> torch.Tensor:
    rows = [[0.0, math.log(2), math.log(3)], [0.0, math.log(3), math.log(4)], [0.0, 0.0, 0.0]]
    return torch.tensor([rows], dtype=torch.float64, requires_grad=True)


def test_inverted_hinge_value_worked_by_hand():
    assert float(inverted_hinge(_logits(), IDS).detach()) == pytest.approx(47 / 48, abs=1e-12)


def test_inverted_hinge_gradient_worked_by_hand():
    # d p_i / d z_j = p_i (delta_ij - p_j), so d(p_t - p_m)/dz_j
    #   = p_t (delta_tj - p_j) - p_m (delta_mj - p_j)      (m = the best other token)
    # position 0 (t = 1, m = 2, p = 1/6, 1/3, 1/2):
    #   j=0: -p_t p_0 + p_m p_0 = -1/18 + 1/12 = 1/36
    #   j=1: p_t (1 - p_t) + p_m p_t = 2/9 + 1/6 = 7/18
    #   j=2: -p_t p_m - p_m (1 - p_m) = -1/6 - 1/4 = -5/12          (sums to 0)
    # position 1 (t = 2, m = 1, p = 1/8, 3/8, 1/2):
    #   j=0: -p_t p_0 + p_m p_0 = -4/64 + 3/64 = -1/64
    #   j=1: -p_t p_m - p_m (1 - p_m) = -12/64 - 15/64 = -27/64
    #   j=2: p_t (1 - p_t) + p_m p_t = 16/64 + 12/64 = 28/64       (sums to 0)
    # The loss is the mean over the 2 tokens, so each gradient is halved; position 2 has
    # no target and gets none.
    logits = _logits()
    inverted_hinge(logits, IDS).backward()
    expected = torch.tensor([[[1 / 72, 7 / 36, -5 / 24],
                              [-1 / 128, -27 / 128, 28 / 128],
                              [0.0, 0.0, 0.0]]], dtype=torch.float64)
    assert torch.allclose(logits.grad, expected, atol=1e-7)


def test_inverted_hinge_ignores_padding():
    labels = torch.tensor([[0, 1, -100]])               # the second target is padding
    assert float(inverted_hinge(_logits(), labels).detach()) == pytest.approx(5 / 6, abs=1e-12)


def test_gradient_ascent_and_difference_signs():
    # NLL: position 0 -ln(1/3) = ln 3, position 1 -ln(1/2) = ln 2; mean = ln 6 / 2
    assert float(nll(_logits(), IDS).detach()) == pytest.approx(math.log(6) / 2, abs=1e-12)
    assert float(gradient_ascent(_logits(), IDS).detach()) == pytest.approx(-math.log(6) / 2, abs=1e-12)
    retain_ids = torch.tensor([[2, 1, 0]])              # targets 1 (p 1/3), 0 (p 1/8)
    retain_nll = (math.log(3) + math.log(8)) / 2
    gd = unlearning_loss("gd", _logits(), IDS, _logits(), retain_ids, retain_weight=0.5)
    assert float(gd["loss"].detach()) == pytest.approx(-math.log(6) / 2 + 0.5 * retain_nll, abs=1e-12)
    ga = unlearning_loss("ga", _logits(), IDS)
    assert set(ga) == {"loss", "forget"}
    ihl = unlearning_loss("ihl", _logits(), IDS, _logits(), retain_ids)
    assert float(ihl["loss"].detach()) == pytest.approx(47 / 48 + retain_nll, abs=1e-12)
    with pytest.raises(ValueError):
        unlearning_loss("ihl", _logits(), IDS)


@pytest.mark.parametrize("method,direction", [("ga", -1), ("ihl", -1)])
def test_one_descent_step_lowers_the_true_token(method, direction):
    # descending GA or IHL must make the forget token less likely; descending NLL, more
    logits = _logits()
    unlearning_loss(method, logits, IDS, logits.detach(), IDS)["loss"].backward()
    moved = logits.detach() - 0.5 * logits.grad
    before = torch.softmax(logits.detach()[0, 0], -1)[1]
    after = torch.softmax(moved[0, 0], -1)[1]
    assert direction * (after - before) > 0


def test_fila_factors_shapes_and_reconstruction():
    # W (3, 2), importance rows summing to 4, 1, 0 -> w = (2, 1, 0). Full rank (r = 2):
    # s B A = diag(1/(w + 1e-5)) diag(w) W, i.e. rows 0 and 1 of W (times w/(w+1e-5)) and a
    # zero last row, because that row carries no importance.
    weight = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], dtype=torch.float64)
    importance = torch.tensor([[1.0, 3.0], [0.5, 0.5], [0.0, 0.0]], dtype=torch.float64)
    scaling = 2.0
    a, b = fila_factors(weight, importance, rank=2, scaling=scaling)
    assert a.shape == (2, 2) and b.shape == (3, 2)      # peft: lora_A (r, in), lora_B (out, r)
    expected = weight.clone()
    expected[0] *= 2 / (2 + 1e-5)
    expected[1] *= 1 / (1 + 1e-5)
    expected[2] = 0.0
    assert torch.allclose(scaling * b @ a, expected, atol=1e-9)
    # A = (V sqrt(S / s))^T: its rows have squared norm S_i / s
    s = torch.linalg.svdvals(torch.tensor([[2.0], [1.0], [0.0]], dtype=torch.float64) * weight)
    assert torch.allclose((a ** 2).sum(1), s / scaling, atol=1e-9)


def test_fila_factors_rank_one_is_the_weighted_best_approximation():
    weight = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    # equal row weights: the rank-1 part is the largest singular direction, row 0
    a, b = fila_factors(weight, torch.ones(2, 2, dtype=torch.float64), rank=1, scaling=1.0)
    assert torch.allclose(b @ a, torch.tensor([[2.0, 0.0], [0.0, 0.0]], dtype=torch.float64),
                          atol=1e-4)
    # row 1 weighted 100 times more: the rank-1 part moves to row 1
    importance = torch.tensor([[0.5, 0.5], [5000.0, 5000.0]], dtype=torch.float64)
    a, b = fila_factors(weight, importance, rank=1, scaling=1.0)
    assert torch.allclose(b @ a, torch.tensor([[0.0, 0.0], [0.0, 1.0]], dtype=torch.float64),
                          atol=1e-4)
    # a rank above min(out, in) pads with zero components
    a, b = fila_factors(weight, torch.ones(2, 2, dtype=torch.float64), rank=4, scaling=1.0)
    assert a.shape == (4, 2) and b.shape == (2, 4) and float(a[2:].abs().sum()) == 0.0
