"""The retrained reference: what the model would be had it never seen the forget set.

With --retrain-reference the base model (the one the user fine-tuned into the model being
unlearned) is trained on the retain texts alone, with the same recipe, by the lab's
trainer (lab/train.py), and saved as DIR/retrained/ (safetensors + tokenizer, renamed into
place when complete and listed in the run's manifest). A saved one is reused: a resumed or
repeated run never trains it again, and a crash during its training starts that training
over. With --retrained PATH the user's model is used as it is.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..runs import write_json_atomic
from .config import JudgeConfig

log = logging.getLogger(__name__)
RETRAINED_DIR = "retrained"


def retrained_path(judge: JudgeConfig, out: Path) -> Path:
    return Path(judge.retrained) if judge.retrained else out / RETRAINED_DIR


def ensure_retrained(judge: JudgeConfig, model_config, out: Path, retain_texts: Sequence[str],
                     progress: bool = True) -> Path:
    """The reference model's folder, trained first when the run must make it."""
    target = retrained_path(judge, out)
    if judge.retrained or (target / "config.json").is_file():
        return target
    from ..lab.train import fine_tune, save_model
    from ..models import load_model

    base = load_model(replace(model_config, model=judge.retrain_base))
    if not hasattr(base, "tokenizer") or not hasattr(getattr(base, "model", None), "train"):
        from ..types import InputError

        raise InputError(f"--retrain-reference trains {judge.retrain_base!r}, whose backend "
                         "does not expose its weights; use a Hugging Face model.")
    log.info("retraining the reference: %s on %d retain texts", judge.retrain_base,
             len(retain_texts))
    clock = time.perf_counter()
    curve = fine_tune(base, list(retain_texts), judge.recipe, progress=progress)
    save_model(base, target, extra_json={"training_curve.json": {
        "seconds": round(time.perf_counter() - clock, 1), "curve": curve}})
    write_json_atomic(out / "retrained_training.json",
                      {"base": judge.retrain_base, "texts": len(retain_texts),
                       "steps": len(curve), "seconds": round(time.perf_counter() - clock, 1)})
    return target
