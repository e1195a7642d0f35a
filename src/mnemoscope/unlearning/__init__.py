"""Unlearning (LoKU, Cha et al. ICLR 2025), audited before and after by the same signals
that found the memorization.

    losses.py   inverted hinge loss (IHL), gradient ascent (GA), gradient difference (GD)
    fila.py     Fisher-weighted LoRA initialisation (FILA)
    train.py    the unlearning loop (LoRA through peft, or full fine-tuning), stopping rule
    adapter.py  saving the adapter (FILA folded back onto the original weights) and loading it
    audit.py    extraction, MIA AUROC, retain perplexity and fluency of one model
    criteria.py ROUGE-L, PrivLeak (MUSE), forget quality and truth ratio (TOFU): pure numbers
    qa.py       QA files, KnowMem and truth ratios of one model
    judge.py    each model's criteria, the table against the retrained model, --stop parity
    reference.py the retrained reference (--retrain-reference), trained once per run
    run.py      `run_unlearn(spec)`: the resumable run folder, and `unlearn(...)`, the Python API

Importing this package does not import torch.
"""

from __future__ import annotations

from .config import AuditConfig, JudgeConfig, UnlearnConfig, UnlearnSpec

__all__ = ["AuditConfig", "JudgeConfig", "UnlearnConfig", "UnlearnSpec", "run_unlearn", "unlearn"]


def run_unlearn(spec: UnlearnSpec):
    """See mnemoscope.unlearning.run.run_unlearn."""
    from .run import run_unlearn as _run

    return _run(spec)


def unlearn(*args, **kwargs):
    """See mnemoscope.unlearning.run.unlearn: the Python API of `mnemoscope unlearn`."""
    from .run import unlearn as _unlearn

    return _unlearn(*args, **kwargs)
