"""Command line. Thin: each command parses flags into a spec and calls the library.

Exit codes: 0 success; 2 bad input: a bad flag, data file or model (one line, no
traceback); 1 an internal error (one line; --debug shows the traceback); 130 interrupted
(finished rows are kept; re-run the same command to resume).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import re
import sys
from typing import NoReturn, Sequence

from .._version import __version__
from ..types import MnemoscopeError
from .command import Command


def one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", str(text)).strip()


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, `mnemoscope: error: ...`, exit 2: the
    message names the flag; the usage block would bury it. Sub-parsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            message += f" (`{self.prog} --help` lists the flags)"
        self.exit(2, f"mnemoscope: error: {one_line(message)}\n")


def discover() -> list[Command]:
    """The `command` of every module in this package, by name: a new command module is
    picked up without being listed anywhere."""
    package = importlib.import_module(__package__)
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):          # __main__ runs the CLI when imported
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, Command):
            found.append(command)
    return sorted(found, key=lambda c: c.name)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="mnemoscope",
                    description="Has this language model memorized this data, or does it "
                                "generalize?")
    parser.add_argument("--version", action="version", version=f"mnemoscope {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or info logs")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error instead of one line")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in discover():
        command.add_to(commands)
    return parser


def _quiet_libraries(quiet: bool) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="mnemoscope: %(message)s", stream=sys.stderr)
    if quiet:
        os.environ.setdefault("TQDM_DISABLE", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:            # --help, --version, or a bad flag (already printed)
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 2
    _quiet_libraries(args.quiet)
    try:
        return int(args.func(args) or 0)
    except MnemoscopeError as exc:       # bad input: the message says what to do
        if args.debug:
            raise
        print(f"mnemoscope: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mnemoscope: interrupted; finished rows are saved. Re-run the same command to "
              "resume.", file=sys.stderr)
        return 130
    except Exception as exc:             # a bug: one line here, the traceback with --debug
        if args.debug:
            raise
        print(f"mnemoscope: internal error: {type(exc).__name__}: {one_line(exc)} "
              "(run with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
