"""Command line. Thin: each command parses flags into a spec and calls the library.

Exit codes: 0 success, 2 bad input (one-line message, no traceback), 130 interrupted
(finished rows are kept; re-run the same command to resume).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Sequence

from .. import __version__
from .flags import (add_data_flags, add_engine_flags, add_model_flags, data_config, default_out,
                       engine_options, model_config)
from ..types import InputError

# Other audits add their commands here. Each module must import without torch and define
# add_command(subparsers), which adds one subparser and sets `func` (args -> exit code).
COMMAND_MODULES: tuple[str, ...] = (
    "mnemoscope.cli.lab",
    "mnemoscope.cli.extract",
    "mnemoscope.cli.bench",
    "mnemoscope.cli.contamination",
    "mnemoscope.cli.report",
    "mnemoscope.cli.endpoint",
    "mnemoscope.cli.watermark",
    "mnemoscope.cli.unlearn",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mnemoscope",
        description="Has this language model memorized this data, or does it generalize?")
    parser.add_argument("--version", action="version", version=f"mnemoscope {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or info logs")
    commands = parser.add_subparsers(dest="command", required=True)

    score = commands.add_parser("score", help="membership signals on every text, AUROC when labelled")
    add_data_flags(score)
    add_model_flags(score, scoring=True)
    score.add_argument("--signals", default=None,
                       help="comma list, e.g. loss,zlib,min_k(k=0.1) (default: loss, zlib, "
                            "lowercase, min_k, min_k_plus_plus)")
    score.add_argument("--reference-model", default=None,
                       help="a reference model (smaller, same family, or the fine-tune's base); "
                            "adds the `reference` signal")
    score.add_argument("--out", default=None, help="run folder (default runs/<data>-<model>)")
    score.add_argument("--no-tokens", action="store_true",
                       help="do not store per-token arrays (smaller runs, no token heatmap)")
    score.add_argument("--no-report", action="store_true", help="do not write report.html")
    score.add_argument("--bootstrap", type=int, default=1000, help="resamples for the AUROC CI")
    score.add_argument("--seed", type=int, default=0)
    score.add_argument("--chunk-size", type=int, default=64,
                       help="texts per written part: at most this many are redone after a crash")
    add_engine_flags(score)

    commands.add_parser("signals", help="list the membership signals")
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        module.add_command(commands)          # adds a subparser with set_defaults(func=...)
    return parser


def _cmd_score(args: argparse.Namespace) -> int:
    from ..membership import ScoreSpec, run_score

    signals = None
    if args.signals:
        from ..signals import _split_top_level

        signals = tuple(_split_top_level(args.signals))
    out = args.out or default_out("", args.data, args.model)
    spec = ScoreSpec(
        data=data_config(args), out=out, model=model_config(args), signals=signals,
        reference_model=args.reference_model, chunk_size=args.chunk_size, save_tokens=not args.no_tokens, bootstrap=args.bootstrap,
        seed=args.seed, progress=not args.quiet, report=not args.no_report)
    try:
        result = run_score(spec, **engine_options(args))
    except ValueError as exc:   # bad signal specs and the like
        raise InputError(str(exc)) from None
    print(result.table())
    return 0


def _cmd_signals(_: argparse.Namespace) -> int:
    from ..signals import signals

    for name in signals.names():
        cls = signals.get(name)
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        print(f"{name:<18} {cls.paper:<45} {doc}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="mnemoscope: %(message)s", stream=sys.stderr)
    if args.quiet:
        os.environ.setdefault("TQDM_DISABLE", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass
    handlers = {"score": _cmd_score, "signals": _cmd_signals}
    try:
        handler = handlers.get(args.command) or args.func
        return int(handler(args) or 0)
    except InputError as exc:
        print(f"mnemoscope: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mnemoscope: interrupted; finished rows are saved. Re-run the same command to "
              "resume.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
