"""`python -m mnemoscope.cli ...`, the same as the `mnemoscope` console script."""

import sys

from .main import main

sys.exit(main())
