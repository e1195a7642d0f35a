"""The shared training kit: padding and batching on hand-made sequences, the seeded
shuffle, and the loop's step count, stopping and learning-rate schedule."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from mnemoscope.training import Batches, in_order, lr_factor, pad_batch, train_loop

# (token ids, first position in the loss): no prompt, no prompt, a 2-token prompt
SEQUENCES = [([1, 5, 6, 2], 1), ([1, 7, 2], 1), ([1, 8, 9, 4, 2], 3)]


def test_pad_batch_right_pads_and_labels_only_the_loss_span():
    ids, mask, labels = pad_batch(SEQUENCES, pad=0)
    assert ids.tolist() == [[1, 5, 6, 2, 0], [1, 7, 2, 0, 0], [1, 8, 9, 4, 2]]
    assert mask.tolist() == [[1, 1, 1, 1, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    assert labels.tolist() == [[-100, 5, 6, 2, -100], [-100, 7, 2, -100, -100],
                               [-100, -100, -100, 4, 2]]
    assert ids.dtype == torch.long


def test_in_order_batches_every_sequence_once_in_order():
    widths = [ids.shape for ids, _, _ in in_order(SEQUENCES, 2, 0, "cpu")]
    assert widths == [(2, 4), (1, 5)]


def test_batches_cover_each_pass_once_then_reshuffle_without_touching_global_rng():
    sequences = [([1, k, 2], 1) for k in range(10, 17)]          # 7 sequences
    batches = Batches(sequences, 3, 0, seed=5)
    global_state = torch.random.get_rng_state()
    drawn = [batches.next_indices() for _ in range(2 * batches.per_pass)]
    assert torch.equal(torch.random.get_rng_state(), global_state)
    assert batches.per_pass == 3 and [len(b) for b in drawn] == [3, 3, 1, 3, 3, 1]
    first, second = sum(drawn[:3], []), sum(drawn[3:], [])
    assert sorted(first) == sorted(second) == list(range(7))
    expected = torch.randperm(7, generator=torch.Generator().manual_seed(5)).tolist()
    assert first == expected                                      # the seed fixes the order
    ids, _, labels = Batches(sequences, 3, 0, seed=5).next()
    assert ids[:, 1].tolist() == [10 + k for k in expected[:3]]
    assert labels[:, 0].tolist() == [-100] * 3


class _Scalar(torch.nn.Module):
    """One weight w and the loss w itself: its gradient is always 1, so AdamW's update is
    exactly the step's rate (m_hat / sqrt(v_hat) = 1) and w records the rates applied."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(()))


def test_loop_calls_the_step_function_once_per_step_in_train_mode():
    net, seen = _Scalar(), []

    def step_fn(step):
        seen.append((step, net.training))
        return {"loss": net.w * 1.0, "tag": step * 10}

    curve = train_loop(net, 4, step_fn, lr=0.1, progress=False)
    assert seen == [(1, True), (2, True), (3, True), (4, True)]
    assert [p["step"] for p in curve] == [1, 2, 3, 4]
    assert [p["tag"] for p in curve] == [10, 20, 30, 40]          # non-tensors kept as they are
    assert "lr" not in curve[0] and isinstance(curve[0]["loss"], float)
    assert not net.training
    assert float(net.w.detach()) == pytest.approx(-0.4, abs=1e-6)          # 4 steps of 0.1


def test_after_step_true_ends_training():
    net, calls = _Scalar(), []
    curve = train_loop(net, 10, lambda s: calls.append(s) or {"loss": net.w * 1.0}, lr=0.1,
                       after_step=lambda step, curve: step == 3, progress=False)
    assert calls == [1, 2, 3] and len(curve) == 3


def test_schedule_multiplier_sets_each_steps_rate():
    # 2 warm-up steps of 4, then linear decay: multipliers 1/2, 1, 1, 1/2 for steps 0..3
    assert [lr_factor(s, 2, 4, "linear") for s in range(4)] == [0.5, 1.0, 1.0, 0.5]
    net = _Scalar()
    curve = train_loop(net, 4, lambda s: {"loss": net.w * 1.0}, lr=0.1,
                       lr_multiplier=lambda s: lr_factor(s, 2, 4, "linear"), progress=False)
    # w moved by the rates used: 0.1 x (1/2 + 1 + 1 + 1/2)
    assert float(net.w.detach()) == pytest.approx(-0.3, abs=1e-6)
    # each point records the rate after its step (the next step's): factors 1, 1, 1/2, 0
    assert [p["lr"] for p in curve] == pytest.approx([0.1, 0.1, 0.05, 0.0])


def test_importing_the_kit_does_not_import_torch():
    code = "import sys, mnemoscope.training; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
