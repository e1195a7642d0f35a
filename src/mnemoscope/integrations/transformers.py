"""`MemorizationCallback`: memorization checks inside a Hugging Face `Trainer` (or any
trainer built on it, such as trl's `SFTTrainer`).

    from mnemoscope.integrations.transformers import MemorizationCallback

    callback = MemorizationCallback(members=train_texts, held_out=held_out_texts,
                                    canaries=planted, tokenizer=tokenizer)
    trainer = Trainer(model=model, args=args, train_dataset=..., callbacks=[callback])
    callback.trainer = trainer          # optional: scalars reach TensorBoard / W&B too
    trainer.train()                     # or trainer.train(resume_from_checkpoint=True)

Every ~10% of the planned steps (and before the first), the live model scores a seeded
probe of members and held-out texts plus the planted canaries (mnemoscope.dynamics). Each
check is one part of a run folder, `<output_dir>/memorization` by default; a resume from a
checkpoint sets aside the checks recorded after it and redoes them, so no step has two
sets of rows. Each check's values go to `state.log_history` (so trainer_state.json holds
them) and, when the callback knows its trainer, through `trainer.log` to every reporting
integration. At the end the summary, report.html and the checks' share of the training
time are written (and the share printed).

Only the main process checks (`state.is_world_process_zero`); sharded models (FSDP,
DeepSpeed ZeRO-3) are not supported, since each rank holds only part of the weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from transformers import TrainerCallback

from ..dynamics.config import DynamicsConfig
from ..dynamics.monitor import Monitor
from ..extraction.canaries import Canary
from ..types import InputError

__all__ = ["MemorizationCallback"]


class MemorizationCallback(TrainerCallback):
    """Memorization checks during training; see the module docstring.

    members: a sample of the training texts (strings, Samples or {"id", "text"} dicts);
    held_out: texts of the same distribution that are not trained on; canaries: the
    Canary objects planted in the training data (extraction.canaries.make_canaries), each
    `repetitions` times; config: what a check measures and how often (DynamicsConfig);
    out: the run folder (default <output_dir>/memorization); tokenizer: the model's
    (default: the trainer's processing_class); trainer: optional, to log through it;
    check_on_evaluate: also check at each evaluation; save_at_checks: have the trainer save
    a checkpoint at every checked step, so `mnemoscope score probe.jsonl --model
    <output_dir>` can score the same weights again later."""

    def __init__(self, members: Sequence[Any], held_out: Sequence[Any], *,
                 canaries: Sequence[Canary] = (), config: DynamicsConfig = DynamicsConfig(),
                 out: str | Path | None = None, tokenizer: Any = None, trainer: Any = None,
                 check_on_evaluate: bool = False, save_at_checks: bool = False,
                 progress: bool = True) -> None:
        self.members, self.held_out, self.canaries = members, held_out, tuple(canaries)
        self.config, self.out, self.tokenizer = config, out, tokenizer
        self.trainer = trainer
        self.check_on_evaluate = check_on_evaluate
        self.save_at_checks = save_at_checks
        self.progress = progress
        self.monitor_: Monitor | None = None
        self.summary_: dict[str, Any] | None = None
        self._wrapped: tuple[int, Any] | None = None

    # ------------------------------------------------------------------ trainer events
    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if not state.is_world_process_zero:
            return
        self._tokenizer = self._pick_tokenizer(processing_class)
        out = Path(self.out) if self.out is not None else Path(args.output_dir) / "memorization"
        self.monitor_ = Monitor(out, self.members, self.held_out, self.canaries, self.config,
                                progress=self.progress)
        self.monitor_.start(state.max_steps, state.global_step, _identity(model))
        self._maybe_check(model, state)

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if self._maybe_check(model, state) and self.save_at_checks:
            control.should_save = True          # a checkpoint of the weights just checked
        return control

    def on_evaluate(self, args, state, control, model=None, **kwargs):
        if self.check_on_evaluate:
            self._maybe_check(model, state, force=True)

    def on_train_end(self, args, state, control, model=None, **kwargs):
        if self.monitor_ is None:
            return
        # training that stopped early (early stopping, max_steps reached sooner) still
        # gets a check of its final weights
        self._maybe_check(model, state, force=True)
        self.summary_ = self.monitor_.finish()
        self.monitor_ = None

    # ------------------------------------------------------------------ one check
    def _maybe_check(self, model, state, force: bool = False) -> bool:
        """Check at this step when due (or forced) and not done yet; True when it ran."""
        monitor = self.monitor_
        step = int(state.global_step)
        if monitor is None or model is None or step in monitor.done_:
            return False
        if not (force or monitor.due(step)):
            return False
        live = self._live(model)
        was_training = model.training
        model.eval()
        try:
            values = monitor.check(live, step, {"train_loss": _last_loss(state),
                                                "epoch": state.epoch})
        finally:
            model.train(was_training)
        if self.trainer is not None:
            self.trainer.log(dict(values))
        else:
            state.log_history.append({**values, "step": step})
        return True

    def _live(self, model):
        """The backend over the live network (wrapped once; it reads the weights in place)."""
        from ..models.hf import HFModel

        if self._wrapped is None or self._wrapped[0] != id(model):
            name = str(getattr(getattr(model, "config", None), "_name_or_path", "") or "model")
            self._wrapped = (id(model), HFModel.from_network(
                model, self._tokenizer, name=f"{Path(name).name} (training)",
                batch_size=self.config.batch_size))
        return self._wrapped[1]

    def _pick_tokenizer(self, processing_class):
        tokenizer = self.tokenizer or getattr(processing_class, "tokenizer", None) \
            or processing_class
        if tokenizer is None or not callable(getattr(tokenizer, "get_vocab", None)):
            raise InputError("MemorizationCallback needs the model's tokenizer: pass "
                             "tokenizer=... to it, or processing_class=tokenizer to the Trainer")
        return tokenizer


def _identity(model) -> dict[str, Any]:
    """What the run records about the model being trained: its starting point. A resumed
    training starts from the same one, so its checks join the same run."""
    config = getattr(model, "config", None)
    source = str(getattr(config, "_name_or_path", "") or "")
    first = next(model.parameters())
    return {"name": Path(source).name or type(model).__name__, "source": source,
            "architecture": type(model).__name__,
            "dtype": str(first.dtype).removeprefix("torch."), "trained_in_memory": True}


def _last_loss(state) -> float | None:
    for entry in reversed(state.log_history):
        if "loss" in entry:
            return float(entry["loss"])
    return None
