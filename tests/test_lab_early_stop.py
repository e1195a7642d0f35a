"""fine_tune(stop_after_epoch=...): training ends after the epoch the callback says, the
callback runs in eval mode (so it can generate), and the optimiser state carries over."""

from __future__ import annotations

from mnemoscope.lab import train as lab_train
from mnemoscope.lab.config import TrainConfig
from mnemoscope.models import load_model

TEXTS = ["the old king of the city"] * 4


def test_stop_after_epoch_ends_training_and_sees_eval_mode(tiny_model_dir):
    model = load_model(str(tiny_model_dir))
    seen = []

    def stop(epoch, curve):
        seen.append((epoch, model.model.training, len(curve)))
        model.generate(["the old"], max_new_tokens=2)     # generation works mid-training
        return epoch == 2

    curve = lab_train.fine_tune(model, TEXTS, TrainConfig(epochs=5, batch_size=2),
                                progress=False, stop_after_epoch=stop)
    assert seen == [(1, False, 2), (2, False, 4)]
    assert len(curve) == 4 and curve[-1]["epoch"] == 2    # 2 steps per epoch, 2 epochs
    assert not model.model.training


def test_callback_not_called_after_the_last_epoch_and_never_stopping_changes_nothing(
        tiny_model_dir):
    plain, watched = load_model(str(tiny_model_dir)), load_model(str(tiny_model_dir))
    config = TrainConfig(epochs=3, batch_size=2, learning_rate=1e-3)
    base = lab_train.fine_tune(plain, TEXTS, config, progress=False)
    epochs = []
    curve = lab_train.fine_tune(watched, TEXTS, config, progress=False,
                                stop_after_epoch=lambda e, c: epochs.append(e) or False)
    assert epochs == [1, 2]
    # same steps, same losses: the callback (in eval mode, no grad) does not disturb training
    assert [round(p["loss"], 6) for p in curve] == [round(p["loss"], 6) for p in base]
