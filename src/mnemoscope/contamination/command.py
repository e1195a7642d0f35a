"""`mnemoscope contamination cdd|completion|overlap|cutoff ...`.

Each audit lives in its own module and adds its own sub-command: a module listed in
AUDIT_COMMANDS defines `add_subcommand(actions)`, which adds one parser to the
`contamination` sub-parsers and sets `func` (args -> exit code). Modules listed here must
import without torch (cli.py imports them to build its parser).
"""

from __future__ import annotations

import importlib

AUDIT_COMMANDS: tuple[str, ...] = (
    "mnemoscope.contamination.cdd",
    "mnemoscope.contamination.completion",
    "mnemoscope.contamination.cutoff",
    "mnemoscope.contamination.overlap",
)


def add_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "contamination", help="benchmark contamination: cdd, completion, overlap, cutoff",
        description="Is a benchmark score reasoning or recall? Output-distribution peakedness "
                    "(CDD, with TED), partial-prompt completion, n-gram overlap against a "
                    "training corpus, and accuracy around a knowledge cutoff. Each writes a "
                    "run folder with summary.json, per-item Parquet rows and a report.")
    actions = parser.add_subparsers(dest="contamination_command", required=True)
    for name in AUDIT_COMMANDS:
        importlib.import_module(name).add_subcommand(actions)
