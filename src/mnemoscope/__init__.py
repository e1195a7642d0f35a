"""mnemoscope: has this language model memorized this data, or does it generalize?

`import mnemoscope` is light: torch and transformers load only when a model is used.
"""

from __future__ import annotations

from ._version import __version__  # noqa: E402
from .types import Capabilities, InputError, MnemoscopeError, Sample, TokenScores  # noqa: E402

__all__ = ["Capabilities", "InputError", "MnemoscopeError", "Sample", "TokenScores",
           "__version__", "cdd", "knowledge_cutoff", "load_model", "ngram_overlap",
           "partial_completion", "score", "unlearn"]


def score(*args, **kwargs):
    """See mnemoscope.membership.score: run a membership audit and return its results."""
    from .membership import score as _score

    return _score(*args, **kwargs)


def load_model(*args, **kwargs):
    """See mnemoscope.models.load_model."""
    from .models import load_model as _load

    return _load(*args, **kwargs)


def cdd(*args, **kwargs):
    """See mnemoscope.contamination.cdd.cdd: CDD peakedness and TED accuracy of a benchmark."""
    from .contamination.cdd import cdd as _cdd

    return _cdd(*args, **kwargs)


def partial_completion(*args, **kwargs):
    """See mnemoscope.contamination.completion.partial_completion (Wu et al. 2025)."""
    from .contamination.completion import partial_completion as _completion

    return _completion(*args, **kwargs)


def knowledge_cutoff(*args, **kwargs):
    """See mnemoscope.contamination.cutoff.knowledge_cutoff: accuracy around a cutoff."""
    from .contamination.cutoff import knowledge_cutoff as _cutoff

    return _cutoff(*args, **kwargs)


def ngram_overlap(*args, **kwargs):
    """See mnemoscope.contamination.overlap.ngram_overlap: n-gram overlap with a corpus."""
    from .contamination.overlap import ngram_overlap as _overlap

    return _overlap(*args, **kwargs)


def unlearn(*args, **kwargs):
    """See mnemoscope.unlearning.run.unlearn: unlearn a forget set, audited before and after."""
    from .unlearning.run import unlearn as _unlearn

    return _unlearn(*args, **kwargs)
