"""mnemoscope: has this language model memorized this data, or does it generalize?

`import mnemoscope` is light: torch and transformers load only when a model is used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .types import Capabilities, InputError, MnemoscopeError, Sample, TokenScores  # noqa: E402

__all__ = ["Capabilities", "InputError", "MnemoscopeError", "Sample", "TokenScores",
           "__version__", "load_model", "score"]


def score(*args, **kwargs):
    """See mnemoscope.membership.score: run a membership audit and return its results."""
    from .membership import score as _score

    return _score(*args, **kwargs)


def load_model(*args, **kwargs):
    """See mnemoscope.models.load_model."""
    from .models import load_model as _load

    return _load(*args, **kwargs)
