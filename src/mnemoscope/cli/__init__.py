"""The command line: `mnemoscope COMMAND ...`. A wing on top of the library; no audit
imports it. `main(argv) -> exit code` is the console script."""

from .main import main

__all__ = ["main"]
