"""Moved to mnemoscope.text.corpus (shared with the signals); this name stays an alias of the
same module, so imports and monkeypatches through it keep working."""

import sys

from ..text import corpus as _moved

sys.modules[__name__] = _moved
